#include "app/databroker_service.h"

#include <pthread.h>

#include <csignal>
#include <stdexcept>

#include "app/sign_in_service.h"
#include "config/net_address.h"
#include "crypto/encoding.h"
#include "databroker/grpc_client.h"
#include "telemetry/log.h"

namespace portcullis::app {
namespace {

// How often expired changes and ttl-expired records are removed (Pomerium: every minute).
constexpr auto kTrimInterval = std::chrono::minutes(1);
// How long calls in flight get to finish when the gRPC server stops.
constexpr auto kGrpcShutdownGrace = std::chrono::seconds(5);

std::string decoded_shared_secret(const config::Options& options) {
  if (options.shared_secret.empty()) {
    throw std::runtime_error("shared_secret is required for the databroker's gRPC calls");
  }
  auto secret = crypto::base64_decode(options.shared_secret, crypto::Base64::kStandard);
  if (!secret) throw std::runtime_error("shared_secret is not valid base64");
  return *secret;
}

}  // namespace

bool serves_databroker_grpc(const config::Options& options) {
  if (!options.has_service("databroker")) return false;
  if (!options.has_service("proxy")) return true;
  if (options.grpc_address == options.address) return false;
  const char* derived = config::detail::listen_port(options.address) == 5443 ? ":5444" : ":5443";
  return options.grpc_address != derived;
}

bool grpc_insecure(const config::Options& options) {
  if (options.grpc_insecure) return *options.grpc_insecure;
  return options.has_service("proxy") || options.has_service("authenticate");
}

DatabrokerService::DatabrokerService(const config::Options& options, bool serve_grpc) {
  databroker::StoreOptions store_options;
  store_options.type = options.databroker_storage_type;
  store_options.connection_string = options.databroker_storage_connection_string;
  std::string secret;
  if (serve_grpc) secret = decoded_shared_secret(options);  // fail before connecting anywhere
  store_ = store_options.type == "postgres" ? databroker::make_postgres_store(store_options)
                                            : databroker::make_memory_store(store_options);
  broker_ = std::make_unique<databroker::LocalDataBroker>(*store_);
  auto info = store_->server_info();
  telemetry::log_info("databroker storage ready",
                      {{"storage", store_options.type},
                       {"server_version", std::to_string(info.server_version)},
                       {"latest_record_version", info.latest_record_version}});
  if (serve_grpc) {
    databroker::GrpcServerOptions server_options;
    server_options.address = options.grpc_address;
    server_options.shared_secret = std::move(secret);
    server_options.insecure = grpc_insecure(options);
    for (const auto& certificate : options.certificates) {
      server_options.certificates.push_back({certificate.cert_pem, certificate.key_pem});
    }
    grpc_ = std::make_unique<databroker::GrpcServer>(*store_, std::move(server_options));
    try {
      grpc_->start();
    } catch (...) {
      store_->close();
      throw;
    }
  }
  trim_thread_ = std::jthread([this](std::stop_token stop) { trim_periodically(stop); });
}

DatabrokerService::~DatabrokerService() {
  stop();
}

void DatabrokerService::trim_periodically(std::stop_token stop) {
  for (;;) {
    {
      std::unique_lock lock(trim_mutex_);
      if (trim_wake_.wait_for(lock, stop, kTrimInterval, [] { return false; })) return;
      if (stop.stop_requested()) return;
    }
    auto status = store_->trim(std::chrono::system_clock::now());
    if (!status.ok()) {
      telemetry::log_warn("databroker trim failed", {{"error", status.message}});
    }
  }
}

void DatabrokerService::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (trim_thread_.joinable()) {
    trim_thread_.request_stop();
    trim_thread_.join();
  }
  if (grpc_) grpc_->shutdown(kGrpcShutdownGrace);
  if (store_) store_->close();
  telemetry::log_info("databroker stopped");
}

std::unique_ptr<databroker::DataBroker> make_remote_databroker(const config::Options& options) {
  databroker::GrpcClientOptions client;
  if (!options.databroker_internal_service_url.empty()) {
    client.urls = {options.databroker_internal_service_url};
  } else if (!options.databroker_service_urls.empty()) {
    client.urls = options.databroker_service_urls;
  } else {
    client.urls = {"http://127.0.0.1:5443"};
  }
  client.shared_secret = decoded_shared_secret(options);
  client.insecure = options.grpc_insecure;
  client.ca_pem = options.certificate_authority_pem;
  // As Pomerium: a zero timeout means 30s, not "fail at once".
  client.timeout = options.grpc_client_timeout.count() > 0 ? options.grpc_client_timeout
                                                           : std::chrono::seconds(30);
  try {
    return std::make_unique<databroker::GrpcDataBroker>(std::move(client));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

int serve_without_proxy(std::shared_ptr<const config::Config> config) {
  const auto& options = config->options;
  // Signals are taken synchronously by this thread; every thread started from here on (gRPC's,
  // the store's) inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<DatabrokerService> databroker;
  try {
    databroker = std::make_unique<DatabrokerService>(options, serves_databroker_grpc(options));
  } catch (const std::exception& e) {
    telemetry::log_error("cannot start", {{"service", "databroker"}, {"error", e.what()}});
    return 1;
  }
  // Refreshing sessions is the databroker process's job when it serves alone (under the
  // identity_manager lease, so one instance does it).
  SignInService identity(&databroker->broker(), {});
  try {
    if (identity.use_identity_provider(options)) identity.start_identity_manager();
  } catch (const std::exception& e) {
    telemetry::log_error("identity manager not started", {{"error", e.what()}});
  }
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      telemetry::log_info("SIGHUP ignored: the databroker settings apply at restart");
      continue;
    }
    telemetry::log_info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  identity.stop();
  databroker->stop();
  telemetry::log_info("stopped");
  return 0;
}

}  // namespace portcullis::app
