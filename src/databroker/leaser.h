#pragma once
// Leaser: runs a task only while this process holds a named databroker lease, so that work like
// the identity manager happens on one instance cluster-wide. It acquires the lease (retrying with
// backoff while another instance holds it), renews it every ttl/2, cancels the task as soon as a
// renewal fails or the lease is lost, and releases the lease when the task ends or on stop().
//
// Threading: one control thread per leaser; the task runs on a thread of its own, started anew
// for each tenure, and must return promptly once its stop_token is triggered.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "databroker/client.h"

namespace portcullis::databroker {

struct LeaserOptions {
  std::chrono::milliseconds ttl{std::chrono::seconds(30)};
  // Retries (lease held elsewhere, errors, a task that ended) back off from this, capped at ttl/2.
  std::chrono::milliseconds initial_backoff{100};
};

class Leaser {
 public:
  using Task = std::function<void(std::stop_token)>;

  // `broker` must outlive the leaser.
  Leaser(DataBroker& broker, std::string name, Task task, LeaserOptions options = {});
  ~Leaser();  // stops

  Leaser(const Leaser&) = delete;
  Leaser& operator=(const Leaser&) = delete;

  void start();
  // Cancels the task, waits for it and releases the lease. Idempotent.
  void stop();

  // Whether the lease is held right now (the task runs only while it is).
  bool holding() const { return holding_.load(); }
  // How many times the task was started.
  uint64_t tenures() const { return tenures_.load(); }

 private:
  void run(std::stop_token stop);
  // Holds the lease `id` while the task runs; returns whether the lease is still ours at the end
  // (so that it should be released).
  bool hold(const std::string& id, std::stop_token stop);
  bool sleep(std::chrono::milliseconds delay, std::stop_token stop);

  DataBroker& broker_;
  const std::string name_;
  const Task task_;
  const LeaserOptions options_;
  std::atomic<bool> holding_{false};
  std::atomic<uint64_t> tenures_{0};
  std::mutex mutex_;  // guards task_done_ and the waits
  std::condition_variable_any wake_;
  bool task_done_ = false;
  std::jthread thread_;
};

}  // namespace portcullis::databroker
