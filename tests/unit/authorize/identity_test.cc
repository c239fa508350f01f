// The identity JWT: claims (DESIGN.md §5), signature checked against the served JWKS with an
// independent OpenSSL verifier, key derivation, claim headers, and the per-worker token cache.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "authorize/identity_cache.h"
#include "authorize/identity_jwt.h"
#include "crypto/encoding.h"
#include "crypto/jws.h"
#include "fake_session_source.h"
#include "jwt_verifier.h"

namespace portcullis::authorize {
namespace {

using testing::FakeSessionSource;
using testing::make_struct;
using testing::verify_with_jwks;

const std::string kSecret(32, 's');
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));

session::Session make_session() {
  session::Session s;
  s.set_id("sess-1");
  s.set_user_id("user-1");
  auto& names = (*s.mutable_claims())["name"];
  names.add_values()->set_string_value("Ada Lovelace");
  auto& dept = (*s.mutable_claims())["department"];
  dept.add_values()->set_string_value("math");
  dept.add_values()->set_string_value("eng");
  return s;
}

user::User make_user() {
  user::User u;
  u.set_id("user-1");
  u.set_email("ada@idp.example");
  (*u.mutable_claims())["nickname"].add_values()->set_string_value("ada");
  return u;
}

struct Fixture {
  FakeSessionSource source;
  std::unique_ptr<SessionLookup> lookup;
  Fixture() {
    source.put(make_session());
    source.put(make_user());
    source.put_directory_user(
        "user-1", make_struct(R"({"email":"ada@corp.example","group_ids":["g1","g2"]})"));
    source.put_directory_group("g1", make_struct(R"({"name":"admins"})"));
    lookup = source.make_lookup();
  }
  void build(Principal& p) {
    build_principal(p, lookup->session("sess-1"), lookup->user("user-1"),
                    lookup->directory_user("user-1"), lookup->directory_groups_version(),
                    lookup.get());
  }
};

std::string generate_rsa_pem() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

TEST(IdentityJwt, ClaimsAndSignatureFromTheServedJwks) {
  Fixture f;
  Principal p;
  f.build(p);
  auto signer = IdentitySigner::from_options("", kSecret,
                                             {{"x-pomerium-claim-email", "email"},
                                              {"X-Department", "department"},
                                              {"x-pomerium-claim-groups", "groups"},
                                              {"x-pomerium-claim-missing", "missing"},
                                              {"x-pomerium-claim-nickname", "nickname"}});
  auto token = signer.sign(p, "app.example.com", kNow);
  auto verified = verify_with_jwks(token.jwt, signer.jwks());
  ASSERT_TRUE(verified) << token.jwt;
  EXPECT_EQ(verified->header["alg"], "ES256");
  EXPECT_EQ(verified->header["typ"], "JWT");
  EXPECT_EQ(verified->header["kid"], signer.key().key_id());
  const auto& c = verified->claims;
  EXPECT_EQ(c["iss"], "app.example.com");
  EXPECT_EQ(c["aud"], "app.example.com");
  EXPECT_EQ(c["iat"], 1800000000);
  EXPECT_EQ(c["exp"], 1800000000 + 300);
  EXPECT_EQ(token.expires_at, 1800000300);
  EXPECT_EQ(c["jti"].get<std::string>().size(), 36u);
  EXPECT_EQ(c["sub"], "user-1");
  EXPECT_EQ(c["user"], "user-1");
  EXPECT_EQ(c["sid"], "sess-1");
  EXPECT_EQ(c["email"], "ada@corp.example") << "the directory email wins";
  EXPECT_EQ(c["name"], "Ada Lovelace");
  EXPECT_EQ(c["groups"], nlohmann::json({"g1", "g2", "admins"}));
  EXPECT_EQ(c["department"], "math,eng") << "extra claims are joined";
  EXPECT_EQ(c["nickname"], "ada") << "falls back to user claims";
  EXPECT_FALSE(c.contains("missing"));

  // Claim headers, in the (sorted) order of claim_headers().
  std::map<std::string, std::string> headers;
  for (std::size_t i = 0; i < signer.claim_headers().size(); ++i) {
    headers[signer.claim_headers()[i].header] = token.claim_values[i];
  }
  EXPECT_EQ(headers["x-pomerium-claim-email"], "ada@corp.example");
  EXPECT_EQ(headers["X-Department"], "math,eng");
  EXPECT_EQ(headers["x-pomerium-claim-groups"], "g1,g2,admins");
  EXPECT_EQ(headers["x-pomerium-claim-missing"], "");
  EXPECT_EQ(headers["x-pomerium-claim-nickname"], "ada");

  // A tampered token fails the independent verifier.
  std::string tampered = token.jwt;
  tampered[tampered.find('.') + 5] ^= 1;
  EXPECT_FALSE(verify_with_jwks(tampered, signer.jwks()));
}

TEST(IdentityJwt, AnonymousPrincipal) {
  Principal p;
  build_principal(p, nullptr, nullptr, nullptr, 0, nullptr);
  auto signer = IdentitySigner::from_options("", kSecret, {});
  auto verified = verify_with_jwks(signer.sign(p, "h.example", kNow).jwt, signer.jwks());
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->claims["sub"], "");
  EXPECT_EQ(verified->claims["groups"], nlohmann::json::array());
}

TEST(IdentityJwt, GroupsFromSessionClaimWithoutDirectory) {
  auto s = make_session();
  (*s.mutable_claims())["groups"].add_values()->set_string_value("from-idp");
  Principal p;
  build_principal(p, std::make_shared<const session::Session>(s), nullptr, nullptr, 0, nullptr);
  EXPECT_EQ(p.groups, std::vector<std::string>{"from-idp"});
  EXPECT_TRUE(p.group_ids.empty());
}

TEST(IdentityJwt, DerivedKeyIsDeterministic) {
  auto a = IdentitySigner::from_options("", kSecret, {});
  auto b = IdentitySigner::from_options("", kSecret, {});
  auto c = IdentitySigner::from_options("", std::string(32, 't'), {});
  EXPECT_EQ(a.jwks(), b.jwks());
  EXPECT_EQ(a.jwks_etag(), b.jwks_etag());
  EXPECT_NE(a.jwks(), c.jwks());
  Principal p;
  build_principal(p, nullptr, nullptr, nullptr, 0, nullptr);
  // One instance's token verifies with the other instance's JWKS.
  EXPECT_TRUE(verify_with_jwks(a.sign(p, "h", kNow).jwt, b.jwks()));
  EXPECT_FALSE(verify_with_jwks(a.sign(p, "h", kNow).jwt, c.jwks()));
  auto jwks = nlohmann::json::parse(a.jwks());
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kty"], "EC");
  EXPECT_EQ(jwks["keys"][0]["kid"], a.key().key_id());
  EXPECT_EQ(a.jwks_etag().front(), '"');
}

TEST(IdentityJwt, Rs256SigningKey) {
  auto signer = IdentitySigner::from_options(generate_rsa_pem(), kSecret, {});
  Principal p;
  build_principal(p, nullptr, nullptr, nullptr, 0, nullptr);
  auto verified = verify_with_jwks(signer.sign(p, "h", kNow).jwt, signer.jwks());
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->header["alg"], "RS256");
  EXPECT_THROW(IdentitySigner::from_options("-----BEGIN PRIVATE KEY-----\nxx\n", kSecret, {}),
               std::runtime_error);
}

TEST(IdentityCache, SameVersionSameTokenNewVersionNewToken) {
  Fixture f;
  auto signer = IdentitySigner::from_options("", kSecret, {});
  IdentityCache cache(16);
  auto get = [&](std::chrono::system_clock::time_point now, std::string_view audience = "a") {
    auto& entry = cache.principal("sess-1", f.lookup->session("sess-1"), f.lookup->user("user-1"),
                                  f.lookup->directory_user("user-1"),
                                  f.lookup->directory_groups_version(), f.lookup.get());
    return cache.token(entry, audience, signer, now).jwt;
  };
  std::string first = get(kNow);
  EXPECT_EQ(get(kNow + std::chrono::seconds(10)), first) << "same records: reused";
  EXPECT_EQ(cache.signatures(), 1u);
  EXPECT_EQ(cache.principal_builds(), 1u);

  // Another audience: its own token, the first one kept.
  std::string other = get(kNow, "b");
  EXPECT_NE(other, first);
  EXPECT_EQ(get(kNow, "a"), first);

  // A new version of the session record.
  auto s = make_session();
  (*s.mutable_claims())["name"].mutable_values(0)->set_string_value("Countess");
  f.source.put(s);
  std::string after_session = get(kNow);
  EXPECT_NE(after_session, first);
  EXPECT_EQ(nlohmann::json::parse(
                crypto::base64url_decode(
                    after_session.substr(after_session.find('.') + 1,
                                         after_session.rfind('.') - after_session.find('.') - 1))
                    .value())["name"],
            "Countess");

  // A new version of the user record.
  auto u = make_user();
  u.set_email("new@idp.example");
  f.source.put(u);
  std::string after_user = get(kNow);
  EXPECT_NE(after_user, after_session);
  EXPECT_EQ(get(kNow), after_user);

  // A directory group renamed.
  f.source.put_directory_group("g2", make_struct(R"({"name":"ops"})"));
  std::string after_group = get(kNow);
  EXPECT_NE(after_group, after_user);

  // Close to "exp": a fresh token.
  std::string near_exp = get(kNow + std::chrono::seconds(300 - 59));
  EXPECT_NE(near_exp, after_group);
  EXPECT_EQ(get(kNow + std::chrono::seconds(300 - 59)), near_exp);
}

TEST(IdentityCache, BoundedAndCorrectUnderCollisions) {
  auto signer = IdentitySigner::from_options("", kSecret, {});
  IdentityCache cache(1);
  FakeSessionSource source;
  for (int i = 0; i < 3; ++i) {
    session::Session s;
    s.set_id("s" + std::to_string(i));
    s.set_user_id("u" + std::to_string(i));
    source.put(s);
  }
  auto lookup = source.make_lookup();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      std::string id = "s" + std::to_string(i);
      auto& entry = cache.principal(id, lookup->session(id), nullptr, nullptr, 1, lookup.get());
      auto verified = verify_with_jwks(cache.token(entry, "h", signer, kNow).jwt, signer.jwks());
      ASSERT_TRUE(verified);
      EXPECT_EQ(verified->claims["sid"], id);
    }
  }
}

}  // namespace
}  // namespace portcullis::authorize
