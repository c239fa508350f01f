#pragma once
// Coarse I/O deadlines. Every socket of a worker carries a Deadline; one sweep timer per worker
// cancels the pending operations of sockets whose deadline has passed. Setting a deadline is a
// store, not a timer operation, so the request path pays no timer-queue or timerfd cost; the price
// is a granularity of one sweep interval (100 ms).

#include <time.h>

#include <chrono>
#include <vector>

#include "http/asio.h"

namespace portcullis::http {

class DeadlineSweeper;

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Registers with `sweeper` for the lifetime of this object; `socket` must outlive it.
  Deadline(DeadlineSweeper& sweeper, TcpSocket& socket);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // The monotonic clock at a few milliseconds' resolution: deadlines are set several times per
  // request and swept every 100 ms, so the cheap coarse clock is precise enough.
  static Clock::time_point coarse_now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return Clock::time_point(std::chrono::seconds(ts.tv_sec) +
                             std::chrono::nanoseconds(ts.tv_nsec));
  }

  // 0 means no deadline.
  void expires_after(std::chrono::milliseconds timeout) {
    at_ = timeout.count() > 0 ? coarse_now() + timeout : Clock::time_point::max();
    fired_ = false;
  }
  void expires_at(Clock::time_point at) {
    at_ = at;
    fired_ = false;
  }
  void expires_never() { expires_at(Clock::time_point::max()); }

  // True when the sweeper cancelled the socket's operations because the deadline passed.
  bool fired() const { return fired_; }
  // True when `ec` is the cancellation the sweeper caused.
  bool timed_out(const error_code& ec) const {
    return fired_ && ec == asio::error::operation_aborted;
  }

  // Moves the registration to another socket (a connection whose stream object changes).
  void rebind(TcpSocket& socket) { socket_ = &socket; }

 private:
  friend class DeadlineSweeper;
  DeadlineSweeper& sweeper_;
  TcpSocket* socket_;
  Clock::time_point at_ = Clock::time_point::max();
  bool fired_ = false;
  std::size_t slot_ = 0;  // position in the sweeper's list
};

class DeadlineSweeper {
 public:
  static constexpr auto kInterval = std::chrono::milliseconds(100);

  explicit DeadlineSweeper(asio::io_context& io) : timer_(io) {}

  // Runs the sweep loop until stop().
  awaitable<void> run();
  void stop();

  // Cancels the pending operations of every socket whose deadline has passed; again on every
  // sweep while it stays passed, so an operation started after the deadline is cut as well.
  void sweep(Deadline::Clock::time_point now);
  std::size_t size() const { return deadlines_.size(); }

  // From now on every deadline counts as passed: each socket's operations are cancelled on each
  // sweep until its owner closes it (the end of a drain that ran out of time).
  void expire_all();

 private:
  friend class Deadline;
  void add(Deadline* deadline);
  void remove(Deadline* deadline);

  SteadyTimer timer_;
  bool stopped_ = false;
  bool expire_all_ = false;
  std::vector<Deadline*> deadlines_;
};

}  // namespace portcullis::http
