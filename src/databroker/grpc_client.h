#pragma once
// GrpcDataBroker: the DataBroker of a split deployment, calling DataBrokerService over gRPC.
// Each call carries a `jwt` call token (signed once and reused until shortly before it expires)
// and, except the streams, the deadline `grpc_client_timeout`. With several URLs the calls rotate
// over them and a unary call that finds its instance unavailable is tried once on the next.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "databroker.grpc.pb.h"
#include "databroker/call_token.h"
#include "databroker/client.h"

namespace portcullis::databroker {

struct GrpcClientOptions {
  // databroker_internal_service_url when set, else databroker_service_urls.
  std::vector<std::string> urls;
  std::string shared_secret;  // decoded bytes
  // grpc_insecure when set: plaintext for every URL; otherwise each URL's scheme decides
  // (http plaintext, https TLS).
  std::optional<bool> insecure;
  std::string ca_pem;  // trust roots for TLS; empty: the system's
  // The name the server certificate must have; empty: the URL's host.
  std::string tls_server_name;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

class GrpcDataBroker final : public DataBroker {
 public:
  // Throws std::invalid_argument for an empty or unparsable URL list.
  explicit GrpcDataBroker(GrpcClientOptions options);

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

 private:
  using Stub = ::databroker::DataBrokerService::Stub;

  // Runs `call(stub, context)` with a fresh context (token and deadline) on the next instance,
  // once more on another one when it was unavailable.
  template <class Call>
  grpc::Status unary(Call&& call);
  // The next instance in rotation.
  Stub& next_stub();
  void prepare(grpc::ClientContext& context, bool deadline);

  GrpcClientOptions options_;
  CallTokenSigner signer_;
  std::vector<std::unique_ptr<Stub>> stubs_;  // one channel per URL; immutable after construction
  std::atomic<size_t> next_{0};
};

// The gRPC target ("host:port") of a databroker URL and whether its scheme asks for TLS; nullopt
// for anything but an absolute http(s) URL with a host.
struct GrpcTarget {
  std::string authority;
  bool tls = false;
};
std::optional<GrpcTarget> parse_grpc_target(const std::string& url);

}  // namespace portcullis::databroker
