// The PostgreSQL store's Query: the type's live records come from one statement (with the
// versions, so the answer is one snapshot); the filter and the search run here with the shared
// filter and field code, exactly as in the memory store.
#include <optional>

#include "databroker/filter.h"
#include "databroker/postgres_rows.h"
#include "databroker/postgres_store.h"
#include "databroker/record_fields.h"

namespace portcullis::databroker {

namespace {

// The versions, then (if any) the type's live records in id order (byte order, as the memory
// store sorts). $2 is "now" in micros for the ttl; $3 (a text array, or NULL for all) bounds the
// ids when the filter names them.
constexpr const char* kQuerySql = R"(
  SELECT m.server_version, v.latest_record_version,
         r.type, r.id, r.version, r.data, portcullis.micros(r.modified_at), NULL::BIGINT
  FROM portcullis.migration_info m CROSS JOIN portcullis.versions v
  LEFT JOIN LATERAL (
    SELECT r.* FROM portcullis.records r LEFT JOIN portcullis.record_options o ON o.type = r.type
    WHERE r.type = $1 AND ($3::TEXT[] IS NULL OR r.id = ANY($3::TEXT[]))
      AND (o.ttl_us IS NULL OR
           r.modified_at + o.ttl_us * INTERVAL '1 microsecond' >= portcullis.from_micros($2))
  ) r ON TRUE
  ORDER BY r.id COLLATE "C")";

// A PostgreSQL array literal of the strings, each quoted: {"a","b\"c"}.
std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& value : values) {
    if (out.size() > 1) out.push_back(',');
    out.push_back('"');
    for (char c : value) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace

Result<QueryResponse> PostgresStore::query(const QueryRequest& request) {
  if (request.type().empty()) return Status::error(Code::kInvalidArgument, "query has no type");
  if (request.offset() < 0 || request.limit() < 0) {
    return Status::error(Code::kInvalidArgument, "query offset and limit must not be negative");
  }
  Options options;
  std::optional<FilterExpression> filter;
  std::vector<Record> candidates;
  QueryResponse response;
  Status status = run([&](PgConnection& conn) {
    if (Status read = read_options(conn, request.type(), &options); !read.ok()) return read;
    auto parsed = parse_filter(request.filter(), options);
    if (!parsed.ok()) return parsed.status();
    filter = std::move(parsed).value();
    PgParams params;
    params.text(request.type()).integer(micros_from_time(std::chrono::system_clock::now()));
    // Only the ids the filter names, when it bounds them; the filter still runs on each.
    if (auto ids = filter_id_candidates(*filter, options)) {
      params.text(text_array(*ids));
    } else {
      params.null();
    }
    auto result = conn.exec(kQuerySql, params);
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

  const std::string search = to_lower_ascii(request.query());
  const auto offset = static_cast<uint64_t>(request.offset());
  const auto limit = static_cast<uint64_t>(request.limit());
  uint64_t matches = 0;
  for (Record& record : candidates) {
    auto matched = evaluate_filter(*filter, record, options);
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
