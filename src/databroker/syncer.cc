#include "databroker/syncer.h"

#include <random>

#include "telemetry/log.h"

namespace portcullis::databroker {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      current_(initial_),
      seed_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::next() {
  auto ceiling = current_;
  current_ = std::min(current_ * 2, max_);
  // A small xorshift is plenty for spreading retries.
  seed_ ^= seed_ << 13;
  seed_ ^= seed_ >> 7;
  seed_ ^= seed_ << 17;
  auto half = ceiling.count() / 2;
  return std::chrono::milliseconds(half + static_cast<int64_t>(seed_ % (half + 1)));
}

Syncer::Syncer(DataBroker& broker, ReplicaBase& replica, SyncerOptions options)
    : broker_(broker), replica_(replica), options_(options) {}

Syncer::~Syncer() {
  stop();
}

void Syncer::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Syncer::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

bool Syncer::sleep(std::chrono::milliseconds delay, std::stop_token stop) {
  std::unique_lock lock(sleep_mutex_);
  return !sleep_wake_.wait_for(lock, stop, delay, [] { return false; });
}

void Syncer::run(std::stop_token stop) {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  bool loaded = false;
  // ABORTED right after a fresh load, with nothing received in between, repeats only when
  // something is off on the server; those restarts back off too.
  int aborts_in_a_row = 0;
  ReplicaVersions at;
  const std::string& type = replica_.type();
  auto fail = [&](const char* what, const Status& status) {
    failures_.fetch_add(1);
    healthy_.store(false, std::memory_order_relaxed);
    auto delay = backoff.next();
    telemetry::log_warn("databroker sync failed", {{"type", type},
                                                   {"call", what},
                                                   {"code", static_cast<int>(status.code)},
                                                   {"error", status.message},
                                                   {"retry_ms", delay.count()}});
    return sleep(delay, stop);
  };
  while (!stop.stop_requested()) {
    if (!loaded) {
      auto latest = broker_.sync_latest(type);
      if (stop.stop_requested()) break;
      if (!latest.ok()) {
        if (!fail("SyncLatest", latest.status())) break;
        continue;
      }
      at = {latest->server_version, latest->latest_record_version};
      replica_.load(std::move(latest->records), at);
      loads_.fetch_add(1);
      loaded = true;
      healthy_.store(true, std::memory_order_relaxed);
      backoff.reset();
      telemetry::log_debug("databroker replica loaded",
                           {{"type", type},
                            {"server_version", std::to_string(at.server_version)},
                            {"record_version", at.record_version}});
    }
    SyncCallbacks callbacks;
    callbacks.record = [&](Record&& change) {
      at.record_version = std::max(at.record_version, change.version());
      replica_.apply(std::move(change));
      backoff.reset();
      aborts_in_a_row = 0;
    };
    callbacks.caught_up = [&](uint64_t record_version) {
      // Nothing of this type lies in between, so a later Sync may resume from here too.
      at.record_version = std::max(at.record_version, record_version);
      replica_.caught_up(record_version);
    };
    // After an error, catch up without waiting first: its success shows the server answers again
    // (a waiting stream reports nothing until a change arrives).
    bool catch_up = !healthy_.load(std::memory_order_relaxed);
    Status status =
        broker_.sync({at.server_version, at.record_version, type, !catch_up}, callbacks, stop);
    if (stop.stop_requested()) break;
    if (catch_up && status.ok()) {
      healthy_.store(true, std::memory_order_relaxed);
      continue;
    }
    if (status.code == Code::kAborted) {
      telemetry::log_info("databroker sync restarting from scratch",
                          {{"type", type}, {"reason", status.message}});
      loaded = false;
      if (aborts_in_a_row++ > 0 && !sleep(backoff.next(), stop)) break;
      continue;
    }
    if (status.ok()) status = Status::error(Code::kUnavailable, "sync stream ended");
    if (!fail("Sync", status)) break;
  }
}

}  // namespace portcullis::databroker
