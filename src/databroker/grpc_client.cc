#include "databroker/grpc_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <boost/url/parse.hpp>
#include <stdexcept>

#include "databroker/grpc_status.h"

namespace portcullis::databroker {
namespace {

google::protobuf::Duration to_duration(std::chrono::milliseconds ttl) {
  google::protobuf::Duration duration;
  duration.set_seconds(ttl.count() / 1000);
  duration.set_nanos(static_cast<int32_t>((ttl.count() % 1000) * 1'000'000));
  return duration;
}

grpc::ChannelArguments channel_arguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  // A dead peer is noticed even on an idle Sync stream; a restarted one is found again quickly
  // (gRPC's default reconnect backoff grows to two minutes).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2'000);
  return args;
}

Result<WriteResult> write_result(const grpc::Status& status, uint64_t server_version,
                                 google::protobuf::RepeatedPtrField<Record>* records) {
  if (!status.ok()) return from_grpc(status);
  WriteResult result;
  result.server_version = server_version;
  result.records.reserve(records->size());
  for (auto& record : *records) result.records.push_back(std::move(record));
  return result;
}

}  // namespace

std::optional<GrpcTarget> parse_grpc_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  auto scheme = parsed->scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    return std::nullopt;
  }
  if (parsed->encoded_host().empty()) return std::nullopt;
  GrpcTarget target;
  target.tls = scheme == boost::urls::scheme::https;
  std::string port = parsed->has_port() ? std::string(parsed->port()) : "";
  if (port.empty()) port = target.tls ? "443" : "80";
  target.authority = std::string(parsed->encoded_host()) + ":" + port;
  return target;
}

GrpcDataBroker::GrpcDataBroker(GrpcClientOptions options)
    : options_(std::move(options)), signer_(options_.shared_secret) {
  if (options_.urls.empty()) throw std::invalid_argument("no databroker service URL");
  for (const auto& url : options_.urls) {
    auto target = parse_grpc_target(url);
    if (!target) throw std::invalid_argument("invalid databroker service URL: " + url);
    bool tls = options_.insecure ? !*options_.insecure : target->tls;
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (tls) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = options_.ca_pem;
      credentials = grpc::SslCredentials(ssl);
    } else {
      credentials = grpc::InsecureChannelCredentials();
    }
    auto args = channel_arguments();
    if (tls && !options_.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options_.tls_server_name);
    }
    auto channel = grpc::CreateCustomChannel(target->authority, credentials, args);
    stubs_.push_back(::databroker::DataBrokerService::NewStub(channel));
  }
}

GrpcDataBroker::Stub& GrpcDataBroker::next_stub() {
  return *stubs_[next_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()];
}

void GrpcDataBroker::prepare(grpc::ClientContext& context, bool deadline) {
  context.AddMetadata(std::string(kCallTokenMetadataKey), signer_.token());
  if (deadline) context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
}

template <class Call>
grpc::Status GrpcDataBroker::unary(Call&& call) {
  grpc::Status status;
  size_t attempts = std::min<size_t>(stubs_.size(), 2);
  for (size_t attempt = 0; attempt < attempts; ++attempt) {
    grpc::ClientContext context;
    prepare(context, true);
    status = call(next_stub(), context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  return status;
}

Result<Record> GrpcDataBroker::get(const std::string& type, const std::string& id) {
  ::databroker::GetRequest request;
  request.set_type(type);
  request.set_id(id);
  ::databroker::GetResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.Get(&context, request, &response);
  });
  if (!status.ok()) return from_grpc(status);
  return std::move(*response.mutable_record());
}

Result<WriteResult> GrpcDataBroker::put(std::vector<Record> records) {
  ::databroker::PutRequest request;
  for (auto& record : records) *request.add_records() = std::move(record);
  ::databroker::PutResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.Put(&context, request, &response);
  });
  return write_result(status, response.server_version(), response.mutable_records());
}

Result<WriteResult> GrpcDataBroker::patch(std::vector<Record> records,
                                          const google::protobuf::FieldMask& mask) {
  ::databroker::PatchRequest request;
  for (auto& record : records) *request.add_records() = std::move(record);
  *request.mutable_field_mask() = mask;
  ::databroker::PatchResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.Patch(&context, request, &response);
  });
  return write_result(status, response.server_version(), response.mutable_records());
}

Result<QueryResponse> GrpcDataBroker::query(const QueryRequest& request) {
  QueryResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.Query(&context, request, &response);
  });
  if (!status.ok()) return from_grpc(status);
  return response;
}

Result<ServerInfo> GrpcDataBroker::server_info() {
  ::databroker::ServerInfoResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.ServerInfo(&context, google::protobuf::Empty(), &response);
  });
  if (!status.ok()) return from_grpc(status);
  return ServerInfo{response.server_version(), response.earliest_record_version(),
                    response.latest_record_version()};
}

Result<Options> GrpcDataBroker::get_options(const std::string& type) {
  ::databroker::GetOptionsRequest request;
  request.set_type(type);
  ::databroker::GetOptionsResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.GetOptions(&context, request, &response);
  });
  if (!status.ok()) return from_grpc(status);
  return std::move(*response.mutable_options());
}

Result<Options> GrpcDataBroker::set_options(const std::string& type, const Options& options) {
  ::databroker::SetOptionsRequest request;
  request.set_type(type);
  *request.mutable_options() = options;
  ::databroker::SetOptionsResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.SetOptions(&context, request, &response);
  });
  if (!status.ok()) return from_grpc(status);
  return std::move(*response.mutable_options());
}

Result<std::vector<std::string>> GrpcDataBroker::list_types() {
  ::databroker::ListTypesResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.ListTypes(&context, google::protobuf::Empty(), &response);
  });
  if (!status.ok()) return from_grpc(status);
  return std::vector<std::string>(response.types().begin(), response.types().end());
}

Result<ClearResult> GrpcDataBroker::clear() {
  ::databroker::ClearResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.Clear(&context, google::protobuf::Empty(), &response);
  });
  if (!status.ok()) return from_grpc(status);
  return ClearResult{response.old_server_version(), response.new_server_version()};
}

Result<std::string> GrpcDataBroker::acquire_lease(const std::string& name,
                                                  std::chrono::milliseconds ttl) {
  ::databroker::AcquireLeaseRequest request;
  request.set_name(name);
  *request.mutable_duration() = to_duration(ttl);
  ::databroker::AcquireLeaseResponse response;
  auto status = unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.AcquireLease(&context, request, &response);
  });
  if (!status.ok()) return from_grpc(status);
  return std::move(*response.mutable_id());
}

Status GrpcDataBroker::renew_lease(const std::string& name, const std::string& id,
                                   std::chrono::milliseconds ttl) {
  ::databroker::RenewLeaseRequest request;
  request.set_name(name);
  request.set_id(id);
  *request.mutable_duration() = to_duration(ttl);
  google::protobuf::Empty response;
  return from_grpc(unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.RenewLease(&context, request, &response);
  }));
}

Status GrpcDataBroker::release_lease(const std::string& name, const std::string& id) {
  ::databroker::ReleaseLeaseRequest request;
  request.set_name(name);
  request.set_id(id);
  google::protobuf::Empty response;
  return from_grpc(unary([&](Stub& stub, grpc::ClientContext& context) {
    return stub.ReleaseLease(&context, request, &response);
  }));
}

Result<LatestSnapshot> GrpcDataBroker::sync_latest(const std::string& type) {
  ::databroker::SyncLatestRequest request;
  request.set_type(type);
  grpc::ClientContext context;
  prepare(context, false);
  auto reader = next_stub().SyncLatest(&context, request);
  LatestSnapshot snapshot;
  bool have_versions = false;
  ::databroker::SyncLatestResponse response;
  while (reader->Read(&response)) {
    switch (response.response_case()) {
      case ::databroker::SyncLatestResponse::kRecord:
        snapshot.records.push_back(std::move(*response.mutable_record()));
        break;
      case ::databroker::SyncLatestResponse::kOptions:
        snapshot.options = std::move(*response.mutable_options());
        break;
      case ::databroker::SyncLatestResponse::kVersions:
        snapshot.server_version = response.versions().server_version();
        snapshot.latest_record_version = response.versions().latest_record_version();
        have_versions = true;
        break;
      default:
        break;
    }
  }
  auto status = reader->Finish();
  if (!status.ok()) return from_grpc(status);
  if (!have_versions) return Status::error(Code::kInternal, "SyncLatest sent no versions");
  return snapshot;
}

Status GrpcDataBroker::sync(const SyncParams& params, const SyncCallbacks& callbacks,
                            std::stop_token stop) {
  ::databroker::SyncRequest request;
  request.set_server_version(params.server_version);
  request.set_record_version(params.record_version);
  request.set_type(params.type);
  request.set_wait(params.wait);
  grpc::ClientContext context;
  prepare(context, false);
  std::stop_callback cancel(stop, [&context] { context.TryCancel(); });
  auto reader = next_stub().Sync(&context, request);
  ::databroker::SyncResponse response;
  while (reader->Read(&response)) {
    if (response.has_record()) {
      callbacks.record(std::move(*response.mutable_record()));
    } else if (response.has_options() && callbacks.options) {
      callbacks.options(response.options());
    }
  }
  auto status = reader->Finish();
  if (stop.stop_requested()) return Status::error(Code::kCancelled, "sync stream cancelled");
  return from_grpc(status);
}

}  // namespace portcullis::databroker
