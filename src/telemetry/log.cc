#include "telemetry/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
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

namespace {

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char c = byte(0);
  if (c >= 0xC2 && c <= 0xDF) return continuation(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (c == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && byte(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (c == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && byte(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(text.substr(i));
      if (n == 0) {
        out.append("\\ufffd");  // not UTF-8: the replacement character keeps the line valid JSON
      } else {
        out.append(text.substr(i, n));
        i += n - 1;
      }
      continue;
    }
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
            if (!std::isfinite(v)) {
              out.append("null");  // JSON has no NaN or infinity
            } else {
              char buf[64];
              int n = std::snprintf(buf, sizeof buf, std::fabs(v) < 1e15 ? "%.3f" : "%.17g", v);
              out.append(buf, static_cast<std::size_t>(std::clamp(n, 0, int(sizeof buf) - 1)));
            }
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
