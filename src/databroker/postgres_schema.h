#pragma once
// The PostgreSQL record store's schema (all in the schema `portcullis`) and its migrations.
//
//   migration_info  one row: migration_version, server_version (random, kept across restarts;
//                   a new one on Clear)
//   versions        one row: latest_record_version, earliest_record_version, epoch (counts
//                   Clears, which restart the record versions at 0). Every write
//                   transaction updates this row first, so writers are serialised by its row lock:
//                   record versions are handed out without gaps and committed in version order,
//                   and a reader that sees version v has seen every version below it. (A sequence
//                   would let a later version commit before an earlier one, and a follower that
//                   read the later one would skip the earlier one forever.)
//   records         the live records: (type, id) → version, data (serialised Any), modified_at
//   record_changes  the change log: version → type, id, data (NULL for tombstones), modified_at,
//                   deleted_at
//   record_options  per-type Options (serialised) with capacity and ttl as columns
//   leases          name → holder id, expires_at
//
// Writers NOTIFY kChangeChannel with the new versions as payload: "<epoch> <server_version>
// <latest_record_version>".

#include <cstdint>

#include "databroker/postgres_connection.h"

namespace portcullis::databroker {

inline constexpr const char* kChangeChannel = "portcullis_record_change";
// The channel's name is spelled out in these statements too.
inline constexpr const char* kListenSql = "LISTEN portcullis_record_change";

// The versions row with the server version, as one snapshot.
struct PgVersions {
  uint64_t epoch = 0;
  uint64_t server_version = 0;
  uint64_t latest_record_version = 0;
  uint64_t earliest_record_version = 0;
};

Result<PgVersions> read_versions(PgConnection& conn);
// The versions of a result whose first columns are epoch, server_version, latest and earliest.
PgVersions versions_from_result(const PGresult* result);

// Sends the current versions to kChangeChannel (delivered when the transaction commits) and
// returns them in versions_from_result's columns. Constant SQL, for PgTransaction::commit.
inline constexpr const char* kNotifyVersionsSql = R"(
  SELECT v.epoch, m.server_version, v.latest_record_version, v.earliest_record_version,
         pg_notify('portcullis_record_change',
                   v.epoch || ' ' || m.server_version || ' ' || v.latest_record_version)
  FROM portcullis.versions v CROSS JOIN portcullis.migration_info m)";
// The versions of a notification's payload (earliest_record_version is not sent).
PgVersions parse_versions_payload(const char* payload);

// The migrations this build knows; the schema is migrated up to it on start.
int latest_schema_version();

// Creates or migrates the schema. Safe when several instances start at once: they serialise on
// an advisory lock, and each migration runs in its own transaction with the version bump.
Status migrate_schema(PgConnection& conn);

}  // namespace portcullis::databroker
