#include "proxy/snapshot.h"

#include <stdexcept>

#include "proxy/header_rules.h"
#include "telemetry/log.h"

namespace portcullis::proxy {
namespace {

EscapedSlashesAction escaped_slashes_action(const std::string& name) {
  if (name == "KEEP_UNCHANGED") return EscapedSlashesAction::kKeepUnchanged;
  if (name == "UNESCAPE_AND_REDIRECT") return EscapedSlashesAction::kUnescapeAndRedirect;
  if (name == "UNESCAPE_AND_FORWARD") return EscapedSlashesAction::kUnescapeAndForward;
  return EscapedSlashesAction::kRejectRequest;
}

http::UpstreamTarget make_target(const config::Route& route, const config::Upstream& upstream) {
  http::UpstreamTarget target;
  target.host = upstream.host;
  target.port = upstream.port;
  target.key = upstream.scheme + "://" + upstream.host + ":" + std::to_string(upstream.port);
  if (upstream.tls()) {
    http::ClientTlsOptions tls;
    tls.skip_verify = route.tls_skip_verify;
    tls.custom_ca_pem = route.tls_custom_ca_pem;
    tls.client_cert_pem = route.tls_client_cert_pem;
    tls.client_key_pem = route.tls_client_key_pem;
    target.tls = http::make_client_tls_context(tls);
    target.server_name = route.tls_server_name.empty() ? upstream.host : route.tls_server_name;
    // Connections made with different TLS settings are never shared.
    target.key += "|tls|" + route.id + "|" + target.server_name;
  }
  return target;
}

}  // namespace

std::shared_ptr<const Snapshot> Snapshot::build(
    std::shared_ptr<const config::Config> config, telemetry::MetricsRegistry& metrics,
    std::size_t workers, authorize::AuthorizeEnvironment authorize,
    std::shared_ptr<const authenticate::SignInFlow> sign_in) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config_ = std::move(config);
  const auto& options = snapshot->config_->options;
  snapshot->table_ = std::make_unique<RouteTable>(snapshot->config_->routes);
  snapshot->path_options_.normalize_path = options.normalize_path;
  snapshot->path_options_.merge_slashes = options.merge_slashes;
  snapshot->path_options_.escaped_slashes =
      escaped_slashes_action(options.path_with_escaped_slashes_action);

  for (const auto& route : snapshot->config_->routes) {
    RouteRuntime runtime;
    runtime.route = &route;
    runtime.metrics = metrics.route(route.id);
    append_response_set_lines(runtime.response_set_lines, route.set_response_headers);
    for (const auto& upstream : route.to) {
      try {
        runtime.targets.push_back(make_target(route, upstream));
      } catch (const std::exception& e) {
        throw std::runtime_error("route " + route.from + " upstream " + upstream.url + ": " +
                                 e.what());
      }
    }
    snapshot->runtimes_.push_back(std::move(runtime));
  }

  snapshot->authorizer_ = std::make_unique<authorize::Authorizer>(
      snapshot->config_, std::move(authorize), std::max<std::size_t>(workers, 1));
  if (sign_in) {
    snapshot->authenticate_host_ = sign_in->settings().authenticate_host;
    snapshot->sign_in_ = std::move(sign_in);
  }

  if (!options.insecure_server) {
    std::vector<http::CertificatePem> certificates;
    for (const auto& c : options.certificates) certificates.push_back({c.cert_pem, c.key_pem});
    if (certificates.empty()) {
      // As Pomerium: serve a generated self-signed certificate rather than refuse to start.
      telemetry::log_warn("no TLS certificate configured: serving a generated self-signed one");
      certificates.push_back(http::generate_self_signed_certificate("portcullis.localhost"));
    }
    snapshot->tls_ = std::make_unique<http::ServerTlsContexts>(certificates);
  }

  snapshot->balancers_.resize(std::max<std::size_t>(workers, 1));
  for (auto& row : snapshot->balancers_) {
    row.resize(snapshot->config_->routes.size());
    for (std::size_t i = 0; i < row.size(); ++i) {
      auto n = snapshot->config_->routes[i].to.size();
      row[i].current_weight.assign(n, 0);
      row[i].active.assign(n, 0);
    }
  }
  return snapshot;
}

std::size_t Snapshot::pick_upstream(const config::Route& route, std::size_t worker,
                                    std::mt19937_64& rng) const {
  const auto n = route.to.size();
  if (n <= 1) return 0;
  auto& state = balancers_[worker][route.index];
  switch (route.load_balancing) {
    case config::LoadBalancing::kRandom: {
      std::uint64_t total = 0;
      for (const auto& u : route.to) total += u.weight;
      std::uint64_t r = rng() % total;
      for (std::size_t i = 0; i < n; ++i) {
        if (r < route.to[i].weight) return i;
        r -= route.to[i].weight;
      }
      return n - 1;
    }
    case config::LoadBalancing::kLeastRequest: {
      // Power of two choices, weighted by dividing the in-flight count by the weight.
      std::size_t a = rng() % n, b = rng() % n;
      auto load = [&](std::size_t i) {
        return static_cast<double>(state.active[i] + 1) / route.to[i].weight;
      };
      return load(b) < load(a) ? b : a;
    }
    default: {
      // Smooth weighted round robin: even spread, exact weights over each cycle.
      std::int64_t total = 0;
      std::size_t best = 0;
      for (std::size_t i = 0; i < n; ++i) {
        state.current_weight[i] += route.to[i].weight;
        total += route.to[i].weight;
        if (state.current_weight[i] > state.current_weight[best]) best = i;
      }
      state.current_weight[best] -= total;
      return best;
    }
  }
}

void Snapshot::upstream_started(const config::Route& route, std::size_t worker,
                                std::size_t i) const {
  if (route.to.size() > 1) ++balancers_[worker][route.index].active[i];
}

void Snapshot::upstream_finished(const config::Route& route, std::size_t worker,
                                 std::size_t i) const {
  if (route.to.size() > 1) --balancers_[worker][route.index].active[i];
}

}  // namespace portcullis::proxy
