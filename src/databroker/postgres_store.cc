// The PostgreSQL store: start-up, reads, waiting and the cleaner. Writes are in
// postgres_store_writes.cc, queries in postgres_store_query.cc.
#include "databroker/postgres_store.h"

#include <stdexcept>

#include "databroker/postgres_rows.h"
#include "databroker/postgres_schema.h"

namespace portcullis::databroker {

namespace {

// Live records are those not older than their type's ttl at "now", which the caller passes in
// micros (the store's clock, as for modified_at).

// A record row of `records` (live, so deleted_at is NULL) in record_from_row's column order.
constexpr const char* kGetSql = R"(
  SELECT r.type, r.id, r.version, r.data, portcullis.micros(r.modified_at), NULL::BIGINT
  FROM portcullis.records r LEFT JOIN portcullis.record_options o ON o.type = r.type
  WHERE r.type = $1 AND r.id = $2
    AND (o.ttl_us IS NULL OR
         r.modified_at + o.ttl_us * INTERVAL '1 microsecond' >= portcullis.from_micros($3)))";

// The versions, then (if any) the live records of a type or of every type ('').
constexpr const char* kLatestSql = R"(
  SELECT m.server_version, v.latest_record_version,
         r.type, r.id, r.version, r.data, portcullis.micros(r.modified_at), NULL::BIGINT
  FROM portcullis.migration_info m CROSS JOIN portcullis.versions v
  LEFT JOIN LATERAL (
    SELECT r.* FROM portcullis.records r LEFT JOIN portcullis.record_options o ON o.type = r.type
    WHERE ($1 = '' OR r.type = $1)
      AND (o.ttl_us IS NULL OR
           r.modified_at + o.ttl_us * INTERVAL '1 microsecond' >= portcullis.from_micros($2))
  ) r ON TRUE
  ORDER BY r.version)";

// The versions, then up to $3 (NULL: all) changes after version $1 of type $2 (or of every type).
constexpr const char* kChangesSql = R"(
  SELECT m.server_version, v.latest_record_version, v.earliest_record_version, v.epoch,
         c.type, c.id, c.version, c.data, portcullis.micros(c.modified_at),
         portcullis.micros(c.deleted_at)
  FROM portcullis.migration_info m CROSS JOIN portcullis.versions v
  LEFT JOIN LATERAL (
    SELECT * FROM portcullis.record_changes
    WHERE version > $1 AND ($2 = '' OR type = $2)
    ORDER BY version LIMIT $3
  ) c ON TRUE
  ORDER BY c.version)";

int64_t now_micros() {
  return micros_from_time(std::chrono::system_clock::now());
}

}  // namespace

PostgresStore::PostgresStore(const StoreOptions& options, PostgresStoreSettings settings)
    : options_(options), settings_(settings) {
  pool_ = std::make_unique<PgPool>(options_.connection_string, settings_.pool_size,
                                   settings_.acquire_timeout, settings_.statement_timeout);
  {
    auto conn = pool_->acquire();
    if (!conn.ok()) throw std::runtime_error(conn.status().message);
    if (Status status = migrate_schema(*conn.value()); !status.ok()) {
      throw std::runtime_error("postgres: migration failed: " + status.message);
    }
  }
  if (server_info().server_version == 0) {
    throw std::runtime_error("postgres: cannot read the versions");
  }
  listener_ = std::make_unique<PgChangeListener>(
      options_.connection_string, [this](const PgVersions& versions) { observe(versions); },
      [this](bool connected) {
        // A (re)connected listener has already reported the versions it read after LISTEN, so
        // waiters behind them have been woken to re-read the changes after their version.
        std::lock_guard lock(mutex_);
        listening_ = connected;
        changed_.notify_all();
      });
  if (settings_.cleanup_interval.count() > 0) cleaner_ = std::thread([this] { run_cleaner(); });
}

PostgresStore::~PostgresStore() {
  close();
}

void PostgresStore::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  pool_->close();
  // Joined outside the lock: both threads take it.
  if (cleaner_.joinable()) cleaner_.join();
  listener_.reset();
}

bool PostgresStore::listening() const {
  std::lock_guard lock(mutex_);
  return listening_;
}

Status PostgresStore::run(const std::function<Status(PgConnection&)>& work) {
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return Status::error(Code::kUnavailable, "databroker store closed");
    }
    auto conn = pool_->acquire();
    if (!conn.ok()) return conn.status();
    conn.value()->set_commit_sent(false);
    Status status = work(*conn.value());
    if (status.ok() || attempt > 0) return status;
    // A connection the server closed while it sat idle fails its first statement; nothing can
    // have committed unless a COMMIT went out, so the work runs once more on a new connection.
    const bool stale = conn.value().reused() && conn.value()->broken();
    if (status.code != Code::kUnavailable || !stale || conn.value()->commit_sent()) return status;
  }
}

void PostgresStore::observe(const PgVersions& versions) {
  std::lock_guard lock(mutex_);
  if (known_.server_version == 0 || versions.epoch > known_.epoch ||
      (versions.epoch == known_.epoch &&
       versions.latest_record_version > known_.latest_record_version)) {
    known_ = versions;
    changed_.notify_all();
  }
}

bool PostgresStore::wait_for_change(uint64_t record_version,
                                    std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  const uint64_t epoch = known_.epoch;
  auto changed = [&] {
    return known_.latest_record_version > record_version || known_.epoch != epoch;
  };
  changed_.wait_until(lock, deadline, [&] { return closed_ || changed(); });
  return changed();
}

ServerInfo PostgresStore::server_info() {
  PgVersions versions;
  Status status = run([&](PgConnection& conn) {
    auto read = read_versions(conn);
    if (!read.ok()) return read.status();
    versions = read.value();
    return Status{};
  });
  if (status.ok()) {
    observe(versions);
  } else {
    // The database is unreachable: report what this instance saw last.
    std::lock_guard lock(mutex_);
    versions = known_;
  }
  return ServerInfo{versions.server_version, versions.earliest_record_version,
                    versions.latest_record_version};
}

Result<Record> PostgresStore::get(const std::string& type, const std::string& id) {
  Record record;
  Status status = run([&](PgConnection& conn) {
    auto result = conn.exec(kGetSql, PgParams().text(type).text(id).integer(now_micros()));
    if (!result.ok()) return result.status();
    if (PQntuples(result.value().get()) == 0) {
      return Status::error(Code::kNotFound, "record not found");
    }
    record = record_from_row(result.value().get(), 0, 0);
    return Status{};
  });
  if (!status.ok()) return status;
  return record;
}

Result<LatestRecords> PostgresStore::latest(const std::string& type) {
  LatestRecords latest;
  Status status = run([&](PgConnection& conn) {
    auto result = conn.exec(kLatestSql, PgParams().text(type).integer(now_micros()));
    if (!result.ok()) return result.status();
    const PGresult* rows = result.value().get();
    const int count = PQntuples(rows);
    if (count == 0) return Status::error(Code::kInternal, "postgres: versions missing");
    latest = LatestRecords{};
    latest.server_version = pg_uint(rows, 0, 0);
    latest.latest_record_version = pg_uint(rows, 0, 1);
    latest.records.reserve(count);
    for (int row = 0; row < count; ++row) {
      if (pg_is_null(rows, row, 2)) continue;
      latest.records.push_back(record_from_row(rows, row, 2));
    }
    return Status{};
  });
  if (!status.ok()) return status;
  return latest;
}

Result<Changes> PostgresStore::changes_after(uint64_t server_version, uint64_t record_version,
                                             const std::string& type, size_t limit) {
  Changes changes;
  PgVersions observed;
  Status status = run([&](PgConnection& conn) {
    PgParams params;
    params.integer(to_sql_version(record_version)).text(type);
    if (limit == 0) {
      params.null();
    } else {
      params.integer(to_sql_version(limit));
    }
    auto result = conn.exec(kChangesSql, params);
    if (!result.ok()) return result.status();
    const PGresult* rows = result.value().get();
    const int count = PQntuples(rows);
    if (count == 0) return Status::error(Code::kInternal, "postgres: versions missing");
    changes = Changes{};
    changes.server_version = pg_uint(rows, 0, 0);
    changes.latest_record_version = pg_uint(rows, 0, 1);
    const uint64_t earliest = pg_uint(rows, 0, 2);
    observed = PgVersions{pg_uint(rows, 0, 3), changes.server_version,
                          changes.latest_record_version, earliest};
    if (server_version != changes.server_version) {
      return Status::error(Code::kAborted, "invalid server version");
    }
    if (earliest > 0 && record_version + 1 < earliest) {
      return Status::error(Code::kAborted, "invalid record version");
    }
    for (int row = 0; row < count; ++row) {
      if (pg_is_null(rows, row, 4)) continue;
      changes.records.push_back(record_from_row(rows, row, 4));
    }
    return Status{};
  });
  if (observed.server_version != 0) observe(observed);
  if (!status.ok()) return status;
  return changes;
}

std::vector<std::string> PostgresStore::list_types() {
  std::vector<std::string> types;
  Status status = run([&](PgConnection& conn) {
    auto result =
        conn.exec("SELECT DISTINCT type COLLATE \"C\" FROM portcullis.records ORDER BY 1");
    if (!result.ok()) return result.status();
    types.clear();
    for (int row = 0; row < PQntuples(result.value().get()); ++row) {
      types.emplace_back(pg_text(result.value().get(), row, 0));
    }
    return Status{};
  });
  if (!status.ok()) types.clear();
  return types;
}

Result<Options> PostgresStore::get_options(const std::string& type) {
  Options options;
  Status status = run([&](PgConnection& conn) { return read_options(conn, type, &options); });
  if (!status.ok()) return status;
  return options;
}

Status PostgresStore::read_options(PgConnection& conn, const std::string& type, Options* options) {
  auto result = conn.exec("SELECT options FROM portcullis.record_options WHERE type = $1",
                          PgParams().text(type));
  if (!result.ok()) return result.status();
  options->Clear();
  if (PQntuples(result.value().get()) > 0 &&
      !options->ParseFromString(pg_bytea(result.value().get(), 0, 0))) {
    return Status::error(Code::kInternal, "postgres: stored options do not parse");
  }
  return {};
}

void PostgresStore::run_cleaner() {
  std::unique_lock lock(mutex_);
  while (!closed_) {
    changed_.wait_for(lock, settings_.cleanup_interval, [&] { return closed_; });
    if (closed_) break;
    lock.unlock();
    (void)trim(std::chrono::system_clock::now());
    lock.lock();
  }
}

std::unique_ptr<RecordStore> make_postgres_store(const StoreOptions& options) {
  return std::make_unique<PostgresStore>(options);
}

}  // namespace portcullis::databroker
