#include "databroker/postgres_schema.h"

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace portcullis::databroker {

namespace {

// Key of the session advisory lock held while migrating ("portcull" in ASCII).
constexpr int64_t kMigrationLockKey = 0x706f727463756c6c;

// Migration n (1-based) is kMigrations[n - 1]: statements run in one transaction, after which
// migration_info.migration_version = n. Append only; never edit a released migration.
const std::vector<std::vector<const char*>>& migrations() {
  static const std::vector<std::vector<const char*>> kMigrations = {
      {
          // Timestamps cross the wire as BIGINT microseconds since the Unix epoch.
          R"(CREATE FUNCTION portcullis.micros(t TIMESTAMPTZ) RETURNS BIGINT
             LANGUAGE sql IMMUTABLE STRICT AS
             'SELECT (extract(epoch FROM t) * 1000000)::BIGINT')",
          R"(CREATE FUNCTION portcullis.from_micros(us BIGINT) RETURNS TIMESTAMPTZ
             LANGUAGE sql IMMUTABLE STRICT AS
             'SELECT TIMESTAMPTZ ''epoch'' + us * INTERVAL ''1 microsecond''')",
          R"(CREATE TABLE portcullis.versions (
               singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
               latest_record_version BIGINT NOT NULL,
               earliest_record_version BIGINT NOT NULL,
               epoch BIGINT NOT NULL))",
          R"(INSERT INTO portcullis.versions (latest_record_version, earliest_record_version, epoch)
             VALUES (0, 0, 0))",
          R"(CREATE TABLE portcullis.records (
               type TEXT NOT NULL,
               id TEXT NOT NULL,
               version BIGINT NOT NULL,
               data BYTEA,
               modified_at TIMESTAMPTZ NOT NULL,
               PRIMARY KEY (type, id)))",
          "CREATE INDEX records_type_version ON portcullis.records (type, version)",
          "CREATE INDEX records_type_modified_at ON portcullis.records (type, modified_at)",
          R"(CREATE TABLE portcullis.record_changes (
               version BIGINT PRIMARY KEY,
               type TEXT NOT NULL,
               id TEXT NOT NULL,
               data BYTEA,
               modified_at TIMESTAMPTZ NOT NULL,
               deleted_at TIMESTAMPTZ))",
          "CREATE INDEX record_changes_type_version ON portcullis.record_changes (type, version)",
          "CREATE INDEX record_changes_modified_at ON portcullis.record_changes (modified_at)",
          R"(CREATE TABLE portcullis.record_options (
               type TEXT PRIMARY KEY,
               options BYTEA NOT NULL,
               capacity BIGINT,
               ttl_us BIGINT))",
          R"(CREATE TABLE portcullis.leases (
               name TEXT PRIMARY KEY,
               id TEXT NOT NULL,
               expires_at TIMESTAMPTZ NOT NULL))",
      },
  };
  return kMigrations;
}

int64_t random_server_version() {
  std::random_device device;
  std::uniform_int_distribution<int64_t> distribution(1, INT64_MAX);
  return distribution(device);
}

Status run_migrations(PgConnection& conn) {
  for (const char* sql : {"CREATE SCHEMA IF NOT EXISTS portcullis",
                          R"(CREATE TABLE IF NOT EXISTS portcullis.migration_info (
                               singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
                               migration_version INTEGER NOT NULL,
                               server_version BIGINT NOT NULL))"}) {
    auto result = conn.exec(sql);
    if (!result.ok()) return result.status();
  }
  auto seeded = conn.exec(
      R"(INSERT INTO portcullis.migration_info (migration_version, server_version)
         VALUES (0, $1) ON CONFLICT (singleton) DO NOTHING)",
      PgParams().integer(random_server_version()));
  if (!seeded.ok()) return seeded.status();

  auto current = conn.exec("SELECT migration_version FROM portcullis.migration_info");
  if (!current.ok()) return current.status();
  const int from = std::atoi(PQgetvalue(current.value().get(), 0, 0));
  const int to = latest_schema_version();
  if (from > to) {
    return Status::error(Code::kFailedPrecondition,
                         "postgres: the schema (version " + std::to_string(from) +
                             ") is newer than this build knows (" + std::to_string(to) + ")");
  }
  for (int version = from + 1; version <= to; ++version) {
    PgTransaction transaction(conn);
    if (!transaction.status().ok()) return transaction.status();
    for (const char* sql : migrations()[version - 1]) {
      auto result = conn.exec(sql);
      if (!result.ok()) return result.status();
    }
    auto bumped = conn.exec("UPDATE portcullis.migration_info SET migration_version = $1",
                            PgParams().integer(version));
    if (!bumped.ok()) return bumped.status();
    if (auto committed = transaction.commit(); !committed.ok()) return committed.status();
  }
  return {};
}

}  // namespace

PgVersions versions_from_result(const PGresult* result) {
  auto number = [&](int column) {
    return std::strtoull(PQgetvalue(result, 0, column), nullptr, 10);
  };
  return PgVersions{number(0), number(1), number(2), number(3)};
}

Result<PgVersions> read_versions(PgConnection& conn) {
  auto result = conn.exec(
      R"(SELECT v.epoch, m.server_version, v.latest_record_version, v.earliest_record_version
         FROM portcullis.versions v CROSS JOIN portcullis.migration_info m)");
  if (!result.ok()) return result.status();
  if (PQntuples(result.value().get()) != 1) {
    return Status::error(Code::kInternal, "postgres: the versions row is missing");
  }
  return versions_from_result(result.value().get());
}

PgVersions parse_versions_payload(const char* payload) {
  PgVersions versions;
  char* rest = nullptr;
  versions.epoch = std::strtoull(payload, &rest, 10);
  versions.server_version = std::strtoull(rest, &rest, 10);
  versions.latest_record_version = std::strtoull(rest, nullptr, 10);
  return versions;
}

int latest_schema_version() {
  return static_cast<int>(migrations().size());
}

Status migrate_schema(PgConnection& conn) {
  auto locked = conn.exec("SELECT pg_advisory_lock($1)", PgParams().integer(kMigrationLockKey));
  if (!locked.ok()) return locked.status();
  Status status = run_migrations(conn);
  auto unlocked = conn.exec("SELECT pg_advisory_unlock($1)", PgParams().integer(kMigrationLockKey));
  if (status.ok() && !unlocked.ok()) status = unlocked.status();
  return status;
}

}  // namespace portcullis::databroker
