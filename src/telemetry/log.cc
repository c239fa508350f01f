#include "telemetry/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace portcullis::telemetry {
namespace {

// The minimum level is process-wide configuration set at start-up and on reload.
std::atomic<int>& min_level() {
  static std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};
  return level;
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void append_time(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<int>(millis.count()));
  out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

void set_log_level(std::string_view level) {
  LogLevel l = LogLevel::kInfo;
  if (level == "debug" || level == "trace") l = LogLevel::kDebug;
  if (level == "warn" || level == "warning") l = LogLevel::kWarn;
  if (level == "error" || level == "fatal" || level == "panic") l = LogLevel::kError;
  min_level().store(static_cast<int>(l), std::memory_order_relaxed);
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) >= min_level().load(std::memory_order_relaxed);
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void format_log_line(std::string& out, LogLevel level, std::string_view message,
                     std::initializer_list<LogField> fields) {
  out.append("{\"level\":\"");
  out.append(level_name(level));
  out.append("\",\"time\":\"");
  append_time(out);
  out.append("\",\"message\":");
  append_json_string(out, message);
  for (const auto& field : fields) {
    out.push_back(',');
    append_json_string(out, field.key);
    out.push_back(':');
    std::visit(
        [&out](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            append_json_string(out, v);
          } else if constexpr (std::is_same_v<T, bool>) {
            out.append(v ? "true" : "false");
          } else if constexpr (std::is_same_v<T, double>) {
            char buf[32];
            int n = std::snprintf(buf, sizeof buf, "%.3f", v);
            out.append(buf, static_cast<std::size_t>(n));
          } else {
            out.append(std::to_string(v));
          }
        },
        field.value);
  }
  out.append("}\n");
}

void write_log_lines(std::string_view lines) {
  while (!lines.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, lines.data(), lines.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing stdout
    }
    lines.remove_prefix(static_cast<std::size_t>(n));
  }
}

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  std::string line;
  line.reserve(256);
  format_log_line(line, level, message, fields);
  write_log_lines(line);
}

}  // namespace portcullis::telemetry
