#include <gtest/gtest.h>

#include "config/config.h"

namespace portcullis::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

struct DurationCase {
  std::string_view text;
  std::optional<Duration> expected;
};

class ParseDurationTest : public ::testing::TestWithParam<DurationCase> {};

TEST_P(ParseDurationTest, MatchesGoSyntax) {
  const auto& param = GetParam();
  EXPECT_EQ(parse_duration(param.text), param.expected) << "input: \"" << param.text << "\"";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseDurationTest,
    ::testing::Values(
        DurationCase{"0", Duration{0}}, DurationCase{"+0", Duration{0}},
        DurationCase{"-0", Duration{0}}, DurationCase{"0s", Duration{0}},
        DurationCase{"30s", seconds(30)}, DurationCase{"1m30s", seconds(90)},
        DurationCase{"1.5h", minutes(90)}, DurationCase{"150ms", milliseconds(150)},
        DurationCase{"2h45m", minutes(165)}, DurationCase{"1h2m3s4ms", milliseconds(3723004)},
        DurationCase{"14h", hours(14)}, DurationCase{".5s", milliseconds(500)},
        DurationCase{"1.s", seconds(1)}, DurationCase{"5m", minutes(5)},
        DurationCase{"-1.5h", -minutes(90)}, DurationCase{"+10s", seconds(10)},
        DurationCase{"1000000ns", milliseconds(1)}, DurationCase{"2000us", milliseconds(2)},
        DurationCase{"3000\xc2\xb5s", milliseconds(3)},  // micro sign
        DurationCase{"4000\xce\xbcs", milliseconds(4)},  // Greek mu
        DurationCase{"1ns", milliseconds(1)},            // rounded up, never to "none"
        DurationCase{"1500us", milliseconds(2)},         // rounded up
        DurationCase{"0.000001s", milliseconds(1)},
        DurationCase{"2562047h", hours(2562047)},  // near Go's limit
        // Malformed.
        DurationCase{"", std::nullopt}, DurationCase{"30", std::nullopt},
        DurationCase{"s", std::nullopt}, DurationCase{".s", std::nullopt},
        DurationCase{"1d", std::nullopt}, DurationCase{"1 s", std::nullopt},
        DurationCase{"1sec", std::nullopt}, DurationCase{"1S", std::nullopt},
        DurationCase{"-", std::nullopt}, DurationCase{"1h-2m", std::nullopt},
        DurationCase{"3000000h", std::nullopt},  // overflows int64 nanoseconds
        DurationCase{"99999999999999999999s", std::nullopt}, DurationCase{"1.5", std::nullopt},
        DurationCase{"abc", std::nullopt}, DurationCase{"10ms5", std::nullopt}));

}  // namespace
}  // namespace portcullis::config
