#include "crypto/aead.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace portcullis::crypto {
namespace {

std::string unhex(std::string_view hex) {
  return hex_decode(hex).value();
}

const std::string kKey = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");

// draft-irtf-cfrg-xchacha-03 Appendix A.3.1, laid out as ciphertext || tag || nonce.
TEST(AeadTest, OpensDraftXChaChaVector) {
  const std::string plaintext =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
      "sunscreen would be it.";
  const std::string ad = unhex("50515253c0c1c2c3c4c5c6c7");
  const std::string sealed =
      unhex(
          "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3"
          "a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc3"
          "69488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e") +
      unhex("c0875924c1c7987947deafd8780acf49") +
      unhex("404142434445464748494a4b4c4d4e4f5051525354555657");
  EXPECT_EQ(aead_open(kKey, sealed, ad), plaintext);
}

TEST(AeadTest, SealThenOpenRoundTripsWithAppendedRandomNonce) {
  const std::string sealed = aead_seal(kKey, "hello", "ad");
  EXPECT_EQ(sealed.size(), 5 + kAeadTagSize + kAeadNonceSize);
  EXPECT_EQ(aead_open(kKey, sealed, "ad"), "hello");
  const std::string again = aead_seal(kKey, "hello", "ad");
  EXPECT_NE(sealed, again);  // fresh nonce each time
  EXPECT_NE(sealed.substr(sealed.size() - kAeadNonceSize), again.substr(again.size() - 24));
  EXPECT_EQ(aead_open(kKey, aead_seal(kKey, "", ""), ""), "");
}

TEST(AeadTest, RejectsWrongKeyAdTamperingAndShortInput) {
  const std::string sealed = aead_seal(kKey, "secret payload", "ad");
  std::string other_key = kKey;
  other_key[0] ^= 1;
  EXPECT_FALSE(aead_open(other_key, sealed, "ad"));
  EXPECT_FALSE(aead_open(kKey, sealed, "other"));
  EXPECT_FALSE(aead_open(kKey.substr(0, 31), sealed, "ad"));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(aead_open(kKey, tampered, "ad")) << "byte " << i;
  }
  EXPECT_FALSE(aead_open(kKey, sealed.substr(0, kAeadTagSize + kAeadNonceSize - 1), "ad"));
  EXPECT_FALSE(aead_open(kKey, "", "ad"));
  EXPECT_FALSE(aead_open(kKey, sealed.substr(1), "ad"));
}

TEST(AeadTest, SealRequiresA32ByteKey) {
  EXPECT_THROW(aead_seal("short", "x", ""), std::invalid_argument);
}

}  // namespace
}  // namespace portcullis::crypto
