#pragma once
// The values that carry one browser's sign-in across the identity provider (reference §4.2):
//
//  * The CSRF cookie `<cookie_name>_csrf`: 32 random bytes in a gorilla/securecookie-style value
//    (base64url(time|base64url(json)|HMAC-SHA256(cookie_secret, name|time|base64url(json)))),
//    valid 12 h. It is reused while valid, so that sign-ins in several tabs share it.
//  * `state` = base64url_padded(csrf | "|" | unix_ts | "|" | trace | "|" | sealed), where sealed
//    = AEAD(cookie_secret, return URL, ad = csrf|ts|trace|) and csrf is the token's standard
//    base64. The callback requires csrf to equal this browser's cookie and ts within ±5 min.
//  * The OIDC nonce is derived from the state (HMAC under cookie_secret), so every sign-in has
//    its own without storing anything: the callback recomputes it from the state it receives.
//  * The PKCE verifier of each sign-in lives in its own cookie `<cookie_name>_pkce_<h>`, h a
//    64-bit hash of the state in decimal, sealed with cookie_secret, for 5 minutes: concurrent
//    sign-ins in several tabs never overwrite each other's verifier.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::authenticate {

using TimePoint = std::chrono::system_clock::time_point;

inline constexpr std::chrono::seconds kCsrfCookieLifetime = std::chrono::hours(12);
inline constexpr std::chrono::seconds kStateTimestampWindow = std::chrono::minutes(5);
inline constexpr std::chrono::seconds kPkceCookieLifetime = std::chrono::minutes(5);

// gorilla/securecookie encode/decode with HMAC-SHA256 only (no encryption): `value` is the JSON
// serialisation of what the cookie holds. decode fails for a wrong MAC, another cookie's name, a
// malformed value, or a timestamp older than max_age or in the future beyond a minute.
std::string secure_cookie_encode(std::string_view hash_key, std::string_view name,
                                 std::string_view json_value, TimePoint now);
std::optional<std::string> secure_cookie_decode(std::string_view hash_key, std::string_view name,
                                                std::string_view cookie, TimePoint now,
                                                std::chrono::seconds max_age);

// The CSRF token (32 raw bytes) in a CSRF cookie value, or nullopt.
std::optional<std::string> decode_csrf_cookie(std::string_view cookie_secret,
                                              std::string_view cookie_name, std::string_view value,
                                              TimePoint now);
std::string encode_csrf_cookie(std::string_view cookie_secret, std::string_view cookie_name,
                               std::string_view token, TimePoint now);

struct DecodedState {
  std::string csrf;  // standard base64 of the CSRF token
  TimePoint issued_at;
  std::string return_url;  // decrypted
};

enum class StateError { kMalformed, kCsrfMismatch, kExpired, kTampered };
std::string_view to_string(StateError error);

std::string encode_state(std::string_view cookie_secret, std::string_view csrf_token,
                         std::string_view return_url, TimePoint now);

// Checks the state against this browser's CSRF token (raw bytes; empty when the browser has no
// valid CSRF cookie) and the time window, then decrypts the return URL.
std::optional<DecodedState> decode_state(std::string_view cookie_secret, std::string_view state,
                                         std::string_view csrf_token, TimePoint now,
                                         StateError* error);

std::string nonce_for_state(std::string_view cookie_secret, std::string_view state);

std::string pkce_cookie_name(std::string_view cookie_name, std::string_view state);
std::string encode_pkce_cookie(std::string_view cookie_secret, std::string_view name,
                               std::string_view verifier, TimePoint now);
std::optional<std::string> decode_pkce_cookie(std::string_view cookie_secret, std::string_view name,
                                              std::string_view value, TimePoint now);

// A fresh PKCE code verifier (RFC 7636: 43 characters from the unreserved set).
std::string new_code_verifier();

}  // namespace portcullis::authenticate
