#pragma once
// The documents served on every host under /.well-known/pomerium (internal/handlers):
//   /.well-known/pomerium           {issuer, authentication_callback_endpoint, jwks_uri,
//                                    frontchannel_logout_uri}, CORS allow-all
//   /.well-known/pomerium/jwks.json {"keys":[...]}, Cache-Control: max-age=60, ETag, CORS
// A request with a matching If-None-Match gets 304.

#include <optional>
#include <string_view>

#include "authorize/identity_jwt.h"
#include "authorize/reply.h"

namespace portcullis::authorize {

inline constexpr std::string_view kWellKnownPath = "/.well-known/pomerium";
inline constexpr std::string_view kJwksPath = "/.well-known/pomerium/jwks.json";

struct WellKnownRequest {
  std::string_view method;
  std::string_view path;           // normalised, without the query
  std::string_view scheme;         // of the URL the client used ("https" behind TLS)
  std::string_view host;           // Host as sent, port included
  std::string_view if_none_match;  // the header, "" when absent
  bool cors_preflight = false;     // OPTIONS with Origin and Access-Control-Request-Method
};

// The reply for a /.well-known/pomerium path, nullopt for any other path.
std::optional<Reply> well_known_reply(const WellKnownRequest& request,
                                      std::string_view authenticate_service_url,
                                      const IdentitySigner& signer);

}  // namespace portcullis::authorize
