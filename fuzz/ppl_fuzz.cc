// libFuzzer target for the PPL parser and compiler, and evaluation of whatever compiles.
// The input is policy text (YAML or JSON). Besides crashes it aborts when a property the
// authorize service relies on breaks: evaluation is deterministic, a verdict's value agrees with
// its reasons' shape, and the status is one of those the proxy can answer.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "authorize/decision.h"
#include "policy/json_input.h"
#include "policy/policy.h"
#include "policy/time_text.h"

namespace {

const portcullis::policy::JsonInput& input(int which) {
  static const auto now = *portcullis::policy::parse_timestamp("2021-05-11T13:43:00Z");
  static const portcullis::policy::JsonInput anonymous(nlohmann::json::object(), now);
  static const portcullis::policy::JsonInput signed_in(nlohmann::json::parse(R"({
        "http": {"method": "OPTIONS", "path": "/a/b", "ip": "10.1.2.3",
                 "headers": {"Origin": "x", "Access-Control-Request-Method": "GET"}},
        "session": {"id": "s", "user_id": "u", "claims": {"groups": ["g"], "a": {"b": ["c"]}}},
        "user": {"email": "a@b@c", "claims": {"x": [1, true, "y"]}},
        "directory_user": {"group_ids": ["g1"]},
        "client_certificate": {"presented": true, "fingerprint": "00", "san_dns": ["d"]},
        "records": {"t": {"u": {"f": "v", "n": 3}}}})"),
                                                       now);
  return which == 0 ? anonymous : signed_in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto compiled = portcullis::policy::compile_policy_text(text);
  if (!compiled.ok()) {
    if (compiled.error.empty()) std::abort();  // every failure must say why
    return 0;
  }
  for (int which = 0; which < 2; ++which) {
    const auto& in = input(which).input();
    auto first = compiled.policy->evaluate(in);
    auto second = compiled.policy->evaluate(in);
    if (!(first == second)) std::abort();
    for (bool html : {false, true}) {
      int status = portcullis::authorize::decision_status(first, html);
      if (status != 200 && status != 302 && status != 401 && status != 403 && status != 404 &&
          status != 450 && status != 495) {
        std::abort();
      }
      if (status == 200 && (!first.allow.value || first.deny.value)) std::abort();
    }
  }
  return 0;
}
