// OidcAuthenticator against an in-process provider (fake_idp.h) over real HTTP.

#include "identity/oidc_authenticator.h"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>

#include "fake_clock.h"
#include "fake_idp.h"
#include "identity/oidc_discovery.h"

namespace portcullis::identity {
namespace {

using testing::FakeClock;
using testing::FakeIdp;
using testing::run_coroutine;

std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  auto parsed = boost::urls::parse_uri(url);
  for (auto param : parsed->params()) out[param.key] = param.value;
  return out;
}

class OidcTest : public ::testing::Test {
 protected:
  OidcTest() : authenticator_(options(), client_, clock_) {}

  OidcOptions options() {
    OidcOptions o;
    o.provider_url = idp_.issuer();
    o.client_id = "client-1";
    o.client_secret = "secret/1";
    o.request_params = {{"prompt", "login"}, {"client_id", "evil"}};
    return o;
  }

  // Starts a sign-in and has the provider issue a code, as after the user signed in.
  std::pair<std::string, std::map<std::string, std::string>> sign_in(std::string verifier = "v") {
    AuthorizationParams params{"https://auth.test/oauth2/callback", "state-1", "nonce-1",
                               std::move(verifier)};
    auto redirect = run_coroutine(authenticator_.authorization_url(params));
    EXPECT_TRUE(redirect.ok());
    auto query = query_of(redirect->url);
    return {idp_.issue_code(query["nonce"], query["code_challenge"]), query};
  }

  FakeIdp idp_;
  http::HttpClient client_;
  FakeClock clock_;
  OidcAuthenticator authenticator_;
};

TEST(OidcDiscovery, UrlAndMetadata) {
  EXPECT_EQ(discovery_url("https://idp.test"), "https://idp.test/.well-known/openid-configuration");
  EXPECT_EQ(discovery_url("https://idp.test/realms/a/"),
            "https://idp.test/realms/a/.well-known/openid-configuration");
  EXPECT_FALSE(discovery_url("idp.test"));
  EXPECT_FALSE(discovery_url("https://idp.test/?x=1"));
  nlohmann::json doc = {{"issuer", "https://idp.test"},
                        {"authorization_endpoint", "https://idp.test/auth"},
                        {"token_endpoint", "https://idp.test/token"},
                        {"jwks_uri", "https://idp.test/jwks"}};
  std::string error;
  EXPECT_TRUE(parse_provider_metadata(doc, "https://idp.test/", &error)) << error;
  EXPECT_FALSE(parse_provider_metadata(doc, "https://other.test", &error));
  auto bad = doc;
  bad["token_endpoint"] = "javascript:alert(1)";
  EXPECT_FALSE(parse_provider_metadata(bad, "https://idp.test", &error));
  bad = doc;
  bad.erase("jwks_uri");
  EXPECT_FALSE(parse_provider_metadata(bad, "https://idp.test", &error));
}

TEST_F(OidcTest, AuthorizationUrlWithPkceAndRequestParams) {
  auto redirect = run_coroutine(authenticator_.authorization_url(
      {"https://auth.test/oauth2/callback", "st", "no", "verifier-123"}));
  ASSERT_TRUE(redirect.ok()) << redirect.error().message;
  EXPECT_TRUE(redirect->pkce);
  EXPECT_TRUE(redirect->url.starts_with(idp_.issuer() + "/authorize?"));
  auto q = query_of(redirect->url);
  EXPECT_EQ(q["response_type"], "code");
  EXPECT_EQ(q["client_id"], "client-1");  // idp_request_params cannot replace it
  EXPECT_EQ(q["redirect_uri"], "https://auth.test/oauth2/callback");
  EXPECT_EQ(q["scope"], "openid profile email offline_access");
  EXPECT_EQ(q["state"], "st");
  EXPECT_EQ(q["nonce"], "no");
  EXPECT_EQ(q["code_challenge"], crypto::base64url_encode(crypto::sha256("verifier-123")));
  EXPECT_EQ(q["code_challenge_method"], "S256");
  EXPECT_EQ(q["prompt"], "login");
}

TEST_F(OidcTest, NoPkceWhenTheProviderDoesNotAdvertiseIt) {
  idp_.set_pkce(false);
  auto redirect =
      run_coroutine(authenticator_.authorization_url({"https://a.test/cb", "s", "n", "v"}));
  ASSERT_TRUE(redirect.ok());
  EXPECT_FALSE(redirect->pkce);
  EXPECT_EQ(query_of(redirect->url).count("code_challenge"), 0u);
}

TEST_F(OidcTest, DiscoveryIsCachedAndRefreshedAfterTtl) {
  run_coroutine(authenticator_.metadata());
  run_coroutine(authenticator_.metadata());
  EXPECT_EQ(authenticator_.metadata_fetches(), 1u);
  clock_.advance(std::chrono::minutes(61));
  run_coroutine(authenticator_.metadata());
  EXPECT_EQ(authenticator_.metadata_fetches(), 2u);
}

TEST_F(OidcTest, CodeExchangeVerifiesAndMergesUserinfo) {
  auto [code, query] = sign_in("verifier-abc");
  auto identity = run_coroutine(authenticator_.exchange_code(
      code, "https://auth.test/oauth2/callback", "verifier-abc", query["nonce"]));
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  EXPECT_EQ(identity->id_token->subject, "alice");
  EXPECT_EQ(identity->claims["email"], "alice@example.com");
  EXPECT_EQ(identity->claims["department"], "research");  // from userinfo
  EXPECT_EQ(identity->claims["groups"], nlohmann::json({"admins", "staff"}));
  EXPECT_FALSE(identity->token.access_token.empty());
  EXPECT_FALSE(identity->token.refresh_token.empty());
  EXPECT_EQ(identity->token.expires_at, clock_.now() + std::chrono::seconds(3600));
  EXPECT_NE(idp_.last_token_body().find("code_verifier=verifier-abc"), std::string::npos);
  EXPECT_EQ(idp_.last_token_body().find("client_secret"), std::string::npos);  // Basic auth

  // The same code again: the provider refuses it.
  auto replay = run_coroutine(authenticator_.exchange_code(
      code, "https://auth.test/oauth2/callback", "verifier-abc", query["nonce"]));
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().kind, IdpErrorKind::kRefused);
  EXPECT_EQ(replay.error().code, "invalid_grant");
}

TEST_F(OidcTest, CodeExchangeFailures) {
  {
    auto [code, query] = sign_in("right");
    auto result = run_coroutine(
        authenticator_.exchange_code(code, "https://a.test/cb", "wrong", query["nonce"]));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, IdpErrorKind::kRefused);
  }
  {
    auto [code, query] = sign_in();
    auto result =
        run_coroutine(authenticator_.exchange_code(code, "https://a.test/cb", "v", "other-nonce"));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, IdpErrorKind::kInvalidToken);
  }
  {
    idp_.set_claim_override("aud", "someone-else");
    auto [code, query] = sign_in();
    auto result =
        run_coroutine(authenticator_.exchange_code(code, "https://a.test/cb", "v", query["nonce"]));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, IdpErrorKind::kInvalidToken);
  }
}

TEST_F(OidcTest, ClientSecretPostWhenBasicIsNotAccepted) {
  idp_.set_auth_methods({"client_secret_post"});
  auto [code, query] = sign_in();
  auto identity =
      run_coroutine(authenticator_.exchange_code(code, "https://a.test/cb", "v", query["nonce"]));
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  EXPECT_NE(idp_.last_token_body().find("client_secret=secret%2F1"), std::string::npos);
}

TEST_F(OidcTest, KeyRotationRefreshesTheJwks) {
  auto [code1, q1] = sign_in();
  ASSERT_TRUE(
      run_coroutine(authenticator_.exchange_code(code1, "https://a.test/cb", "v", q1["nonce"]))
          .ok());
  EXPECT_EQ(authenticator_.key_fetches(), 1u);
  idp_.set_key(testing::generate_signing_key("RSA"));
  clock_.advance(std::chrono::minutes(1));  // past the minimum refresh interval
  auto [code2, q2] = sign_in();
  auto identity =
      run_coroutine(authenticator_.exchange_code(code2, "https://a.test/cb", "v", q2["nonce"]));
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  EXPECT_EQ(authenticator_.key_fetches(), 2u);

  // A key the provider never publishes: one refetch at most, then a clear failure.
  idp_.set_publish_key(false);
  idp_.set_key(testing::generate_signing_key("EC"));
  auto [code3, q3] = sign_in();
  auto forged =
      run_coroutine(authenticator_.exchange_code(code3, "https://a.test/cb", "v", q3["nonce"]));
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().kind, IdpErrorKind::kInvalidToken);
}

TEST_F(OidcTest, RefreshOutcomes) {
  OAuthToken token;
  token.access_token = "access-0";
  token.refresh_token = "refresh-0";
  auto ok = run_coroutine(authenticator_.refresh(token));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_NE(ok->token.access_token, "access-0");
  EXPECT_TRUE(ok->id_token.has_value());
  EXPECT_NE(idp_.last_token_body().find("grant_type=refresh_token"), std::string::npos);

  idp_.set_refresh_status(400);
  auto refused = run_coroutine(authenticator_.refresh(token));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, IdpErrorKind::kRefused);

  idp_.set_refresh_status(503);
  auto temporary = run_coroutine(authenticator_.refresh(token));
  ASSERT_FALSE(temporary.ok());
  EXPECT_EQ(temporary.error().kind, IdpErrorKind::kTemporary);

  token.refresh_token.clear();
  auto none = run_coroutine(authenticator_.refresh(token));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, IdpErrorKind::kRefused);
}

TEST_F(OidcTest, UnreachableProviderIsTemporary) {
  std::string url;
  {
    FakeIdp gone;
    url = gone.issuer();
  }
  OidcOptions o = options();
  o.provider_url = url;
  OidcAuthenticator authenticator(o, client_, clock_);
  auto result = run_coroutine(authenticator.authorization_url({"https://a.test/cb", "s", "n", ""}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, IdpErrorKind::kTemporary);
}

TEST_F(OidcTest, RevocationAndEndSession) {
  OAuthToken token;
  token.access_token = "access-9";
  token.refresh_token = "refresh-9";
  auto revoked = run_coroutine(authenticator_.revoke(token));
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  EXPECT_EQ(idp_.revoked(), (std::vector<std::string>{"refresh-9", "access-9"}));

  auto url = run_coroutine(
      authenticator_.end_session_url({"id.token", "https://auth.test/.pomerium/signed_out", ""}));
  ASSERT_TRUE(url.ok());
  ASSERT_TRUE(url.value().has_value());
  auto q = query_of(*url.value());
  EXPECT_EQ(q["id_token_hint"], "id.token");
  EXPECT_EQ(q["post_logout_redirect_uri"], "https://auth.test/.pomerium/signed_out");
  EXPECT_EQ(q["client_id"], "client-1");
}

}  // namespace
}  // namespace portcullis::identity
