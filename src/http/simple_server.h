#pragma once
// A small HTTP/1.1 server for the side listeners (health, metrics, HTTP→HTTPS redirect): small
// requests, whole-body responses, keep-alive. Never used for proxied traffic.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/asio.h"

namespace portcullis::http {

struct SimpleResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct SimpleRequest {
  std::string method;
  std::string target;
  std::string host;
};

using SimpleHandler = std::function<SimpleResponse(const SimpleRequest&)>;

class SimpleServer {
 public:
  // Binds now (throws boost::system::system_error on failure); serves once io runs.
  SimpleServer(asio::io_context& io, const tcp::endpoint& endpoint, SimpleHandler handler);
  void close();
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(TcpSocket socket);

  asio::io_context& io_;
  Acceptor acceptor_;
  SimpleHandler handler_;
};

}  // namespace portcullis::http
