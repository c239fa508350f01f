#pragma once
// GrpcServer: serves DataBrokerService on one address over a RecordStore (the `databroker`
// service). Plaintext or TLS with the configured server certificates; every call must carry the
// `jwt` call token signed with the shared secret.

#include <grpcpp/server.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "databroker/grpc_service.h"
#include "databroker/record_store.h"

namespace portcullis::databroker {

struct TlsKeyPair {
  std::string cert_pem;
  std::string key_pem;
};

struct GrpcServerOptions {
  // "host:port", ":port" (every interface) or "[v6]:port"; port 0 picks a free one.
  std::string address;
  std::string shared_secret;  // decoded bytes
  bool insecure = false;      // plaintext HTTP/2; otherwise TLS with `certificates`
  std::vector<TlsKeyPair> certificates;
  // Larger requests fail with RESOURCE_EXHAUSTED before any handler runs.
  int max_receive_bytes = 16 * 1024 * 1024;
};

class GrpcServer {
 public:
  // `store` must outlive the server.
  GrpcServer(RecordStore& store, GrpcServerOptions options);
  ~GrpcServer();  // shuts down if still running

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Binds and starts serving on gRPC's threads; throws std::runtime_error when it cannot.
  void start();
  // The bound port (after start).
  int port() const { return port_; }
  // Ends Sync streams (UNAVAILABLE), lets other calls finish within `grace`, then cancels what
  // is left and waits for the handlers to return. Idempotent.
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  GrpcServerOptions options_;
  DataBrokerServiceImpl service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// The gRPC form of a configured listen address (":5443" → "[::]:5443").
std::string grpc_listen_address(const std::string& address);

}  // namespace portcullis::databroker
