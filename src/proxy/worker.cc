#include "proxy/worker.h"

#include "http/listener.h"
#include "telemetry/log.h"

namespace portcullis::proxy {

using namespace portcullis::http;

namespace {
constexpr std::size_t kAccessLogFlushBytes = 32 * 1024;
constexpr auto kAccessLogFlushInterval = std::chrono::milliseconds(200);
}  // namespace

Worker::Worker(std::size_t id, telemetry::MetricsRegistry& metrics,
               std::shared_ptr<const Snapshot> snapshot)
    : id_(id), metrics_(metrics), snapshot_(std::move(snapshot)), rng_(std::random_device{}()) {
  access_log_.reserve(kAccessLogFlushBytes * 2);
}

Worker::~Worker() {
  flush_access_log();
}

void Worker::listen(const tcp::endpoint& endpoint, bool tls) {
  acceptors_.push_back(std::make_unique<Acceptor>(open_acceptor(io_, endpoint, true)));
  asio::co_spawn(io_, accept_loop(*acceptors_.back(), tls), asio::detached);
}

void Worker::run() {
  asio::co_spawn(io_, flush_loop(), asio::detached);
  asio::co_spawn(io_, sweeper_.run(), asio::detached);
  io_.run();
  flush_access_log();
}

awaitable<void> Worker::accept_loop(Acceptor& acceptor, bool tls) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of descriptors or a connection reset before accept: keep serving.
      telemetry::log_warn("accept failed", {{"error", ec.message()}});
      SteadyTimer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    asio::co_spawn(io_, serve_connection(*this, std::move(socket), tls), asio::detached);
  }
}

awaitable<void> Worker::flush_loop() {
  while (!draining_) {
    flush_timer_.expires_after(kAccessLogFlushInterval);
    co_await flush_timer_.async_wait(kNoThrow);
    flush_access_log();
  }
}

void Worker::update_snapshot(std::shared_ptr<const Snapshot> snapshot) {
  asio::post(io_, [this, snapshot = std::move(snapshot)]() mutable {
    snapshot_ = std::move(snapshot);
    // Pooled connections were made under the old upstream settings; new ones pick up the new.
    pool_.clear();
  });
}

void Worker::begin_drain() {
  asio::post(io_, [this] {
    draining_ = true;
    for (auto& acceptor : acceptors_) {
      error_code ignored;
      acceptor->close(ignored);
    }
    flush_timer_.cancel();
    pool_.clear();
    // The sweeper keeps the loop alive; it stops once the last connection has closed.
    if (connections_.empty()) sweeper_.stop();
    for (auto& entry : connections_) {
      if (entry.idle) {
        error_code ignored;
        entry.socket->shutdown(tcp::socket::shutdown_both, ignored);
        entry.socket->cancel(ignored);
      }
    }
  });
}

void Worker::force_close() {
  asio::post(io_, [this] {
    for (auto& entry : connections_) {
      error_code ignored;
      entry.socket->shutdown(tcp::socket::shutdown_both, ignored);
    }
    sweeper_.expire_all();
    if (connections_.empty()) sweeper_.stop();
  });
}

void Worker::access_log(std::string_view line) {
  access_log_.append(line);
  if (access_log_.size() >= kAccessLogFlushBytes || draining_) flush_access_log();
}

void Worker::flush_access_log() {
  if (access_log_.empty()) return;
  telemetry::write_log_lines(access_log_);
  access_log_.clear();
}

std::list<Worker::ConnectionEntry>::iterator Worker::connection_opened(TcpSocket* socket) {
  metrics_.connection_opened();
  return connections_.insert(connections_.end(), ConnectionEntry{socket, true});
}

void Worker::connection_closed(std::list<ConnectionEntry>::iterator entry) {
  metrics_.connection_closed();
  connections_.erase(entry);
  if (draining_ && connections_.empty()) sweeper_.stop();
}

Worker::BufferLease::BufferLease(Worker& worker) : worker_(worker) {
  if (!worker.free_buffers_.empty()) {
    buffer_ = std::move(worker.free_buffers_.back());
    worker.free_buffers_.pop_back();
  } else {
    buffer_.reset(new char[kBufferSize]);  // uninitialised on purpose: it is always written first
  }
}

Worker::BufferLease::~BufferLease() {
  constexpr std::size_t kMaxFreeBuffers = 256;
  if (worker_.free_buffers_.size() < kMaxFreeBuffers) {
    worker_.free_buffers_.push_back(std::move(buffer_));
  }
}

}  // namespace portcullis::proxy
