#pragma once
// The storage behind the databroker: records with versions, tombstones, a change log, per-type
// options and leases. Two backends implement it (memory, postgres) and pass one conformance suite.
//
// Every method is thread-safe and may block briefly (the postgres backend waits on its own
// connection pool); none is called from a proxy worker's event loop.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "databroker.pb.h"
#include "databroker/status.h"

namespace portcullis::databroker {

// The protocol's messages are the record model.
using ::databroker::Options;
using ::databroker::QueryRequest;
using ::databroker::QueryResponse;
using ::databroker::Record;

struct ServerInfo {
  uint64_t server_version = 0;
  // The oldest change still in the change log (0 when nothing was ever trimmed).
  uint64_t earliest_record_version = 0;
  uint64_t latest_record_version = 0;
};

// The live records of a type (or of every type) at one consistent version.
struct LatestRecords {
  std::vector<Record> records;
  uint64_t server_version = 0;
  uint64_t latest_record_version = 0;
};

// Changes after a record version, in version order; tombstones (deleted_at set) included.
struct Changes {
  std::vector<Record> records;
  uint64_t server_version = 0;
  uint64_t latest_record_version = 0;
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  virtual ServerInfo server_info() = 0;

  // NOT_FOUND for missing or deleted records.
  virtual Result<Record> get(const std::string& type, const std::string& id) = 0;

  // Stores each record, giving it the next record version and modified_at = now; a record with
  // deleted_at set deletes (a tombstone in the change log). Returns the stored records.
  // All-or-nothing: an invalid record fails the call and stores none.
  virtual Result<std::vector<Record>> put(std::vector<Record> records) = 0;

  // Updates only the fields named by the mask (paths into the data message) of existing records.
  virtual Result<std::vector<Record>> patch(std::vector<Record> records,
                                            const google::protobuf::FieldMask& mask) = 0;

  virtual Result<QueryResponse> query(const QueryRequest& request) = 0;

  virtual Result<Options> get_options(const std::string& type) = 0;
  virtual Result<Options> set_options(const std::string& type, const Options& options) = 0;
  virtual std::vector<std::string> list_types() = 0;

  virtual Result<LatestRecords> latest(const std::string& type) = 0;

  // ABORTED when server_version is not the current one, or record_version is older than the
  // change log keeps. At most `limit` changes; an empty type means every type.
  virtual Result<Changes> changes_after(uint64_t server_version, uint64_t record_version,
                                        const std::string& type, size_t limit) = 0;

  // Blocks until the latest record version exceeds `record_version`, the deadline passes or the
  // store closes; returns whether it was exceeded. Changes written through another instance
  // sharing the same storage count too.
  virtual bool wait_for_change(uint64_t record_version,
                               std::chrono::steady_clock::time_point deadline) = 0;

  // Takes, renews (same id) or releases (ttl <= 0) the named lease. Returns whether `id` holds the
  // lease afterwards.
  virtual Result<bool> lease(const std::string& name, const std::string& id,
                             std::chrono::milliseconds ttl) = 0;

  // Deletes everything and starts a new server version.
  virtual Result<ServerInfo> clear() = 0;

  // Removes what has outlived its time as of `now`: changes older than the change log retention
  // (advancing earliest_record_version) and records of a type with a ttl that were not modified
  // within it. The server calls it periodically (Pomerium cleans every minute); a backend may also
  // do it on its own. The default does nothing.
  virtual Status trim(std::chrono::system_clock::time_point now) {
    static_cast<void>(now);
    return {};
  }

  // Wakes every waiter and refuses further calls with UNAVAILABLE.
  virtual void close() = 0;
};

struct StoreOptions {
  std::string type = "memory";  // memory | postgres
  std::string connection_string;
  // How long the change log keeps changes.
  std::chrono::seconds change_log_retention{3600};
  // The largest record (serialised data) accepted.
  size_t max_record_bytes = 4 * 1024 * 1024;
};

std::unique_ptr<RecordStore> make_memory_store(const StoreOptions& options);
// Connects, creates or migrates the schema; throws std::runtime_error when it cannot start.
std::unique_ptr<RecordStore> make_postgres_store(const StoreOptions& options);

}  // namespace portcullis::databroker
