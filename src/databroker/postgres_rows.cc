#include "databroker/postgres_rows.h"

#include <charconv>

namespace portcullis::databroker {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view pg_text(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return {};
  return {PQgetvalue(result, row, column), static_cast<size_t>(PQgetlength(result, row, column))};
}

bool pg_is_null(const PGresult* result, int row, int column) {
  return PQgetisnull(result, row, column) != 0;
}

int64_t pg_int(const PGresult* result, int row, int column) {
  std::string_view text = pg_text(result, row, column);
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

uint64_t pg_uint(const PGresult* result, int row, int column) {
  const int64_t value = pg_int(result, row, column);
  return value < 0 ? 0 : static_cast<uint64_t>(value);
}

std::optional<int64_t> pg_optional_int(const PGresult* result, int row, int column) {
  if (pg_is_null(result, row, column)) return std::nullopt;
  return pg_int(result, row, column);
}

std::string pg_bytea(const PGresult* result, int row, int column) {
  std::string_view text = pg_text(result, row, column);
  std::string bytes;
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return bytes;
  bytes.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    bytes.push_back(static_cast<char>(hex_digit(text[i]) * 16 + hex_digit(text[i + 1])));
  }
  return bytes;
}

google::protobuf::Timestamp timestamp_from_micros(int64_t micros) {
  google::protobuf::Timestamp timestamp;
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(rest * 1000));
  return timestamp;
}

int64_t micros_from_time(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

int64_t micros_from_duration(const google::protobuf::Duration& duration) {
  return duration.seconds() * 1000000 + duration.nanos() / 1000;
}

::databroker::Record record_from_row(const PGresult* result, int row, int first) {
  ::databroker::Record record;
  record.set_type(std::string(pg_text(result, row, first)));
  record.set_id(std::string(pg_text(result, row, first + 1)));
  record.set_version(pg_uint(result, row, first + 2));
  if (!pg_is_null(result, row, first + 3)) {
    record.mutable_data()->ParseFromString(pg_bytea(result, row, first + 3));
  }
  *record.mutable_modified_at() = timestamp_from_micros(pg_int(result, row, first + 4));
  if (auto deleted = pg_optional_int(result, row, first + 5)) {
    *record.mutable_deleted_at() = timestamp_from_micros(*deleted);
  }
  return record;
}

}  // namespace portcullis::databroker
