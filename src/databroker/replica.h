#pragma once
// Replica<T>: a typed in-memory copy of one record type (session.Session, user.User, Struct for
// pomerium.io/DirectoryUser, ...), kept current by a Syncer (syncer.h) and read on the request
// path without locks.
//
// Publishing: the syncer thread is the only writer. Each change builds a new immutable Snapshot
// that shares all but one of its shards with the previous one (copying one shard of the id map,
// about n/64 pointers), stores it, then bumps an atomic generation counter. Readers keep a
// Replica::Reader per thread that caches the snapshot and reloads it only when the generation has
// moved, so a lookup in the common case is an atomic load plus a hash lookup.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "databroker/record_store.h"

namespace portcullis::databroker {

// Where a replica stands in the databroker's history: the snapshot reflects every change of its
// type up to record_version within server_version. Record versions are store-wide (one counter
// for every type), so record_version moves past a change of this type only once the syncer knows
// nothing of this type came in between: after a full load, on each change applied, and when the
// Sync stream reports it has caught up (ReplicaBase::caught_up).
struct ReplicaVersions {
  uint64_t server_version = 0;
  uint64_t record_version = 0;
};

// The untyped part of every replica: versions, waiting and the interface the Syncer drives.
class ReplicaBase {
 public:
  explicit ReplicaBase(std::string type) : type_(std::move(type)) {}
  virtual ~ReplicaBase() = default;
  ReplicaBase(const ReplicaBase&) = delete;
  ReplicaBase& operator=(const ReplicaBase&) = delete;

  // The record type replicated (e.g. "type.googleapis.com/session.Session").
  const std::string& type() const { return type_; }

  ReplicaVersions versions() const;
  // How many snapshots have been published (0: none yet). It moves on every change of the
  // contents or the versions, after the new snapshot is stored: while it stands still, every
  // read returns what an earlier read after it last moved returned.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // True once the first full load has been published.
  bool loaded() const { return generation_.load(std::memory_order_acquire) > 0; }
  // Blocks until the replica has been loaded, or the timeout passes; returns loaded().
  bool wait_until_loaded(std::chrono::milliseconds timeout) const;
  // Blocks until the replica reflects `record_version` (read-your-writes after a Put that
  // returned that version), or the timeout passes. Returns whether it does.
  bool wait_for_record_version(uint64_t record_version, std::chrono::milliseconds timeout) const;

  // Called by the syncer thread only. `load` replaces everything (SyncLatest); `apply` applies one
  // change from Sync (a tombstone removes the record); `caught_up` records that every change of
  // this type up to `record_version` has been applied (no-op unless it moves the version on).
  virtual void load(std::vector<Record> records, ReplicaVersions versions) = 0;
  virtual void apply(Record&& change) = 0;
  virtual void caught_up(uint64_t record_version) = 0;

 protected:
  // Records the new versions, bumps the generation and wakes waiters; call after storing the
  // new snapshot.
  void published(ReplicaVersions versions);

 private:
  const std::string type_;
  std::atomic<uint64_t> generation_{0};  // 0: nothing published yet
  mutable std::mutex mutex_;             // guards versions_ and the condition
  mutable std::condition_variable changed_;
  ReplicaVersions versions_;
};

// Logs and returns false when a record's data is not a T.
bool unpack_record_data(const Record& record, google::protobuf::Message& out);

template <class T>
class Replica final : public ReplicaBase {
 public:
  using Value = std::shared_ptr<const T>;

  explicit Replica(std::string type) : ReplicaBase(std::move(type)) {
    current_.store(std::make_shared<const Snapshot>());
  }

  // A thread's view of the replica; cheap to keep one per worker thread. Not thread-safe itself.
  class Reader {
   public:
    explicit Reader(const Replica& replica) : replica_(&replica) {}

    // The record's data, or null when there is no such (live) record.
    Value find(std::string_view id) {
      refresh();
      const auto& shard = *snapshot_->shards[shard_of(id)];
      auto found = shard.find(id);
      return found == shard.end() ? nullptr : found->second;
    }
    // The versions of the current snapshot: a find() after this call reads that snapshot or a
    // newer one.
    ReplicaVersions versions() {
      refresh();
      return snapshot_->versions;
    }

   private:
    void refresh() {
      uint64_t generation = replica_->generation();
      if (snapshot_ && generation == generation_) return;
      generation_ = generation;  // read before the snapshot: never older than it
      snapshot_ = replica_->current_.load();
    }

    const Replica* replica_;
    std::shared_ptr<const typename Replica::Snapshot> snapshot_;
    uint64_t generation_ = 0;
  };

  // For callers off the hot path (takes the snapshot pointer's internal lock briefly).
  Value find(std::string_view id) const {
    auto snapshot = current_.load();
    const auto& shard = *snapshot->shards[shard_of(id)];
    auto found = shard.find(id);
    return found == shard.end() ? nullptr : found->second;
  }
  size_t size() const {
    auto snapshot = current_.load();
    size_t n = 0;
    for (const auto& shard : snapshot->shards) n += shard->size();
    return n;
  }

  void load(std::vector<Record> records, ReplicaVersions versions) override {
    std::array<Shard, kShards> shards;
    for (auto& record : records) {
      auto value = decode(record);
      if (value) shards[shard_of(record.id())][record.id()] = std::move(value);
    }
    auto snapshot = std::make_shared<Snapshot>();
    for (size_t i = 0; i < kShards; ++i) {
      snapshot->shards[i] = std::make_shared<const Shard>(std::move(shards[i]));
    }
    snapshot->versions = versions;
    publish(std::move(snapshot));
  }

  void apply(Record&& change) override {
    auto previous = current_.load();
    auto snapshot = std::make_shared<Snapshot>(*previous);
    size_t index = shard_of(change.id());
    auto shard = std::make_shared<Shard>(*previous->shards[index]);
    Value value = change.has_deleted_at() ? nullptr : decode(change);
    if (value) {
      (*shard)[change.id()] = std::move(value);
    } else {
      shard->erase(change.id());
    }
    snapshot->shards[index] = std::move(shard);
    snapshot->versions.record_version =
        std::max(snapshot->versions.record_version, change.version());
    publish(std::move(snapshot));
  }

  void caught_up(uint64_t record_version) override {
    if (!loaded()) return;
    auto previous = current_.load();
    if (record_version <= previous->versions.record_version) return;
    // The shards are shared: only the versions change.
    auto snapshot = std::make_shared<Snapshot>(*previous);
    snapshot->versions.record_version = record_version;
    publish(std::move(snapshot));
  }

 private:
  static constexpr size_t kShards = 64;

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  using Shard = std::unordered_map<std::string, Value, Hash, std::equal_to<>>;
  struct Snapshot {
    Snapshot() {
      auto empty = std::make_shared<const Shard>();
      shards.fill(empty);
    }
    std::array<std::shared_ptr<const Shard>, kShards> shards;
    ReplicaVersions versions;
  };

  static size_t shard_of(std::string_view id) { return Hash{}(id) % kShards; }

  static Value decode(const Record& record) {
    auto value = std::make_shared<T>();
    if (!unpack_record_data(record, *value)) return nullptr;
    return value;
  }

  void publish(std::shared_ptr<const Snapshot> snapshot) {
    auto versions = snapshot->versions;
    current_.store(std::move(snapshot));
    published(versions);
  }

  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace portcullis::databroker
