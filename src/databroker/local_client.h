#pragma once
// LocalDataBroker: the DataBroker of an all-in-one process, calling the RecordStore directly.
// The gRPC server serves its clients through one of these too, so both paths share the lease,
// Clear and Sync semantics.

#include "databroker/client.h"
#include "databroker/record_store.h"

namespace portcullis::databroker {

class LocalDataBroker final : public DataBroker {
 public:
  // `store` must outlive this object.
  explicit LocalDataBroker(RecordStore& store) : store_(store) {}

  Result<Record> get(const std::string& type, const std::string& id) override;
  Result<WriteResult> put(std::vector<Record> records) override;
  Result<WriteResult> patch(std::vector<Record> records,
                            const google::protobuf::FieldMask& mask) override;
  Result<QueryResponse> query(const QueryRequest& request) override;
  Result<ServerInfo> server_info() override;
  Result<Options> get_options(const std::string& type) override;
  Result<Options> set_options(const std::string& type, const Options& options) override;
  Result<std::vector<std::string>> list_types() override;
  Result<ClearResult> clear() override;
  Result<std::string> acquire_lease(const std::string& name,
                                    std::chrono::milliseconds ttl) override;
  Status renew_lease(const std::string& name, const std::string& id,
                     std::chrono::milliseconds ttl) override;
  Status release_lease(const std::string& name, const std::string& id) override;
  Result<LatestSnapshot> sync_latest(const std::string& type) override;
  Status sync(const SyncParams& params, const SyncCallbacks& callbacks,
              std::stop_token stop) override;

  RecordStore& store() { return store_; }

 private:
  RecordStore& store_;
};

}  // namespace portcullis::databroker
