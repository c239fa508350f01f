#pragma once
// Date and time text for the date, day_of_week and time_of_day criteria and for tools.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace portcullis::policy {

// ISO 8601 / RFC 3339: "2021-05-11T13:43:00Z", "...+02:00", fractional seconds, or without an
// offset (read as UTC), or a date alone ("2021-05-11", midnight UTC).
std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

// A time of day in one of the documented layouts ("3:04 PM", "3:04PM", "3 PM", "3PM",
// "15:04:05.999999999", "15:04:05", "15:04"), as nanoseconds since midnight.
std::optional<std::int64_t> parse_time_of_day(std::string_view text);

}  // namespace portcullis::policy
