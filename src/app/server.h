#pragma once
// Server: the running process. Owns the worker threads of the data plane, the side listeners
// (health, metrics, HTTP→HTTPS redirect) on a control thread, configuration reloads (SIGHUP and
// a change of the file) and the drain on SIGTERM.

#include <sys/stat.h>

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/databroker_service.h"
#include "app/sign_in_service.h"
#include "authorize/authorizer.h"
#include "authorize/replica_session_source.h"
#include "config/config.h"
#include "http/simple_server.h"
#include "proxy/snapshot.h"
#include "proxy/worker.h"
#include "telemetry/metrics.h"

namespace portcullis::app {

class Server {
 public:
  Server(std::string config_path, std::shared_ptr<const config::Config> config);
  ~Server();

  // Binds every listener and serves until drained. Returns the process exit code.
  int run();

  // The databroker of this process (null unless `services` includes it), for the services that
  // run in the same process.
  databroker::DataBroker* databroker() { return databroker_ ? &databroker_->broker() : nullptr; }

 private:
  void start_side_listeners();
  void reload(std::string_view reason);
  void drain();
  http::awaitable<void> watch_config_file();
  http::SimpleResponse health(const http::SimpleRequest& request) const;
  // Starts the session replicas (in-process databroker, or the remote one in split mode).
  void start_session_replicas();
  authorize::AuthorizeEnvironment authorize_environment(const config::Options& options) const;
  // The snapshot of `config` with its authorizer and sign-in endpoints; throws what they throw.
  std::shared_ptr<const proxy::Snapshot> build_snapshot(
      std::shared_ptr<const config::Config> config, std::size_t workers);

  std::string config_path_;
  std::shared_ptr<const config::Config> config_;
  telemetry::MetricsRegistry metrics_;
  std::unique_ptr<DatabrokerService> databroker_;  // stopped after the workers have finished
  std::unique_ptr<databroker::DataBroker> remote_databroker_;  // split mode: over gRPC
  // Sessions, users and directory records for authorize; shared with every snapshot's
  // authorizer; its syncers stop before the databroker does.
  std::shared_ptr<authorize::ReplicaSessionSource> sessions_;
  GeneratedSecrets generated_;  // decoded; used when the config has no shared/cookie secret
  // The sign-in endpoints and the identity manager (null when neither proxy nor authenticate
  // runs here); stopped before the databroker.
  std::unique_ptr<SignInService> sign_in_;
  std::shared_ptr<const proxy::Snapshot> snapshot_;
  std::vector<std::unique_ptr<proxy::Worker>> workers_;
  std::vector<std::thread> threads_;

  http::asio::io_context control_{1};
  std::vector<std::unique_ptr<http::SimpleServer>> side_servers_;
  http::SimpleServer* health_ = nullptr;  // stays open while draining
  std::unique_ptr<http::asio::signal_set> signals_;
  http::SteadyTimer watch_timer_{control_.get_executor()};
  http::SteadyTimer drain_timer_{control_.get_executor()};
  struct FileStamp {
    ::dev_t dev = 0;
    ::ino_t ino = 0;
    ::off_t size = 0;
    ::timespec mtime{};
    bool operator==(const FileStamp& o) const;
  };
  FileStamp stamp_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> threads_done_{0};
};

}  // namespace portcullis::app
