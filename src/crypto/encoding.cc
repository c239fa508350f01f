#include "crypto/encoding.h"

#include <sodium.h>

namespace portcullis::crypto {
namespace {

int sodium_variant(Base64 variant) {
  switch (variant) {
    case Base64::kStandard:
      return sodium_base64_VARIANT_ORIGINAL;
    case Base64::kStandardRaw:
      return sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    case Base64::kUrl:
      return sodium_base64_VARIANT_URLSAFE;
    case Base64::kUrlRaw:
      return sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  }
  return sodium_base64_VARIANT_ORIGINAL;
}

}  // namespace

// libsodium's codec is constant-time (secrets pass through it) and strict: it rejects padding
// where none belongs, missing padding, characters outside the alphabet and non-zero leftover bits.
std::string base64_encode(std::string_view bytes, Base64 variant) {
  const int v = sodium_variant(variant);
  // sodium_base64_ENCODED_LEN counts the terminating NUL that sodium_bin2base64 writes.
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), v);
  out.resize(out.size() - 1);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64 variant) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t length = 0;
  // No ignored characters and no end pointer: the whole input must be one valid encoding.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr, sodium_variant(variant)) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::string hex_encode(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.resize(out.size() - 1);
  return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  size_t length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                     text.size(), nullptr, &length, nullptr) != 0 ||
      length != out.size()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace portcullis::crypto
