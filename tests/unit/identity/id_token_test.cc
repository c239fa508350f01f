// ID token verification rules, one row per way a token can be wrong.

#include "identity/id_token.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "crypto/jws.h"
#include "test_http_server.h"

namespace portcullis::identity {
namespace {

using testing::generate_signing_key;

struct Keys {
  crypto::SigningKey ec = generate_signing_key("EC");
  crypto::SigningKey rsa = generate_signing_key("RSA");
  crypto::SigningKey other = generate_signing_key("EC");
};

Keys& keys() {
  static Keys k;
  return k;
}

nlohmann::json base_claims(TimePoint now) {
  auto t = crypto::unix_seconds(now);
  return {{"iss", "https://idp.test"},
          {"sub", "alice"},
          {"aud", "client-1"},
          {"iat", t},
          {"exp", t + 300},
          {"nonce", "n-1"}};
}

IdTokenExpectations expectations(TimePoint now) {
  return {"https://idp.test", "client-1", "n-1", now, std::chrono::seconds(60)};
}

std::variant<IdToken, IdTokenError> check(const std::string& token, TimePoint now) {
  std::vector<crypto::PublicKey> set = {keys().ec.public_key(), keys().rsa.public_key()};
  return verify_id_token(token, set, expectations(now));
}

TEST(IdToken, ValidEs256AndRs256) {
  auto now = std::chrono::system_clock::now();
  for (auto* key : {&keys().ec, &keys().rsa}) {
    auto result = check(key->sign(base_claims(now)), now);
    ASSERT_TRUE(std::holds_alternative<IdToken>(result))
        << to_string(std::get<IdTokenError>(result));
    const auto& token = std::get<IdToken>(result);
    EXPECT_EQ(token.subject, "alice");
    EXPECT_EQ(token.issuer, "https://idp.test");
    EXPECT_EQ(crypto::unix_seconds(token.expires_at), crypto::unix_seconds(now) + 300);
  }
}

TEST(IdToken, RejectionTable) {
  auto now = std::chrono::system_clock::now();
  auto t = crypto::unix_seconds(now);
  struct Case {
    std::string name;
    nlohmann::json changes;  // null values remove the claim
    IdTokenError expected;
  };
  const std::vector<Case> cases = {
      {"wrong issuer", {{"iss", "https://evil.test"}}, IdTokenError::kWrongIssuer},
      {"issuer with slash", {{"iss", "https://idp.test/"}}, IdTokenError::kWrongIssuer},
      {"no issuer", {{"iss", nullptr}}, IdTokenError::kWrongIssuer},
      {"wrong audience", {{"aud", "client-2"}}, IdTokenError::kWrongAudience},
      {"no audience", {{"aud", nullptr}}, IdTokenError::kWrongAudience},
      {"several audiences without azp",
       {{"aud", {"client-1", "client-2"}}},
       IdTokenError::kWrongAuthorizedParty},
      {"azp of another client", {{"azp", "client-2"}}, IdTokenError::kWrongAuthorizedParty},
      {"expired", {{"exp", t - 120}}, IdTokenError::kExpired},
      {"no expiry", {{"exp", nullptr}}, IdTokenError::kExpired},
      {"issued in the future", {{"iat", t + 600}}, IdTokenError::kIssuedInFuture},
      {"no iat", {{"iat", nullptr}}, IdTokenError::kIssuedInFuture},
      {"no subject", {{"sub", nullptr}}, IdTokenError::kMissingSubject},
      {"wrong nonce", {{"nonce", "n-2"}}, IdTokenError::kWrongNonce},
      {"no nonce", {{"nonce", nullptr}}, IdTokenError::kWrongNonce},
  };
  for (const auto& c : cases) {
    auto claims = base_claims(now);
    for (auto& [name, value] : c.changes.items()) {
      if (value.is_null()) {
        claims.erase(name);
      } else {
        claims[name] = value;
      }
    }
    auto result = check(keys().ec.sign(claims), now);
    ASSERT_TRUE(std::holds_alternative<IdTokenError>(result)) << c.name;
    EXPECT_EQ(std::get<IdTokenError>(result), c.expected) << c.name;
  }
}

TEST(IdToken, AcceptedVariants) {
  auto now = std::chrono::system_clock::now();
  auto t = crypto::unix_seconds(now);
  for (const nlohmann::json& changes : std::vector<nlohmann::json>{
           {{"aud", {"client-1"}}},
           {{"aud", {"client-1", "client-2"}}, {"azp", "client-1"}},
           {{"exp", t - 30}},  // within the leeway
           {{"iat", t + 30}},
       }) {
    auto claims = base_claims(now);
    claims.update(changes);
    EXPECT_TRUE(std::holds_alternative<IdToken>(check(keys().ec.sign(claims), now)))
        << changes.dump();
  }
}

TEST(IdToken, SignatureAndAlgorithmAttacks) {
  auto now = std::chrono::system_clock::now();
  auto good = keys().ec.sign(base_claims(now));

  // A signature by a key the provider does not publish, under a published kid.
  auto by_other = keys().other.sign(base_claims(now));
  auto forged =
      crypto::base64url_encode(
          nlohmann::json({{"alg", "ES256"}, {"kid", keys().ec.key_id()}, {"typ", "JWT"}}).dump()) +
      by_other.substr(by_other.find('.'));
  EXPECT_EQ(std::get<IdTokenError>(check(forged, now)), IdTokenError::kBadSignature);

  // An unknown kid: the caller should refresh the JWKS.
  auto unknown = keys().other.sign(base_claims(now));
  EXPECT_EQ(std::get<IdTokenError>(check(unknown, now)), IdTokenError::kUnknownKey);

  // Payload swapped under a valid signature.
  auto dot1 = good.find('.');
  auto dot2 = good.find('.', dot1 + 1);
  auto claims = base_claims(now);
  claims["sub"] = "mallory";
  auto tampered =
      good.substr(0, dot1 + 1) + crypto::base64url_encode(claims.dump()) + good.substr(dot2);
  EXPECT_EQ(std::get<IdTokenError>(check(tampered, now)), IdTokenError::kBadSignature);

  // alg none.
  auto none = crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
              crypto::base64url_encode(base_claims(now).dump()) + ".";
  EXPECT_NE(std::get<IdTokenError>(check(none, now)), IdTokenError::kUnknownKey);
  EXPECT_TRUE(std::holds_alternative<IdTokenError>(check(none + "x", now)));

  // HS256 keyed with the provider's public key bytes.
  auto public_jwk = keys().rsa.public_jwk().dump();
  auto hs = crypto::sign_hs256(public_jwk, base_claims(now), {{"kid", keys().rsa.key_id()}});
  EXPECT_EQ(std::get<IdTokenError>(check(hs, now)), IdTokenError::kBadAlgorithm);

  // RS256 header on an ES256 signature.
  auto header = crypto::base64url_encode(
      nlohmann::json({{"alg", "RS256"}, {"kid", keys().ec.key_id()}, {"typ", "JWT"}}).dump());
  auto swapped = header + good.substr(good.find('.'));
  EXPECT_TRUE(std::holds_alternative<IdTokenError>(check(swapped, now)));

  for (const char* junk : {"", "a.b", "a.b.c", "...."}) {
    EXPECT_TRUE(std::holds_alternative<IdTokenError>(check(junk, now))) << junk;
  }
}

TEST(IdToken, NonceNotCheckedWhenNotExpected) {
  auto now = std::chrono::system_clock::now();
  auto claims = base_claims(now);
  claims.erase("nonce");
  auto expected = expectations(now);
  expected.nonce.clear();
  std::vector<crypto::PublicKey> set = {keys().ec.public_key()};
  EXPECT_TRUE(
      std::holds_alternative<IdToken>(verify_id_token(keys().ec.sign(claims), set, expected)));
}

}  // namespace
}  // namespace portcullis::identity
