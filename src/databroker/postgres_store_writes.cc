// The PostgreSQL store's writes: put, patch, options, clear, trim and leases. Every write that
// hands out record versions runs in one transaction that starts by locking the versions row
// (lock_versions), so it is all-or-nothing and serialised with every other writer.
#include <algorithm>
#include <random>

#include "databroker/patch.h"
#include "databroker/postgres_rows.h"
#include "databroker/postgres_schema.h"
#include "databroker/postgres_store.h"
#include "databroker/record_validation.h"

namespace portcullis::databroker {

namespace {

using TimePoint = std::chrono::system_clock::time_point;

// $1 type, $2 id, $3 data (NULL: none), $4 modified_at, $5 deleted_at (NULL: live), both in
// micros. Takes the next version, logs the change, and upserts or deletes the live record;
// returns the version and whether the type has a capacity or ttl to enforce.
constexpr const char* kWriteSql = R"(
  WITH v AS (
    UPDATE portcullis.versions SET latest_record_version = latest_record_version + 1
    RETURNING latest_record_version),
  c AS (
    INSERT INTO portcullis.record_changes (version, type, id, data, modified_at, deleted_at)
    SELECT latest_record_version, $1, $2, $3::BYTEA, portcullis.from_micros($4::BIGINT),
           portcullis.from_micros($5::BIGINT)
    FROM v RETURNING version),
  u AS (
    INSERT INTO portcullis.records (type, id, version, data, modified_at)
    SELECT $1, $2, version, $3::BYTEA, portcullis.from_micros($4::BIGINT)
    FROM c WHERE $5::BIGINT IS NULL
    ON CONFLICT (type, id) DO UPDATE
    SET version = EXCLUDED.version, data = EXCLUDED.data, modified_at = EXCLUDED.modified_at),
  d AS (
    DELETE FROM portcullis.records WHERE type = $1 AND id = $2 AND $5::BIGINT IS NOT NULL)
  SELECT c.version, o.capacity IS NOT NULL OR o.ttl_us IS NOT NULL
  FROM c LEFT JOIN portcullis.record_options o ON o.type = $1)";

// The statements below select live records in record_from_row's column order.

// $1 type, $2 capacity: every record beyond the `capacity` most recently modified, oldest first.
constexpr const char* kOverCapacitySql = R"(
  SELECT * FROM (
    SELECT r.type, r.id, r.version, r.data, portcullis.micros(r.modified_at), NULL::BIGINT
    FROM portcullis.records r WHERE r.type = $1 ORDER BY r.version DESC OFFSET $2) r
  ORDER BY r.version)";

// $1 type, $2 ttl and $3 now (micros): the records not modified within the ttl, oldest first.
constexpr const char* kExpiredSql = R"(
  SELECT r.type, r.id, r.version, r.data, portcullis.micros(r.modified_at), NULL::BIGINT
  FROM portcullis.records r
  WHERE r.type = $1
    AND r.modified_at + $2::BIGINT * INTERVAL '1 microsecond' < portcullis.from_micros($3::BIGINT)
  ORDER BY r.version)";

// $1 type, $2 id, $3 now (micros): the live record to patch, locked.
constexpr const char* kPatchTargetSql = R"(
  SELECT r.type, r.id, r.version, r.data, portcullis.micros(r.modified_at), NULL::BIGINT
  FROM portcullis.records r LEFT JOIN portcullis.record_options o ON o.type = r.type
  WHERE r.type = $1 AND r.id = $2
    AND (o.ttl_us IS NULL OR
         r.modified_at + o.ttl_us * INTERVAL '1 microsecond' >= portcullis.from_micros($3::BIGINT))
  FOR UPDATE OF r)";

int64_t random_server_version(uint64_t previous) {
  std::random_device device;
  std::uniform_int_distribution<int64_t> distribution(1, INT64_MAX);
  int64_t version = 0;
  while (version == 0 || static_cast<uint64_t>(version) == previous) version = distribution(device);
  return version;
}

std::string serialized(const google::protobuf::Message& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

TimePoint wall_now() {
  return std::chrono::system_clock::now();
}

// Starts a write transaction and takes the versions row lock that serialises writers (held until
// the transaction ends), in one round trip.
constexpr const char* kBeginWriteSql = "BEGIN; SELECT 1 FROM portcullis.versions FOR UPDATE";

}  // namespace

Result<Record> PostgresStore::write_record(PgConnection& conn, const Record& record, TimePoint now,
                                           bool* type_has_limits) {
  Record stored = record;
  *stored.mutable_modified_at() = timestamp_from_micros(micros_from_time(now));
  PgParams params;
  params.text(stored.type()).text(stored.id());
  if (stored.has_data()) {
    params.binary(serialized(stored.data()));
  } else {
    params.null();
  }
  params.integer(micros_from_time(now));
  if (stored.has_deleted_at()) {
    const auto& deleted = stored.deleted_at();
    const int64_t micros = deleted.seconds() * 1000000 + deleted.nanos() / 1000;
    *stored.mutable_deleted_at() = timestamp_from_micros(micros);
    params.integer(micros);
  } else {
    params.null();
  }
  auto result = conn.exec(kWriteSql, params);
  if (!result.ok()) return result.status();
  stored.set_version(pg_uint(result.value().get(), 0, 0));
  if (type_has_limits != nullptr) *type_has_limits = pg_text(result.value().get(), 0, 1) == "t";
  return stored;
}

Status PostgresStore::remove_rows(PgConnection& conn, const PGresult* rows, TimePoint now) {
  for (int row = 0; row < PQntuples(rows); ++row) {
    Record tombstone = record_from_row(rows, row, 0);
    *tombstone.mutable_deleted_at() = timestamp_from_micros(micros_from_time(now));
    auto written = write_record(conn, tombstone, now);
    if (!written.ok()) return written.status();
  }
  return {};
}

Status PostgresStore::enforce_options(PgConnection& conn, const std::string& type, TimePoint now) {
  auto options = conn.exec("SELECT capacity, ttl_us FROM portcullis.record_options WHERE type = $1",
                           PgParams().text(type));
  if (!options.ok()) return options.status();
  if (PQntuples(options.value().get()) == 0) return {};
  if (auto capacity = pg_optional_int(options.value().get(), 0, 0)) {
    auto victims = conn.exec(kOverCapacitySql, PgParams().text(type).integer(*capacity));
    if (!victims.ok()) return victims.status();
    if (Status status = remove_rows(conn, victims.value().get(), now); !status.ok()) return status;
  }
  if (auto ttl_us = pg_optional_int(options.value().get(), 0, 1)) {
    auto expired = conn.exec(kExpiredSql,
                             PgParams().text(type).integer(*ttl_us).integer(micros_from_time(now)));
    if (!expired.ok()) return expired.status();
    if (Status status = remove_rows(conn, expired.value().get(), now); !status.ok()) return status;
  }
  return {};
}

Status PostgresStore::commit_write(PgTransaction& transaction) {
  // Read under the versions lock, these are exactly the versions this transaction commits.
  auto versions = transaction.commit(kNotifyVersionsSql);
  if (!versions.ok()) return versions.status();
  // Our own waiters need not wait for the notification's round trip.
  observe(versions_from_result(versions.value().get()));
  return {};
}

Result<std::vector<Record>> PostgresStore::put(std::vector<Record> records) {
  if (Status status = validate_records(records, options_.max_record_bytes); !status.ok()) {
    return status;
  }
  std::vector<Record> stored;
  Status status = run([&](PgConnection& conn) {
    stored.clear();
    PgTransaction transaction(conn, kBeginWriteSql);
    if (!transaction.status().ok()) return transaction.status();
    const TimePoint now = wall_now();
    std::vector<std::string> types;  // the types with a capacity or ttl
    for (const Record& record : records) {
      bool limited = false;
      auto written = write_record(conn, record, now, &limited);
      if (!written.ok()) return written.status();
      stored.push_back(std::move(written).value());
      if (limited && std::find(types.begin(), types.end(), record.type()) == types.end()) {
        types.push_back(record.type());
      }
    }
    for (const std::string& type : types) {
      if (Status status = enforce_options(conn, type, now); !status.ok()) return status;
    }
    return commit_write(transaction);
  });
  if (!status.ok()) return status;
  return stored;
}

Result<std::vector<Record>> PostgresStore::patch(std::vector<Record> records,
                                                 const google::protobuf::FieldMask& mask) {
  for (const Record& record : records) {
    if (record.type().empty() || record.id().empty()) {
      return Status::error(Code::kInvalidArgument, "patch records need a type and an id");
    }
    if (!record.has_data()) {
      return Status::error(Code::kInvalidArgument,
                           "patch of " + record.type() + "/" + record.id() + " has no data");
    }
  }
  std::vector<Record> stored;
  Status status = run([&](PgConnection& conn) {
    stored.clear();
    PgTransaction transaction(conn, kBeginWriteSql);
    if (!transaction.status().ok()) return transaction.status();
    const TimePoint now = wall_now();
    for (const Record& update : records) {
      auto existing = conn.exec(
          kPatchTargetSql,
          PgParams().text(update.type()).text(update.id()).integer(micros_from_time(now)));
      if (!existing.ok()) return existing.status();
      if (PQntuples(existing.value().get()) == 0) {
        return Status::error(Code::kNotFound,
                             "record " + update.type() + "/" + update.id() + " not found");
      }
      Record next = record_from_row(existing.value().get(), 0, 0);
      auto data = apply_patch(next.data(), update.data(), mask);
      if (!data.ok()) return data.status();
      *next.mutable_data() = std::move(data).value();
      if (Status status = validate_record(next, options_.max_record_bytes); !status.ok()) {
        return status;
      }
      auto written = write_record(conn, next, now);
      if (!written.ok()) return written.status();
      stored.push_back(std::move(written).value());
    }
    return commit_write(transaction);
  });
  if (!status.ok()) return status;
  return stored;
}

Result<Options> PostgresStore::set_options(const std::string& type, const Options& options) {
  if (type.empty()) return Status::error(Code::kInvalidArgument, "options need a type");
  if (Status status = validate_options(options); !status.ok()) return status;
  PgParams params;
  params.text(type).binary(serialized(options));
  if (options.has_capacity()) {
    params.integer(to_sql_version(options.capacity()));
  } else {
    params.null();
  }
  const int64_t ttl_us = options.has_ttl() ? micros_from_duration(options.ttl()) : 0;
  if (ttl_us > 0) {
    params.integer(ttl_us);
  } else {
    params.null();
  }
  Status status = run([&](PgConnection& conn) {
    PgTransaction transaction(conn, kBeginWriteSql);
    if (!transaction.status().ok()) return transaction.status();
    auto upserted = conn.exec(
        R"(INSERT INTO portcullis.record_options (type, options, capacity, ttl_us)
           VALUES ($1, $2::BYTEA, $3::BIGINT, $4::BIGINT)
           ON CONFLICT (type) DO UPDATE SET options = EXCLUDED.options,
             capacity = EXCLUDED.capacity, ttl_us = EXCLUDED.ttl_us)",
        params);
    if (!upserted.ok()) return upserted.status();
    if (Status status = enforce_options(conn, type, wall_now()); !status.ok()) return status;
    return commit_write(transaction);
  });
  if (!status.ok()) return status;
  return options;
}

Result<ServerInfo> PostgresStore::clear() {
  ServerInfo info;
  Status status = run([&](PgConnection& conn) {
    PgTransaction transaction(conn, kBeginWriteSql);
    if (!transaction.status().ok()) return transaction.status();
    for (const char* sql :
         {"DELETE FROM portcullis.records", "DELETE FROM portcullis.record_changes",
          "DELETE FROM portcullis.record_options", "DELETE FROM portcullis.leases",
          "UPDATE portcullis.versions SET latest_record_version = 0,"
          " earliest_record_version = 0, epoch = epoch + 1"}) {
      if (auto result = conn.exec(sql); !result.ok()) return result.status();
    }
    auto old_versions = read_versions(conn);
    if (!old_versions.ok()) return old_versions.status();
    const int64_t server_version = random_server_version(old_versions->server_version);
    auto updated = conn.exec("UPDATE portcullis.migration_info SET server_version = $1",
                             PgParams().integer(server_version));
    if (!updated.ok()) return updated.status();
    info = ServerInfo{static_cast<uint64_t>(server_version), 0, 0};
    return commit_write(transaction);
  });
  if (!status.ok()) return status;
  return info;
}

Status PostgresStore::trim(TimePoint now) {
  return run([&](PgConnection& conn) {
    PgTransaction transaction(conn, kBeginWriteSql);
    if (!transaction.status().ok()) return transaction.status();
    auto types = conn.exec("SELECT type FROM portcullis.record_options WHERE ttl_us IS NOT NULL");
    if (!types.ok()) return types.status();
    for (int row = 0; row < PQntuples(types.value().get()); ++row) {
      Status status = enforce_options(conn, std::string(pg_text(types.value().get(), row, 0)), now);
      if (!status.ok()) return status;
    }
    // Trim a prefix of the change log: everything up to the newest change older than the cutoff
    // (modified_at follows the version order only roughly across writers' clocks).
    auto trimmed = conn.exec(
        R"(WITH cut AS (
             SELECT max(version) AS version FROM portcullis.record_changes
             WHERE modified_at < portcullis.from_micros($1::BIGINT)),
           gone AS (
             DELETE FROM portcullis.record_changes
             WHERE version <= (SELECT version FROM cut))
           UPDATE portcullis.versions
           SET earliest_record_version = (SELECT version FROM cut) + 1
           WHERE (SELECT version FROM cut) IS NOT NULL)",
        PgParams().integer(micros_from_time(now - options_.change_log_retention)));
    if (!trimmed.ok()) return trimmed.status();
    return commit_write(transaction);
  });
}

Result<bool> PostgresStore::lease(const std::string& name, const std::string& id,
                                  std::chrono::milliseconds ttl) {
  if (Status status = validate_lease(name, id); !status.ok()) return status;
  bool held = false;
  Status status = run([&](PgConnection& conn) {
    if (ttl.count() <= 0) {
      auto released = conn.exec("DELETE FROM portcullis.leases WHERE name = $1 AND id = $2",
                                PgParams().text(name).text(id));
      held = false;
      return released.ok() ? Status{} : released.status();
    }
    // Taken when free, expired or already ours; otherwise the holder stays. The database's
    // clock decides expiry, so instances on different machines agree.
    auto result = conn.exec(
        R"(INSERT INTO portcullis.leases AS l (name, id, expires_at)
           VALUES ($1, $2, clock_timestamp() + $3::BIGINT * INTERVAL '1 millisecond')
           ON CONFLICT (name) DO UPDATE SET
             id = CASE WHEN l.expires_at <= clock_timestamp() OR l.id = EXCLUDED.id
                       THEN EXCLUDED.id ELSE l.id END,
             expires_at = CASE WHEN l.expires_at <= clock_timestamp() OR l.id = EXCLUDED.id
                               THEN EXCLUDED.expires_at ELSE l.expires_at END
           RETURNING id)",
        PgParams().text(name).text(id).integer(ttl.count()));
    if (!result.ok()) return result.status();
    held = pg_text(result.value().get(), 0, 0) == id;
    return Status{};
  });
  if (!status.ok()) return status;
  return held;
}

}  // namespace portcullis::databroker
