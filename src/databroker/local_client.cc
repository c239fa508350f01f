#include "databroker/local_client.h"

#include "crypto/random.h"
#include "databroker/change_stream.h"

namespace portcullis::databroker {
namespace {

Status check_lease_args(const std::string& name, std::chrono::milliseconds ttl) {
  if (name.empty()) return Status::error(Code::kInvalidArgument, "lease name is required");
  if (ttl.count() <= 0) {
    return Status::error(Code::kInvalidArgument, "lease duration must be positive");
  }
  return {};
}

Result<WriteResult> with_server_version(RecordStore& store, Result<std::vector<Record>> records) {
  if (!records.ok()) return records.status();
  WriteResult result;
  result.server_version = store.server_info().server_version;
  result.records = std::move(records).value();
  return result;
}

}  // namespace

Result<Record> LocalDataBroker::get(const std::string& type, const std::string& id) {
  if (type.empty()) return Status::error(Code::kInvalidArgument, "get needs a type");
  if (id.empty()) return Status::error(Code::kInvalidArgument, "get needs an id");
  return store_.get(type, id);
}

Result<WriteResult> LocalDataBroker::put(std::vector<Record> records) {
  return with_server_version(store_, store_.put(std::move(records)));
}

Result<WriteResult> LocalDataBroker::patch(std::vector<Record> records,
                                           const google::protobuf::FieldMask& mask) {
  return with_server_version(store_, store_.patch(std::move(records), mask));
}

Result<QueryResponse> LocalDataBroker::query(const QueryRequest& request) {
  return store_.query(request);
}

Result<ServerInfo> LocalDataBroker::server_info() {
  return store_.server_info();
}

Result<Options> LocalDataBroker::get_options(const std::string& type) {
  if (type.empty()) return Status::error(Code::kInvalidArgument, "options need a type");
  return store_.get_options(type);
}

Result<Options> LocalDataBroker::set_options(const std::string& type, const Options& options) {
  return store_.set_options(type, options);
}

Result<std::vector<std::string>> LocalDataBroker::list_types() {
  return store_.list_types();
}

Result<ClearResult> LocalDataBroker::clear() {
  uint64_t old_version = store_.server_info().server_version;
  auto info = store_.clear();
  if (!info.ok()) return info.status();
  return ClearResult{old_version, info->server_version};
}

Result<std::string> LocalDataBroker::acquire_lease(const std::string& name,
                                                   std::chrono::milliseconds ttl) {
  if (auto status = check_lease_args(name, ttl); !status.ok()) return status;
  std::string id = crypto::random_uuid();
  auto held = store_.lease(name, id, ttl);
  if (!held.ok()) return held.status();
  if (!held.value()) return Status::error(Code::kAlreadyExists, "lease is held by another client");
  return id;
}

Status LocalDataBroker::renew_lease(const std::string& name, const std::string& id,
                                    std::chrono::milliseconds ttl) {
  if (auto status = check_lease_args(name, ttl); !status.ok()) return status;
  if (id.empty()) return Status::error(Code::kInvalidArgument, "lease id is required");
  auto held = store_.lease(name, id, ttl);
  if (!held.ok()) return held.status();
  if (!held.value()) return Status::error(Code::kAlreadyExists, "lease lost");
  return {};
}

Status LocalDataBroker::release_lease(const std::string& name, const std::string& id) {
  if (name.empty()) return Status::error(Code::kInvalidArgument, "lease name is required");
  if (id.empty()) return Status::error(Code::kInvalidArgument, "lease id is required");
  auto held = store_.lease(name, id, std::chrono::milliseconds(-1));
  return held.ok() ? Status{} : held.status();
}

Result<LatestSnapshot> LocalDataBroker::sync_latest(const std::string& type) {
  auto latest = store_.latest(type);
  if (!latest.ok()) return latest.status();
  LatestSnapshot snapshot;
  snapshot.records = std::move(latest->records);
  snapshot.server_version = latest->server_version;
  snapshot.latest_record_version = latest->latest_record_version;
  if (!type.empty()) {
    auto options = store_.get_options(type);
    if (options.ok()) snapshot.options = std::move(options).value();
  }
  return snapshot;
}

Status LocalDataBroker::sync(const SyncParams& params, const SyncCallbacks& callbacks,
                             std::stop_token stop) {
  ChangeSink sink;
  if (callbacks.options) {
    sink.options = [&](const Options& options) {
      callbacks.options(options);
      return true;
    };
  }
  sink.record = [&](Record&& record) {
    callbacks.record(std::move(record));
    return true;
  };
  sink.caught_up = callbacks.caught_up;
  sink.should_stop = [&] { return stop.stop_requested(); };
  return stream_changes(store_, params, sink);
}

}  // namespace portcullis::databroker
