#include "proxy/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace portcullis::proxy {
namespace {

using config::LoadBalancing;
using config::Route;
using config::Upstream;

Upstream upstream(std::string host, std::uint16_t port, std::uint32_t weight = 1,
                  std::string scheme = "http") {
  Upstream u;
  u.scheme = std::move(scheme);
  u.host = std::move(host);
  u.port = port;
  u.url = u.scheme + "://" + u.host + ":" + std::to_string(port);
  u.authority = u.host + ":" + std::to_string(port);
  u.weight = weight;
  return u;
}

Route route(std::string id, std::string host, std::vector<Upstream> to,
            LoadBalancing lb = LoadBalancing::kRoundRobin) {
  Route r;
  r.id = std::move(id);
  r.from_scheme = "http";
  r.from_host = std::move(host);
  r.from = "http://" + r.from_host;
  r.to = std::move(to);
  r.load_balancing = lb;
  r.allow_public_unauthenticated_access = true;
  return r;
}

// Routes by index: 0 single upstream, 1 round robin 1:1:1, 2 round robin 5:1:1, 3 random 3:1,
// 4 least request 1:1, 5 least request 1:3, 6 an https upstream.
std::shared_ptr<const config::Config> test_config() {
  auto config = std::make_shared<config::Config>();
  config->options.insecure_server = true;
  config->options.merge_slashes = false;
  config->options.path_with_escaped_slashes_action = "UNESCAPE_AND_FORWARD";
  auto& routes = config->routes;
  routes.push_back(route("single", "single.example", {upstream("127.0.0.1", 9001)}));
  routes.push_back(
      route("rr", "rr.example",
            {upstream("10.0.0.1", 80), upstream("10.0.0.2", 80), upstream("10.0.0.3", 80)}));
  routes.push_back(route(
      "weighted", "weighted.example",
      {upstream("10.0.1.1", 80, 5), upstream("10.0.1.2", 80, 1), upstream("10.0.1.3", 80, 1)}));
  routes.push_back(route("random", "random.example",
                         {upstream("10.0.2.1", 80, 3), upstream("10.0.2.2", 80, 1)},
                         LoadBalancing::kRandom));
  routes.push_back(route("least", "least.example",
                         {upstream("10.0.3.1", 80), upstream("10.0.3.2", 80)},
                         LoadBalancing::kLeastRequest));
  routes.push_back(route("least-weighted", "lw.example",
                         {upstream("10.0.4.1", 80, 1), upstream("10.0.4.2", 80, 3)},
                         LoadBalancing::kLeastRequest));
  Route tls = route("tls", "tls.example", {upstream("backend.internal", 8443, 1, "https")});
  tls.tls_skip_verify = true;
  tls.tls_server_name = "sni.internal";
  routes.push_back(std::move(tls));
  for (std::size_t i = 0; i < routes.size(); ++i) routes[i].index = i;
  return config;
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override { snapshot_ = Snapshot::build(test_config(), metrics_, 2); }
  const Route& route_at(std::size_t i) const { return snapshot_->config().routes[i]; }

  telemetry::MetricsRegistry metrics_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::mt19937_64 rng_{42};
};

TEST_F(SnapshotTest, BuildsRuntimeForEveryRoute) {
  EXPECT_EQ(snapshot_->tls(), nullptr);  // insecure_server
  EXPECT_TRUE(snapshot_->options().insecure_server);
  EXPECT_EQ(snapshot_->config().routes.size(), 7u);
  EXPECT_TRUE(snapshot_->path_options().normalize_path);
  EXPECT_FALSE(snapshot_->path_options().merge_slashes);
  EXPECT_EQ(snapshot_->path_options().escaped_slashes, EscapedSlashesAction::kUnescapeAndForward);

  for (const Route& r : snapshot_->config().routes) {
    SCOPED_TRACE(r.id);
    const RouteRuntime& runtime = snapshot_->runtime(r);
    EXPECT_EQ(runtime.route, &r);
    ASSERT_EQ(runtime.targets.size(), r.to.size());
    // One metrics slot per route id, shared with the registry.
    EXPECT_EQ(runtime.metrics, metrics_.route(r.id));
    EXPECT_EQ(runtime.metrics->route, r.id);
    EXPECT_EQ(snapshot_->routes().match(r.from_host, "/"), &r);
  }
  EXPECT_EQ(snapshot_->routes().match("unknown.example", "/"), nullptr);

  const auto& plain = snapshot_->runtime(route_at(0)).targets[0];
  EXPECT_EQ(plain.host, "127.0.0.1");
  EXPECT_EQ(plain.port, 9001);
  EXPECT_EQ(plain.key, "http://127.0.0.1:9001");
  EXPECT_EQ(plain.tls, nullptr);

  const auto& tls = snapshot_->runtime(route_at(6)).targets[0];
  EXPECT_EQ(tls.host, "backend.internal");
  EXPECT_EQ(tls.port, 8443);
  EXPECT_NE(tls.tls, nullptr);
  EXPECT_EQ(tls.server_name, "sni.internal");
  // TLS connections are pooled apart from plain ones to the same address.
  EXPECT_NE(tls.key, "https://backend.internal:8443");
  EXPECT_EQ(tls.key.rfind("https://backend.internal:8443", 0), 0u);
}

TEST_F(SnapshotTest, ReusesMetricSlotsAcrossRebuilds) {
  auto rebuilt = Snapshot::build(test_config(), metrics_, 1);
  for (std::size_t i = 0; i < rebuilt->config().routes.size(); ++i) {
    EXPECT_EQ(rebuilt->runtime(rebuilt->config().routes[i]).metrics,
              snapshot_->runtime(route_at(i)).metrics);
  }
}

TEST_F(SnapshotTest, SingleUpstreamIsAlwaysZero) {
  const Route& single = route_at(0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(snapshot_->pick_upstream(single, 0, rng_), 0u);
    snapshot_->upstream_started(single, 0, 0);  // no state for one upstream: a no-op
  }
  for (int i = 0; i < 100; ++i) snapshot_->upstream_finished(single, 0, 0);
  EXPECT_EQ(snapshot_->pick_upstream(single, 1, rng_), 0u);
}

TEST_F(SnapshotTest, RoundRobinEqualWeightsRotate) {
  const Route& rr = route_at(1);
  std::vector<std::size_t> picks;
  for (int i = 0; i < 30; ++i) picks.push_back(snapshot_->pick_upstream(rr, 0, rng_));
  for (std::size_t i = 0; i < picks.size(); ++i) {
    EXPECT_EQ(picks[i], i % 3) << "pick " << i;
  }
}

TEST_F(SnapshotTest, RoundRobinWeightsAreExactAndSmooth) {
  const Route& weighted = route_at(2);
  // nginx's smooth weighted round robin for 5:1:1 is a a b a c a a.
  const std::vector<std::size_t> cycle = {0, 0, 1, 0, 2, 0, 0};
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> picks;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
      picks.push_back(snapshot_->pick_upstream(weighted, 0, rng_));
    }
    ASSERT_EQ(picks, cycle) << "round " << round;
  }
}

TEST(SnapshotRoundRobin, ExactProportionsForManyWeightSets) {
  const std::vector<std::vector<std::uint32_t>> weight_sets = {
      {1, 1}, {2, 1}, {3, 1}, {1, 2, 3}, {10, 1, 1}, {7, 3}, {1, 1, 1, 1, 4}, {100, 1}};
  for (const auto& weights : weight_sets) {
    std::string trace;
    for (auto w : weights) trace += std::to_string(w) + " ";
    SCOPED_TRACE(trace);
    auto config = std::make_shared<config::Config>();
    config->options.insecure_server = true;
    std::vector<Upstream> to;
    std::uint32_t total = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      to.push_back(upstream("10.1.0." + std::to_string(i + 1), 80, weights[i]));
      total += weights[i];
    }
    config->routes.push_back(route("r", "r.example", to));
    telemetry::MetricsRegistry metrics;
    auto snapshot = Snapshot::build(config, metrics, 1);
    std::mt19937_64 rng(1);
    const Route& r = snapshot->config().routes[0];
    for (int cycle = 0; cycle < 3; ++cycle) {
      std::vector<std::uint32_t> counts(weights.size(), 0);
      std::size_t longest_run = 0, run = 0, previous = weights.size();
      for (std::uint32_t i = 0; i < total; ++i) {
        std::size_t pick = snapshot->pick_upstream(r, 0, rng);
        ASSERT_LT(pick, weights.size());
        ++counts[pick];
        run = pick == previous ? run + 1 : 1;
        previous = pick;
        longest_run = std::max(longest_run, run);
      }
      EXPECT_EQ(counts, weights) << "cycle " << cycle;
      // Smooth: picks of the heaviest are interleaved with the others, never bunched up
      // (runs of at most ceil(heaviest / others)).
      std::uint32_t heaviest = *std::max_element(weights.begin(), weights.end());
      std::uint32_t others = total - heaviest;
      EXPECT_LE(longest_run, (heaviest + others - 1) / others) << "cycle " << cycle;
    }
  }
}

TEST_F(SnapshotTest, RandomFollowsWeights) {
  const Route& random = route_at(3);  // 3:1
  constexpr int kPicks = 10000;
  int first = 0;
  for (int i = 0; i < kPicks; ++i) {
    std::size_t pick = snapshot_->pick_upstream(random, 0, rng_);
    ASSERT_LT(pick, 2u);
    if (pick == 0) ++first;
  }
  double share = static_cast<double>(first) / kPicks;
  EXPECT_NEAR(share, 0.75, 0.03);
}

TEST_F(SnapshotTest, LeastRequestPrefersTheLessLoaded) {
  const Route& least = route_at(4);
  // Equal load: both are picked about as often.
  int second = 0;
  constexpr int kPicks = 4000;
  for (int i = 0; i < kPicks; ++i) second += snapshot_->pick_upstream(least, 0, rng_) == 1;
  EXPECT_NEAR(static_cast<double>(second) / kPicks, 0.5, 0.05);

  // Upstream 0 has requests in flight: two random choices pick upstream 1 unless both land on 0.
  for (int i = 0; i < 5; ++i) snapshot_->upstream_started(least, 0, 0);
  second = 0;
  for (int i = 0; i < kPicks; ++i) second += snapshot_->pick_upstream(least, 0, rng_) == 1;
  EXPECT_NEAR(static_cast<double>(second) / kPicks, 0.75, 0.05);

  // Once they finish, the balance returns.
  for (int i = 0; i < 5; ++i) snapshot_->upstream_finished(least, 0, 0);
  second = 0;
  for (int i = 0; i < kPicks; ++i) second += snapshot_->pick_upstream(least, 0, rng_) == 1;
  EXPECT_NEAR(static_cast<double>(second) / kPicks, 0.5, 0.05);
}

TEST_F(SnapshotTest, LeastRequestCountsWeights) {
  const Route& lw = route_at(5);  // weights 1:3, nothing in flight: upstream 1 looks lighter
  int second = 0;
  constexpr int kPicks = 4000;
  for (int i = 0; i < kPicks; ++i) second += snapshot_->pick_upstream(lw, 0, rng_) == 1;
  EXPECT_NEAR(static_cast<double>(second) / kPicks, 0.75, 0.05);
}

TEST_F(SnapshotTest, WorkersKeepIndependentState) {
  const Route& rr = route_at(1);
  const Route& least = route_at(4);
  // Worker 0 advances its round robin; worker 1 starts from the beginning.
  EXPECT_EQ(snapshot_->pick_upstream(rr, 0, rng_), 0u);
  EXPECT_EQ(snapshot_->pick_upstream(rr, 0, rng_), 1u);
  EXPECT_EQ(snapshot_->pick_upstream(rr, 1, rng_), 0u);
  EXPECT_EQ(snapshot_->pick_upstream(rr, 0, rng_), 2u);
  EXPECT_EQ(snapshot_->pick_upstream(rr, 1, rng_), 1u);
  // Another route on the same worker has its own cycle.
  const Route& weighted = route_at(2);
  EXPECT_EQ(snapshot_->pick_upstream(weighted, 0, rng_), 0u);
  EXPECT_EQ(snapshot_->pick_upstream(weighted, 0, rng_), 0u);
  EXPECT_EQ(snapshot_->pick_upstream(weighted, 0, rng_), 1u);
  EXPECT_EQ(snapshot_->pick_upstream(rr, 0, rng_), 0u);

  // In-flight requests on worker 0 do not weigh on worker 1.
  for (int i = 0; i < 50; ++i) snapshot_->upstream_started(least, 0, 1);
  int second = 0;
  constexpr int kPicks = 4000;
  for (int i = 0; i < kPicks; ++i) second += snapshot_->pick_upstream(least, 1, rng_) == 1;
  EXPECT_NEAR(static_cast<double>(second) / kPicks, 0.5, 0.05);
  second = 0;
  for (int i = 0; i < kPicks; ++i) second += snapshot_->pick_upstream(least, 0, rng_) == 1;
  EXPECT_NEAR(static_cast<double>(second) / kPicks, 0.25, 0.05);
}

TEST(SnapshotBuild, ZeroWorkersStillHasOneRow) {
  telemetry::MetricsRegistry metrics;
  auto snapshot = Snapshot::build(test_config(), metrics, 0);
  std::mt19937_64 rng(3);
  EXPECT_EQ(snapshot->pick_upstream(snapshot->config().routes[1], 0, rng), 0u);
  EXPECT_EQ(snapshot->pick_upstream(snapshot->config().routes[1], 0, rng), 1u);
}

TEST(SnapshotBuild, BadUpstreamTlsSettingThrowsNamingTheRoute) {
  auto config = std::make_shared<config::Config>();
  config->options.insecure_server = true;
  Route r = route("bad-ca", "bad.example", {upstream("backend.internal", 443, 1, "https")});
  r.tls_custom_ca_pem =
      "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  config->routes.push_back(std::move(r));
  telemetry::MetricsRegistry metrics;
  try {
    (void)Snapshot::build(config, metrics, 1);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("http://bad.example"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("https://backend.internal:443"), std::string::npos)
        << e.what();
  }
}

TEST(SnapshotBuild, SecureServerWithoutCertificatesServesAGeneratedOne) {
  auto config = std::make_shared<config::Config>();
  config->options.insecure_server = false;
  config->routes.push_back(route("r", "r.example", {upstream("10.0.0.1", 80)}));
  telemetry::MetricsRegistry metrics;
  auto snapshot = Snapshot::build(config, metrics, 1);
  ASSERT_NE(snapshot->tls(), nullptr);
  EXPECT_EQ(snapshot->tls()->select("portcullis.localhost"), 0u);
}

TEST(SnapshotBuild, SecureServerLoadsConfiguredCertificates) {
  auto first = http::generate_self_signed_certificate("first.example");
  auto second = http::generate_self_signed_certificate("second.example");
  auto config = std::make_shared<config::Config>();
  config->options.insecure_server = false;
  config->options.certificates = {{first.cert_pem, first.key_pem},
                                  {second.cert_pem, second.key_pem}};
  config->routes.push_back(route("r", "r.example", {upstream("10.0.0.1", 80)}));
  telemetry::MetricsRegistry metrics;
  auto snapshot = Snapshot::build(config, metrics, 1);
  ASSERT_NE(snapshot->tls(), nullptr);
  EXPECT_EQ(snapshot->tls()->select("first.example"), 0u);
  EXPECT_EQ(snapshot->tls()->select("second.example"), 1u);
}

TEST(SnapshotBuild, SecureServerWithABadCertificateThrows) {
  auto first = http::generate_self_signed_certificate("first.example");
  auto second = http::generate_self_signed_certificate("second.example");
  auto config = std::make_shared<config::Config>();
  config->options.insecure_server = false;
  config->options.certificates = {{first.cert_pem, second.key_pem}};
  telemetry::MetricsRegistry metrics;
  EXPECT_THROW((void)Snapshot::build(config, metrics, 1), std::runtime_error);
}

}  // namespace
}  // namespace portcullis::proxy
