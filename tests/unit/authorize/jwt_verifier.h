#pragma once
// An ES256/RS256 JWS verifier for tests that uses OpenSSL directly (not src/crypto), so that the
// identity JWT is checked independently of the code that signs it: the key comes from the served
// JWKS JSON, the signature is checked with EVP.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace portcullis::authorize::testing {

struct VerifiedJws {
  nlohmann::json header;
  nlohmann::json claims;
};

}  // namespace portcullis::authorize::testing

namespace portcullis::authorize::testing {
namespace detail {

inline std::optional<std::string> b64url_decode(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text.push_back('=');
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && !text.empty() && text[text.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

inline PkeyPtr key_from_jwk(const nlohmann::json& jwk) {
  PkeyPtr none(nullptr, EVP_PKEY_free);
  auto* build = OSSL_PARAM_BLD_new();
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(build, OSSL_PARAM_BLD_free);
  const char* type = nullptr;
  std::string point;
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  if (jwk.value("kty", "") == "EC") {
    auto x = detail::b64url_decode(jwk.value("x", ""));
    auto y = detail::b64url_decode(jwk.value("y", ""));
    if (!x || !y || x->size() != 32 || y->size() != 32) return none;
    point = "\x04" + *x + *y;
    type = "EC";
    OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  } else if (jwk.value("kty", "") == "RSA") {
    auto nb = detail::b64url_decode(jwk.value("n", ""));
    auto eb = detail::b64url_decode(jwk.value("e", ""));
    if (!nb || !eb) return none;
    n = BN_bin2bn(reinterpret_cast<const unsigned char*>(nb->data()), int(nb->size()), nullptr);
    e = BN_bin2bn(reinterpret_cast<const unsigned char*>(eb->data()), int(eb->size()), nullptr);
    type = "RSA";
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, e);
  } else {
    return none;
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  BN_free(n);
  BN_free(e);
  return PkeyPtr(key, EVP_PKEY_free);
}

// ES256's r||s as the DER ECDSA-Sig-Value OpenSSL verifies.
inline std::optional<std::string> es256_to_der(const std::string& raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace detail

inline std::optional<VerifiedJws> verify_with_jwks(const std::string& token,
                                                   const std::string& jwks) {
  auto first = token.find('.');
  auto last = token.rfind('.');
  if (first == std::string::npos || first == last) return std::nullopt;
  auto header_text = detail::b64url_decode(token.substr(0, first));
  auto claims_text = detail::b64url_decode(token.substr(first + 1, last - first - 1));
  auto signature = detail::b64url_decode(token.substr(last + 1));
  if (!header_text || !claims_text || !signature) return std::nullopt;
  VerifiedJws out;
  out.header = nlohmann::json::parse(*header_text, nullptr, false);
  out.claims = nlohmann::json::parse(*claims_text, nullptr, false);
  auto set = nlohmann::json::parse(jwks, nullptr, false);
  if (!out.header.is_object() || !out.claims.is_object() || !set.contains("keys")) {
    return std::nullopt;
  }
  std::string alg = out.header.value("alg", "");
  for (const auto& jwk : set["keys"]) {
    if (jwk.value("kid", "") != out.header.value("kid", "-")) continue;
    auto key = detail::key_from_jwk(jwk);
    if (!key) return std::nullopt;
    std::string sig = *signature;
    if (alg == "ES256") {
      auto der = detail::es256_to_der(sig);
      if (!der) return std::nullopt;
      sig = *der;
    } else if (alg != "RS256") {
      return std::nullopt;
    }
    std::string input = token.substr(0, last);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool ok =
        EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
        EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(md);
    if (ok) return out;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace portcullis::authorize::testing
