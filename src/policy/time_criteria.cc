// date, day_of_week and time_of_day: the request time, from the documented Enterprise matchers.
// Intervals are half-open: `after` is inclusive and `before` exclusive; a time_of_day window
// whose `after` is later than its `before` runs over midnight. Time zones are IANA names, read
// from the system's time zone database when the policy is compiled (never per request).

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <array>
#include <cstdint>
#include <optional>

#include "policy/criteria.h"
#include "policy/time_text.h"

namespace portcullis::policy {

namespace {

using Clock = std::chrono::system_clock;

absl::TimeZone load_zone(std::string_view criterion, const nlohmann::json& value) {
  if (!value.is_string()) {
    throw PolicyError(std::string(criterion) + ": timezone must be a string, got " +
                      json_type_name(value));
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(value.get<std::string>(), &zone)) {
    throw PolicyError(std::string(criterion) + ": unknown time zone " + json_text(value));
  }
  return zone;
}

const std::string& require_string(std::string_view criterion, std::string_view key,
                                  const nlohmann::json& value) {
  if (!value.is_string()) {
    throw PolicyError(std::string(criterion) + ": " + std::string(key) + " must be a string, got " +
                      json_type_name(value));
  }
  return value.get_ref<const std::string&>();
}

class Date final : public Criterion {
 public:
  std::optional<Clock::time_point> after, before;
  CriterionResult evaluate(const EvalInput& input) const override {
    bool body = (!after || input.now >= *after) && (!before || input.now < *before);
    return plain_result(body, Reason::kDateOk, Reason::kDateUnauthorized);
  }
};

class DayOfWeek final : public Criterion {
 public:
  DayOfWeek(std::uint8_t days, absl::TimeZone zone) : days_(days), zone_(zone) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    absl::CivilDay day = absl::ToCivilDay(absl::FromChrono(input.now), zone_);
    int index = 0;  // Sunday
    switch (absl::GetWeekday(day)) {
      case absl::Weekday::sunday:
        index = 0;
        break;
      case absl::Weekday::monday:
        index = 1;
        break;
      case absl::Weekday::tuesday:
        index = 2;
        break;
      case absl::Weekday::wednesday:
        index = 3;
        break;
      case absl::Weekday::thursday:
        index = 4;
        break;
      case absl::Weekday::friday:
        index = 5;
        break;
      case absl::Weekday::saturday:
        index = 6;
        break;
    }
    return plain_result((days_ >> index) & 1, Reason::kDayOfWeekOk, Reason::kDayOfWeekUnauthorized);
  }

 private:
  std::uint8_t days_;  // bit 0 Sunday .. bit 6 Saturday
  absl::TimeZone zone_;
};

class TimeOfDay final : public Criterion {
 public:
  absl::TimeZone zone;
  std::optional<std::int64_t> after, before;  // nanoseconds since local midnight
  CriterionResult evaluate(const EvalInput& input) const override {
    auto info = zone.At(absl::FromChrono(input.now));
    std::int64_t t = ((static_cast<std::int64_t>(info.cs.hour()) * 60 + info.cs.minute()) * 60 +
                      info.cs.second()) *
                         1'000'000'000 +
                     absl::ToInt64Nanoseconds(info.subsecond);
    bool body;
    if (after && before && *after > *before) {
      body = t >= *after || t < *before;  // over midnight
    } else {
      body = (!after || t >= *after) && (!before || t < *before);
    }
    return plain_result(body, Reason::kTimeOfDayOk, Reason::kTimeOfDayUnauthorized);
  }
};

std::optional<int> day_index(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kShort = {"sun", "mon", "tue", "wed",
                                                             "thu", "fri", "sat"};
  static constexpr std::array<std::string_view, 7> kLong = {
      "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  std::string lower;
  for (char c : name) {
    if (c == ' ') continue;
    lower.push_back(c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c);
  }
  for (int i = 0; i < 7; ++i) {
    if (lower == kShort[i] || lower == kLong[i]) return i;
  }
  return std::nullopt;
}

std::uint8_t parse_days(std::string_view text) {
  std::string_view trimmed = text;
  while (trimmed.starts_with(' ')) trimmed.remove_prefix(1);
  while (trimmed.ends_with(' ')) trimmed.remove_suffix(1);
  if (trimmed == "*") return 0x7f;
  std::uint8_t days = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    auto dash = item.find('-');
    auto first = day_index(item.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : day_index(item.substr(dash + 1));
    if (!first || !last) {
      throw PolicyError(
          "day_of_week: expected *, days like mon,wed or a range like mon-fri, got \"" +
          std::string(text) + "\"");
    }
    // A range may wrap the week end: fri-mon is Friday to Monday.
    for (int d = *first;; d = (d + 1) % 7) {
      days |= static_cast<std::uint8_t>(1u << d);
      if (d == *last) break;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return days;
}

}  // namespace

CriterionPtr make_date(const CriterionSpec& spec) {
  if (!spec.data.is_object() || spec.data.empty()) {
    throw PolicyError("date: expected an object with after and/or before, got " +
                      json_type_name(spec.data));
  }
  auto c = std::make_unique<Date>();
  for (const auto& [key, value] : spec.data.items()) {
    if (key != "after" && key != "before") {
      throw PolicyError("date: unknown operator \"" + key + "\" (expected after or before)");
    }
    auto t = parse_timestamp(require_string("date", key, value));
    if (!t) throw PolicyError("date: " + key + " is not an ISO 8601 date: " + json_text(value));
    (key == "after" ? c->after : c->before) = *t;
  }
  return c;
}

CriterionPtr make_day_of_week(const CriterionSpec& spec) {
  if (spec.data.is_string()) {
    return std::make_unique<DayOfWeek>(parse_days(spec.data.get<std::string>()),
                                       absl::UTCTimeZone());
  }
  if (!spec.data.is_object()) {
    throw PolicyError("day_of_week: expected a string like mon-fri, got " +
                      json_type_name(spec.data));
  }
  // Portcullis also takes {days: mon-fri, timezone: Europe/Berlin}; the string form means UTC.
  std::optional<std::uint8_t> days;
  absl::TimeZone zone = absl::UTCTimeZone();
  for (const auto& [key, value] : spec.data.items()) {
    if (key == "days") {
      days = parse_days(require_string("day_of_week", key, value));
    } else if (key == "timezone") {
      zone = load_zone("day_of_week", value);
    } else {
      throw PolicyError("day_of_week: unknown key \"" + key + "\" (expected days or timezone)");
    }
  }
  if (!days) throw PolicyError("day_of_week: days is required");
  return std::make_unique<DayOfWeek>(*days, zone);
}

CriterionPtr make_time_of_day(const CriterionSpec& spec) {
  if (!spec.data.is_object()) {
    throw PolicyError("time_of_day: expected an object with timezone, after and/or before, got " +
                      json_type_name(spec.data));
  }
  auto c = std::make_unique<TimeOfDay>();
  bool has_zone = false;
  for (const auto& [key, value] : spec.data.items()) {
    if (key == "timezone") {
      c->zone = load_zone("time_of_day", value);
      has_zone = true;
    } else if (key == "after" || key == "before") {
      auto t = parse_time_of_day(require_string("time_of_day", key, value));
      if (!t) {
        throw PolicyError("time_of_day: " + key +
                          " is not a time like 15:04, 15:04:05 or 3:04PM: " + json_text(value));
      }
      (key == "after" ? c->after : c->before) = *t;
    } else {
      throw PolicyError("time_of_day: unknown operator \"" + key +
                        "\" (expected timezone, after or before)");
    }
  }
  if (!has_zone) throw PolicyError("time_of_day: timezone is required");
  if (!c->after && !c->before) throw PolicyError("time_of_day: needs after and/or before");
  return c;
}

}  // namespace portcullis::policy
