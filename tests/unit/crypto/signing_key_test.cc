#include "crypto/signing_key.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws.h"
#include "crypto/openssl_ptr.h"

namespace portcullis::crypto {
namespace {

KeyPtr generate_ec(const char* curve) {
  return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

KeyPtr generate_rsa(size_t bits) {
  return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// PKCS#8 "PRIVATE KEY", or the traditional "EC PRIVATE KEY" / "RSA PRIVATE KEY" form.
std::string private_pem(EVP_PKEY* key, bool traditional) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  return bio_text(bio.get());
}

std::string public_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key);
  return bio_text(bio.get());
}

// Verifies a compact ES256/RS256 JWS with plain OpenSSL calls, independently of PublicKey.
bool openssl_verifies(const std::string& token, EVP_PKEY* key, bool ecdsa) {
  const auto dot2 = token.rfind('.');
  std::string signature = base64url_decode(token.substr(dot2 + 1)).value();
  if (ecdsa) {
    if (signature.size() != 64) return false;
    EcdsaSigPtr sig(ECDSA_SIG_new());
    ECDSA_SIG_set0(
        sig.get(), BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 32, nullptr),
        BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int size = i2d_ECDSA_SIG(sig.get(), &der);
    signature.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(token.data()),
                          dot2) == 1;
}

TEST(SigningKeyTest, Es256FromEveryPemFormSignsVerifiably) {
  const KeyPtr ec = generate_ec("P-256");
  for (const std::string& pem : {private_pem(ec.get(), false), private_pem(ec.get(), true),
                                 base64_encode(private_pem(ec.get(), false), Base64::kStandard)}) {
    std::string error;
    const auto key = SigningKey::from_pem(pem, &error);
    ASSERT_TRUE(key) << error;
    EXPECT_EQ(key->algorithm(), JwsAlgorithm::kEs256);
    const nlohmann::json claims = {{"sub", "u"}, {"aud", "app.example"}};
    const std::string token = key->sign(claims);
    EXPECT_TRUE(openssl_verifies(token, ec.get(), true));
    EXPECT_EQ(verify_jws(token, key->public_key()), claims);
    const auto header = peek_jws_header(token).value();
    EXPECT_EQ(header, (nlohmann::json{{"alg", "ES256"}, {"kid", key->key_id()}, {"typ", "JWT"}}));
  }
  // Base64 of PEM with line breaks, as in a file.
  std::string wrapped = base64_encode(private_pem(ec.get(), true), Base64::kStandard);
  wrapped.insert(64, "\n");
  EXPECT_TRUE(SigningKey::from_pem(wrapped + "\n"));
}

TEST(SigningKeyTest, Rs256FromPkcs8AndPkcs1) {
  const KeyPtr rsa = generate_rsa(2048);
  for (bool traditional : {false, true}) {
    const auto key = SigningKey::from_pem(private_pem(rsa.get(), traditional));
    ASSERT_TRUE(key);
    EXPECT_EQ(key->algorithm(), JwsAlgorithm::kRs256);
    const std::string token = key->sign({{"sub", "u"}});
    EXPECT_TRUE(openssl_verifies(token, rsa.get(), false));
    EXPECT_TRUE(verify_jws(token, parse_jwks({{"keys", {key->public_jwk()}}})));
  }
}

TEST(SigningKeyTest, KeyIdIsHexOfRfc7638Thumbprint) {
  const auto key = derive_signing_key(std::string(32, '\x07'));
  const nlohmann::json jwk = key.public_jwk();
  const nlohmann::json members = {
      {"crv", jwk["crv"]}, {"kty", "EC"}, {"x", jwk["x"]}, {"y", jwk["y"]}};
  EXPECT_EQ(key.key_id(), hex_encode(sha256(members.dump())));
  EXPECT_EQ(key.key_id().size(), 64u);
  EXPECT_EQ(jwk["kid"], key.key_id());
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk.size(), 7u);  // no private "d"
  EXPECT_EQ(hex_encode(PublicKey::from_jwk(jwk)->thumbprint()), key.key_id());
}

TEST(SigningKeyTest, RefusesUnsupportedKeysAndText) {
  std::string error;
  EXPECT_FALSE(SigningKey::from_pem(private_pem(generate_ec("P-384").get(), false), &error));
  EXPECT_NE(error.find("P-256"), std::string::npos) << error;
  EXPECT_FALSE(SigningKey::from_pem(private_pem(generate_rsa(1024).get(), false), &error));
  EXPECT_NE(error.find("2048"), std::string::npos) << error;
  EXPECT_FALSE(SigningKey::from_pem("not a key", &error));
  EXPECT_FALSE(SigningKey::from_pem(public_pem(generate_ec("P-256").get()), &error));
  EXPECT_FALSE(SigningKey::from_pem(
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &error));
  // An encrypted key fails instead of prompting for a passphrase.
  const KeyPtr ec = generate_ec("P-256");
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PKCS8PrivateKey(bio.get(), ec.get(), EVP_aes_128_cbc(), nullptr, 0, nullptr,
                                const_cast<char*>("pass"));
  EXPECT_FALSE(SigningKey::from_pem(bio_text(bio.get()), &error));
}

TEST(SigningKeyTest, LoadsSeveralKeysSkippingOtherBlocks) {
  const KeyPtr ec = generate_ec("P-256");
  const KeyPtr rsa = generate_rsa(2048);
  const std::string text =
      public_pem(ec.get()) + private_pem(ec.get(), true) + private_pem(rsa.get(), false);
  const auto keys = load_signing_keys(text);
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].algorithm(), JwsAlgorithm::kEs256);
  EXPECT_EQ((*keys)[1].algorithm(), JwsAlgorithm::kRs256);
  EXPECT_EQ(SigningKey::from_pem(text)->key_id(), (*keys)[0].key_id());
}

TEST(DerivedSigningKeyTest, DeterministicPerSecret) {
  const std::string secret(32, '\x11');
  const auto a = derive_signing_key(secret);
  const auto b = derive_signing_key(secret);
  EXPECT_EQ(a.algorithm(), JwsAlgorithm::kEs256);
  EXPECT_EQ(a.key_id(), b.key_id());
  EXPECT_EQ(a.public_jwk(), b.public_jwk());
  EXPECT_NE(derive_signing_key(std::string(32, '\x12')).key_id(), a.key_id());
  // Keys derived on two instances verify each other's tokens.
  const std::string token = a.sign({{"sub", "u"}});
  EXPECT_TRUE(verify_jws(token, b.public_key()));
}

}  // namespace
}  // namespace portcullis::crypto
