#pragma once
// The PostgreSQL backend (databroker_storage_type: postgres). Several databroker instances may
// share one database: versions, records, options and leases live there (schema in
// postgres_schema.h), and LISTEN/NOTIFY carries each new record version to every instance.
//
// Threading: callers are gRPC threads or dedicated threads, never a proxy event loop. Each call
// borrows a connection from a small pool (blocking libpq calls on it, bounded by a statement
// timeout) and returns it; when all are busy it waits at most the acquire timeout. Two threads
// of the store's own: the change listener (postgres_listener.h), which feeds the known latest
// version and wakes wait_for_change(), and a cleaner that calls trim() periodically.
//
// Consistency: every write transaction first updates the single `versions` row, so writes are
// serialised, versions are gapless and commit in order; each read is one SQL statement, hence one
// snapshot, which returns the versions with the rows.
//
// Failures: a lost connection or a server that is down gives UNAVAILABLE (after at most the
// acquire timeout, the statement timeout or the reconnect backoff); a call that failed on a
// connection gone stale while idle is retried once on a fresh one when it cannot have committed.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "databroker/postgres_connection.h"
#include "databroker/postgres_listener.h"
#include "databroker/postgres_schema.h"
#include "databroker/record_store.h"

namespace portcullis::databroker {

struct PostgresStoreSettings {
  size_t pool_size = 4;
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::milliseconds statement_timeout{15000};
  // How often the cleaner calls trim(now); zero runs no cleaner.
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(1)};
};

class PostgresStore final : public RecordStore {
 public:
  // Connects, migrates the schema and starts listening; throws std::runtime_error when the
  // database cannot be reached or migrated.
  explicit PostgresStore(const StoreOptions& options, PostgresStoreSettings settings = {});
  ~PostgresStore() override;

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

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

  // Whether the change listener is connected (for tests and health reporting).
  bool listening() const;

 private:
  // Runs `work` on a pooled connection, once more on a fresh connection when it failed on a stale
  // one before anything could have committed.
  Status run(const std::function<Status(PgConnection&)>& work);

  Status read_options(PgConnection& conn, const std::string& type, Options* options);

  // Write helpers; each runs inside a transaction that already holds the versions row lock.
  // write_record stores one record (a tombstone when deleted_at is set) as the next version.
  // type_has_limits (optional) tells whether the type has a capacity or ttl.
  Result<Record> write_record(PgConnection& conn, const Record& record,
                              std::chrono::system_clock::time_point now,
                              bool* type_has_limits = nullptr);
  // Tombstones for live records read with record_from_row's columns.
  Status remove_rows(PgConnection& conn, const PGresult* rows,
                     std::chrono::system_clock::time_point now);
  // Applies the type's capacity and ttl.
  Status enforce_options(PgConnection& conn, const std::string& type,
                         std::chrono::system_clock::time_point now);
  // NOTIFYs the new versions, commits, and tells this instance's waiters.
  Status commit_write(PgTransaction& transaction);

  // Records versions seen in the database and wakes waiters when they are news: a newer epoch
  // (a Clear anywhere) or, within the epoch, a higher latest record version. Epochs only grow, so
  // late reports never move the known state backwards.
  void observe(const PgVersions& versions);

  void run_cleaner();

  const StoreOptions options_;
  const PostgresStoreSettings settings_;
  std::unique_ptr<PgPool> pool_;

  // Guards everything below; changed_ signals new versions, clears and close.
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool closed_ = false;
  PgVersions known_;
  bool listening_ = false;  // whether the change listener is connected

  std::unique_ptr<PgChangeListener> listener_;
  std::thread cleaner_;
};

}  // namespace portcullis::databroker
