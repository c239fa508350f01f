#pragma once
// Public keys as JWKs (RFC 7517/7518) and verification of RS256 and ES256 compact JWS, for the
// OIDC relying party (IdP id_tokens against the IdP's JWKS) and for anyone checking our own
// identity JWTs. Only RSA keys of at least 2048 bits and EC P-256 keys are accepted; the JWS
// algorithm must match the key's type, so "none", HS* with a public key and RS/ES swaps all fail.

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::crypto {

enum class JwsAlgorithm {
  kRs256,  // RSASSA-PKCS1-v1_5 with SHA-256
  kEs256,  // ECDSA P-256 with SHA-256, signature r||s (64 bytes)
};

std::string_view to_string(JwsAlgorithm alg);  // "RS256" / "ES256"

inline constexpr int kMinRsaBits = 2048;

// An immutable public key; cheap to copy (the OpenSSL key is shared and only read).
class PublicKey {
 public:
  // nullopt unless `jwk` is an RSA (n, e) or EC P-256 (x, y on the curve) key whose optional "use"
  // is "sig" and optional "alg" matches its type.
  static std::optional<PublicKey> from_jwk(const nlohmann::json& jwk);

  JwsAlgorithm algorithm() const { return algorithm_; }
  // The JWK's "kid" ("" when it had none); for keys of a SigningKey, its thumbprint in hex.
  const std::string& key_id() const { return key_id_; }
  // RFC 7638 SHA-256 thumbprint (32 raw bytes).
  std::string thumbprint() const;
  // {kty, n, e | crv, x, y} plus "kid" (when known), "alg" and "use": "sig".
  nlohmann::json to_jwk() const;
  // Whether `signature` (in JWS form: r||s for ES256) signs `signing_input` under this key.
  bool verify_signature(std::string_view signing_input, std::string_view signature) const;

 private:
  friend class SigningKey;
  PublicKey(std::shared_ptr<EVP_PKEY> key, JwsAlgorithm algorithm, std::string key_id);

  std::shared_ptr<EVP_PKEY> key_;
  JwsAlgorithm algorithm_;
  std::string key_id_;
};

// The usable keys of a JWK Set ({"keys": [...]}); keys we cannot use (other types, "use": "enc",
// other algorithms, malformed) are skipped, since IdPs publish mixed sets. Empty when `jwks` is
// not a JWK Set at all.
std::vector<PublicKey> parse_jwks(const nlohmann::json& jwks);

// The claims of an RS256/ES256 compact JWS signed by `key`, or nullopt. Time claims are not
// checked (see check_time_claims in jws.h).
std::optional<nlohmann::json> verify_jws(std::string_view token, const PublicKey& key);

// As above with a key set: when the header names a "kid" only keys with that kid are tried,
// otherwise every key of the header's algorithm. (The single-key form ignores "kid".)
std::optional<nlohmann::json> verify_jws(std::string_view token, std::span<const PublicKey> keys);

}  // namespace portcullis::crypto
