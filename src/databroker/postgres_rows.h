#pragma once
// Conversions between the PostgreSQL store's rows (text results) and records. Timestamps travel
// as BIGINT microseconds since the Unix epoch (see kMicrosSql), data as bytea (a serialised
// google.protobuf.Any).

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "databroker.pb.h"

namespace portcullis::databroker {

// Text result accessors: NULL reads as empty / 0 / nullopt.
std::string_view pg_text(const PGresult* result, int row, int column);
bool pg_is_null(const PGresult* result, int row, int column);
uint64_t pg_uint(const PGresult* result, int row, int column);
int64_t pg_int(const PGresult* result, int row, int column);
std::optional<int64_t> pg_optional_int(const PGresult* result, int row, int column);
// A bytea column in hex output ("\x0a1b...").
std::string pg_bytea(const PGresult* result, int row, int column);

// Record versions are uint64 in the protocol and BIGINT in the database; they stay below 2^63.
inline int64_t to_sql_version(uint64_t version) {
  return version > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(version);
}

google::protobuf::Timestamp timestamp_from_micros(int64_t micros);
int64_t micros_from_time(std::chrono::system_clock::time_point time);
int64_t micros_from_duration(const google::protobuf::Duration& duration);

// Reads a record from columns starting at `first`, in this order:
//   type, id, version, data (bytea, may be NULL), modified_at (micros), deleted_at (micros, NULL
//   for a live record)
::databroker::Record record_from_row(const PGresult* result, int row, int first);

}  // namespace portcullis::databroker
