#pragma once
// JSON-lines logging with stable field names. One line per event on stdout:
// {"level":"info","time":"2026-11-28T02:23:19.123Z","message":"listening","address":"..."}

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace portcullis::telemetry {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  template <class T>
  requires std::is_integral_v<T> LogField(std::string_view k, T v)
      : key(k), value(static_cast<std::int64_t>(v)) {}
};

// Sets the minimum level ("debug", "info", "warn", "error"); unknown names mean info.
void set_log_level(std::string_view level);
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
inline void log_debug(std::string_view m, std::initializer_list<LogField> f = {}) {
  log(LogLevel::kDebug, m, f);
}
inline void log_info(std::string_view m, std::initializer_list<LogField> f = {}) {
  log(LogLevel::kInfo, m, f);
}
inline void log_warn(std::string_view m, std::initializer_list<LogField> f = {}) {
  log(LogLevel::kWarn, m, f);
}
inline void log_error(std::string_view m, std::initializer_list<LogField> f = {}) {
  log(LogLevel::kError, m, f);
}

// Builds one JSON log line (with trailing newline) into `out`, for callers that batch lines.
void format_log_line(std::string& out, LogLevel level, std::string_view message,
                     std::initializer_list<LogField> fields);
// Appends `text` as a JSON string literal (quoted and escaped).
void append_json_string(std::string& out, std::string_view text);
// Writes whole lines to stdout with one write(2) so lines from several threads never interleave.
void write_log_lines(std::string_view lines);

}  // namespace portcullis::telemetry
