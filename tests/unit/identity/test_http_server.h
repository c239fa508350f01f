#pragma once
// Test support: a small HTTP/1.1 server (optionally TLS) on 127.0.0.1 running on its own thread,
// answering each request with a handler, and private keys made on the spot.

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "crypto/signing_key.h"
#include "http/asio.h"
#include "http/listener.h"

namespace portcullis::testing {

namespace asio = boost::asio;
using http::awaitable;
namespace bhttp = boost::beast::http;

struct TestRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct TestResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool hang = false;  // never answer (timeout tests)
};

class TestHttpServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  explicit TestHttpServer(Handler handler, std::shared_ptr<http::ssl::context> tls = nullptr)
      : handler_(std::move(handler)),
        tls_(std::move(tls)),
        acceptor_(http::open_acceptor(
            io_, http::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), false)) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestHttpServer() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(std::string_view host = "127.0.0.1") const {
    return std::string(tls_ ? "https://" : "http://") + std::string(host) + ":" +
           std::to_string(port());
  }
  int requests() const { return requests_.load(); }

 private:
  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(http::kNoThrow);
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  template <class Stream>
  awaitable<void> exchange(Stream& stream) {
    http::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, http::kNoThrow);
    if (ec) co_return;
    ++requests_;
    TestRequest request{
        std::string(req.method_string()), std::string(req.target()), {}, req.body()};
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    TestResponse response = handler_(request);
    if (response.hang) {
      http::SteadyTimer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::seconds(30));
      co_await timer.async_wait(http::kNoThrow);
      co_return;
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), 11};
    res.set(bhttp::field::content_type, response.content_type);
    res.body() = response.body;
    res.keep_alive(false);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, http::kNoThrow);
  }

  awaitable<void> serve(http::TcpSocket socket) {
    if (!tls_) {
      co_await exchange(socket);
      http::error_code ignored;
      socket.shutdown(http::tcp::socket::shutdown_both, ignored);
      co_return;
    }
    http::TlsStream stream(std::move(socket), *tls_);
    auto [ec] = co_await stream.async_handshake(http::ssl::stream_base::server, http::kNoThrow);
    if (ec) co_return;
    co_await exchange(stream);
    http::error_code ignored;
    stream.next_layer().close(ignored);
  }

  Handler handler_;
  std::shared_ptr<http::ssl::context> tls_;
  asio::io_context io_;
  http::Acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> requests_{0};
};

// A new private key as PKCS#8 PEM: "EC" (P-256) or "RSA" (2048 bits).
inline std::string generate_private_key_pem(const char* type) {
  EVP_PKEY* key = std::string_view(type) == "RSA" ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

inline crypto::SigningKey generate_signing_key(const char* type) {
  return *crypto::SigningKey::from_pem(generate_private_key_pem(type));
}

// Runs a coroutine to completion on a fresh io_context and returns its result.
template <class T>
T run_coroutine(awaitable<T> op) {
  asio::io_context io;
  std::optional<T> result;
  asio::co_spawn(
      io, [&]() -> awaitable<void> { result.emplace(co_await std::move(op)); }, asio::detached);
  io.run();
  return std::move(*result);
}

}  // namespace portcullis::testing
