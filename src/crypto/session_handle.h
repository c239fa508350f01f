#pragma once
// The session handle (DESIGN.md §5, reference §4.2): what the `_pomerium` and
// `_pomerium_authenticate` cookies, `pomerium_jwt` and the authorization headers carry. A compact
// JWS, HS256 with shared_secret, {"typ":"JWT"}, claims iss, sub (user id), aud (a string, or an
// array when several), iat, jti (session id), idp_id, databroker_server_version and
// databroker_record_version (numbers). No exp: validity is the session record's. The session
// itself lives in the databroker. One codec for the authenticate side (which writes handles) and
// the authorize side (which reads them on every request).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::crypto {

struct SessionHandle {
  std::string issuer;
  std::string user_id;  // sub
  std::vector<std::string> audience;
  std::int64_t issued_at = 0;
  std::string session_id;  // jti
  std::string idp_id;
  std::uint64_t databroker_server_version = 0;
  std::uint64_t databroker_record_version = 0;

  bool has_audience(std::string_view host) const;
};

std::string encode_session_handle(const SessionHandle& handle, std::string_view key);

// nullopt unless `token` is an HS256 JWS under `key` (not empty) whose jti is a non-empty string
// and whose sub, when present, is a string: anything forged, truncated or malformed is refused.
std::optional<SessionHandle> decode_session_handle(std::string_view token, std::string_view key);

// A handle in an Authorization header value: "Pomerium <jwt>" or "Bearer Pomerium-<jwt>".
struct AuthorizationHandle {
  std::string_view token;  // empty when the value carries none
  bool bearer = false;     // the "Bearer Pomerium-" form
};
AuthorizationHandle handle_from_authorization(std::string_view authorization);

}  // namespace portcullis::crypto
