#include "authenticate/flow_state.h"

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws.h"
#include "crypto/random.h"

namespace portcullis::authenticate {
namespace {

using crypto::Base64;

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits `text` at the first `n - 1` separators.
std::vector<std::string_view> split(std::string_view text, char separator, std::size_t n) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < n) {
    auto at = text.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + 1);
  }
  parts.push_back(text);
  return parts;
}

}  // namespace

std::string secure_cookie_encode(std::string_view hash_key, std::string_view name,
                                 std::string_view json_value, TimePoint now) {
  std::string encoded = crypto::base64_encode(json_value, Base64::kUrl);
  std::string timestamp = std::to_string(crypto::unix_seconds(now));
  std::string signed_part = std::string(name) + "|" + timestamp + "|" + encoded;
  std::string mac = crypto::hmac_sha256(hash_key, signed_part);
  std::string body = timestamp + "|" + encoded + "|" + mac;
  return crypto::base64_encode(body, Base64::kUrl);
}

std::optional<std::string> secure_cookie_decode(std::string_view hash_key, std::string_view name,
                                                std::string_view cookie, TimePoint now,
                                                std::chrono::seconds max_age) {
  if (cookie.size() > 4096) return std::nullopt;
  auto body = crypto::base64_decode(cookie, Base64::kUrl);
  if (!body) return std::nullopt;
  auto parts = split(*body, '|', 3);
  if (parts.size() != 3) return std::nullopt;
  std::string signed_part =
      std::string(name) + "|" + std::string(parts[0]) + "|" + std::string(parts[1]);
  if (!crypto::constant_time_equal(crypto::hmac_sha256(hash_key, signed_part), parts[2])) {
    return std::nullopt;
  }
  auto timestamp = parse_int(parts[0]);
  if (!timestamp) return std::nullopt;
  auto age = crypto::unix_seconds(now) - *timestamp;
  if (age > max_age.count() || age < -60) return std::nullopt;
  return crypto::base64_decode(parts[1], Base64::kUrl);
}

std::optional<std::string> decode_csrf_cookie(std::string_view cookie_secret,
                                              std::string_view cookie_name, std::string_view value,
                                              TimePoint now) {
  auto json_text =
      secure_cookie_decode(cookie_secret, cookie_name, value, now, kCsrfCookieLifetime);
  if (!json_text) return std::nullopt;
  auto json = nlohmann::json::parse(*json_text, nullptr, false);
  if (!json.is_string()) return std::nullopt;  // Go marshals []byte as a base64 string
  auto token = crypto::base64_decode(json.get<std::string>(), Base64::kStandard);
  if (!token || token->size() != 32) return std::nullopt;
  return token;
}

std::string encode_csrf_cookie(std::string_view cookie_secret, std::string_view cookie_name,
                               std::string_view token, TimePoint now) {
  nlohmann::json json = crypto::base64_encode(token, Base64::kStandard);
  return secure_cookie_encode(cookie_secret, cookie_name, json.dump(), now);
}

std::string_view to_string(StateError error) {
  switch (error) {
    case StateError::kMalformed:
      return "malformed state";
    case StateError::kCsrfMismatch:
      return "state does not belong to this browser (CSRF check failed)";
    case StateError::kExpired:
      return "state expired";
    case StateError::kTampered:
      return "state was tampered with";
  }
  return "invalid state";
}

std::string encode_state(std::string_view cookie_secret, std::string_view csrf_token,
                         std::string_view return_url, TimePoint now) {
  std::string csrf = crypto::base64_encode(csrf_token, Base64::kStandard);
  std::string prefix = csrf + "|" + std::to_string(crypto::unix_seconds(now)) + "|" + "" + "|";
  std::string sealed = crypto::aead_seal(cookie_secret, return_url, prefix);
  return crypto::base64_encode(prefix + sealed, Base64::kUrl);
}

std::optional<DecodedState> decode_state(std::string_view cookie_secret, std::string_view state,
                                         std::string_view csrf_token, TimePoint now,
                                         StateError* error) {
  auto fail = [error](StateError e) -> std::optional<DecodedState> {
    if (error) *error = e;
    return std::nullopt;
  };
  if (state.size() > 8192) return fail(StateError::kMalformed);
  auto raw = crypto::base64_decode(state, Base64::kUrl);
  if (!raw) return fail(StateError::kMalformed);
  auto parts = split(*raw, '|', 4);
  if (parts.size() != 4) return fail(StateError::kMalformed);
  auto timestamp = parse_int(parts[1]);
  if (!timestamp) return fail(StateError::kMalformed);
  std::string expected_csrf =
      csrf_token.empty() ? std::string() : crypto::base64_encode(csrf_token, Base64::kStandard);
  if (expected_csrf.empty() || !crypto::constant_time_equal(parts[0], expected_csrf)) {
    return fail(StateError::kCsrfMismatch);
  }
  auto delta = crypto::unix_seconds(now) - *timestamp;
  if (delta > kStateTimestampWindow.count() || delta < -kStateTimestampWindow.count()) {
    return fail(StateError::kExpired);
  }
  std::string prefix =
      std::string(parts[0]) + "|" + std::string(parts[1]) + "|" + std::string(parts[2]) + "|";
  auto url = crypto::aead_open(cookie_secret, parts[3], prefix);
  if (!url) return fail(StateError::kTampered);
  DecodedState decoded;
  decoded.csrf = std::string(parts[0]);
  decoded.issued_at = TimePoint(std::chrono::seconds(*timestamp));
  decoded.return_url = std::move(*url);
  return decoded;
}

std::string nonce_for_state(std::string_view cookie_secret, std::string_view state) {
  return crypto::base64url_encode(
      crypto::hmac_sha256(cookie_secret, "oidc-nonce|" + std::string(state)));
}

std::string pkce_cookie_name(std::string_view cookie_name, std::string_view state) {
  auto digest = crypto::sha256(state);
  std::uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | static_cast<unsigned char>(digest[i]);
  return std::string(cookie_name) + "_pkce_" + std::to_string(h);
}

std::string encode_pkce_cookie(std::string_view cookie_secret, std::string_view name,
                               std::string_view verifier, TimePoint now) {
  nlohmann::json json = {
      {"verifier", verifier},
      {"exp", crypto::unix_seconds(now + kPkceCookieLifetime)},
  };
  return crypto::base64_encode(crypto::aead_seal(cookie_secret, json.dump(), name), Base64::kUrl);
}

std::optional<std::string> decode_pkce_cookie(std::string_view cookie_secret, std::string_view name,
                                              std::string_view value, TimePoint now) {
  if (value.size() > 4096) return std::nullopt;
  auto sealed = crypto::base64_decode(value, Base64::kUrl);
  if (!sealed) return std::nullopt;
  auto plain = crypto::aead_open(cookie_secret, *sealed, name);
  if (!plain) return std::nullopt;
  auto json = nlohmann::json::parse(*plain, nullptr, false);
  if (!json.is_object() || !json.contains("verifier") || !json["verifier"].is_string() ||
      !json.contains("exp") || !json["exp"].is_number_integer()) {
    return std::nullopt;
  }
  if (json["exp"].get<std::int64_t>() < crypto::unix_seconds(now)) return std::nullopt;
  return json["verifier"].get<std::string>();
}

std::string new_code_verifier() {
  return crypto::base64url_encode(crypto::random_bytes(32));
}

}  // namespace portcullis::authenticate
