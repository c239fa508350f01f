#pragma once
// The thin adapter between the listener and the sign-in endpoints (authenticate::SignInFlow):
// a parsed request head becomes an authenticate::Request, an authenticate::Response becomes a
// LocalReply that send_local writes (repeated Set-Cookie headers kept in order).

#include <string_view>

#include "authenticate/exchange.h"
#include "http/asio.h"
#include "proxy/local_reply.h"

namespace portcullis::proxy {

// Form bodies the sign-in endpoints read are small; a longer body is refused with 413.
inline constexpr std::size_t kMaxSignInBody = 64 * 1024;

// True for paths the sign-in endpoints may serve on any host: a cheap prefix check that keeps
// ordinary requests off the adapter.
inline bool is_pomerium_path(std::string_view path) {
  return path.starts_with("/.pomerium/");
}

// `host` case-insensitively equal to `authenticate_host` (both host[:port]).
bool same_host(std::string_view host, std::string_view authenticate_host);

// The request as the sign-in endpoints see it; `query` is the raw query with or without '?'.
// The body is left empty (the caller reads it when there is one).
authenticate::Request make_sign_in_request(const http::bhttp::fields& fields,
                                           std::string_view method, std::string_view scheme,
                                           std::string_view host, std::string_view path,
                                           std::string_view query, std::string_view client_ip);

LocalReply to_local_reply(authenticate::Response&& response);

}  // namespace portcullis::proxy
