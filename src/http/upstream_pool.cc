#include "http/upstream_pool.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

namespace portcullis::http {
namespace {

constexpr std::size_t kMaxIdlePerKey = 256;
constexpr auto kMaxIdleAge = std::chrono::seconds(60);
constexpr auto kCheckAfterIdle = std::chrono::milliseconds(500);

// An idle keep-alive connection is usable only if the peer has neither closed it nor sent
// anything unsolicited.
bool looks_alive(tcp::socket& socket) {
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;  // closed by the peer
  if (n > 0) return false;   // unexpected bytes (or a TLS alert): don't reuse
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

tcp::socket& UpstreamConnection::socket() {
  if (auto* tls = std::get_if<TlsStream>(&stream_)) return beast::get_lowest_layer(*tls).socket();
  return std::get<TcpStream>(stream_).socket();
}

awaitable<AcquireResult> UpstreamPool::acquire(const UpstreamTarget& target,
                                               std::chrono::milliseconds connect_timeout,
                                               bool allow_reuse) {
  if (allow_reuse) {
    auto it = idle_.find(target.key);
    if (it != idle_.end()) {
      auto now = std::chrono::steady_clock::now();
      while (!it->second.empty()) {
        auto connection = std::move(it->second.back());
        it->second.pop_back();
        auto idle = now - connection->idle_since_;
        // A connection idle for a moment is checked for a close by the peer; a just-released one
        // is taken as is (the caller retries a reused connection that fails before any answer).
        if (idle < kMaxIdleAge && (idle < kCheckAfterIdle || looks_alive(connection->socket()))) {
          connection->reused_ = true;
          AcquireResult reused;
          reused.connection = std::move(connection);
          co_return reused;
        }
      }
    }
  }

  AcquireResult result;
  error_code ec;
  tcp::resolver::results_type endpoints;
  boost::system::error_code parse_error;
  auto literal = asio::ip::make_address(target.host, parse_error);
  if (!parse_error) {
    endpoints = tcp::resolver::results_type::create(tcp::endpoint(literal, target.port),
                                                    target.host, std::to_string(target.port));
  } else {
    std::tie(ec, endpoints) =
        co_await resolver_.async_resolve(target.host, std::to_string(target.port), kNoThrow);
    if (ec) {
      result.error = ConnectError::kResolve;
      result.detail = "resolve " + target.host + ": " + ec.message();
      co_return result;
    }
  }

  TcpStream tcp_stream(io_);
  tcp_stream.expires_after(connect_timeout);
  std::tie(ec, std::ignore) = co_await tcp_stream.async_connect(endpoints, kNoThrow);
  if (ec) {
    result.error = ec == beast::error::timeout ? ConnectError::kTimeout : ConnectError::kConnect;
    result.detail =
        "connect " + target.host + ":" + std::to_string(target.port) + ": " + ec.message();
    co_return result;
  }
  tcp_stream.socket().set_option(tcp::no_delay(true));

  if (!target.tls) {
    tcp_stream.expires_never();
    result.connection = std::make_unique<UpstreamConnection>(std::move(tcp_stream), target.key);
    co_return result;
  }

  TlsStream tls_stream(std::move(tcp_stream), *target.tls);
  const std::string& name = target.server_name.empty() ? target.host : target.server_name;
  boost::system::error_code ip_check;
  asio::ip::make_address(name, ip_check);
  if (ip_check) SSL_set_tlsext_host_name(tls_stream.native_handle(), name.c_str());
  if (SSL_get_verify_mode(tls_stream.native_handle()) != SSL_VERIFY_NONE) {
    tls_stream.set_verify_callback(ssl::host_name_verification(name));
  }
  std::tie(ec) = co_await tls_stream.async_handshake(ssl::stream_base::client, kNoThrow);
  if (ec) {
    result.error = ec == beast::error::timeout ? ConnectError::kTimeout : ConnectError::kTls;
    result.detail = "TLS handshake with " + name + ": " + ec.message();
    co_return result;
  }
  beast::get_lowest_layer(tls_stream).expires_never();
  result.connection = std::make_unique<UpstreamConnection>(std::move(tls_stream), target.key);
  co_return result;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  auto& idle = idle_[connection->key()];
  if (idle.size() >= kMaxIdlePerKey) return;  // closes it
  connection->buffer_.clear();
  connection->idle_since_ = std::chrono::steady_clock::now();
  idle.push_back(std::move(connection));
}

void UpstreamPool::clear() {
  idle_.clear();
}

std::size_t UpstreamPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace portcullis::http
