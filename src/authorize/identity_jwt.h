#pragma once
// The identity JWT (X-Pomerium-Jwt-Assertion) and the X-Pomerium-Claim-* headers (DESIGN.md §5):
// what they say about a principal and how they are signed. One IdentitySigner per configuration
// snapshot; immutable and shared by every worker.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "authorize/principal.h"
#include "crypto/signing_key.h"

namespace portcullis::authorize {

inline constexpr std::chrono::seconds kIdentityTokenLifetime = std::chrono::minutes(5);

// One signed token and the claim header values that go with it.
struct IdentityToken {
  std::string jwt;
  std::vector<std::string> claim_values;  // parallel to IdentitySigner::claim_headers()
  std::int64_t expires_at = 0;            // Unix seconds ("exp")
};

class IdentitySigner {
 public:
  struct ClaimHeader {
    std::string header;  // e.g. "x-pomerium-claim-email"
    std::string claim;   // e.g. "email"
  };

  // `keys`: the signing keys (the first signs; all are published). `claim_headers`:
  // jwt_claims_headers (header -> claim).
  IdentitySigner(std::vector<crypto::SigningKey> keys,
                 const std::map<std::string, std::string>& claim_headers);

  // The signing_key PEM when set, otherwise the key derived from the decoded shared secret.
  // Throws std::runtime_error when signing_key does not load.
  static IdentitySigner from_options(std::string_view signing_key_pem,
                                     std::string_view shared_secret,
                                     const std::map<std::string, std::string>& claim_headers);

  // The claims of the JWT for `principal` at `audience` (the request's host name, also the
  // issuer), issued at `now`.
  nlohmann::json claims(const Principal& principal, std::string_view audience,
                        std::chrono::system_clock::time_point now) const;

  // Signs claims() and computes the claim header values.
  IdentityToken sign(const Principal& principal, std::string_view audience,
                     std::chrono::system_clock::time_point now) const;

  const std::vector<ClaimHeader>& claim_headers() const { return claim_headers_; }
  const crypto::SigningKey& key() const { return keys_.front(); }

  // /.well-known/pomerium/jwks.json: {"keys":[public JWKs]} and its ETag ("\"<fnv64 hex>\"").
  const std::string& jwks() const { return jwks_; }
  const std::string& jwks_etag() const { return jwks_etag_; }

 private:
  std::vector<crypto::SigningKey> keys_;
  std::vector<ClaimHeader> claim_headers_;
  std::string jwks_;
  std::string jwks_etag_;
};

// A claim's value as a header value: arrays joined with ",", numbers printed, missing = "".
std::string claim_header_value(const nlohmann::json& claims, std::string_view claim);

}  // namespace portcullis::authorize
