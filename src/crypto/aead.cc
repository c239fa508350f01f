#include "crypto/aead.h"

#include <sodium.h>

#include <mutex>
#include <stdexcept>

namespace portcullis::crypto {
namespace {

static_assert(kAeadKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kAeadTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kAeadNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);

// sodium_init picks the fastest implementations and seeds its RNG; it is idempotent but
// documented as not thread-safe before its first completion, hence the once_flag.
void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
  });
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string aead_seal(std::string_view key, std::string_view plaintext,
                      std::string_view additional_data) {
  if (key.size() != kAeadKeySize) throw std::invalid_argument("AEAD key must be 32 bytes");
  ensure_sodium();
  std::string out(plaintext.size() + kAeadTagSize + kAeadNonceSize, '\0');
  auto* ciphertext = reinterpret_cast<unsigned char*>(out.data());
  unsigned char* nonce = ciphertext + plaintext.size() + kAeadTagSize;
  randombytes_buf(nonce, kAeadNonceSize);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(ciphertext, &length, bytes(plaintext),
                                             plaintext.size(), bytes(additional_data),
                                             additional_data.size(), nullptr, nonce, bytes(key));
  return out;
}

std::optional<std::string> aead_open(std::string_view key, std::string_view sealed,
                                     std::string_view additional_data) {
  if (key.size() != kAeadKeySize || sealed.size() < kAeadTagSize + kAeadNonceSize) {
    return std::nullopt;
  }
  ensure_sodium();
  const std::string_view boxed = sealed.substr(0, sealed.size() - kAeadNonceSize);
  const std::string_view nonce = sealed.substr(boxed.size());
  std::string out(boxed.size() - kAeadTagSize, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()),
                                                 &length, nullptr, bytes(boxed), boxed.size(),
                                                 bytes(additional_data), additional_data.size(),
                                                 bytes(nonce), bytes(key)) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

}  // namespace portcullis::crypto
