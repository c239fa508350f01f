#include "http/simple_server.h"

#include "http/listener.h"

namespace portcullis::http {

namespace {
constexpr auto kReadTimeout = std::chrono::seconds(30);
}

SimpleServer::SimpleServer(asio::io_context& io, const tcp::endpoint& endpoint,
                           SimpleHandler handler)
    : io_(io), acceptor_(open_acceptor(io, endpoint, false)), handler_(std::move(handler)) {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void SimpleServer::close() {
  error_code ignored;
  acceptor_.close(ignored);
}

awaitable<void> SimpleServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) {
      if (!acceptor_.is_open()) co_return;
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> SimpleServer::serve(TcpSocket socket) {
  beast::basic_stream<tcp, Executor> stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    stream.expires_after(kReadTimeout);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    if (ec) break;
    const auto& req = parser.get();
    SimpleRequest request{std::string(req.method_string()), std::string(req.target()),
                          std::string(req[bhttp::field::host])};
    SimpleResponse response = handler_ ? handler_(request) : SimpleResponse{404, "", "", {}};
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status),
                                            req.version()};
    res.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res.set(name, value);
    res.body() = std::move(response.body);
    res.keep_alive(req.keep_alive() && acceptor_.is_open());
    res.prepare_payload();
    bool keep = res.keep_alive();
    if (req.method() == bhttp::verb::head) {
      bhttp::response_serializer<bhttp::string_body> sr{res};
      std::tie(ec, n) = co_await bhttp::async_write_header(stream, sr, kNoThrow);
    } else {
      std::tie(ec, n) = co_await bhttp::async_write(stream, res, kNoThrow);
    }
    if (ec || !keep) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace portcullis::http
