#pragma once
// Internal to src/crypto: pieces of compact JWS handling shared by the HMAC and public-key paths.

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/jwk.h"

namespace portcullis::crypto::detail {

struct CompactJws {
  std::string_view signing_input;  // "<header>.<payload>", what the signature covers
  std::string_view header;         // base64url
  std::string_view payload;        // base64url
  std::string_view signature;      // base64url
};

// Exactly three non-empty dot-separated parts, within kMaxJwsSize.
std::optional<CompactJws> split_compact(std::string_view token);

// base64url (unpadded) of a JSON object; nullopt when it is anything else.
std::optional<nlohmann::json> decode_json_object(std::string_view base64url);

// The protected header for `alg`: {"alg", "typ":"JWT", "kid" when not empty} plus `extra`.
// Throws std::invalid_argument when `extra` is not an object.
nlohmann::json make_header(std::string_view alg, std::string_view kid, const nlohmann::json& extra);

// "<b64url(header)>.<b64url(claims)>". Throws std::invalid_argument unless claims is an object.
std::string signing_input(const nlohmann::json& header, const nlohmann::json& claims);

// The header's "alg" when the header is acceptable at all: an object with a string "alg" and no
// "crit" (we implement no extensions, so RFC 7515 §4.1.11 obliges us to reject any).
std::optional<std::string> header_algorithm(const nlohmann::json& header);

// The JWS algorithm a key can serve: RS256 for RSA of at least kMinRsaBits, ES256 for EC P-256;
// nullopt (with `error` set when given) for anything else.
std::optional<JwsAlgorithm> algorithm_for_key(EVP_PKEY* key, std::string* error = nullptr);

// The RFC 7638 required members of the public JWK: {crv, kty, x, y} or {e, kty, n}.
nlohmann::json public_jwk_members(EVP_PKEY* key, JwsAlgorithm alg);

// SHA-256 over the members serialised in lexicographic order without whitespace (RFC 7638 §3).
std::string jwk_thumbprint(const nlohmann::json& members);

}  // namespace portcullis::crypto::detail
