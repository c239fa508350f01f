#pragma once
// Compact JWS (RFC 7515) with HMAC-SHA256, as used for Pomerium's session handles and service
// tokens, plus the JWT time-claim check shared by every token kind. Verification is strict: one
// algorithm, exactly three base64url (unpadded) parts, JSON objects, no "crit" extensions, and the
// MAC compared in constant time before any claim is parsed. Public-key JWS lives in jwk.h and
// signing_key.h.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::crypto {

// Tokens longer than this are rejected unread (cookies hold 4 KiB; id_tokens with many groups
// more).
inline constexpr std::size_t kMaxJwsSize = 64 * 1024;

// A compact JWS over `claims` (a JSON object) with header {"alg":"HS256","typ":"JWT"} plus the
// members of `header_extra` (an object; it cannot replace "alg"). Throws std::invalid_argument
// when `claims` or `header_extra` is not an object. Strings that are not valid UTF-8 are signed
// with U+FFFD in their place.
std::string sign_hs256(std::string_view key, const nlohmann::json& claims,
                       const nlohmann::json& header_extra = nlohmann::json::object());

// The claims of `token` when its header says exactly "HS256" and its MAC under `key` is right;
// nullopt otherwise. Time claims are not checked here: see check_time_claims.
std::optional<nlohmann::json> verify_hs256(std::string_view token, std::string_view key);

// The header of a compact JWS without verifying anything, e.g. to read "kid" before choosing a
// key. nullopt when the token is not three parts or the header is not a base64url JSON object.
std::optional<nlohmann::json> peek_jws_header(std::string_view token);

enum class TimeClaims {
  kValid,
  kExpired,         // "exp" is more than `leeway` in the past
  kNotYetValid,     // "nbf" is more than `leeway` in the future
  kIssuedInFuture,  // "iat" is more than `leeway` in the future
  kMalformed,       // one of them is present but not a number
};

// Checks "exp", "nbf" and "iat" (NumericDate seconds, RFC 7519 §4.1) when present; absent claims
// pass. Expiry follows the common JOSE rule: expired when now - leeway > exp.
TimeClaims check_time_claims(const nlohmann::json& claims,
                             std::chrono::system_clock::time_point now,
                             std::chrono::seconds leeway);

// Unix seconds of `t`, rounded down: the NumericDate of JWT claims and signed URLs.
std::int64_t unix_seconds(std::chrono::system_clock::time_point t);

}  // namespace portcullis::crypto
