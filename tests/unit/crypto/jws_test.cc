#include "crypto/jws.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "crypto/hmac.h"

namespace portcullis::crypto {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(std::int64_t unix) {
  return system_clock::time_point(seconds(unix));
}

// RFC 7515 Appendix A.1: the HS256 example, its key (a JWK "k") and token.
constexpr const char* kRfcKey =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr const char* kRfcToken =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// Builds "<header>.<payload>.<HMAC>" from raw JSON text, for tokens our signer would never make.
std::string hand_made_token(std::string_view header, std::string_view payload,
                            std::string_view key) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(hmac_sha256(key, input));
}

TEST(Hs256Test, VerifiesRfc7515AppendixA1) {
  const std::string key = base64url_decode(kRfcKey).value();
  const auto claims = verify_hs256(kRfcToken, key);
  ASSERT_TRUE(claims);
  EXPECT_EQ((*claims)["iss"], "joe");
  EXPECT_EQ((*claims)["exp"], 1300819380);
  EXPECT_EQ((*claims)["http://example.com/is_root"], true);
  EXPECT_FALSE(verify_hs256(kRfcToken, "wrong key"));
}

TEST(Hs256Test, SignThenVerifyRoundTrips) {
  const nlohmann::json claims = {{"sub", "user-1"}, {"jti", "s-1"}, {"iat", 1700000000}};
  const std::string token = sign_hs256("secret", claims, {{"kid", "k1"}});
  EXPECT_EQ(verify_hs256(token, "secret"), claims);
  const auto header = peek_jws_header(token);
  ASSERT_TRUE(header);
  EXPECT_EQ((*header)["alg"], "HS256");
  EXPECT_EQ((*header)["typ"], "JWT");
  EXPECT_EQ((*header)["kid"], "k1");
}

TEST(Hs256Test, HeaderExtrasCannotReplaceTheAlgorithm) {
  const std::string token = sign_hs256("secret", {{"a", 1}}, {{"alg", "none"}});
  EXPECT_EQ((*peek_jws_header(token))["alg"], "HS256");
  EXPECT_TRUE(verify_hs256(token, "secret"));
}

TEST(Hs256Test, RejectsNonObjects) {
  EXPECT_THROW(sign_hs256("k", nlohmann::json::array()), std::invalid_argument);
  EXPECT_THROW(sign_hs256("k", {{"a", 1}}, "x"), std::invalid_argument);
  EXPECT_FALSE(verify_hs256(hand_made_token(R"({"alg":"HS256"})", "[1,2]", "k"), "k"));
  EXPECT_FALSE(verify_hs256(hand_made_token(R"({"alg":"HS256"})", "not json", "k"), "k"));
  EXPECT_FALSE(verify_hs256(hand_made_token(R"(["HS256"])", "{}", "k"), "k"));
}

TEST(Hs256Test, RejectsOtherAlgorithmsEvenWithAValidMac) {
  EXPECT_TRUE(verify_hs256(hand_made_token(R"({"alg":"HS256"})", "{}", "k"), "k"));
  for (const char* header :
       {R"({"alg":"none"})", R"({"alg":"RS256"})", R"({"alg":"HS512"})", R"({"alg":"hs256"})",
        R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":["HS256"]})",
        R"({"alg":"HS256","crit":["b64"],"b64":false})"}) {
    EXPECT_FALSE(verify_hs256(hand_made_token(header, "{}", "k"), "k")) << header;
  }
}

TEST(Hs256Test, RejectsAlgNoneWithEmptySignature) {
  const std::string token =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(R"({"sub":"x"})") + ".";
  EXPECT_FALSE(verify_hs256(token, "k"));
  EXPECT_FALSE(verify_hs256(token, ""));
}

TEST(Hs256Test, RejectsMalformedTokens) {
  const std::string token = sign_hs256("k", {{"sub", "x"}});
  const auto dot2 = token.rfind('.');
  EXPECT_FALSE(verify_hs256("", "k"));
  EXPECT_FALSE(verify_hs256(token.substr(0, dot2), "k"));  // two parts
  EXPECT_FALSE(verify_hs256(token + ".", "k"));            // four parts
  EXPECT_FALSE(verify_hs256(token + ".x", "k"));
  EXPECT_FALSE(verify_hs256(token.substr(0, token.size() - 2), "k"));  // truncated signature
  EXPECT_FALSE(verify_hs256(token + "=", "k"));                        // padding
  EXPECT_FALSE(verify_hs256(" " + token, "k"));
  // The same signature bytes in the standard alphabet, or a header in standard base64.
  std::string std_alphabet = token;
  for (auto& c : std_alphabet) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (std_alphabet != token) {
    EXPECT_FALSE(verify_hs256(std_alphabet, "k"));
  }
  EXPECT_FALSE(verify_hs256(std::string(kMaxJwsSize + 1, 'a'), "k"));
}

TEST(Hs256Test, RejectsTamperedPayloadAndHeader) {
  const std::string token = sign_hs256("k", {{"sub", "alice"}});
  const auto dot1 = token.find('.');
  const auto dot2 = token.rfind('.');
  const std::string forged_payload = base64url_encode(R"({"sub":"admin"})");
  EXPECT_FALSE(verify_hs256(token.substr(0, dot1 + 1) + forged_payload + token.substr(dot2), "k"));
  const std::string forged_header = base64url_encode(R"({"alg":"HS256","typ":"jwt"})");
  EXPECT_FALSE(verify_hs256(forged_header + token.substr(dot1), "k"));
  std::string flipped = token;
  flipped[dot2 + 1] = flipped[dot2 + 1] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_hs256(flipped, "k"));
}

TEST(TimeClaimsTest, ChecksExpNbfIatWithLeeway) {
  const auto now = at(1000);
  const seconds leeway(60);
  EXPECT_EQ(check_time_claims(nlohmann::json::object(), now, leeway), TimeClaims::kValid);
  EXPECT_EQ(check_time_claims({{"exp", 1001}}, now, leeway), TimeClaims::kValid);
  EXPECT_EQ(check_time_claims({{"exp", 940}}, now, leeway), TimeClaims::kValid);
  EXPECT_EQ(check_time_claims({{"exp", 939}}, now, leeway), TimeClaims::kExpired);
  EXPECT_EQ(check_time_claims({{"exp", 999}}, now, seconds(0)), TimeClaims::kExpired);
  EXPECT_EQ(check_time_claims({{"exp", 999.5}}, now, seconds(0)), TimeClaims::kExpired);
  EXPECT_EQ(check_time_claims({{"nbf", 1060}}, now, leeway), TimeClaims::kValid);
  EXPECT_EQ(check_time_claims({{"nbf", 1061}}, now, leeway), TimeClaims::kNotYetValid);
  EXPECT_EQ(check_time_claims({{"iat", 1061}}, now, leeway), TimeClaims::kIssuedInFuture);
  EXPECT_EQ(check_time_claims({{"iat", 10}}, now, leeway), TimeClaims::kValid);
  EXPECT_EQ(check_time_claims({{"exp", "2000"}}, now, leeway), TimeClaims::kMalformed);
  EXPECT_EQ(check_time_claims({{"iat", nullptr}}, now, leeway), TimeClaims::kMalformed);
  EXPECT_EQ(check_time_claims(nlohmann::json::array(), now, leeway), TimeClaims::kMalformed);
}

TEST(TimeClaimsTest, UnixSecondsRoundsDown) {
  EXPECT_EQ(unix_seconds(at(1574117851) + std::chrono::milliseconds(999)), 1574117851);
}

}  // namespace
}  // namespace portcullis::crypto
