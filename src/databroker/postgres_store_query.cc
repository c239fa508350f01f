// The PostgreSQL store's Query: the type's live records come from one statement (with the
// versions, so the answer is one snapshot); the filter and the search run here with the shared
// filter and field code, exactly as in the memory store.
#include "databroker/filter.h"
#include "databroker/postgres_rows.h"
#include "databroker/postgres_store.h"
#include "databroker/record_fields.h"

namespace portcullis::databroker {

namespace {

// The versions, then (if any) the type's live records in id order (byte order, as the memory
// store sorts). $2 is "now" in micros for the ttl.
constexpr const char* kQuerySql = R"(
  SELECT m.server_version, v.latest_record_version,
         r.type, r.id, r.version, r.data, portcullis.micros(r.modified_at), NULL::BIGINT
  FROM portcullis.migration_info m CROSS JOIN portcullis.versions v
  LEFT JOIN LATERAL (
    SELECT r.* FROM portcullis.records r LEFT JOIN portcullis.record_options o ON o.type = r.type
    WHERE r.type = $1
      AND (o.ttl_us IS NULL OR
           r.modified_at + o.ttl_us * INTERVAL '1 microsecond' >= portcullis.from_micros($2))
  ) r ON TRUE
  ORDER BY r.id COLLATE "C")";

}  // namespace

Result<QueryResponse> PostgresStore::query(const QueryRequest& request) {
  if (request.type().empty()) return Status::error(Code::kInvalidArgument, "query has no type");
  if (request.offset() < 0 || request.limit() < 0) {
    return Status::error(Code::kInvalidArgument, "query offset and limit must not be negative");
  }
  Options options;
  std::vector<Record> candidates;
  QueryResponse response;
  Status status = run([&](PgConnection& conn) {
    if (Status read = read_options(conn, request.type(), &options); !read.ok()) return read;
    auto now = micros_from_time(std::chrono::system_clock::now());
    auto result = conn.exec(kQuerySql, PgParams().text(request.type()).integer(now));
    if (!result.ok()) return result.status();
    const PGresult* rows = result.value().get();
    const int count = PQntuples(rows);
    if (count == 0) return Status::error(Code::kInternal, "postgres: versions missing");
    response.set_server_version(pg_uint(rows, 0, 0));
    response.set_record_version(pg_uint(rows, 0, 1));
    candidates.clear();
    candidates.reserve(count);
    for (int row = 0; row < count; ++row) {
      if (!pg_is_null(rows, row, 2)) candidates.push_back(record_from_row(rows, row, 2));
    }
    return Status{};
  });
  if (!status.ok()) return status;

  auto filter = parse_filter(request.filter(), options);
  if (!filter.ok()) return filter.status();
  const std::string search = to_lower_ascii(request.query());
  const auto offset = static_cast<uint64_t>(request.offset());
  const auto limit = static_cast<uint64_t>(request.limit());
  uint64_t matches = 0;
  for (Record& record : candidates) {
    auto matched = evaluate_filter(filter.value(), record, options);
    if (!matched.ok()) return matched.status();
    if (!matched.value()) continue;
    if (!search.empty()) {
      if (!record.has_data()) continue;
      auto data = unpack_data(record.data());
      if (!data.ok()) return data.status();
      if (!contains_lower_substring(*data.value(), search)) continue;
    }
    if (matches >= offset && (limit == 0 || matches - offset < limit)) {
      *response.add_records() = std::move(record);
    }
    ++matches;
  }
  response.set_total_count(static_cast<int64_t>(matches));
  return response;
}

}  // namespace portcullis::databroker
