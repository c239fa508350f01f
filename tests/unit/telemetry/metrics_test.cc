#include "telemetry/metrics.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::telemetry {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

// The samples of `metric` whose labels start with `label_prefix`, in order: labels -> value.
std::vector<std::pair<std::string, std::string>> samples(const std::string& text,
                                                         const std::string& metric,
                                                         const std::string& label_prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string start = metric + "{" + label_prefix;
  for (const auto& l : lines_of(text)) {
    if (l.rfind(start, 0) != 0) continue;
    auto space = l.rfind(' ');
    out.emplace_back(l.substr(metric.size(), space - metric.size()), l.substr(space + 1));
  }
  return out;
}

TEST(MetricsRegistry, RouteSlotsAreStable) {
  MetricsRegistry registry;
  RouteMetrics* a = registry.route("a");
  EXPECT_EQ(registry.route("a"), a);
  EXPECT_NE(registry.route("b"), a);
  EXPECT_EQ(a->route, "a");
  EXPECT_NE(registry.no_route(), a);
  EXPECT_EQ(registry.no_route()->route, "");
}

TEST(MetricsRegistry, RequestsCountedByCode) {
  MetricsRegistry registry;
  RouteMetrics* r = registry.route("r1");
  r->record(200, 0.001);
  r->record(200, 0.002);
  r->record(404, 0.001);
  r->record(503, 0.5);
  registry.no_route()->record(404, 0.0001);
  std::string text = registry.render();
  EXPECT_TRUE(has_line(text, "portcullis_http_requests_total{route=\"r1\",code=\"200\"} 2"))
      << text;
  EXPECT_TRUE(has_line(text, "portcullis_http_requests_total{route=\"r1\",code=\"404\"} 1"));
  EXPECT_TRUE(has_line(text, "portcullis_http_requests_total{route=\"r1\",code=\"503\"} 1"));
  EXPECT_TRUE(has_line(text, "portcullis_http_requests_total{route=\"\",code=\"404\"} 1"));
  // Codes never seen are not rendered.
  EXPECT_EQ(text.find("code=\"500\""), std::string::npos);
  EXPECT_TRUE(has_line(text, "# TYPE portcullis_http_requests_total counter"));
}

TEST(MetricsRegistry, OutOfRangeStatusCountsAsZero) {
  MetricsRegistry registry;
  RouteMetrics* r = registry.route("r");
  r->record(-1, 0.001);
  r->record(600, 0.001);
  r->record(1000, 0.001);
  EXPECT_TRUE(
      has_line(registry.render(), "portcullis_http_requests_total{route=\"r\",code=\"0\"} 3"));
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  RouteMetrics* r = registry.route("h");
  r->record(200, 0.0003);  // le 0.0005
  r->record(200, 0.0005);  // le 0.0005: a bucket's bound is inclusive
  r->record(200, 0.003);   // le 0.005
  r->record(200, 0.3);     // le 0.5
  r->record(200, 5.0);     // le 5
  r->record(200, 60.0);    // only +Inf
  std::string text = registry.render();

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"{route=\"h\",le=\"0.0005\"}", "2"}, {"{route=\"h\",le=\"0.001\"}", "2"},
      {"{route=\"h\",le=\"0.0025\"}", "2"}, {"{route=\"h\",le=\"0.005\"}", "3"},
      {"{route=\"h\",le=\"0.01\"}", "3"},   {"{route=\"h\",le=\"0.025\"}", "3"},
      {"{route=\"h\",le=\"0.05\"}", "3"},   {"{route=\"h\",le=\"0.1\"}", "3"},
      {"{route=\"h\",le=\"0.25\"}", "3"},   {"{route=\"h\",le=\"0.5\"}", "4"},
      {"{route=\"h\",le=\"1\"}", "4"},      {"{route=\"h\",le=\"5\"}", "5"},
      {"{route=\"h\",le=\"+Inf\"}", "6"},
  };
  EXPECT_EQ(samples(text, "portcullis_http_request_duration_seconds_bucket", "route=\"h\""),
            expected)
      << text;
  EXPECT_TRUE(has_line(text, "portcullis_http_request_duration_seconds_count{route=\"h\"} 6"));
  auto sum = samples(text, "portcullis_http_request_duration_seconds_sum", "route=\"h\"");
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_NEAR(std::stod(sum[0].second), 65.3038, 1e-3);
  EXPECT_TRUE(has_line(text, "# TYPE portcullis_http_request_duration_seconds histogram"));
}

TEST(MetricsRegistry, EveryHistogramEndsWithInfEqualToCount) {
  MetricsRegistry registry;
  for (int i = 0; i < 50; ++i) registry.route("x")->record(200, i * 0.01);
  for (int i = 0; i < 7; ++i) registry.route("y")->record(500, 10.0);
  std::string text = registry.render();
  for (const std::string route : {"", "x", "y"}) {
    SCOPED_TRACE(route);
    auto buckets =
        samples(text, "portcullis_http_request_duration_seconds_bucket", "route=\"" + route + "\"");
    ASSERT_EQ(buckets.size(), kDurationBuckets.size() + 1);
    std::uint64_t previous = 0;
    for (const auto& [labels, value] : buckets) {
      std::uint64_t n = std::stoull(value);
      EXPECT_GE(n, previous) << labels;
      previous = n;
    }
    EXPECT_NE(buckets.back().first.find("le=\"+Inf\""), std::string::npos);
    auto count =
        samples(text, "portcullis_http_request_duration_seconds_count", "route=\"" + route + "\"");
    ASSERT_EQ(count.size(), 1u);
    EXPECT_EQ(count[0].second, buckets.back().second);
  }
  EXPECT_TRUE(has_line(text, "portcullis_http_request_duration_seconds_count{route=\"x\"} 50"));
  EXPECT_TRUE(has_line(text, "portcullis_http_request_duration_seconds_count{route=\"y\"} 7"));
  EXPECT_TRUE(has_line(text, "portcullis_http_request_duration_seconds_count{route=\"\"} 0"));
}

TEST(MetricsRegistry, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.route("we\"ird\\route\nid")->record(200, 0.001);
  std::string text = registry.render();
  EXPECT_TRUE(has_line(
      text, "portcullis_http_requests_total{route=\"we\\\"ird\\\\route\\nid\",code=\"200\"} 1"))
      << text;
}

TEST(MetricsRegistry, UpstreamErrorsByKind) {
  MetricsRegistry registry;
  RouteMetrics* r = registry.route("u");
  record_upstream_error(*r, UpstreamError::kConnect);
  record_upstream_error(*r, UpstreamError::kConnect);
  record_upstream_error(*r, UpstreamError::kTimeout);
  std::string text = registry.render();
  EXPECT_TRUE(has_line(text, "portcullis_upstream_errors_total{route=\"u\",kind=\"connect\"} 2"));
  EXPECT_TRUE(has_line(text, "portcullis_upstream_errors_total{route=\"u\",kind=\"timeout\"} 1"));
  EXPECT_TRUE(has_line(text, "portcullis_upstream_errors_total{route=\"u\",kind=\"protocol\"} 0"));
}

TEST(MetricsRegistry, ActiveConnectionsGauge) {
  MetricsRegistry registry;
  EXPECT_TRUE(has_line(registry.render(), "portcullis_active_connections 0"));
  registry.connection_opened();
  registry.connection_opened();
  registry.connection_opened();
  registry.connection_closed();
  std::string text = registry.render();
  EXPECT_TRUE(has_line(text, "portcullis_active_connections 2")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE portcullis_active_connections gauge"));
}

TEST(MetricsRegistry, ConfigReloads) {
  MetricsRegistry registry;
  std::string text = registry.render();
  EXPECT_TRUE(has_line(text, "portcullis_config_reloads_total{result=\"success\"} 0"));
  EXPECT_TRUE(has_line(text, "portcullis_config_last_reload_success 1"));
  registry.config_reloaded(false);
  text = registry.render();
  EXPECT_TRUE(has_line(text, "portcullis_config_reloads_total{result=\"failure\"} 1"));
  EXPECT_TRUE(has_line(text, "portcullis_config_last_reload_success 0"));
  registry.config_reloaded(true);
  text = registry.render();
  EXPECT_TRUE(has_line(text, "portcullis_config_reloads_total{result=\"success\"} 1"));
  EXPECT_TRUE(has_line(text, "portcullis_config_reloads_total{result=\"failure\"} 1"));
  EXPECT_TRUE(has_line(text, "portcullis_config_last_reload_success 1"));
}

TEST(MetricsRegistry, ExpositionFormatIsWellFormed) {
  MetricsRegistry registry;
  registry.route("a\"b")->record(200, 0.01);
  registry.route("c")->record(302, 2.0);
  record_upstream_error(*registry.route("c"), UpstreamError::kProtocol);
  registry.connection_opened();
  std::string text = registry.render();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const re2::RE2 sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN))");
  const re2::RE2 type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  std::map<std::string, std::string> types;
  for (const auto& line : lines_of(text)) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    std::string name, kind;
    if (re2::RE2::FullMatch(line, type, &name, &kind)) {
      EXPECT_EQ(types.count(name), 0u) << "TYPE twice: " << name;
      types[name] = kind;
      continue;
    }
    EXPECT_TRUE(re2::RE2::FullMatch(line, sample)) << line;
    // Each sample belongs to a family declared before it.
    std::string metric = line.substr(0, line.find_first_of("{ "));
    bool declared = types.count(metric) > 0;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s(suffix);
      if (metric.size() > s.size() && metric.compare(metric.size() - s.size(), s.size(), s) == 0) {
        std::string base = metric.substr(0, metric.size() - s.size());
        declared = declared || (types.count(base) > 0 && types[base] == "histogram");
      }
    }
    EXPECT_TRUE(declared) << line;
  }
}

TEST(MetricsRegistry, ConcurrentRecordsAreAllCounted) {
  MetricsRegistry registry;
  RouteMetrics* r = registry.route("busy");
  constexpr int kThreads = 4, kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) r->record(200, 0.001);
    });
  }
  for (auto& t : threads) t.join();
  std::string text = registry.render();
  EXPECT_TRUE(has_line(text, "portcullis_http_requests_total{route=\"busy\",code=\"200\"} " +
                                 std::to_string(kThreads * kPerThread)));
  EXPECT_TRUE(has_line(text, "portcullis_http_request_duration_seconds_count{route=\"busy\"} " +
                                 std::to_string(kThreads * kPerThread)));
}

}  // namespace
}  // namespace portcullis::telemetry
