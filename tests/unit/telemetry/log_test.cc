#include "telemetry/log.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace portcullis::telemetry {
namespace {

using nlohmann::json;

// Formats one line and checks it is exactly one newline-terminated line.
std::string line_of(LogLevel level, std::string_view message,
                    std::initializer_list<LogField> fields = {}) {
  std::string out;
  format_log_line(out, level, message, fields);
  EXPECT_FALSE(out.empty());
  if (!out.empty()) {
    EXPECT_EQ(out.back(), '\n');
  }
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "a raw newline inside the line: " << out;
  return out;
}

TEST(FormatLogLine, StandardFields) {
  json line = json::parse(line_of(LogLevel::kInfo, "listening"));
  ASSERT_TRUE(line.is_object());
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["message"], "listening");
  ASSERT_TRUE(line["time"].is_string());
  EXPECT_TRUE(re2::RE2::FullMatch(line["time"].get<std::string>(),
                                  R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"))
      << line["time"];
  EXPECT_EQ(line.size(), 3u);
}

TEST(FormatLogLine, Levels) {
  const std::vector<std::pair<LogLevel, std::string>> cases = {
      {LogLevel::kDebug, "debug"},
      {LogLevel::kInfo, "info"},
      {LogLevel::kWarn, "warn"},
      {LogLevel::kError, "error"},
  };
  for (const auto& [level, name] : cases) {
    EXPECT_EQ(json::parse(line_of(level, "m"))["level"], name);
  }
}

TEST(FormatLogLine, AppendsToExistingText) {
  std::string out = "previous\n";
  format_log_line(out, LogLevel::kInfo, "next", {});
  ASSERT_EQ(out.rfind("previous\n", 0), 0u);
  EXPECT_EQ(json::parse(out.substr(9))["message"], "next");
}

TEST(FormatLogLine, TrickyStringsRoundTrip) {
  const std::vector<std::string> cases = {
      "plain",
      "",
      "double \"quotes\" inside",
      "back\\slash and \\\" both",
      "trailing backslash \\",
      "new\nline, carriage\rreturn, tab\t",
      "controls \x01\x02\x1b\x1f and DEL \x7f",
      std::string("embedded\0nul", 12),
      "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",
      "</script><script>alert(1)</script>",
      "{\"json\": [1, 2]}",
      "\\u0041 is not decoded",
  };
  for (const auto& text : cases) {
    SCOPED_TRACE(text);
    json line = json::parse(line_of(LogLevel::kWarn, text, {{"field", text}, {text, "key"}}));
    EXPECT_EQ(line["message"].get<std::string>(), text);
    EXPECT_EQ(line["field"].get<std::string>(), text);
    if (!text.empty() && text != "field") {
      EXPECT_EQ(line[text].get<std::string>(), "key");  // keys are escaped too
    }
  }
}

TEST(FormatLogLine, FieldTypes) {
  const std::string owned = "owned string";
  json line = json::parse(line_of(LogLevel::kInfo, "typed",
                                  {
                                      {"view", std::string_view("a view")},
                                      {"owned", owned},
                                      {"literal", "c string"},
                                      {"int", 42},
                                      {"negative", -7},
                                      {"size", std::size_t{123456789012}},
                                      {"u32", std::uint32_t{4000000000u}},
                                      {"i64_min", std::numeric_limits<std::int64_t>::min()},
                                      {"yes", true},
                                      {"no", false},
                                      {"double", 1.5},
                                      {"small_double", 0.25},
                                      {"negative_double", -12.125},
                                      {"zero", 0.0},
                                  }));
  EXPECT_EQ(line["view"], "a view");
  EXPECT_EQ(line["owned"], "owned string");
  EXPECT_EQ(line["literal"], "c string");
  ASSERT_TRUE(line["int"].is_number_integer());
  EXPECT_EQ(line["int"].get<std::int64_t>(), 42);
  EXPECT_EQ(line["negative"].get<std::int64_t>(), -7);
  EXPECT_EQ(line["size"].get<std::int64_t>(), 123456789012);
  EXPECT_EQ(line["u32"].get<std::int64_t>(), 4000000000);
  EXPECT_EQ(line["i64_min"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  ASSERT_TRUE(line["yes"].is_boolean());
  EXPECT_TRUE(line["yes"].get<bool>());
  EXPECT_FALSE(line["no"].get<bool>());
  ASSERT_TRUE(line["double"].is_number());
  EXPECT_DOUBLE_EQ(line["double"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(line["small_double"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(line["negative_double"].get<double>(), -12.125);
  EXPECT_DOUBLE_EQ(line["zero"].get<double>(), 0.0);
}

TEST(FormatLogLine, FieldsKeepTheirOrder) {
  std::string out = line_of(LogLevel::kInfo, "m", {{"b", 1}, {"a", 2}, {"c", 3}});
  auto b = out.find("\"b\":1"), a = out.find("\"a\":2"), c = out.find("\"c\":3");
  ASSERT_NE(b, std::string::npos) << out;
  EXPECT_LT(b, a);
  EXPECT_LT(a, c);
}

// Durations are doubles; a huge or non-finite value must still give a JSON line.
TEST(FormatLogLine, HugeAndNonFiniteDoublesStayValidJson) {
  const std::vector<double> cases = {
      1e30,
      -1e300,
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
  };
  for (double v : cases) {
    SCOPED_TRACE(v);
    std::string out;
    format_log_line(out, LogLevel::kInfo, "m", {{"value", v}, {"after", "kept"}});
    json line;
    ASSERT_NO_THROW(line = json::parse(out)) << out;
    EXPECT_EQ(line["after"], "kept");
    if (std::isfinite(v)) {
      ASSERT_TRUE(line["value"].is_number()) << out;
      EXPECT_NEAR(line["value"].get<double>() / v, 1.0, 1e-9) << out;
    }
  }
}

// Log fields carry client-sent bytes (path, User-Agent); a line must stay valid JSON (UTF-8)
// whatever they hold.
TEST(FormatLogLine, InvalidUtf8StaysValidJson) {
  const std::vector<std::string> cases = {
      "\xff\xfe",
      "truncated \xe2\x82",
      "lone continuation \x80 byte",
      "overlong \xc0\xaf slash",
      "surrogate \xed\xa0\x80 half",
  };
  for (const auto& text : cases) {
    SCOPED_TRACE(text);
    std::string out;
    format_log_line(out, LogLevel::kInfo, "http-request", {{"user_agent", text}, {"n", 1}});
    json line;
    ASSERT_NO_THROW(line = json::parse(out)) << out;
    EXPECT_EQ(line["n"], 1);
  }
}

TEST(LogLevel, SetAndQuery) {
  set_log_level("error");
  EXPECT_FALSE(log_enabled(LogLevel::kWarn));
  EXPECT_TRUE(log_enabled(LogLevel::kError));
  set_log_level("warning");
  EXPECT_FALSE(log_enabled(LogLevel::kInfo));
  EXPECT_TRUE(log_enabled(LogLevel::kWarn));
  set_log_level("debug");
  EXPECT_TRUE(log_enabled(LogLevel::kDebug));
  set_log_level("nonsense");  // unknown names mean info
  EXPECT_FALSE(log_enabled(LogLevel::kDebug));
  EXPECT_TRUE(log_enabled(LogLevel::kInfo));
  set_log_level("info");
}

}  // namespace
}  // namespace portcullis::telemetry
