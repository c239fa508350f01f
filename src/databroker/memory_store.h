#pragma once
// The memory backend (databroker_storage_type: memory): everything lives in this process and is
// lost when it exits, so it suits a single databroker instance.
//
// State, all guarded by one shared_mutex (the store is off the proxy hot path; Get takes the
// shared side and copies one record):
//   - per type: live records by id, the same ids ordered by version (oldest first, for capacity
//     eviction and ttl expiry) and the type's options;
//   - the change log: one entry per record version in version order (puts, patches, deletes and
//     evictions, tombstones included), trimmed from the front when older than the retention;
//   - leases by name.
// Live records and their change-log entries share one immutable Record (shared_ptr<const>).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "databroker/record_store.h"

namespace portcullis::databroker {

using WallClock = std::function<std::chrono::system_clock::time_point()>;

struct MemoryStoreHooks {
  // Supplies "now" for modified_at, retention, ttl and lease expiry; tests inject their own.
  WallClock clock = [] { return std::chrono::system_clock::now(); };
  // How often a background thread calls trim(clock()); zero runs no thread (trimming then happens
  // on writes and on explicit trim calls).
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(1)};
};

class MemoryStore final : public RecordStore {
 public:
  explicit MemoryStore(const StoreOptions& options, MemoryStoreHooks hooks = {});
  ~MemoryStore() override;

  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  ServerInfo server_info() override;
  Result<Record> get(const std::string& type, const std::string& id) override;
  Result<std::vector<Record>> put(std::vector<Record> records) override;
  Result<std::vector<Record>> patch(std::vector<Record> records,
                                    const google::protobuf::FieldMask& mask) override;
  Result<QueryResponse> query(const QueryRequest& request) override;
  Result<Options> get_options(const std::string& type) override;
  Result<Options> set_options(const std::string& type, const Options& options) override;
  std::vector<std::string> list_types() override;
  Result<LatestRecords> latest(const std::string& type) override;
  Result<Changes> changes_after(uint64_t server_version, uint64_t record_version,
                                const std::string& type, size_t limit) override;
  bool wait_for_change(uint64_t record_version,
                       std::chrono::steady_clock::time_point deadline) override;
  Result<bool> lease(const std::string& name, const std::string& id,
                     std::chrono::milliseconds ttl) override;
  Result<ServerInfo> clear() override;
  Status trim(std::chrono::system_clock::time_point now) override;
  void close() override;

 private:
  using RecordPtr = std::shared_ptr<const Record>;
  using TimePoint = std::chrono::system_clock::time_point;

  struct TypeState {
    std::unordered_map<std::string, RecordPtr> by_id;
    // version → id of every live record: begin() is the least recently modified.
    std::map<uint64_t, std::string> by_version;
    Options options;
    // options.ttl as a duration; zero when the type has no ttl.
    std::chrono::nanoseconds ttl{0};
  };

  struct Lease {
    std::string id;
    TimePoint expires_at;
  };

  // Whether a live record has outlived its type's ttl at `now` (reads hide it before a trim).
  static bool expired(const TypeState& state, const Record& record, TimePoint now);

  // Each takes the exclusive lock as held.
  void store_locked(Record record, TimePoint now, std::vector<Record>* stored);
  // Replaces the live record `id` of `state` by a tombstone (a new version).
  void remove_locked(TypeState& state, const std::string& id, TimePoint now);
  void enforce_options_locked(const std::string& type, TimePoint now);
  void trim_locked(TimePoint now);
  Status check_open_locked() const;

  void run_cleanup();

  const StoreOptions options_;
  const MemoryStoreHooks hooks_;

  mutable std::shared_mutex mutex_;
  // Signalled on every new version, clear and close. A clear counts as a change for waiters
  // (wait_for_change returns true) so that they re-check and see the new server version.
  std::condition_variable_any changed_;
  bool closed_ = false;
  uint64_t server_version_ = 0;
  // clear() starts over from 0, as a new store would, under a new server version.
  uint64_t latest_version_ = 0;
  // One past the newest trimmed version (0 when nothing was trimmed since the last clear).
  uint64_t earliest_version_ = 0;
  std::unordered_map<std::string, TypeState> types_;
  // change_log_[i].version == change_log_.front().version + i.
  std::deque<RecordPtr> change_log_;
  std::unordered_map<std::string, Lease> leases_;

  // The background cleanup: a thread that calls trim() every cleanup_interval until stopped.
  std::mutex cleanup_mutex_;
  std::condition_variable cleanup_wake_;
  bool cleanup_stop_ = false;  // guarded by cleanup_mutex_
  std::thread cleanup_thread_;
};

}  // namespace portcullis::databroker
