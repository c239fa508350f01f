#include "http/upstream_pool.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

namespace portcullis::http {
namespace {

constexpr std::size_t kMaxIdlePerKey = 256;
constexpr auto kMaxIdleAge = std::chrono::seconds(60);
// A connection idle for longer than this is checked before reuse for bytes its peer sent
// unasked (or a close). Under load a released connection is mostly taken again sooner, and the
// check, a system call, is skipped: an upstream that answers more than it was asked has only that
// moment to slip an answer in (bytes that came with the response are caught by the relay, which
// does not release such a connection).
constexpr auto kCheckAfterIdle = std::chrono::milliseconds(1);

// An idle keep-alive connection is usable only if the peer has neither closed it nor sent
// anything unsolicited.
bool looks_alive(TcpSocket& socket) {
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;  // closed by the peer
  if (n > 0) return false;   // unexpected bytes (or a TLS alert): don't reuse
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

TcpSocket& UpstreamConnection::socket() {
  if (auto* tls = std::get_if<TlsStream>(&stream_)) return tls->next_layer();
  return std::get<TcpStream>(stream_);
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(const UpstreamTarget& target) {
  auto it = idle_.find(target.key);
  if (it == idle_.end()) return nullptr;
  auto now = std::chrono::steady_clock::now();
  while (!it->second.empty()) {
    auto connection = std::move(it->second.back());
    it->second.pop_back();
    auto idle = now - connection->idle_since_;
    // A connection idle for a moment is checked for a close or unasked bytes from the peer; a
    // just-released one is taken as is (the caller retries a reused connection that fails before
    // any answer).
    if (idle < kMaxIdleAge && (idle < kCheckAfterIdle || looks_alive(connection->socket()))) {
      connection->reused_ = true;
      return connection;
    }
  }
  return nullptr;
}

awaitable<AcquireResult> UpstreamPool::acquire(const UpstreamTarget& target,
                                               std::chrono::milliseconds connect_timeout,
                                               bool allow_reuse) {
  if (allow_reuse) {
    if (auto connection = take_idle(target)) {
      AcquireResult reused;
      reused.connection = std::move(connection);
      co_return reused;
    }
  }

  AcquireResult result;
  error_code ec;
  Resolver::results_type endpoints;
  boost::system::error_code parse_error;
  auto literal = asio::ip::make_address(target.host, parse_error);
  if (!parse_error) {
    endpoints = Resolver::results_type::create(tcp::endpoint(literal, target.port), target.host,
                                               std::to_string(target.port));
  } else {
    std::tie(ec, endpoints) =
        co_await resolver_.async_resolve(target.host, std::to_string(target.port), kNoThrow);
    if (ec) {
      result.error = ConnectError::kResolve;
      result.detail = "resolve " + target.host + ": " + ec.message();
      co_return result;
    }
  }

  auto connection = std::make_unique<UpstreamConnection>(io_, sweeper_, target.key);
  auto& deadline = connection->deadline();
  deadline.expires_after(connect_timeout);
  auto& socket = std::get<TcpStream>(connection->stream());
  std::tie(ec, std::ignore) = co_await asio::async_connect(socket, endpoints, kNoThrow);
  if (ec) {
    result.error = deadline.timed_out(ec) ? ConnectError::kTimeout : ConnectError::kConnect;
    result.detail = "connect " + target.host + ":" + std::to_string(target.port) + ": " +
                    (deadline.timed_out(ec) ? std::string("timed out") : ec.message());
    co_return result;
  }
  socket.set_option(tcp::no_delay(true), ec);

  if (target.tls) {
    // Move the socket out before the variant's TCP alternative is destroyed by emplace.
    TcpStream plain(std::move(socket));
    connection->stream().emplace<TlsStream>(std::move(plain), *target.tls);
    auto& tls = std::get<TlsStream>(connection->stream());
    deadline.rebind(tls.next_layer());
    const std::string& name = target.server_name.empty() ? target.host : target.server_name;
    boost::system::error_code ip_check;
    asio::ip::make_address(name, ip_check);
    if (ip_check) SSL_set_tlsext_host_name(tls.native_handle(), name.c_str());
    if (SSL_get_verify_mode(tls.native_handle()) != SSL_VERIFY_NONE) {
      tls.set_verify_callback(ssl::host_name_verification(name));
    }
    std::tie(ec) = co_await tls.async_handshake(ssl::stream_base::client, kNoThrow);
    if (ec) {
      result.error = deadline.timed_out(ec) ? ConnectError::kTimeout : ConnectError::kTls;
      result.detail = "TLS handshake with " + name + ": " + ec.message();
      co_return result;
    }
  }
  deadline.expires_never();
  result.connection = std::move(connection);
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
