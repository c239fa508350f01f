#pragma once
// Shared helpers for the policy table tests: a row's expected verdict is written as
// "true: email-ok" or "false: user-unauthenticated, claim-unauthorized" or "false:".

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "policy/json_input.h"
#include "policy/policy.h"
#include "policy/time_text.h"

namespace portcullis::policy::testing {

inline Verdict parse_verdict(std::string_view text) {
  Verdict v;
  auto colon = text.find(':');
  v.value = text.substr(0, colon) == "true";
  std::string_view rest = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      Reason r;
      EXPECT_TRUE(parse_reason(item, r)) << "unknown reason in test table: " << item;
      v.reasons.add(r);
    }
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
  return v;
}

inline std::string describe(const Verdict& v) {
  std::string out = v.value ? "true:" : "false:";
  bool first = true;
  for (Reason r : v.reasons) {
    out += first ? " " : ", ";
    out += to_string(r);
    first = false;
  }
  return out;
}

// Pomerium's criteria tests fix the time at 2021-05-11 13:43 (a Tuesday).
inline std::chrono::system_clock::time_point test_now() {
  return *parse_timestamp("2021-05-11T13:43:00Z");
}

inline Decision evaluate_text(const std::string& policy, const std::string& input_json) {
  auto compiled = compile_policy_text(policy);
  EXPECT_TRUE(compiled.ok()) << compiled.error << "\npolicy:\n" << policy;
  if (!compiled.ok()) return {};
  JsonInput input(nlohmann::json::parse(input_json), test_now());
  return compiled.policy->evaluate(input.input());
}

}  // namespace portcullis::policy::testing
