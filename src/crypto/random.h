#pragma once
// Cryptographically secure random values (OpenSSL's DRBG).

#include <cstddef>
#include <string>

namespace portcullis::crypto {

// `count` random bytes. Throws std::runtime_error if the generator fails (it does not in practice;
// continuing with predictable bytes would be worse).
std::string random_bytes(std::size_t count);

// A random RFC 4122 version 4 UUID in lower-case text form, e.g. for JWT "jti" claims.
std::string random_uuid();

// 32 random bytes as unpadded base64url: an opaque identifier (session ids, CSRF tokens).
std::string random_id();

}  // namespace portcullis::crypto
