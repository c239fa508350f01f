// Sign-in needs an identity provider: with the proxy or authenticate service and a route that is
// not public, the provider's keys are required, each missing one an error naming it.

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::config {
namespace {

using testing::describe;
using testing::find_diagnostic;

LoadResult load_insecure(const std::string& yaml) {
  auto result = testing::load_insecure(yaml);
  check_serving_requirements(result);
  return result;
}

constexpr std::string_view kProtectedRoute = R"(
routes:
  - from: https://app.example.com
    to: http://127.0.0.1:8080
    allow_any_authenticated_user: true
)";

constexpr std::string_view kPublicRoute = R"(
routes:
  - from: https://app.example.com
    to: http://127.0.0.1:8080
    allow_public_unauthenticated_access: true
)";

TEST(ConfigIdentityProvider, RequiredForProtectedRoutes) {
  auto result = load_insecure(std::string(kProtectedRoute));
  EXPECT_FALSE(result.ok());
  for (const char* key : {"idp_provider_url", "idp_client_id", "idp_client_secret"}) {
    const Diagnostic* d = find_diagnostic(result, key);
    ASSERT_NE(d, nullptr) << key << "\n" << describe(result);
    EXPECT_EQ(d->severity, Diagnostic::Severity::kError) << key;
    EXPECT_NE(d->message.find(key), std::string::npos) << d->message;
  }
}

TEST(ConfigIdentityProvider, CompleteProviderLoads) {
  auto result = load_insecure(
      "idp_provider_url: https://idp.example.com\nidp_client_id: id\nidp_client_secret: s\n" +
      std::string(kProtectedRoute));
  EXPECT_TRUE(result.ok()) << describe(result);
}

TEST(ConfigIdentityProvider, GoogleNeedsNoProviderUrl) {
  auto result = load_insecure("idp_provider: google\nidp_client_id: id\nidp_client_secret: s\n" +
                              std::string(kProtectedRoute));
  EXPECT_TRUE(result.ok()) << describe(result);
}

TEST(ConfigIdentityProvider, NotNeededWithoutProtectedRoutesOrSignIn) {
  EXPECT_TRUE(load_insecure(std::string(kPublicRoute)).ok());
  EXPECT_TRUE(load_insecure("").ok());
  auto databroker_only = load_insecure("services: databroker\n" + std::string(kProtectedRoute));
  EXPECT_TRUE(databroker_only.ok()) << describe(databroker_only);
}

}  // namespace
}  // namespace portcullis::config
