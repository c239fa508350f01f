#include "crypto/hmac.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace portcullis::crypto {
namespace {

std::string unhex(std::string_view hex) {
  return hex_decode(hex).value();
}

struct HmacCase {
  std::string key;
  std::string data;
  const char* expected_hex;
};

// RFC 4231 §4 test cases 1, 2, 3, 4, 6 and 7 (case 5 is a truncated output).
TEST(HmacSha256Test, Rfc4231Vectors) {
  const HmacCase cases[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The "
       "key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(hex_encode(hmac_sha256(c.key, c.data)), c.expected_hex);
  }
}

TEST(HmacSha512_256Test, DiffersFromTruncatedSha512AndIs32Bytes) {
  const std::string mac = hmac_sha512_256("key", "data");
  EXPECT_EQ(mac.size(), 32u);
  EXPECT_NE(mac, hmac_sha256("key", "data"));
  EXPECT_EQ(mac, hmac_sha512_256("key", "data"));
  EXPECT_NE(mac, hmac_sha512_256("key2", "data"));
  EXPECT_EQ(hmac_sha512_256("", "data").size(), 32u);
}

TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(hex_encode(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

// RFC 5869 Appendix A.1 (basic case) and A.3 (no salt, no info: Go's nil salt).
TEST(HkdfSha256Test, Rfc5869Vectors) {
  const std::string ikm(22, '\x0b');
  EXPECT_EQ(hex_encode(hkdf_sha256(ikm, unhex("000102030405060708090a0b0c"),
                                   unhex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  EXPECT_EQ(hex_encode(hkdf_sha256(ikm, "", "", 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256Test, OutputIsAPrefixStreamAndLengthIsBounded) {
  // Go's hkdf reader hands out the same stream however it is read: a shorter output is a prefix.
  const std::string long_out = hkdf_sha256("secret", "", "info", 64);
  EXPECT_EQ(hkdf_sha256("secret", "", "info", 40), long_out.substr(0, 40));
  EXPECT_THROW(hkdf_sha256("secret", "", "info", 0), std::invalid_argument);
  EXPECT_THROW(hkdf_sha256("secret", "", "info", 255 * 32 + 1), std::invalid_argument);
}

}  // namespace
}  // namespace portcullis::crypto
