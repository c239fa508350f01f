#include "databroker/leaser.h"

#include "databroker/syncer.h"
#include "telemetry/log.h"

namespace portcullis::databroker {

Leaser::Leaser(DataBroker& broker, std::string name, Task task, LeaserOptions options)
    : broker_(broker), name_(std::move(name)), task_(std::move(task)), options_(options) {}

Leaser::~Leaser() {
  stop();
}

void Leaser::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Leaser::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

bool Leaser::sleep(std::chrono::milliseconds delay, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, stop, delay, [] { return false; });
}

void Leaser::run(std::stop_token stop) {
  Backoff backoff(options_.initial_backoff, std::max(options_.ttl / 2, options_.initial_backoff));
  while (!stop.stop_requested()) {
    auto id = broker_.acquire_lease(name_, options_.ttl);
    if (stop.stop_requested()) {
      if (id.ok()) broker_.release_lease(name_, id.value());
      break;
    }
    if (!id.ok()) {
      if (id.status().code != Code::kAlreadyExists) {
        telemetry::log_warn("lease acquisition failed",
                            {{"lease", name_},
                             {"code", static_cast<int>(id.status().code)},
                             {"error", id.status().message}});
      }
      if (!sleep(backoff.next(), stop)) break;
      continue;
    }
    backoff.reset();
    telemetry::log_info("lease acquired", {{"lease", name_}});
    bool still_ours = hold(id.value(), stop);
    if (still_ours) {
      auto released = broker_.release_lease(name_, id.value());
      telemetry::log_info("lease released", {{"lease", name_}, {"ok", released.ok()}});
    }
    if (!sleep(backoff.next(), stop)) break;
  }
}

bool Leaser::hold(const std::string& id, std::stop_token stop) {
  {
    std::lock_guard lock(mutex_);
    task_done_ = false;
  }
  std::stop_source task_stop;
  holding_ = true;
  tenures_.fetch_add(1);
  std::thread task([this, token = task_stop.get_token()] {
    try {
      task_(token);
    } catch (const std::exception& e) {
      telemetry::log_error("leased task failed", {{"lease", name_}, {"error", e.what()}});
    }
    {
      std::lock_guard lock(mutex_);
      task_done_ = true;
    }
    wake_.notify_all();
  });
  bool still_ours = true;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, options_.ttl / 2, [&] { return task_done_; });
      if (task_done_ || stop.stop_requested()) break;
    }
    auto renewed = broker_.renew_lease(name_, id, options_.ttl);
    if (!renewed.ok()) {
      telemetry::log_warn(
          "lease lost: stopping its task",
          {{"lease", name_}, {"code", static_cast<int>(renewed.code)}, {"error", renewed.message}});
      // ALREADY_EXISTS: someone else has it. Anything else: we cannot tell, so stop anyway
      // and try a release (harmless when it is no longer ours).
      still_ours = renewed.code != Code::kAlreadyExists;
      break;
    }
  }
  task_stop.request_stop();
  task.join();
  holding_ = false;
  return still_ours;
}

}  // namespace portcullis::databroker
