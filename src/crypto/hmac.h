#pragma once
// Hashes, HMACs and HKDF over byte strings (std::string holds raw bytes throughout src/crypto).
// All of them are computed by OpenSSL.

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::crypto {

inline constexpr std::size_t kSha256Size = 32;

std::string sha256(std::string_view data);

std::string hmac_sha256(std::string_view key, std::string_view data);

// HMAC over SHA-512/256 (FIPS 180-4: SHA-512 with its own initial values, truncated to 32 bytes).
// Pomerium's cryptutil.GenerateHMAC uses it for signed URLs. It is not SHA-512 cut to 32 bytes.
std::string hmac_sha512_256(std::string_view key, std::string_view data);

// Compares in time that depends only on the lengths, for MACs and other secret-derived values.
// Different lengths compare unequal (lengths are public).
bool constant_time_equal(std::string_view a, std::string_view b);

// RFC 5869 HKDF with SHA-256, extract then expand. An empty salt means the RFC's default
// (hash-length zeros), which is also what Go's hkdf.New does with a nil salt. `length` must be at
// most 255 * 32 bytes; larger is a programming error and throws std::invalid_argument.
std::string hkdf_sha256(std::string_view secret, std::string_view salt, std::string_view info,
                        std::size_t length);

}  // namespace portcullis::crypto
