#include "crypto/jwk.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws.h"
#include "crypto/signing_key.h"

namespace portcullis::crypto {
namespace {

// RFC 7638 §3.1 example key and its thumbprint.
const nlohmann::json kRfc7638Key = {{"kty", "RSA"},
                                    {"n",
                                     "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT"
                                     "86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK"
                                     "RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_"
                                     "RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMi"
                                     "cAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
                                     "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr"
                                     "3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
                                    {"e", "AQAB"},
                                    {"alg", "RS256"},
                                    {"kid", "2011-04-29"}};

TEST(JwkTest, Rfc7638Thumbprint) {
  const auto key = PublicKey::from_jwk(kRfc7638Key);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->algorithm(), JwsAlgorithm::kRs256);
  EXPECT_EQ(key->key_id(), "2011-04-29");
  EXPECT_EQ(base64url_encode(key->thumbprint()), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  // Export gives back the same public numbers.
  const auto jwk = key->to_jwk();
  EXPECT_EQ(jwk["n"], kRfc7638Key["n"]);
  EXPECT_EQ(jwk["e"], "AQAB");
  EXPECT_EQ(jwk["use"], "sig");
}

TEST(JwkTest, RefusesUnusableKeys) {
  auto with = [](const char* name, nlohmann::json value) {
    nlohmann::json jwk = kRfc7638Key;
    jwk[name] = std::move(value);
    return PublicKey::from_jwk(jwk);
  };
  EXPECT_FALSE(with("use", "enc"));
  EXPECT_FALSE(with("alg", "RS512"));
  EXPECT_FALSE(with("alg", "HS256"));
  EXPECT_FALSE(with("kty", "oct"));
  EXPECT_FALSE(with("kid", 7));
  EXPECT_FALSE(with("n", "AQAB"));  // far too short
  EXPECT_FALSE(with("n", "not base64url!"));
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "oct"}, {"k", "AAAA"}}));
  EXPECT_FALSE(PublicKey::from_jwk("RSA"));
}

TEST(JwkTest, EcKeysMustBeFullLengthPointsOnP256) {
  const auto signer = derive_signing_key(std::string(32, '\x01'));
  const nlohmann::json good = signer.public_jwk();
  ASSERT_TRUE(PublicKey::from_jwk(good));
  nlohmann::json off_curve = good;
  std::string y = base64url_decode(good["y"].get<std::string>()).value();
  y[31] ^= 1;
  off_curve["y"] = base64url_encode(y);
  EXPECT_FALSE(PublicKey::from_jwk(off_curve));
  nlohmann::json short_x = good;
  short_x["x"] = base64url_encode(base64url_decode(good["x"].get<std::string>())->substr(1));
  EXPECT_FALSE(PublicKey::from_jwk(short_x));
  nlohmann::json p384 = good;
  p384["crv"] = "P-384";
  EXPECT_FALSE(PublicKey::from_jwk(p384));
  nlohmann::json wrong_alg = good;
  wrong_alg["alg"] = "RS256";
  EXPECT_FALSE(PublicKey::from_jwk(wrong_alg));
}

TEST(JwksTest, SkipsUnusableKeysAndRejectsNonSets) {
  const auto signer = derive_signing_key(std::string(32, '\x02'));
  const nlohmann::json jwks = {
      {"keys",
       {kRfc7638Key, {{"kty", "oct"}, {"k", "AAAA"}}, signer.public_jwk(), {{"kty", "EC"}}}}};
  const auto keys = parse_jwks(jwks);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_id(), "2011-04-29");
  EXPECT_EQ(keys[1].key_id(), signer.key_id());
  EXPECT_TRUE(parse_jwks(nlohmann::json::array()).empty());
  EXPECT_TRUE(parse_jwks({{"keys", "x"}}).empty());
}

TEST(VerifyJwsTest, ChoosesKeyByKidAndAlgorithm) {
  const auto a = derive_signing_key(std::string(32, 'a'));
  const auto b = derive_signing_key(std::string(32, 'b'));
  const std::vector<PublicKey> keys = parse_jwks({{"keys", {a.public_jwk(), b.public_jwk()}}});
  const nlohmann::json claims = {{"sub", "u"}};
  EXPECT_EQ(verify_jws(b.sign(claims), keys), claims);
  EXPECT_EQ(verify_jws(a.sign(claims), keys), claims);
  // A kid naming another key fails even though some key would verify.
  const std::vector<PublicKey> only_b = {keys[1]};
  EXPECT_FALSE(verify_jws(a.sign(claims), only_b));
  // The single-key form ignores kid; the set form does not.
  nlohmann::json renamed = a.public_jwk();
  renamed["kid"] = "renamed";
  const auto a_renamed = PublicKey::from_jwk(renamed).value();
  EXPECT_EQ(verify_jws(a.sign(claims), a_renamed), claims);
  EXPECT_FALSE(verify_jws(a.sign(claims), std::vector<PublicKey>{a_renamed}));
  // Keys without a kid are tried for a token that names one only if the kid matches: none here.
  nlohmann::json anonymous = a.public_jwk();
  anonymous.erase("kid");
  EXPECT_FALSE(verify_jws(a.sign(claims), parse_jwks({{"keys", {anonymous}}})));
}

TEST(VerifyJwsTest, RejectsNoneHsConfusionAndForgeries) {
  const auto signer = derive_signing_key(std::string(32, 'c'));
  const PublicKey& key = signer.public_key();
  const std::string token = signer.sign({{"sub", "alice"}});
  ASSERT_TRUE(verify_jws(token, key));

  const std::string payload = base64url_encode(R"({"sub":"admin"})");
  const std::string none = base64url_encode(R"({"alg":"none"})") + "." + payload;
  EXPECT_FALSE(verify_jws(none + ".", key));
  EXPECT_FALSE(verify_jws(none + ".AAAA", key));

  // HS256 "signed" with the public key's bytes, the classic algorithm confusion.
  const std::string public_bytes = key.to_jwk().dump();
  const std::string hs_input = base64url_encode(R"({"alg":"HS256"})") + "." + payload;
  EXPECT_FALSE(
      verify_jws(hs_input + "." + base64url_encode(hmac_sha256(public_bytes, hs_input)), key));

  // Right signature, header changed to the other asymmetric algorithm.
  const auto dot1 = token.find('.');
  const std::string rs_header =
      base64url_encode(R"({"alg":"RS256","kid":")" + signer.key_id() + R"("})");
  EXPECT_FALSE(verify_jws(rs_header + token.substr(dot1), key));

  const auto dot2 = token.rfind('.');
  EXPECT_FALSE(verify_jws(token.substr(0, dot1 + 1) + payload + token.substr(dot2), key));
  EXPECT_FALSE(verify_jws(token.substr(0, token.size() - 4), key));  // truncated signature
  EXPECT_FALSE(verify_jws(token.substr(0, dot2), key));              // two parts
  EXPECT_FALSE(verify_jws(token + ".e30", key));                     // four parts
  EXPECT_FALSE(verify_jws(token + "=", key));                        // padded
  std::string flipped = token;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_jws(flipped, key));
  // A token from another key.
  EXPECT_FALSE(verify_jws(derive_signing_key(std::string(32, 'd')).sign({{"sub", "x"}}), key));
}

TEST(VerifyJwsTest, RejectsCritHeaders) {
  const auto signer = derive_signing_key(std::string(32, 'e'));
  const std::string token = signer.sign({{"sub", "x"}}, {{"crit", {"exp"}}});
  EXPECT_FALSE(verify_jws(token, signer.public_key()));
}

}  // namespace
}  // namespace portcullis::crypto
