#pragma once
// The session handle (reference §4.2): what the `_pomerium` and `_pomerium_authenticate` cookies
// and `pomerium_jwt` hold. A compact JWS, HS256 with shared_secret, {"typ":"JWT"}, claims
// iss, sub (user id), aud (a string, or an array when several), iat, jti (session id), idp_id,
// databroker_server_version, databroker_record_version. No exp: validity is the session record's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::authenticate {

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

std::string encode_session_handle(const SessionHandle& handle, std::string_view shared_secret);

// nullopt unless the token verifies under `shared_secret` and names a session (jti).
std::optional<SessionHandle> decode_session_handle(std::string_view token,
                                                   std::string_view shared_secret);

// The raw handle a request carries outside cookies: "X-Pomerium-Authorization: <jwt>",
// "Authorization: Pomerium <jwt>" or "Authorization: Bearer Pomerium-<jwt>"; "" when none.
std::string handle_from_headers(std::string_view authorization,
                                std::string_view pomerium_authorization);

}  // namespace portcullis::authenticate
