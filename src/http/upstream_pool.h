#pragma once
// Keep-alive connections to upstream servers. One pool per worker thread: it is only ever used
// from its own io_context, so it takes no locks.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "http/asio.h"
#include "http/deadline.h"

namespace portcullis::http {

// Where to connect. `key` identifies connections that may be shared (scheme, host, port and TLS
// settings); the caller builds it once per upstream and keeps it in the config snapshot.
struct UpstreamTarget {
  std::string key;
  std::string host;
  std::uint16_t port = 0;
  std::shared_ptr<ssl::context> tls;  // null for plain HTTP
  std::string server_name;            // SNI and verified name for TLS
};

class UpstreamConnection {
 public:
  using Stream = std::variant<TcpStream, TlsStream>;

  UpstreamConnection(asio::io_context& io, DeadlineSweeper& sweeper, std::string key)
      : stream_(std::in_place_type<TcpStream>, io),
        deadline_(sweeper, socket()),
        key_(std::move(key)) {}

  Stream& stream() { return stream_; }
  Deadline& deadline() { return deadline_; }
  beast::flat_buffer& buffer() { return buffer_; }
  const std::string& key() const { return key_; }
  bool reused() const { return reused_; }
  TcpSocket& socket();

 private:
  friend class UpstreamPool;
  Stream stream_;
  Deadline deadline_;
  beast::flat_buffer buffer_;
  std::string key_;
  bool reused_ = false;
  std::chrono::steady_clock::time_point idle_since_;
};

enum class ConnectError { kNone, kResolve, kConnect, kTimeout, kTls };

struct AcquireResult {
  std::unique_ptr<UpstreamConnection> connection;
  ConnectError error = ConnectError::kNone;
  std::string detail;
};

class UpstreamPool {
 public:
  UpstreamPool(asio::io_context& io, DeadlineSweeper& sweeper)
      : io_(io), sweeper_(sweeper), resolver_(io) {}

  // An idle connection for `target` that is still alive, or null; never waits.
  std::unique_ptr<UpstreamConnection> take_idle(const UpstreamTarget& target);

  // An idle connection for `target` when one is alive, otherwise a new one.
  awaitable<AcquireResult> acquire(const UpstreamTarget& target,
                                   std::chrono::milliseconds connect_timeout,
                                   bool allow_reuse = true);

  // Returns a connection whose last exchange left it reusable.
  void release(std::unique_ptr<UpstreamConnection> connection);

  // Closes every idle connection (drain, shutdown).
  void clear();

  std::size_t idle_count() const;

 private:
  asio::io_context& io_;
  DeadlineSweeper& sweeper_;
  Resolver resolver_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace portcullis::http
