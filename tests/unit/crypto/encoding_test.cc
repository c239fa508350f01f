#include "crypto/encoding.h"

#include <gtest/gtest.h>

namespace portcullis::crypto {
namespace {

// RFC 4648 §10 vectors.
TEST(Base64Test, Rfc4648StandardVectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(plain, Base64::kStandard), encoded);
    EXPECT_EQ(base64_decode(encoded, Base64::kStandard), plain);
  }
  EXPECT_EQ(base64_encode("fo", Base64::kStandardRaw), "Zm8");
  EXPECT_EQ(base64_decode("Zm8", Base64::kStandardRaw), "fo");
}

TEST(Base64Test, UrlAlphabetAndPadding) {
  const std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(base64_encode(bytes, Base64::kStandard), "+//+");
  EXPECT_EQ(base64_encode(bytes, Base64::kUrl), "-__-");
  EXPECT_EQ(base64_encode("\xfb\xff", Base64::kUrl), "-_8=");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
  EXPECT_EQ(base64_decode("-_8=", Base64::kUrl), "\xfb\xff");
}

TEST(Base64Test, DecodingIsStrict) {
  EXPECT_FALSE(base64_decode("Zm8", Base64::kStandard));      // padding missing
  EXPECT_FALSE(base64_decode("Zm8=", Base64::kStandardRaw));  // padding where none belongs
  EXPECT_FALSE(base64url_decode("Zm8="));
  EXPECT_FALSE(base64url_decode("+/8"));                    // standard alphabet in URL variant
  EXPECT_FALSE(base64_decode("-_8=", Base64::kStandard));   // URL alphabet in standard variant
  EXPECT_FALSE(base64_decode("Zm 9v", Base64::kStandard));  // whitespace
  EXPECT_FALSE(base64_decode("Zm9v\n", Base64::kStandard));
  EXPECT_FALSE(base64url_decode("Zm9"));  // non-zero trailing bits ("Zm8")
  EXPECT_FALSE(base64url_decode("Z"));    // impossible length
  EXPECT_FALSE(base64url_decode("Zm9v!"));
}

TEST(HexTest, EncodeAndDecode) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_decode("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hex_decode(""), "");
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

}  // namespace
}  // namespace portcullis::crypto
