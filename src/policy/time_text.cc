#include "policy/time_text.h"

#include <absl/time/time.h>

#include <charconv>
#include <string>

namespace portcullis::policy {

namespace {

// Reads 1 or 2 digits (or exactly `width` when given) at text[pos], advancing pos.
std::optional<int> read_number(std::string_view text, std::size_t& pos, std::size_t min_width,
                               std::size_t max_width) {
  std::size_t start = pos;
  while (pos < text.size() && pos - start < max_width && text[pos] >= '0' && text[pos] <= '9') {
    ++pos;
  }
  if (pos - start < min_width) return std::nullopt;
  int value = 0;
  std::from_chars(text.data() + start, text.data() + pos, value);
  return value;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text) {
  static constexpr const char* kLayouts[] = {
      "%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ",
      "%Y-%m-%dt%H:%M:%E*Sz",   "%Y-%m-%dT%H:%M:%E*S",
      "%Y-%m-%dT%H:%M%Ez",      "%Y-%m-%dT%H:%MZ",
      "%Y-%m-%dT%H:%M",         "%Y-%m-%d",
  };
  std::string input(text);
  for (const char* layout : kLayouts) {
    absl::Time t;
    std::string error;
    if (absl::ParseTime(layout, input, absl::UTCTimeZone(), &t, &error)) {
      return absl::ToChronoTime(t);
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_time_of_day(std::string_view text) {
  std::size_t pos = 0;
  auto hour = read_number(text, pos, 1, 2);
  if (!hour) return std::nullopt;
  int minute = 0, second = 0;
  std::int64_t nanos = 0;
  bool has_minute = false;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    auto m = read_number(text, pos, 2, 2);
    if (!m) return std::nullopt;
    minute = *m;
    has_minute = true;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      auto s = read_number(text, pos, 2, 2);
      if (!s) return std::nullopt;
      second = *s;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t start = pos;
        while (pos < text.size() && pos - start < 9 && text[pos] >= '0' && text[pos] <= '9') {
          nanos = nanos * 10 + (text[pos] - '0');
          ++pos;
        }
        if (pos == start) return std::nullopt;
        for (std::size_t i = pos - start; i < 9; ++i) nanos *= 10;
      }
    }
  }
  std::string_view rest = text.substr(pos);
  if (rest.starts_with(' ')) rest.remove_prefix(1);
  if (rest.empty()) {
    // 24-hour layouts need the minutes ("15" alone is not a documented layout).
    if (!has_minute || *hour > 23) return std::nullopt;
  } else {
    bool pm = rest == "PM" || rest == "pm";
    bool am = rest == "AM" || rest == "am";
    if ((!pm && !am) || second != 0 || nanos != 0 || *hour < 1 || *hour > 12) return std::nullopt;
    if (text.find(':') != std::string_view::npos && text.find(':') != text.rfind(':')) {
      return std::nullopt;  // no seconds in the 12-hour layouts
    }
    *hour = *hour % 12 + (pm ? 12 : 0);
  }
  if (minute > 59 || second > 59) return std::nullopt;
  return ((static_cast<std::int64_t>(*hour) * 60 + minute) * 60 + second) * 1'000'000'000 + nanos;
}

}  // namespace portcullis::policy
