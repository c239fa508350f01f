#pragma once
// Worker: one thread, one io_context, its own acceptors (SO_REUSEPORT), its own upstream pool and
// its own copy of the current snapshot pointer. Nothing here is touched by another thread except
// through post(): reloads and drain are posted onto the worker's loop.

#include <list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "http/asio.h"
#include "http/deadline.h"
#include "http/upstream_pool.h"
#include "proxy/snapshot.h"
#include "telemetry/metrics.h"

namespace portcullis::proxy {

class Worker {
 public:
  Worker(std::size_t id, telemetry::MetricsRegistry& metrics,
         std::shared_ptr<const Snapshot> snapshot);
  ~Worker();

  std::size_t id() const { return id_; }
  http::asio::io_context& io() { return io_; }
  http::UpstreamPool& pool() { return pool_; }
  http::DeadlineSweeper& sweeper() { return sweeper_; }
  telemetry::MetricsRegistry& metrics() { return metrics_; }
  std::mt19937_64& rng() { return rng_; }
  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  bool draining() const { return draining_; }

  // Opens this worker's acceptor on `endpoint` (call before run()). `tls`: the listener speaks
  // TLS with the snapshot's certificates.
  void listen(const http::tcp::endpoint& endpoint, bool tls);

  // Runs the loop until drained; called on the worker's own thread.
  void run();

  // Thread-safe: posted onto the loop.
  void update_snapshot(std::shared_ptr<const Snapshot> snapshot);
  void begin_drain();
  // The end of a drain that ran out of time: cancels every socket's operations (downstream and
  // upstream) so that each exchange ends and the loop returns.
  void force_close();

  // Body relay buffers: reused per worker so that the request path neither allocates nor zeroes
  // them. A lease returns its buffer to the worker when it goes out of scope.
  static constexpr std::size_t kBufferSize = 64 * 1024;
  class BufferLease {
   public:
    explicit BufferLease(Worker& worker);
    ~BufferLease();
    BufferLease(const BufferLease&) = delete;
    BufferLease& operator=(const BufferLease&) = delete;
    char* data() { return buffer_.get(); }
    std::size_t size() const { return kBufferSize; }

   private:
    Worker& worker_;
    std::unique_ptr<char[]> buffer_;
  };

  // Access-log lines are batched per worker and written whole.
  void access_log(std::string_view line);

  // Connection bookkeeping for drain (only from the worker's thread).
  struct ConnectionEntry {
    http::TcpSocket* socket = nullptr;
    bool idle = true;
  };
  std::list<ConnectionEntry>::iterator connection_opened(http::TcpSocket* socket);
  void connection_closed(std::list<ConnectionEntry>::iterator entry);

 private:
  http::awaitable<void> accept_loop(http::Acceptor& acceptor, bool tls);
  http::awaitable<void> flush_loop();
  void flush_access_log();

  std::size_t id_;
  telemetry::MetricsRegistry& metrics_;
  // Sockets are only ever touched from this thread (other threads post()), so the reactor's
  // per-descriptor locking is switched off.
  http::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  http::DeadlineSweeper sweeper_{io_};
  http::UpstreamPool pool_{io_, sweeper_};
  std::shared_ptr<const Snapshot> snapshot_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<http::Acceptor>> acceptors_;
  std::list<ConnectionEntry> connections_;
  std::vector<std::unique_ptr<char[]>> free_buffers_;
  std::string access_log_;
  http::SteadyTimer flush_timer_{io_};
  bool draining_ = false;
};

// Serves one accepted downstream connection until it closes (defined in connection.cc).
http::awaitable<void> serve_connection(Worker& worker, http::TcpSocket socket, bool tls);

}  // namespace portcullis::proxy
