#pragma once
// Session handles (DESIGN.md §5): the `_pomerium` cookie or one of the authorization headers
// carries a compact JWS, HS256 over shared_secret, whose `jti` names the session record and `sub`
// its user. The session itself lives in the databroker. Handles are checked with HMAC only, never
// with public-key cryptography, and a verified handle is remembered per worker by its bytes.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/session_handle.h"
#include "policy/input.h"

namespace portcullis::authorize {

enum class HandleSource {
  kNone,
  kCookie,                 // the cookie_name cookie
  kPomeriumAuthorization,  // X-Pomerium-Authorization: <jwt>
  kAuthorizationPomerium,  // Authorization: Pomerium <jwt>
  kAuthorizationBearer,    // Authorization: Bearer Pomerium-<jwt>
};

struct HandleToken {
  std::string_view token;  // empty when the request carries none
  HandleSource source = HandleSource::kNone;
};

// The request's handle token, unverified: the cookie first, then the headers in the order above.
// Header names are matched case-insensitively; an empty value counts as absent.
HandleToken find_handle_token(std::span<const policy::HeaderView> headers,
                              std::string_view cookie_name);

// What a verified handle says (the codec is shared with the authenticate side).
using crypto::SessionHandle;

// The handle in `token` when it is an HS256 JWS under `key` with a non-empty string `jti`
// (and `sub`, when present, a string); nullopt for anything forged, truncated or malformed.
inline std::optional<SessionHandle> verify_session_handle(std::string_view token,
                                                          std::string_view key) {
  return crypto::decode_session_handle(token, key);
}

// Verified handles of one worker thread, keyed by the token bytes: a direct-mapped table of
// `slots` entries (a collision replaces the older entry). Only successful verifications are
// kept, so a forged token is re-checked each time and never displaces anything it could forge.
// Not thread-safe.
class HandleCache {
 public:
  explicit HandleCache(std::size_t slots = 1024);

  // The handle of `token` under `key`, from the cache or verified now; null when not valid.
  // The pointer stays valid until the next call.
  const SessionHandle* verify(std::string_view token, std::string_view key);

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  struct Slot {
    std::string token;
    SessionHandle handle;
    bool used = false;
  };
  std::vector<Slot> slots_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace portcullis::authorize
