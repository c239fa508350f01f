#pragma once
// The token every databroker gRPC call carries in metadata "jwt" (DESIGN.md §5): an HS256 JWT
// signed with the raw shared secret whose claims are exactly {"exp": <NumericDate>}. This is a
// policy on top of jws.h; both ends of the databroker connection use it.

#include <chrono>
#include <string>
#include <string_view>

namespace portcullis::crypto {

// Pomerium signs these for now + 1 hour; a token may be reused until shortly before then.
inline constexpr std::chrono::seconds kDatabrokerTokenLifetime = std::chrono::hours(1);
// Clock skew tolerated between instances when checking "exp".
inline constexpr std::chrono::seconds kDatabrokerTokenLeeway = std::chrono::minutes(1);

// `shared_secret` is the decoded secret (32 bytes), not its base64 text.
std::string make_databroker_token(std::string_view shared_secret,
                                  std::chrono::system_clock::time_point now);

// True only for an HS256 token signed with `shared_secret` whose claims object has exactly one
// member, a numeric "exp" that (with kDatabrokerTokenLeeway) has not passed.
bool verify_databroker_token(std::string_view token, std::string_view shared_secret,
                             std::chrono::system_clock::time_point now);

}  // namespace portcullis::crypto
