#pragma once
// The transport-independent request and response of the authentication endpoints: the proxy's
// listener fills a Request from the parsed HTTP message and writes the Response back, so the
// handlers neither parse HTTP nor touch sockets.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::authenticate {

struct Request {
  std::string method = "GET";
  std::string scheme = "https";        // of the URL the client used
  std::string host;                    // the Host (:authority) as sent, e.g. "app.example.com:8443"
  std::string path;                    // as received (percent-encoded), without the query
  std::string query;                   // as received (percent-encoded), without '?'
  std::string cookie;                  // every Cookie header, joined with "; "
  std::string authorization;           // Authorization
  std::string pomerium_authorization;  // X-Pomerium-Authorization
  std::string requested_with;          // X-Requested-With
  std::string content_type;            // for POST bodies
  std::string body;                    // application/x-www-form-urlencoded POST bodies only
  std::string client_ip;

  // scheme://host + path [+ '?' + query]: the URL whose signature is checked.
  std::string url() const;
  // The host without a port, lower-case.
  std::string hostname() const;
  // The value of a query parameter (decoded), or of a form field for form POSTs; the first one.
  std::optional<std::string> param(std::string_view name) const;
  std::optional<std::string> cookie_value(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers in order; Set-Cookie may repeat. Location for redirects.
  std::vector<std::pair<std::string, std::string>> headers;

  void add_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  std::optional<std::string> header(std::string_view name) const;
  std::vector<std::string> set_cookies() const;

  static Response redirect(std::string location, int status = 302);
};

// The first cookie called `name` in a Cookie header value, or nullopt.
std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name);

// The decoded value of the first `name` in an encoded query or form body ('+' is a space).
std::optional<std::string> find_query_param(std::string_view encoded_query, std::string_view name);

}  // namespace portcullis::authenticate
