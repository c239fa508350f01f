#pragma once
// Snapshot: everything a worker needs to serve requests under one configuration: the config,
// its route table, upstream connection targets, TLS contexts and metric slots. Built once per
// (re)load, shared read-only by all workers; per-worker mutable load-balancing state lives in
// per-worker arrays inside it so that workers never share a written cache line.

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "authenticate/sign_in_flow.h"
#include "authorize/authorizer.h"
#include "config/config.h"
#include "http/tls.h"
#include "http/upstream_pool.h"
#include "proxy/request_target.h"
#include "proxy/route_table.h"
#include "telemetry/metrics.h"

namespace portcullis::proxy {

struct RouteRuntime {
  const config::Route* route = nullptr;
  std::vector<http::UpstreamTarget> targets;  // parallel to route->to
  telemetry::RouteMetrics* metrics = nullptr;
  std::string response_set_lines;  // route->set_response_headers, as written to the client
};

// Load-balancing state of one route on one worker.
struct BalancerState {
  std::vector<std::int64_t> current_weight;  // smooth weighted round robin
  std::vector<std::uint32_t> active;         // in-flight requests per upstream (least request)
};

class Snapshot {
 public:
  // Throws std::runtime_error when a TLS certificate, an upstream TLS setting, the signing key
  // or a route policy does not load. `authorize` gives the authorizer its session records;
  // `sign_in` serves the sign-in endpoints (null: this process does not serve them).
  static std::shared_ptr<const Snapshot> build(
      std::shared_ptr<const config::Config> config, telemetry::MetricsRegistry& metrics,
      std::size_t workers, authorize::AuthorizeEnvironment authorize = {},
      std::shared_ptr<const authenticate::SignInFlow> sign_in = nullptr);

  const config::Config& config() const { return *config_; }
  const config::Options& options() const { return config_->options; }
  const RouteTable& routes() const { return *table_; }
  const RouteRuntime& runtime(const config::Route& route) const { return runtimes_[route.index]; }
  http::ServerTlsContexts* tls() const { return tls_.get(); }
  const PathOptions& path_options() const { return path_options_; }
  // Route policies, identity headers and the built-in authorize endpoints of this config.
  const authorize::Authorizer& authorizer() const { return *authorizer_; }
  // The sign-in endpoints (the authenticate host and /.pomerium/* on route hosts), or null.
  const authenticate::SignInFlow* sign_in() const { return sign_in_.get(); }
  // host[:port] of authenticate_service_url, lower-case; empty without sign-in endpoints.
  std::string_view authenticate_host() const { return authenticate_host_; }

  // Picks an upstream of `route` on `worker` per its load-balancing policy.
  std::size_t pick_upstream(const config::Route& route, std::size_t worker,
                            std::mt19937_64& rng) const;
  void upstream_started(const config::Route& route, std::size_t worker, std::size_t i) const;
  void upstream_finished(const config::Route& route, std::size_t worker, std::size_t i) const;

 private:
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<RouteTable> table_;
  std::vector<RouteRuntime> runtimes_;
  std::unique_ptr<http::ServerTlsContexts> tls_;
  PathOptions path_options_;
  std::unique_ptr<authorize::Authorizer> authorizer_;
  std::shared_ptr<const authenticate::SignInFlow> sign_in_;
  std::string authenticate_host_;
  // balancers_[worker][route index]; each worker writes only its own row.
  mutable std::vector<std::vector<BalancerState>> balancers_;
};

}  // namespace portcullis::proxy
