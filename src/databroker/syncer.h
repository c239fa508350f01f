#pragma once
// Syncer: keeps one Replica current from a DataBroker on its own thread. It loads everything with
// SyncLatest, then follows Sync from the loaded version; on ABORTED (the server was cleared or
// replaced, or the change log no longer reaches back far enough) it loads everything again, and on
// any other error it retries after an exponential backoff with jitter, capped. After an error it
// first catches up with a Sync that does not wait (proof the server answers again) before
// following changes again.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "databroker/client.h"
#include "databroker/replica.h"

namespace portcullis::databroker {

struct SyncerOptions {
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(10)};
};

class Syncer {
 public:
  // `broker` and `replica` must outlive the syncer.
  Syncer(DataBroker& broker, ReplicaBase& replica, SyncerOptions options = {});
  ~Syncer();  // stops

  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  void start();
  // Cancels the stream in flight and joins the thread. Idempotent.
  void stop();

  // Failed attempts (SyncLatest or Sync ending with an error other than ABORTED) so far.
  uint64_t failures() const { return failures_.load(); }
  // Full loads so far (the first one and every restart after ABORTED).
  uint64_t loads() const { return loads_.load(); }
  // True while the replica is being kept current: it has been loaded at least once and the last
  // call to the databroker succeeded (a full load, or a catch-up Sync after an error). False
  // before the first load and from any error (other than ABORTED) until the server answers again.
  // One relaxed atomic load: cheap enough for the request path.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

 private:
  void run(std::stop_token stop);
  // Sleeps for `delay` unless stopped first; returns false when stopped.
  bool sleep(std::chrono::milliseconds delay, std::stop_token stop);

  DataBroker& broker_;
  ReplicaBase& replica_;
  const SyncerOptions options_;
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> loads_{0};
  std::atomic<bool> healthy_{false};
  std::mutex sleep_mutex_;  // only for the interruptible backoff sleep
  std::condition_variable_any sleep_wake_;
  std::jthread thread_;
};

// Exponential backoff with "equal jitter": each delay is uniformly random in [d/2, d], d doubling
// from `initial` up to `max`.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);
  std::chrono::milliseconds next();
  void reset() { current_ = initial_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
  uint64_t seed_;
};

}  // namespace portcullis::databroker
