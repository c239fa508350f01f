// Route policies are compiled while the configuration loads: a policy that does not compile is an
// error at the route's policy key and line.

#include "config/route_policy.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::config {
namespace {

using testing::describe;
using testing::find_diagnostic;
using testing::load_insecure;

TEST(RoutePolicy, UnknownCriterionIsAnErrorWithKeyAndLine) {
  auto result = load_insecure(R"(authenticate_service_url: https://authn.example.com
routes:
  - from: https://ok.example.com
    to: http://127.0.0.1:1
    policy:
      allow:
        or:
          - email:
              is: a@example.com
  - from: https://bad.example.com
    to: http://127.0.0.1:1
    policy:
      allow:
        or:
          - no_such_criterion: 1
)");
  EXPECT_FALSE(result.ok());
  const Diagnostic* d = find_diagnostic(result, "routes[1].policy");
  ASSERT_NE(d, nullptr) << describe(result);
  EXPECT_EQ(d->severity, Diagnostic::Severity::kError);
  EXPECT_GT(d->line, 10);
  EXPECT_NE(d->message.find("no_such_criterion"), std::string::npos) << d->message;
  EXPECT_EQ(find_diagnostic(result, "routes[0].policy"), nullptr);
}

TEST(RoutePolicy, BadMatcherIsAnError) {
  auto result = load_insecure(R"(authenticate_service_url: https://authn.example.com
routes:
  - from: https://bad.example.com
    to: http://127.0.0.1:1
    policy:
      allow:
        and:
          - email:
              sounds_like: a
)");
  EXPECT_FALSE(result.ok());
  EXPECT_NE(find_diagnostic(result, "routes[0].policy"), nullptr) << describe(result);
}

TEST(RoutePolicy, FlagsAndMtls) {
  Route route;
  route.allowed_users = {"a@example.com"};
  Options options;
  EXPECT_FALSE(route_policy_flags(route, options).deny_invalid_client_certificate);
  options.downstream_mtls.ca_pem = "x";
  EXPECT_TRUE(route_policy_flags(route, options).deny_invalid_client_certificate);
  options.downstream_mtls.enforcement = "policy";
  EXPECT_FALSE(route_policy_flags(route, options).deny_invalid_client_certificate);
  EXPECT_EQ(route_policy_flags(route, options).allowed_users, route.allowed_users);
  EXPECT_TRUE(compile_route_policy(route, options).ok());
}

}  // namespace
}  // namespace portcullis::config
