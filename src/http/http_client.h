#pragma once
// HttpClient: small request/response exchanges with other services over HTTP/1.1 (identity
// providers' discovery, JWKS, token, userinfo and revocation endpoints). One connection per
// request, whole bodies in memory, bounded in size and time; redirects are returned, never
// followed. TLS verifies the peer against the system CAs plus an optional extra CA bundle and
// checks the host name; SNI is sent for names (not for IP literals).
//
// Threading: an HttpClient is immutable after construction and may be shared by coroutines on
// any number of io_contexts; each send() runs on the executor of the coroutine that awaits it.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/asio.h"

namespace portcullis::http {

struct HttpClientOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // whole exchange, DNS included
  std::size_t max_response_body = 1024 * 1024;
  std::size_t max_response_header = 64 * 1024;
  bool use_system_cas = true;
  std::string extra_ca_pem;  // added to the system CAs (config `certificate_authority`)
  std::string user_agent = "portcullis";
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  HeaderList headers;
  std::string body;  // sent with Content-Length when not empty (or when the method is POST)
};

// Encodes name/value pairs as application/x-www-form-urlencoded, as Go's url.QueryEscape does:
// A-Z a-z 0-9 - _ . ~ kept, space as '+', every other byte %XX.
std::string form_encode(const HeaderList& fields);
std::string form_escape(std::string_view text);

struct HttpClientResponse {
  int status = 0;
  HeaderList headers;  // as received, names in their original case
  std::string body;

  // The first header with this name (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

enum class HttpClientError {
  kNone,
  kBadUrl,    // not an absolute http(s) URL with a host
  kResolve,   // the name did not resolve
  kConnect,   // no address accepted the connection
  kTls,       // handshake failed (including certificate verification)
  kTimeout,   // the exchange took longer than the timeout
  kTooLarge,  // the response head or body exceeded its limit
  kProtocol,  // the response was not valid HTTP/1.1, or the connection broke
};

std::string_view to_string(HttpClientError error);

struct HttpClientResult {
  HttpClientError error = HttpClientError::kNone;
  std::string detail;  // a human-readable reason when error != kNone
  HttpClientResponse response;

  bool ok() const { return error == HttpClientError::kNone; }
};

class HttpClient {
 public:
  // Throws std::runtime_error when extra_ca_pem does not load or the system CAs cannot be read.
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const HttpClientOptions& options() const { return options_; }

  // Performs one exchange. Never throws for network or protocol problems; they are reported in
  // the result. Cancelling the awaiting coroutine's io_context abandons the exchange.
  awaitable<HttpClientResult> send(HttpClientRequest request) const;

 private:
  HttpClientOptions options_;
  std::shared_ptr<ssl::context> tls_;
};

}  // namespace portcullis::http
