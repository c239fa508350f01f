#pragma once
// XChaCha20-Poly1305 (libsodium) in Pomerium's layout: ciphertext || tag(16) || nonce(24), the
// nonce random and appended (pkg/cryptutil/encrypt.go). Used for the IdP "state" parameter, PKCE
// cookies and anything else sealed with shared_secret or cookie_secret.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::crypto {

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kAeadNonceSize = 24;

// Encrypts `plaintext` and authenticates it together with `additional_data` under a fresh random
// nonce. Throws std::invalid_argument unless `key` is kAeadKeySize bytes.
std::string aead_seal(std::string_view key, std::string_view plaintext,
                      std::string_view additional_data);

// The plaintext of a aead_seal output, or nullopt when the key, the additional data or any byte of
// `sealed` is wrong, or `sealed` is shorter than a tag and a nonce.
std::optional<std::string> aead_open(std::string_view key, std::string_view sealed,
                                     std::string_view additional_data);

}  // namespace portcullis::crypto
