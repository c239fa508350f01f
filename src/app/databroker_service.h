#pragma once
// DatabrokerService: the databroker of this process (`services` includes databroker). It owns the
// RecordStore (memory or postgres, per databroker_storage_type), the in-process DataBroker that
// the other services of an all-in-one process use without a network hop, and the gRPC server when
// the databroker is served on grpc_address (see serves_databroker_grpc).

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "databroker/client.h"
#include "databroker/grpc_server.h"
#include "databroker/local_client.h"
#include "databroker/record_store.h"

namespace portcullis::app {

// Whether this process serves DataBrokerService on grpc_address. A process without the proxy
// always does (that is what split mode is for). With the proxy in the same process it does only
// when grpc_address was set explicitly to another address than the main one: the value the loader
// derives when the key is absent (:5443, or :5444 when address uses 5443) serves nothing, and the
// in-process DataBroker is the only way in.
bool serves_databroker_grpc(const config::Options& options);

// gRPC plaintext or TLS: grpc_insecure when set, otherwise plaintext only when the proxy or
// authenticate runs in this process (Pomerium's default).
bool grpc_insecure(const config::Options& options);

class DatabrokerService {
 public:
  // Opens the store and, when `serve_grpc`, starts the gRPC server. Throws std::runtime_error
  // when either cannot start (bad secret, no certificate for TLS, unreachable PostgreSQL, port in
  // use).
  DatabrokerService(const config::Options& options, bool serve_grpc);
  ~DatabrokerService();

  DatabrokerService(const DatabrokerService&) = delete;
  DatabrokerService& operator=(const DatabrokerService&) = delete;

  // The in-process DataBroker; valid until stop().
  databroker::DataBroker& broker() { return *broker_; }
  // Ends the gRPC server's streams and calls, stops the periodic trim and closes the store.
  // Idempotent.
  void stop();

 private:
  void trim_periodically(std::stop_token stop);

  std::unique_ptr<databroker::RecordStore> store_;
  std::unique_ptr<databroker::LocalDataBroker> broker_;
  std::unique_ptr<databroker::GrpcServer> grpc_;
  std::mutex trim_mutex_;  // only for the trim thread's interruptible sleep
  std::condition_variable_any trim_wake_;
  std::jthread trim_thread_;
  bool stopped_ = false;
};

// The DataBroker of a process that does not run the databroker itself: a gRPC client of
// databroker_internal_service_url, else databroker_service_urls, else http://127.0.0.1:5443
// (Pomerium's default), with grpc_client_timeout, grpc_insecure and certificate_authority.
// Throws std::runtime_error for a missing shared_secret or an unusable URL.
std::unique_ptr<databroker::DataBroker> make_remote_databroker(const config::Options& options);

// Runs a process whose services do not include the proxy: the databroker (gRPC) until SIGTERM or
// SIGINT. Returns the exit code.
int serve_without_proxy(std::shared_ptr<const config::Config> config);

}  // namespace portcullis::app
