#include "crypto/jwk.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>

#include <cstring>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws_detail.h"
#include "crypto/openssl_ptr.h"

namespace portcullis::crypto {
namespace {

constexpr std::size_t kP256FieldSize = 32;
constexpr const char* kP256GroupName = "prime256v1";

std::shared_ptr<EVP_PKEY> share(KeyPtr key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
}

std::string bn_to_bytes(const BIGNUM* bn, int padded_size) {
  const int size = padded_size > 0 ? padded_size : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(size), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
  return out;
}

std::string bn_param(EVP_PKEY* key, const char* name, int padded_size) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return {};
  BignumPtr bn(raw);
  return base64url_encode(bn_to_bytes(bn.get(), padded_size));
}

BignumPtr bn_from_bytes(std::string_view bytes) {
  return BignumPtr(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr));
}

// Builds a public key of type `type` ("RSA", "EC") from OSSL_PARAMs assembled by `fill`.
template <class Fill>
KeyPtr key_from_params(const char* type, Fill fill) {
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || !fill(builder.get())) return nullptr;
  ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  KeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return KeyPtr(raw);
}

std::optional<std::string> member_bytes(const nlohmann::json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return base64url_decode(it->get_ref<const std::string&>());
}

KeyPtr rsa_from_jwk(const nlohmann::json& jwk) {
  const auto n = member_bytes(jwk, "n");
  const auto e = member_bytes(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) return nullptr;
  BignumPtr n_bn = bn_from_bytes(*n);
  BignumPtr e_bn = bn_from_bytes(*e);
  if (!n_bn || !e_bn) return nullptr;
  return key_from_params("RSA", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n_bn.get()) == 1 &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e_bn.get()) == 1;
  });
}

KeyPtr ec_from_jwk(const nlohmann::json& jwk) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || *crv != "P-256") return nullptr;
  const auto x = member_bytes(jwk, "x");
  const auto y = member_bytes(jwk, "y");
  // RFC 7518 §6.2.1.2: coordinates are the full field size, never shortened.
  if (!x || !y || x->size() != kP256FieldSize || y->size() != kP256FieldSize) return nullptr;
  const std::string point = '\x04' + *x + *y;  // SEC 1 uncompressed point
  KeyPtr key = key_from_params("EC", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, kP256GroupName, 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                            point.size()) == 1;
  });
  if (!key) return nullptr;
  // An off-curve point would open invalid-curve attacks; refuse it explicitly.
  KeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

// JWS ES256 signatures are r||s; OpenSSL speaks DER ECDSA-Sig-Value.
std::optional<std::string> ecdsa_raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * kP256FieldSize) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr r = bn_from_bytes(raw.substr(0, kP256FieldSize));
  BignumPtr s = bn_from_bytes(raw.substr(kP256FieldSize));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return std::nullopt;
  return der;
}

}  // namespace

namespace detail {

std::optional<JwsAlgorithm> algorithm_for_key(EVP_PKEY* key, std::string* error) {
  const auto fail = [&](const char* why) -> std::optional<JwsAlgorithm> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) return fail("RSA key shorter than 2048 bits");
    return JwsAlgorithm::kRs256;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1 ||
        std::strcmp(group, kP256GroupName) != 0) {
      return fail("EC key is not on curve P-256");
    }
    return JwsAlgorithm::kEs256;
  }
  return fail("key is neither RSA nor EC P-256");
}

nlohmann::json public_jwk_members(EVP_PKEY* key, JwsAlgorithm alg) {
  if (alg == JwsAlgorithm::kEs256) {
    return {{"kty", "EC"},
            {"crv", "P-256"},
            {"x", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, kP256FieldSize)},
            {"y", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, kP256FieldSize)}};
  }
  // RFC 7518 §6.3.1: n and e are minimal big-endian, no leading zero octets.
  return {{"kty", "RSA"},
          {"n", bn_param(key, OSSL_PKEY_PARAM_RSA_N, 0)},
          {"e", bn_param(key, OSSL_PKEY_PARAM_RSA_E, 0)}};
}

std::string jwk_thumbprint(const nlohmann::json& members) {
  // nlohmann::json objects iterate in key order and dump() adds no whitespace: exactly RFC 7638's
  // canonical form for these ASCII-only members.
  return sha256(members.dump());
}

}  // namespace detail

std::string_view to_string(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kEs256 ? "ES256" : "RS256";
}

PublicKey::PublicKey(std::shared_ptr<EVP_PKEY> key, JwsAlgorithm algorithm, std::string key_id)
    : key_(std::move(key)), algorithm_(algorithm), key_id_(std::move(key_id)) {}

std::optional<PublicKey> PublicKey::from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return std::nullopt;
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return std::nullopt;
  if (const auto use = jwk.find("use"); use != jwk.end() && *use != "sig") return std::nullopt;
  std::string kid;
  if (const auto it = jwk.find("kid"); it != jwk.end()) {
    if (!it->is_string()) return std::nullopt;
    kid = it->get<std::string>();
  }
  KeyPtr key;
  if (*kty == "RSA") {
    key = rsa_from_jwk(jwk);
  } else if (*kty == "EC") {
    key = ec_from_jwk(jwk);
  }
  if (!key) return std::nullopt;
  const auto alg = detail::algorithm_for_key(key.get());
  if (!alg) return std::nullopt;
  if (const auto it = jwk.find("alg"); it != jwk.end() && *it != to_string(*alg)) {
    return std::nullopt;  // e.g. an RSA key meant for PS256 or RS512 only
  }
  return PublicKey(share(std::move(key)), *alg, std::move(kid));
}

std::string PublicKey::thumbprint() const {
  return detail::jwk_thumbprint(detail::public_jwk_members(key_.get(), algorithm_));
}

nlohmann::json PublicKey::to_jwk() const {
  nlohmann::json jwk = detail::public_jwk_members(key_.get(), algorithm_);
  if (!key_id_.empty()) jwk["kid"] = key_id_;
  jwk["alg"] = to_string(algorithm_);
  jwk["use"] = "sig";
  return jwk;
}

bool PublicKey::verify_signature(std::string_view signing_input, std::string_view signature) const {
  std::optional<std::string> der;
  if (algorithm_ == JwsAlgorithm::kEs256) {
    der = ecdsa_raw_to_der(signature);
    if (!der) return false;
    signature = *der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

std::vector<PublicKey> parse_jwks(const nlohmann::json& jwks) {
  std::vector<PublicKey> keys;
  if (!jwks.is_object()) return keys;
  const auto list = jwks.find("keys");
  if (list == jwks.end() || !list->is_array()) return keys;
  for (const auto& jwk : *list) {
    if (auto key = PublicKey::from_jwk(jwk)) keys.push_back(std::move(*key));
  }
  return keys;
}

namespace {

std::optional<nlohmann::json> verify_with(std::string_view token, std::span<const PublicKey> keys,
                                          bool match_kid) {
  const auto parts = detail::split_compact(token);
  if (!parts) return std::nullopt;
  const auto header = detail::decode_json_object(parts->header);
  if (!header) return std::nullopt;
  // The algorithm is taken from the header only to be matched against each key's own: a key
  // never verifies under an algorithm other than the one its type implies.
  const auto alg = detail::header_algorithm(*header);
  if (!alg) return std::nullopt;
  std::optional<std::string> kid;
  if (const auto it = header->find("kid"); it != header->end()) {
    if (!it->is_string()) return std::nullopt;
    kid = it->get<std::string>();
  }
  const auto signature = base64url_decode(parts->signature);
  if (!signature) return std::nullopt;
  for (const auto& key : keys) {
    if (*alg != to_string(key.algorithm())) continue;
    if (match_kid && kid && key.key_id() != *kid) continue;
    if (key.verify_signature(parts->signing_input, *signature)) {
      return detail::decode_json_object(parts->payload);
    }
  }
  return std::nullopt;
}

}  // namespace

// One key, chosen by the caller: its "kid" is not compared with the header's.
std::optional<nlohmann::json> verify_jws(std::string_view token, const PublicKey& key) {
  return verify_with(token, std::span<const PublicKey>(&key, 1), /*match_kid=*/false);
}

std::optional<nlohmann::json> verify_jws(std::string_view token, std::span<const PublicKey> keys) {
  return verify_with(token, keys, /*match_kid=*/true);
}

}  // namespace portcullis::crypto
