#pragma once
// DataBrokerServiceImpl: the handlers of the DataBrokerService RPCs over a RecordStore. Every
// handler first checks the call's `jwt` metadata (one shared check); the work itself goes through
// a LocalDataBroker, and Sync through the shared change stream.
//
// Threading: gRPC's synchronous server runs each call on one of its threads; a Sync stream holds
// its thread while it waits for changes and notices cancellation and shutdown within a fraction
// of a second.

#include <atomic>
#include <string>

#include "databroker.grpc.pb.h"
#include "databroker/local_client.h"
#include "databroker/record_store.h"

namespace portcullis::databroker {

class DataBrokerServiceImpl final : public ::databroker::DataBrokerService::Service {
 public:
  // `store` must outlive the service; `secret` is the decoded shared secret.
  DataBrokerServiceImpl(RecordStore& store, std::string secret);

  // Makes waiting Sync streams end (UNAVAILABLE) so that the server can shut down.
  void begin_shutdown() { stopping_ = true; }

  grpc::Status AcquireLease(grpc::ServerContext* context,
                            const ::databroker::AcquireLeaseRequest* request,
                            ::databroker::AcquireLeaseResponse* response) override;
  grpc::Status Clear(grpc::ServerContext* context, const google::protobuf::Empty* request,
                     ::databroker::ClearResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const ::databroker::GetRequest* request,
                   ::databroker::GetResponse* response) override;
  grpc::Status GetOptions(grpc::ServerContext* context,
                          const ::databroker::GetOptionsRequest* request,
                          ::databroker::GetOptionsResponse* response) override;
  grpc::Status ListTypes(grpc::ServerContext* context, const google::protobuf::Empty* request,
                         ::databroker::ListTypesResponse* response) override;
  grpc::Status Patch(grpc::ServerContext* context, const ::databroker::PatchRequest* request,
                     ::databroker::PatchResponse* response) override;
  grpc::Status Put(grpc::ServerContext* context, const ::databroker::PutRequest* request,
                   ::databroker::PutResponse* response) override;
  grpc::Status Query(grpc::ServerContext* context, const ::databroker::QueryRequest* request,
                     ::databroker::QueryResponse* response) override;
  grpc::Status ReleaseLease(grpc::ServerContext* context,
                            const ::databroker::ReleaseLeaseRequest* request,
                            google::protobuf::Empty* response) override;
  grpc::Status RenewLease(grpc::ServerContext* context,
                          const ::databroker::RenewLeaseRequest* request,
                          google::protobuf::Empty* response) override;
  grpc::Status ServerInfo(grpc::ServerContext* context, const google::protobuf::Empty* request,
                          ::databroker::ServerInfoResponse* response) override;
  grpc::Status SetOptions(grpc::ServerContext* context,
                          const ::databroker::SetOptionsRequest* request,
                          ::databroker::SetOptionsResponse* response) override;
  grpc::Status Sync(grpc::ServerContext* context, const ::databroker::SyncRequest* request,
                    grpc::ServerWriter<::databroker::SyncResponse>* writer) override;
  grpc::Status SyncLatest(grpc::ServerContext* context,
                          const ::databroker::SyncLatestRequest* request,
                          grpc::ServerWriter<::databroker::SyncLatestResponse>* writer) override;

 private:
  // UNAUTHENTICATED unless the call carries exactly one valid `jwt` token.
  grpc::Status authenticate(const grpc::ServerContext& context) const;

  RecordStore& store_;
  LocalDataBroker broker_;
  const std::string secret_;
  std::atomic<bool> stopping_{false};
};

}  // namespace portcullis::databroker
