#include "telemetry/metrics.h"

#include <cstdio>

namespace portcullis::telemetry {
namespace {

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

void append_labels(std::string& out, const std::string& route) {
  out.append("route=\"");
  for (char c : route) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
}

void append_double(std::string& out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

void RouteMetrics::record(int status, double seconds) {
  if (status < 0 || status >= static_cast<int>(requests_by_code.size())) status = 0;
  bump(requests_by_code[static_cast<std::size_t>(status)]);
  std::size_t bucket = 0;
  while (bucket < kDurationBuckets.size() && seconds > kDurationBuckets[bucket]) ++bucket;
  bump(duration_buckets[bucket]);
  bump(duration_micros_sum, static_cast<std::uint64_t>(seconds * 1e6));
}

void record_upstream_error(RouteMetrics& metrics, UpstreamError error) {
  switch (error) {
    case UpstreamError::kConnect:
      bump(metrics.upstream_connect_errors);
      break;
    case UpstreamError::kTimeout:
      bump(metrics.upstream_timeouts);
      break;
    case UpstreamError::kProtocol:
      bump(metrics.upstream_protocol_errors);
      break;
  }
}

MetricsRegistry::MetricsRegistry() {
  slots_.push_back(std::make_unique<RouteMetrics>());
  slots_.back()->route = "";
  no_route_ = slots_.back().get();
}

RouteMetrics* MetricsRegistry::route(std::string_view route_id) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(std::string(route_id));
  if (it != by_id_.end()) return it->second;
  slots_.push_back(std::make_unique<RouteMetrics>());
  slots_.back()->route = std::string(route_id);
  by_id_.emplace(std::string(route_id), slots_.back().get());
  return slots_.back().get();
}

void MetricsRegistry::config_reloaded(bool success) {
  bump(success ? reload_success_ : reload_failure_);
  last_reload_success_.store(success ? 1 : 0, std::memory_order_relaxed);
}

std::string MetricsRegistry::render() const {
  std::string out;
  out.reserve(4096);
  std::lock_guard lock(mutex_);

  out.append(
      "# HELP portcullis_http_requests_total HTTP requests answered, by route and status.\n");
  out.append("# TYPE portcullis_http_requests_total counter\n");
  for (const auto& slot : slots_) {
    for (std::size_t code = 0; code < slot->requests_by_code.size(); ++code) {
      auto n = slot->requests_by_code[code].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.append("portcullis_http_requests_total{");
      append_labels(out, slot->route);
      out.append(",code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n");
    }
  }

  out.append(
      "# HELP portcullis_http_request_duration_seconds Time from request start to the "
      "end of the response.\n");
  out.append("# TYPE portcullis_http_request_duration_seconds histogram\n");
  for (const auto& slot : slots_) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < slot->duration_buckets.size(); ++b) {
      cumulative += slot->duration_buckets[b].load(std::memory_order_relaxed);
      out.append("portcullis_http_request_duration_seconds_bucket{");
      append_labels(out, slot->route);
      out.append(",le=\"");
      if (b < kDurationBuckets.size()) {
        append_double(out, kDurationBuckets[b]);
      } else {
        out.append("+Inf");
      }
      out.append("\"} " + std::to_string(cumulative) + "\n");
    }
    out.append("portcullis_http_request_duration_seconds_sum{");
    append_labels(out, slot->route);
    out.append("} ");
    append_double(out, static_cast<double>(slot->duration_micros_sum.load()) / 1e6);
    out.append("\nportcullis_http_request_duration_seconds_count{");
    append_labels(out, slot->route);
    out.append("} " + std::to_string(cumulative) + "\n");
  }

  out.append("# HELP portcullis_upstream_errors_total Failed upstream exchanges, by kind.\n");
  out.append("# TYPE portcullis_upstream_errors_total counter\n");
  for (const auto& slot : slots_) {
    const std::pair<const char*, const std::atomic<std::uint64_t>*> kinds[] = {
        {"connect", &slot->upstream_connect_errors},
        {"timeout", &slot->upstream_timeouts},
        {"protocol", &slot->upstream_protocol_errors}};
    for (const auto& [kind, counter] : kinds) {
      out.append("portcullis_upstream_errors_total{");
      append_labels(out, slot->route);
      out.append(std::string(",kind=\"") + kind + "\"} " + std::to_string(counter->load()) + "\n");
    }
  }

  out.append("# HELP portcullis_active_connections Open downstream connections.\n");
  out.append("# TYPE portcullis_active_connections gauge\n");
  out.append("portcullis_active_connections " + std::to_string(active_connections_.load()) + "\n");
  out.append("# HELP portcullis_config_reloads_total Configuration reloads, by result.\n");
  out.append("# TYPE portcullis_config_reloads_total counter\n");
  out.append("portcullis_config_reloads_total{result=\"success\"} " +
             std::to_string(reload_success_.load()) + "\n");
  out.append("portcullis_config_reloads_total{result=\"failure\"} " +
             std::to_string(reload_failure_.load()) + "\n");
  out.append("# TYPE portcullis_config_last_reload_success gauge\n");
  out.append("portcullis_config_last_reload_success " +
             std::to_string(last_reload_success_.load()) + "\n");
  return out;
}

}  // namespace portcullis::telemetry
