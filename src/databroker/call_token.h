#pragma once
// The `jwt` metadata that authenticates every databroker call: an HS256 JWT over the shared
// secret whose only claim is `exp` (the token format itself lives in crypto/service_token.h).

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

namespace portcullis::databroker {

// The metadata key of the call token.
inline constexpr std::string_view kCallTokenMetadataKey = "jwt";

// Hands out the token to attach to outgoing calls, signing a new one only when the cached one is
// close to expiring. Thread-safe (a mutex held for a string copy, or for one signature).
class CallTokenSigner {
 public:
  // `secret`: the decoded shared secret bytes.
  explicit CallTokenSigner(std::string secret) : secret_(std::move(secret)) {}

  std::string token();

 private:
  const std::string secret_;
  std::mutex mutex_;
  std::string token_;                            // guarded by mutex_
  std::chrono::system_clock::time_point renew_;  // when token_ is to be replaced; mutex_
};

// True when `token` is a valid call token for `secret` now: HS256 signature, `exp` in the
// future, no other claim.
bool verify_call_token(std::string_view token, std::string_view secret);

}  // namespace portcullis::databroker
