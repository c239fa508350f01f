// parse_duration: Go's time.ParseDuration syntax ("1h2m3.5s", "150ms", "-1.5h", "0").

#include <cstdint>
#include <limits>

#include "config/config.h"

namespace portcullis::config {
namespace {

constexpr std::uint64_t kNanosPerMilli = 1'000'000;

// Nanoseconds per unit, and the unit's length in bytes; 0 when `text` does not start with one.
std::uint64_t unit_nanos(std::string_view text, std::size_t& length) {
  struct Unit {
    std::string_view name;
    std::uint64_t nanos;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1},
      {"us", 1'000},
      {"\xc2\xb5s", 1'000},  // U+00B5 micro sign
      {"\xce\xbcs", 1'000},  // U+03BC Greek small letter mu
      {"ms", kNanosPerMilli},
      {"s", 1'000 * kNanosPerMilli},
      {"m", 60'000 * kNanosPerMilli},
      {"h", 3'600'000 * kNanosPerMilli},
  };
  // The unit runs until the next digit or '.'; it must match a name exactly.
  std::size_t end = 0;
  while (end < text.size() && !(text[end] >= '0' && text[end] <= '9') && text[end] != '.') ++end;
  for (const auto& unit : kUnits) {
    if (text.substr(0, end) == unit.name) {
      length = end;
      return unit.nanos;
    }
  }
  return 0;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return Duration{0};
  if (text.empty()) return std::nullopt;

  constexpr std::uint64_t kMax =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t total = 0;
  while (!text.empty()) {
    // Integer part.
    std::uint64_t whole = 0;
    std::size_t digits = 0;
    bool overflow = false;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      if (whole > (kMax - 9) / 10) overflow = true;
      whole = whole * 10 + static_cast<std::uint64_t>(text[digits] - '0');
      ++digits;
    }
    text.remove_prefix(digits);
    // Fraction: keep up to 18 digits as numerator / scale.
    std::uint64_t fraction = 0;
    std::uint64_t scale = 1;
    std::size_t fraction_digits = 0;
    bool has_point = !text.empty() && text.front() == '.';
    if (has_point) {
      text.remove_prefix(1);
      while (fraction_digits < text.size() && text[fraction_digits] >= '0' &&
             text[fraction_digits] <= '9') {
        if (scale < 1'000'000'000'000'000'000ull) {
          fraction = fraction * 10 + static_cast<std::uint64_t>(text[fraction_digits] - '0');
          scale *= 10;
        }
        ++fraction_digits;
      }
      text.remove_prefix(fraction_digits);
    }
    if (digits == 0 && fraction_digits == 0) return std::nullopt;  // "." or missing number
    if (overflow) return std::nullopt;

    std::size_t unit_length = 0;
    std::uint64_t unit = unit_nanos(text, unit_length);
    if (unit == 0) return std::nullopt;  // missing or unknown unit
    text.remove_prefix(unit_length);

    if (whole > kMax / unit) return std::nullopt;
    std::uint64_t nanos = whole * unit;
    if (fraction > 0) {
      // fraction/scale * unit without overflow: unit <= 3.6e12 and fraction < 1e18 would
      // overflow, so scale down the fraction first.
      long double part = static_cast<long double>(fraction) * static_cast<long double>(unit) /
                         static_cast<long double>(scale);
      nanos += static_cast<std::uint64_t>(part);
    }
    if (nanos > kMax - total) return std::nullopt;
    total += nanos;
  }
  // Round up to whole milliseconds so that a tiny timeout never becomes "no timeout" (0).
  auto millis = static_cast<std::int64_t>((total + kNanosPerMilli - 1) / kNanosPerMilli);
  return Duration{negative ? -millis : millis};
}

}  // namespace portcullis::config
