#include "databroker/grpc_service.h"

#include <algorithm>

#include "databroker/call_token.h"
#include "databroker/change_stream.h"
#include "databroker/grpc_status.h"
#include "telemetry/log.h"

namespace portcullis::databroker {
namespace {

// A protobuf Duration in milliseconds, clamped far beyond any useful lease.
std::chrono::milliseconds to_millis(const google::protobuf::Duration& duration) {
  constexpr int64_t kMaxSeconds = int64_t{1} << 40;
  int64_t seconds = std::clamp<int64_t>(duration.seconds(), -kMaxSeconds, kMaxSeconds);
  return std::chrono::milliseconds(seconds * 1000 + duration.nanos() / 1'000'000);
}

std::vector<Record> copy_records(const google::protobuf::RepeatedPtrField<Record>& records) {
  return {records.begin(), records.end()};
}

void fill(const WriteResult& result, uint64_t* server_version,
          google::protobuf::RepeatedPtrField<Record>* records) {
  *server_version = result.server_version;
  records->Reserve(static_cast<int>(result.records.size()));
  for (const auto& record : result.records) *records->Add() = record;
}

}  // namespace

DataBrokerServiceImpl::DataBrokerServiceImpl(RecordStore& store, std::string secret)
    : store_(store), broker_(store), secret_(std::move(secret)) {}

grpc::Status DataBrokerServiceImpl::authenticate(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto [first, last] = metadata.equal_range(
      grpc::string_ref(kCallTokenMetadataKey.data(), kCallTokenMetadataKey.size()));
  const char* problem = nullptr;
  if (first == last) {
    problem = "missing jwt metadata";
  } else if (std::next(first) != last) {
    problem = "more than one jwt metadata value";
  } else if (!verify_call_token(std::string_view(first->second.data(), first->second.size()),
                                secret_)) {
    problem = "invalid jwt";
  }
  if (problem == nullptr) return grpc::Status::OK;
  telemetry::log_debug("databroker call rejected", {{"peer", context.peer()}, {"reason", problem}});
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, problem);
}

grpc::Status DataBrokerServiceImpl::AcquireLease(grpc::ServerContext* context,
                                                 const ::databroker::AcquireLeaseRequest* request,
                                                 ::databroker::AcquireLeaseResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto id = broker_.acquire_lease(request->name(), to_millis(request->duration()));
  if (!id.ok()) return to_grpc(id.status());
  response->set_id(std::move(id).value());
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::Clear(grpc::ServerContext* context,
                                          const google::protobuf::Empty*,
                                          ::databroker::ClearResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto result = broker_.clear();
  if (!result.ok()) return to_grpc(result.status());
  response->set_old_server_version(result->old_server_version);
  response->set_new_server_version(result->new_server_version);
  telemetry::log_info("databroker cleared",
                      {{"old_server_version", std::to_string(result->old_server_version)},
                       {"new_server_version", std::to_string(result->new_server_version)}});
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::Get(grpc::ServerContext* context,
                                        const ::databroker::GetRequest* request,
                                        ::databroker::GetResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto record = broker_.get(request->type(), request->id());
  if (!record.ok()) return to_grpc(record.status());
  *response->mutable_record() = std::move(record).value();
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::GetOptions(grpc::ServerContext* context,
                                               const ::databroker::GetOptionsRequest* request,
                                               ::databroker::GetOptionsResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto options = broker_.get_options(request->type());
  if (!options.ok()) return to_grpc(options.status());
  *response->mutable_options() = std::move(options).value();
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::ListTypes(grpc::ServerContext* context,
                                              const google::protobuf::Empty*,
                                              ::databroker::ListTypesResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto types = broker_.list_types();
  if (!types.ok()) return to_grpc(types.status());
  for (auto& type : types.value()) response->add_types(std::move(type));
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::Patch(grpc::ServerContext* context,
                                          const ::databroker::PatchRequest* request,
                                          ::databroker::PatchResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto result = broker_.patch(copy_records(request->records()), request->field_mask());
  if (!result.ok()) return to_grpc(result.status());
  uint64_t server_version = 0;
  fill(result.value(), &server_version, response->mutable_records());
  response->set_server_version(server_version);
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::Put(grpc::ServerContext* context,
                                        const ::databroker::PutRequest* request,
                                        ::databroker::PutResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto result = broker_.put(copy_records(request->records()));
  if (!result.ok()) return to_grpc(result.status());
  uint64_t server_version = 0;
  fill(result.value(), &server_version, response->mutable_records());
  response->set_server_version(server_version);
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::Query(grpc::ServerContext* context,
                                          const ::databroker::QueryRequest* request,
                                          ::databroker::QueryResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto result = broker_.query(*request);
  if (!result.ok()) return to_grpc(result.status());
  *response = std::move(result).value();
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::ReleaseLease(grpc::ServerContext* context,
                                                 const ::databroker::ReleaseLeaseRequest* request,
                                                 google::protobuf::Empty*) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  return to_grpc(broker_.release_lease(request->name(), request->id()));
}

grpc::Status DataBrokerServiceImpl::RenewLease(grpc::ServerContext* context,
                                               const ::databroker::RenewLeaseRequest* request,
                                               google::protobuf::Empty*) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  return to_grpc(
      broker_.renew_lease(request->name(), request->id(), to_millis(request->duration())));
}

grpc::Status DataBrokerServiceImpl::ServerInfo(grpc::ServerContext* context,
                                               const google::protobuf::Empty*,
                                               ::databroker::ServerInfoResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto info = broker_.server_info();
  if (!info.ok()) return to_grpc(info.status());
  response->set_server_version(info->server_version);
  response->set_earliest_record_version(info->earliest_record_version);
  response->set_latest_record_version(info->latest_record_version);
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::SetOptions(grpc::ServerContext* context,
                                               const ::databroker::SetOptionsRequest* request,
                                               ::databroker::SetOptionsResponse* response) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto options = broker_.set_options(request->type(), request->options());
  if (!options.ok()) return to_grpc(options.status());
  *response->mutable_options() = std::move(options).value();
  return grpc::Status::OK;
}

grpc::Status DataBrokerServiceImpl::Sync(grpc::ServerContext* context,
                                         const ::databroker::SyncRequest* request,
                                         grpc::ServerWriter<::databroker::SyncResponse>* writer) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  SyncParams params;
  params.server_version = request->server_version();
  params.record_version = request->record_version();
  params.type = request->type();
  params.wait = !request->has_wait() || request->wait();
  ChangeSink sink;
  sink.options = [&](const Options& options) {
    ::databroker::SyncResponse response;
    *response.mutable_options() = options;
    return writer->Write(response);
  };
  sink.record = [&](Record&& record) {
    ::databroker::SyncResponse response;
    *response.mutable_record() = std::move(record);
    return writer->Write(response);
  };
  sink.should_stop = [&] { return context->IsCancelled() || stopping_.load(); };
  Status status = stream_changes(store_, params, sink);
  if (status.code == Code::kCancelled && stopping_.load()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "databroker shutting down");
  }
  return to_grpc(status);
}

grpc::Status DataBrokerServiceImpl::SyncLatest(
    grpc::ServerContext* context, const ::databroker::SyncLatestRequest* request,
    grpc::ServerWriter<::databroker::SyncLatestResponse>* writer) {
  if (auto status = authenticate(*context); !status.ok()) return status;
  auto latest = broker_.sync_latest(request->type());
  if (!latest.ok()) return to_grpc(latest.status());
  ::databroker::SyncLatestResponse response;
  for (auto& record : latest->records) {
    *response.mutable_record() = std::move(record);
    if (!writer->Write(response)) return grpc::Status::CANCELLED;
  }
  if (latest->options) {
    *response.mutable_options() = *latest->options;
    if (!writer->Write(response)) return grpc::Status::CANCELLED;
  }
  auto* versions = response.mutable_versions();
  versions->set_server_version(latest->server_version);
  versions->set_latest_record_version(latest->latest_record_version);
  if (!writer->Write(response)) return grpc::Status::CANCELLED;
  return grpc::Status::OK;
}

}  // namespace portcullis::databroker
