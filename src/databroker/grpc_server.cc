#include "databroker/grpc_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <stdexcept>

#include "telemetry/log.h"

namespace portcullis::databroker {

std::string grpc_listen_address(const std::string& address) {
  if (!address.empty() && address.front() == ':') return "[::]" + address;
  return address;
}

GrpcServer::GrpcServer(RecordStore& store, GrpcServerOptions options)
    : options_(std::move(options)), service_(store, options_.shared_secret) {}

GrpcServer::~GrpcServer() {
  shutdown(std::chrono::milliseconds(0));
}

void GrpcServer::start() {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options_.insecure) {
    credentials = grpc::InsecureServerCredentials();
  } else {
    if (options_.certificates.empty()) {
      throw std::runtime_error(
          "grpc_insecure is false but no certificate is configured for the gRPC listener");
    }
    grpc::SslServerCredentialsOptions tls;
    for (const auto& pair : options_.certificates) {
      tls.pem_key_cert_pairs.push_back({pair.key_pem, pair.cert_pem});
    }
    credentials = grpc::SslServerCredentials(tls);
  }
  std::string address = grpc_listen_address(options_.address);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(options_.max_receive_bytes);
  builder.SetMaxSendMessageSize(-1);
  // One address per process: a second one on the same port must fail, not share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Clients ping idle Sync streams every 20s (grpc_client.cc); accept that.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddListeningPort(address, credentials, &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    throw std::runtime_error("cannot serve gRPC on " + options_.address);
  }
  telemetry::log_info("listening", {{"service", "databroker"},
                                    {"address", address},
                                    {"port", port_},
                                    {"tls", !options_.insecure}});
}

void GrpcServer::shutdown(std::chrono::milliseconds grace) {
  if (!server_) return;
  service_.begin_shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
}

}  // namespace portcullis::databroker
