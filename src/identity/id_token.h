#pragma once
// ID token verification (OpenID Connect Core 1.0 §3.1.3.7), separate from any I/O so that every
// rule can be tested on its own: the signature against the provider's keys (RS256 or ES256 only:
// "none" and HMAC algorithms are refused before any key is looked at), then iss, aud/azp, exp,
// iat, sub and nonce.

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "crypto/jwk.h"
#include "identity/authenticator.h"

namespace portcullis::identity {

enum class IdTokenError {
  kMalformed,             // not a compact JWS with a JSON payload
  kBadAlgorithm,          // header alg is not RS256/ES256 (none, HS256, ...)
  kUnknownKey,            // no key in the set matches the header's kid (refresh the JWKS and retry)
  kBadSignature,          // a matching key exists but the signature does not verify
  kWrongIssuer,           // iss differs from the provider's issuer
  kWrongAudience,         // aud does not contain the client id
  kWrongAuthorizedParty,  // azp present and not the client id, or absent with several audiences
  kExpired,               // exp missing or in the past (beyond the leeway)
  kIssuedInFuture,        // iat missing or in the future (beyond the leeway)
  kMissingSubject,        // no sub
  kWrongNonce,            // nonce missing or different from the one sent
};

std::string_view to_string(IdTokenError error);

struct IdTokenExpectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;  // empty: not checked (refreshes); otherwise must equal the token's nonce
  TimePoint now;
  std::chrono::seconds leeway{std::chrono::minutes(1)};
};

std::variant<IdToken, IdTokenError> verify_id_token(std::string_view token,
                                                    std::span<const crypto::PublicKey> keys,
                                                    const IdTokenExpectations& expected);

}  // namespace portcullis::identity
