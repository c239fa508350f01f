#pragma once
// Byte-to-text encodings. Pomerium uses several base64 variants for different things (standard
// for secrets, URL-safe padded for signatures and encrypted values, URL-safe unpadded for JWS),
// so every variant is named explicitly. Decoding is strict: a wrong alphabet, wrong padding,
// stray whitespace or non-zero trailing bits all fail, so one value has exactly one encoding.

#include <optional>
#include <string>
#include <string_view>

namespace portcullis::crypto {

enum class Base64 {
  kStandard,     // A-Z a-z 0-9 + /, padded with '=' (Go base64.StdEncoding)
  kStandardRaw,  // standard alphabet, no padding (Go base64.RawStdEncoding)
  kUrl,          // A-Z a-z 0-9 - _, padded (Go base64.URLEncoding)
  kUrlRaw,       // URL-safe, no padding (Go base64.RawURLEncoding; JWS, RFC 7515 §2)
};

std::string base64_encode(std::string_view bytes, Base64 variant);
// nullopt unless `text` is exactly a canonical encoding in `variant`.
std::optional<std::string> base64_decode(std::string_view text, Base64 variant);

// Shorthands for the two most common variants.
inline std::string base64url_encode(std::string_view bytes) {
  return base64_encode(bytes, Base64::kUrlRaw);
}
inline std::optional<std::string> base64url_decode(std::string_view text) {
  return base64_decode(text, Base64::kUrlRaw);
}

// Lower-case hexadecimal.
std::string hex_encode(std::string_view bytes);
// nullopt unless `text` is an even number of hex digits (either case).
std::optional<std::string> hex_decode(std::string_view text);

}  // namespace portcullis::crypto
