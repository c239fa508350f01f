#include "app/server.h"

#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "authenticate/settings.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "databroker/grpc_client.h"
#include "http/listener.h"
#include "telemetry/log.h"

namespace portcullis::app {

using namespace portcullis::http;

namespace {

constexpr auto kWatchInterval = std::chrono::seconds(1);

std::string endpoint_text(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

tcp::endpoint must_parse(const std::string& key, const std::string& value) {
  std::string error;
  auto endpoint = parse_listen_address(value, &error);
  if (!endpoint) throw std::runtime_error(key + ": " + error);
  return *endpoint;
}

std::size_t worker_count(const config::Options& options) {
  if (options.num_workers > 0) return options.num_workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

}  // namespace

bool Server::FileStamp::operator==(const FileStamp& o) const {
  return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec;
}

Server::Server(std::string config_path, std::shared_ptr<const config::Config> config)
    : config_path_(std::move(config_path)), config_(std::move(config)) {}

Server::~Server() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

int Server::run() {
  const auto& options = config_->options;
  std::size_t n = worker_count(options);
  if (options.has_service("databroker")) {
    bool serve_grpc = serves_databroker_grpc(options);
    if (serve_grpc && options.shared_secret.empty()) {
      // In process the databroker needs no secret; over gRPC it does.
      telemetry::log_warn("databroker not served on grpc_address: shared_secret is not set");
      serve_grpc = false;
    }
    try {
      databroker_ = std::make_unique<DatabrokerService>(options, serve_grpc);
    } catch (const std::exception& e) {
      telemetry::log_error("cannot start", {{"service", "databroker"}, {"error", e.what()}});
      return 1;
    }
  }
  if (options.shared_secret.empty()) {
    telemetry::log_warn("no shared_secret configured: using a random one for this process");
  }
  generated_.shared_secret = crypto::random_bytes(32);
  generated_.cookie_secret = crypto::random_bytes(32);
  try {
    start_session_replicas();
    snapshot_ = build_snapshot(config_, n);
    if (sign_in_ && (options.has_service("databroker") || options.has_service("authenticate"))) {
      sign_in_->start_identity_manager();
    }
  } catch (const std::exception& e) {
    telemetry::log_error("cannot start", {{"error", e.what()}});
    if (sign_in_) sign_in_->stop();
    if (sessions_) sessions_->stop();
    if (databroker_) databroker_->stop();
    return 1;
  }

  try {
    auto endpoint = must_parse("address", options.address);
    for (std::size_t i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<proxy::Worker>(i, metrics_, snapshot_));
      workers_.back()->listen(endpoint, !options.insecure_server);
    }
    telemetry::log_info("listening", {{"service", "proxy"},
                                      {"address", endpoint_text(endpoint)},
                                      {"tls", !options.insecure_server},
                                      {"workers", n}});
    start_side_listeners();
  } catch (const std::exception& e) {
    telemetry::log_error("cannot listen", {{"error", e.what()}});
    return 1;
  }

  struct stat st {};
  if (::stat(config_path_.c_str(), &st) == 0) {
    stamp_ = {st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  }

  signals_ = std::make_unique<asio::signal_set>(control_, SIGTERM, SIGINT, SIGHUP);
  std::function<void(const error_code&, int)> on_signal = [this, &on_signal](const error_code& ec,
                                                                             int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload("SIGHUP");
    } else {
      drain();
      return;
    }
    signals_->async_wait(on_signal);
  };
  signals_->async_wait(on_signal);
  asio::co_spawn(control_, watch_config_file(), asio::detached);

  for (auto& worker : workers_) {
    threads_.emplace_back([this, w = worker.get()] {
      w->run();
      threads_done_.fetch_add(1);
      asio::post(control_, [this] {
        if (threads_done_.load() == workers_.size()) control_.stop();
      });
    });
  }
  ready_ = true;
  control_.run();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  if (sign_in_) sign_in_->stop();
  if (sessions_) sessions_->stop();
  if (databroker_) databroker_->stop();
  telemetry::log_info("stopped");
  return 0;
}

void Server::start_session_replicas() {
  const auto& options = config_->options;
  databroker::DataBroker* broker = databroker();
  if (broker == nullptr && !options.databroker_service_urls.empty() &&
      !options.shared_secret.empty()) {
    databroker::GrpcClientOptions client;
    client.urls = options.databroker_internal_service_url.empty()
                      ? options.databroker_service_urls
                      : std::vector<std::string>{options.databroker_internal_service_url};
    client.shared_secret =
        crypto::base64_decode(options.shared_secret, crypto::Base64::kStandard).value_or("");
    client.insecure = options.grpc_insecure;
    client.ca_pem = options.certificate_authority_pem;
    client.timeout = options.grpc_client_timeout;
    remote_databroker_ = std::make_unique<databroker::GrpcDataBroker>(std::move(client));
    broker = remote_databroker_.get();
  }
  if (options.has_service("proxy") || options.has_service("authenticate")) {
    sign_in_ = std::make_unique<SignInService>(broker, generated_);
  }
  if (broker == nullptr) {
    telemetry::log_warn("no databroker: requests with a session handle are answered 503");
    return;
  }
  sessions_ = std::make_shared<authorize::ReplicaSessionSource>(*broker);
}

authorize::AuthorizeEnvironment Server::authorize_environment(
    const config::Options& options) const {
  authorize::AuthorizeEnvironment environment;
  environment.sessions = sessions_;
  if (options.shared_secret.empty()) environment.generated_shared_secret = generated_.shared_secret;
  environment.idp_id = authenticate::compute_idp_id(options);
  return environment;
}

std::shared_ptr<const proxy::Snapshot> Server::build_snapshot(
    std::shared_ptr<const config::Config> config, std::size_t workers) {
  std::shared_ptr<const authenticate::SignInFlow> flow;
  if (sign_in_) flow = sign_in_->flow_for(*config, sessions_);
  auto environment = authorize_environment(config->options);
  return proxy::Snapshot::build(std::move(config), metrics_, workers, std::move(environment),
                                std::move(flow));
}

void Server::start_side_listeners() {
  const auto& options = config_->options;
  auto health_handler = [this](const SimpleRequest& r) { return health(r); };
  if (!options.health_check_addr.empty()) {
    auto endpoint = must_parse("health_check_addr", options.health_check_addr);
    try {
      side_servers_.push_back(std::make_unique<SimpleServer>(control_, endpoint, health_handler));
      health_ = side_servers_.back().get();
      telemetry::log_info("listening", {{"service", "health"},
                                        {"address", endpoint_text(health_->local_endpoint())}});
    } catch (const std::exception& e) {
      // Health checks are auxiliary: an occupied port must not keep the proxy down.
      telemetry::log_warn("health listener unavailable",
                          {{"address", options.health_check_addr}, {"error", e.what()}});
    }
  }
  if (!options.metrics_address.empty()) {
    auto endpoint = must_parse("metrics_address", options.metrics_address);
    side_servers_.push_back(
        std::make_unique<SimpleServer>(control_, endpoint, [this](const SimpleRequest& r) {
          SimpleResponse res;
          if (r.target == "/metrics" || r.target.rfind("/metrics?", 0) == 0) {
            res.content_type = "text/plain; version=0.0.4; charset=utf-8";
            res.body = metrics_.render();
          } else {
            res.status = 404;
            res.body = "not found\n";
          }
          return res;
        }));
    telemetry::log_info("listening",
                        {{"service", "metrics"},
                         {"address", endpoint_text(side_servers_.back()->local_endpoint())}});
  }
  if (!options.http_redirect_addr.empty()) {
    auto endpoint = must_parse("http_redirect_addr", options.http_redirect_addr);
    side_servers_.push_back(
        std::make_unique<SimpleServer>(control_, endpoint, [](const SimpleRequest& r) {
          // As Envoy's https_redirect: same host and path on the default HTTPS port.
          SimpleResponse res;
          std::string host = host_without_port(r.host);
          if (host.empty() || host.find_first_of("/\\@ ") != std::string::npos) {
            res.status = 400;
            res.body = "missing or invalid Host\n";
            return res;
          }
          std::string target = r.target.empty() || r.target.front() != '/' ? "/" : r.target;
          res.status = 301;
          res.content_type = "text/html; charset=utf-8";
          res.headers.emplace_back("Location", "https://" + host + target);
          res.body = "<a href=\"https://" + host + "\">Moved Permanently</a>\n";
          return res;
        }));
    telemetry::log_info("listening",
                        {{"service", "http-redirect"},
                         {"address", endpoint_text(side_servers_.back()->local_endpoint())}});
  }
}

SimpleResponse Server::health(const SimpleRequest& request) const {
  SimpleResponse res;
  std::string path = request.target.substr(0, request.target.find('?'));
  bool ready = ready_.load() && !draining_.load();
  if (path == "/healthz" || path == "/ping") {
    res.body = "OK\n";
  } else if (path == "/readyz" || path == "/startupz") {
    res.status = ready ? 200 : 503;
    res.body = ready ? "OK\n" : (draining_ ? "draining\n" : "starting\n");
  } else if (path == "/status") {
    res.content_type = "application/json";
    res.body = std::string("{\"statuses\":{\"proxy\":{\"status\":\"") +
               (ready ? "RUNNING" : (draining_ ? "TERMINATING" : "STARTING")) + "\"}}}\n";
  } else {
    res.status = 404;
    res.body = "not found\n";
  }
  return res;
}

void Server::reload(std::string_view reason) {
  if (draining_) return;
  auto result = config::load_config_file(config_path_);
  config::check_serving_requirements(result);
  std::string errors;
  for (const auto& d : result.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) {
      if (!errors.empty()) errors += "; ";
      errors += d.to_string();
    }
  }
  if (!result.ok()) {
    metrics_.config_reloaded(false);
    telemetry::log_error("config reload rejected",
                         {{"reason", reason}, {"file", config_path_}, {"error", errors}});
    return;
  }
  std::shared_ptr<const proxy::Snapshot> snapshot;
  try {
    snapshot = build_snapshot(result.config, workers_.size());
  } catch (const std::exception& e) {
    metrics_.config_reloaded(false);
    telemetry::log_error("config reload rejected",
                         {{"reason", reason}, {"file", config_path_}, {"error", e.what()}});
    return;
  }
  const auto& old_options = config_->options;
  const auto& new_options = result.config->options;
  if (old_options.address != new_options.address ||
      old_options.insecure_server != new_options.insecure_server ||
      old_options.num_workers != new_options.num_workers) {
    telemetry::log_warn("listener settings changed: restart to apply them",
                        {{"address", new_options.address}});
  }
  telemetry::set_log_level(new_options.log_level);
  config_ = result.config;
  snapshot_ = snapshot;
  for (auto& worker : workers_) worker->update_snapshot(snapshot);
  metrics_.config_reloaded(true);
  telemetry::log_info(
      "config reloaded",
      {{"reason", reason}, {"file", config_path_}, {"routes", config_->routes.size()}});
}

awaitable<void> Server::watch_config_file() {
  while (!draining_) {
    watch_timer_.expires_after(kWatchInterval);
    auto [ec] = co_await watch_timer_.async_wait(kNoThrow);
    if (ec || draining_) co_return;
    struct stat st {};
    if (::stat(config_path_.c_str(), &st) != 0) continue;  // mid-replace: look again later
    FileStamp now{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
    if (now == stamp_) continue;
    stamp_ = now;
    reload("file changed");
  }
}

void Server::drain() {
  if (draining_.exchange(true)) return;
  auto timeout = config_->options.shutdown_timeout;
  telemetry::log_info("draining", {{"timeout_ms", timeout.count()}});
  watch_timer_.cancel();
  // The health listener stays up (readyz says 503) until the process exits.
  for (auto& server : side_servers_) {
    if (server.get() != health_) server->close();
  }
  for (auto& worker : workers_) worker->begin_drain();
  drain_timer_.expires_after(timeout);
  drain_timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    telemetry::log_warn("drain timed out: closing remaining connections");
    for (auto& worker : workers_) worker->force_close();
  });
}

}  // namespace portcullis::app
