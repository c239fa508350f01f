#include "crypto/service_token.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws.h"

namespace portcullis::crypto {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const std::string kSecret = std::string(32, '\x42');
const system_clock::time_point kNow = system_clock::time_point(seconds(1700000000));

std::string unsigned_token(std::string_view header, std::string_view payload) {
  return base64url_encode(header) + "." + base64url_encode(payload);
}

TEST(DatabrokerTokenTest, CarriesOnlyExpOneHourAhead) {
  const std::string token = make_databroker_token(kSecret, kNow);
  const auto claims = verify_hs256(token, kSecret);
  ASSERT_TRUE(claims);
  EXPECT_EQ(*claims, (nlohmann::json{{"exp", 1700000000 + 3600}}));
  EXPECT_TRUE(verify_databroker_token(token, kSecret, kNow));
  EXPECT_TRUE(verify_databroker_token(token, kSecret, kNow + std::chrono::minutes(59)));
}

TEST(DatabrokerTokenTest, RejectsExpiredBeyondLeeway) {
  const std::string token = make_databroker_token(kSecret, kNow);
  const auto exp = kNow + kDatabrokerTokenLifetime;
  EXPECT_TRUE(verify_databroker_token(token, kSecret, exp + seconds(60)));
  EXPECT_FALSE(verify_databroker_token(token, kSecret, exp + seconds(61)));
}

TEST(DatabrokerTokenTest, RejectsWrongSecret) {
  const std::string token = make_databroker_token(kSecret, kNow);
  EXPECT_FALSE(verify_databroker_token(token, std::string(32, '\x43'), kNow));
  EXPECT_FALSE(verify_databroker_token(token, "", kNow));
}

TEST(DatabrokerTokenTest, RejectsAnyOtherClaimSet) {
  const std::int64_t exp = 1700000000 + 600;
  EXPECT_TRUE(verify_databroker_token(sign_hs256(kSecret, {{"exp", exp}}), kSecret, kNow));
  EXPECT_FALSE(
      verify_databroker_token(sign_hs256(kSecret, {{"exp", exp}, {"sub", "x"}}), kSecret, kNow));
  EXPECT_FALSE(verify_databroker_token(sign_hs256(kSecret, {{"iat", exp}}), kSecret, kNow));
  EXPECT_FALSE(
      verify_databroker_token(sign_hs256(kSecret, nlohmann::json::object()), kSecret, kNow));
  EXPECT_FALSE(
      verify_databroker_token(sign_hs256(kSecret, {{"exp", "1700000600"}}), kSecret, kNow));
}

TEST(DatabrokerTokenTest, RejectsAlgNoneAndGarbage) {
  const std::string payload = R"({"exp":1700000600})";
  const std::string none = unsigned_token(R"({"alg":"none"})", payload);
  EXPECT_FALSE(verify_databroker_token(none + ".", kSecret, kNow));
  EXPECT_FALSE(verify_databroker_token(none + "." + base64url_encode(hmac_sha256(kSecret, none)),
                                       kSecret, kNow));
  EXPECT_FALSE(verify_databroker_token("", kSecret, kNow));
  EXPECT_FALSE(verify_databroker_token("a.b.c", kSecret, kNow));
}

}  // namespace
}  // namespace portcullis::crypto
