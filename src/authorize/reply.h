#pragma once
// Responses the authorize service makes itself: the sign-in redirect, 401/403/404/495/503 error
// pages (HTML or JSON), and the /.well-known/pomerium documents. Plain data; the proxy writes
// them. Error pages and redirects carry `x-pomerium-intercepted-response: true`, as Pomerium's.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/decision.h"

namespace portcullis::authorize {

struct Reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string location;                                      // for redirects
  std::vector<std::pair<std::string, std::string>> headers;  // further response headers
};

inline constexpr std::string_view kInterceptedHeader = "x-pomerium-intercepted-response";
inline constexpr int kStatusUnavailable = 503;

// The reasons a decision shows the user: the deny reasons when deny won, else the allow
// reasons (why nothing allowed).
policy::ReasonSet shown_reasons(const policy::Decision& decision);

// A human-readable sentence for a reason ("the request method is not allowed").
std::string_view describe(policy::Reason reason);

// True when the Accept header ranks application/json before text/html (or names no text/html).
bool prefers_json(std::string_view accept);

struct ErrorDetails {
  int status = 403;
  policy::ReasonSet reasons;  // shown as a list
  std::string_view message;   // a sentence above the list ("" for the status' own)
  std::string_view request_id;
  bool json = false;  // {"error", "request_id"} instead of a page
};

// An error page (HTML, everything escaped) or JSON body for a denied request.
Reply error_reply(const ErrorDetails& details);

// A 302 to `location`.
Reply redirect_reply(std::string location);

std::string_view status_text(int status);

void append_html_escaped(std::string& out, std::string_view text);

}  // namespace portcullis::authorize
