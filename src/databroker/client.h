#pragma once
// DataBroker: the databroker as the other services see it, shaped like the RPCs of
// DataBrokerService. Two implementations: LocalDataBroker (local_client.h) calls a RecordStore in
// the same process (all-in-one mode, no network hop); GrpcDataBroker (grpc_client.h) talks to a
// databroker service over gRPC (split mode). Every method is thread-safe and may block, so none
// is called from a proxy worker's event loop (the request path reads replicas, see syncer.h).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "databroker/record_store.h"
#include "databroker/status.h"

namespace portcullis::databroker {

// The answer to Put and Patch: the stored records (with their new versions).
struct WriteResult {
  uint64_t server_version = 0;
  std::vector<Record> records;
};

struct ClearResult {
  uint64_t old_server_version = 0;
  uint64_t new_server_version = 0;
};

// Everything SyncLatest streams, collected: the live records, the type's options (when a type
// was named) and the versions to continue from with Sync.
struct LatestSnapshot {
  std::vector<Record> records;
  std::optional<Options> options;
  uint64_t server_version = 0;
  uint64_t latest_record_version = 0;
};

struct SyncParams {
  uint64_t server_version = 0;
  uint64_t record_version = 0;  // changes after this one
  std::string type;             // empty: every type
  bool wait = true;             // keep streaming new changes once caught up
};

// Receives a Sync stream on the calling thread, in stream order.
struct SyncCallbacks {
  std::function<void(const Options&)> options;  // may be empty
  std::function<void(Record&&)> record;         // changes in version order, tombstones included
  // May be empty. Called whenever the stream has delivered every change of its type up to this
  // store-wide record version (changes of other types in between are not this stream's): a
  // replica of one type then knows how far it is current even while other types change. Only
  // the in-process client reports it (the gRPC protocol has no such message).
  std::function<void(uint64_t)> caught_up;
};

class DataBroker {
 public:
  virtual ~DataBroker() = default;

  virtual Result<Record> get(const std::string& type, const std::string& id) = 0;
  virtual Result<WriteResult> put(std::vector<Record> records) = 0;
  virtual Result<WriteResult> patch(std::vector<Record> records,
                                    const google::protobuf::FieldMask& mask) = 0;
  virtual Result<QueryResponse> query(const QueryRequest& request) = 0;
  virtual Result<ServerInfo> server_info() = 0;
  virtual Result<Options> get_options(const std::string& type) = 0;
  virtual Result<Options> set_options(const std::string& type, const Options& options) = 0;
  virtual Result<std::vector<std::string>> list_types() = 0;
  virtual Result<ClearResult> clear() = 0;

  // Returns the new lease id; ALREADY_EXISTS while another id holds the lease.
  virtual Result<std::string> acquire_lease(const std::string& name,
                                            std::chrono::milliseconds ttl) = 0;
  // ALREADY_EXISTS when the lease was lost (expired and taken, or released).
  virtual Status renew_lease(const std::string& name, const std::string& id,
                             std::chrono::milliseconds ttl) = 0;
  virtual Status release_lease(const std::string& name, const std::string& id) = 0;

  virtual Result<LatestSnapshot> sync_latest(const std::string& type) = 0;

  // Streams changes into `callbacks` until the stream ends: with wait=false once caught up (OK),
  // otherwise on an error (ABORTED for a stale server or record version), when the server goes
  // away, or when `stop` is requested (CANCELLED). Blocks the calling thread throughout.
  virtual Status sync(const SyncParams& params, const SyncCallbacks& callbacks,
                      std::stop_token stop) = 0;
};

}  // namespace portcullis::databroker
