#pragma once
// Responses Portcullis makes itself: error pages, health answers, a route's `response` and
// `redirect` actions.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "authorize/reply.h"
#include "config/config.h"

namespace portcullis::proxy {

struct LocalReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string location;                                      // for redirects
  std::vector<std::pair<std::string, std::string>> headers;  // further response headers
};

// A small page for an error status. JSON ({"error","request_id"}) when the client prefers it.
// Marked as a Portcullis-generated response (x-pomerium-intercepted-response: true).
LocalReply error_reply(int status, std::string_view detail, std::string_view request_id,
                       std::string_view accept);

// A response made by the authorize service.
LocalReply to_local_reply(authorize::Reply&& reply);

std::string_view reason_phrase(int status);

// True when an Accept header ranks application/json before text/html.
using authorize::prefers_json;

struct RequestUrl {
  std::string_view scheme;  // of the listener
  std::string_view host;    // Host header, may carry a port
  std::string_view path;    // normalised
  std::string_view query;   // with '?', or empty
};

// The Location of a route's redirect action (Envoy RedirectAction semantics).
std::string redirect_location(const config::Route& route, const RequestUrl& url);

// Applies prefix_rewrite / regex_rewrite of `route` to `path` (normalised, without query).
std::string rewrite_path(const config::Route& route, std::string_view path);

}  // namespace portcullis::proxy
