#pragma once
// Prometheus metrics for the data plane. Counters are relaxed atomics in fixed slots that are
// assigned when a config snapshot is built, so the request path never takes a lock or allocates;
// a scrape reads every slot and renders the text exposition format.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace portcullis::telemetry {

// Request duration buckets, in seconds.
inline constexpr std::array<double, 12> kDurationBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

// Counters for one route (slot 0 is "no route": built-in endpoints and rejected requests).
struct RouteMetrics {
  std::string route;  // label value; fixed once the slot is assigned
  std::array<std::atomic<std::uint64_t>, 600> requests_by_code{};
  std::array<std::atomic<std::uint64_t>, kDurationBuckets.size() + 1> duration_buckets{};
  std::atomic<std::uint64_t> duration_micros_sum{0};
  std::atomic<std::uint64_t> upstream_connect_errors{0};
  std::atomic<std::uint64_t> upstream_timeouts{0};
  std::atomic<std::uint64_t> upstream_protocol_errors{0};

  void record(int status, double seconds);
};

enum class UpstreamError { kConnect, kTimeout, kProtocol };

class MetricsRegistry {
 public:
  MetricsRegistry();

  // The slot for a route id, created on first use (start-up and reload only: takes a lock).
  RouteMetrics* route(std::string_view route_id);
  RouteMetrics* no_route() { return no_route_; }

  void connection_opened() { active_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { active_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void config_reloaded(bool success);

  // Prometheus text format 0.0.4.
  std::string render() const;

 private:
  mutable std::mutex mutex_;  // guards the map and the vector, never touched per request
  std::unordered_map<std::string, RouteMetrics*> by_id_;
  std::vector<std::unique_ptr<RouteMetrics>> slots_;
  RouteMetrics* no_route_;
  std::atomic<std::int64_t> active_connections_{0};
  std::atomic<std::uint64_t> reload_success_{0};
  std::atomic<std::uint64_t> reload_failure_{0};
  std::atomic<std::int64_t> last_reload_success_{1};
};

void record_upstream_error(RouteMetrics& metrics, UpstreamError error);

}  // namespace portcullis::telemetry
