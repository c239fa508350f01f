#pragma once
// The private key that signs identity JWTs (X-Pomerium-Jwt-Assertion) and whose public half is
// served at /.well-known/pomerium/jwks.json: Pomerium's signing_key, or a key derived from
// shared_secret when none is configured.

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/jwk.h"

namespace portcullis::crypto {

// Immutable; cheap to copy; safe to sign with from many threads at once.
class SigningKey {
 public:
  // The first private key in `text`, which is PEM ("PRIVATE KEY", "EC PRIVATE KEY" or
  // "RSA PRIVATE KEY"; other blocks are skipped) or the standard base64 of such PEM, as Pomerium's
  // signing_key accepts. Keys must be EC P-256 or RSA >= 2048 bits; encrypted keys are refused.
  // On failure, returns nullopt and, when `error` is given, says why.
  static std::optional<SigningKey> from_pem(std::string_view text, std::string* error = nullptr);

  JwsAlgorithm algorithm() const { return public_key_.algorithm(); }
  // Hex of the RFC 7638 SHA-256 thumbprint of the public key: the JWS "kid" (DESIGN.md §5).
  const std::string& key_id() const { return public_key_.key_id(); }
  const PublicKey& public_key() const { return public_key_; }
  nlohmann::json public_jwk() const { return public_key_.to_jwk(); }

  // A compact JWS over `claims` (an object) with header {"alg", "kid", "typ":"JWT"} plus the
  // members of `header_extra`, which cannot replace "alg" or "kid". Throws std::invalid_argument
  // for non-object arguments.
  std::string sign(const nlohmann::json& claims,
                   const nlohmann::json& header_extra = nlohmann::json::object()) const;

 private:
  friend std::optional<std::vector<SigningKey>> load_signing_keys(std::string_view, std::string*);
  friend SigningKey derive_signing_key(std::string_view);
  explicit SigningKey(PublicKey public_key) : public_key_(std::move(public_key)) {}
  static std::optional<SigningKey> from_private_key(std::shared_ptr<EVP_PKEY> key,
                                                    std::string* error);

  PublicKey public_key_;  // shares the EVP_PKEY, which holds the private half too
};

// Every private key in `text` (same formats as SigningKey::from_pem), in order; nullopt when there
// is none or one is unusable.
std::optional<std::vector<SigningKey>> load_signing_keys(std::string_view text,
                                                         std::string* error = nullptr);

// Pomerium's key for a deployment without signing_key, so every instance signs alike:
//   seed = first 40 bytes of HKDF-SHA256(secret = shared_secret, salt = none,
//                                         info = "derived-jwt-signing-key")
//   d    = (seed as a big-endian integer mod (n - 1)) + 1,  n = the P-256 group order
// 40 = 256/8 + 8 bytes, so the reduction bias is negligible. This is FIPS 186-4 B.4.1 and what
// Go 1.19's ecdsa.GenerateKey (kept as keygen.ECDSALegacy, which Pomerium calls with the HKDF
// stream) does with a reader, so the key should equal Pomerium's. `shared_secret` is the decoded
// secret bytes.
SigningKey derive_signing_key(std::string_view shared_secret);

}  // namespace portcullis::crypto
