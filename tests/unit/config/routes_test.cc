// Routes: matching, actions, rewrites, headers, timeouts, authorization inputs, ids.

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::config {
namespace {

using std::chrono::seconds;
using testing::describe;
using testing::find_diagnostic;
using testing::load_insecure;
using testing::load_yaml;

// Loads `routes_yaml` (the items of `routes:`) and returns the routes; fails the test on errors.
std::vector<Route> routes_of(const std::string& routes_yaml, const std::string& globals = "") {
  auto result = load_insecure(globals + "routes:\n" + routes_yaml);
  EXPECT_TRUE(result.ok()) << describe(result);
  if (!result.ok()) return {};
  return result.config->routes;
}

Route route_of(const std::string& route_yaml, const std::string& globals = "") {
  auto routes = routes_of(route_yaml, globals);
  EXPECT_EQ(routes.size(), 1u);
  return routes.empty() ? Route{} : routes.front();
}

TEST(ConfigRoutes, FromAndToAreNormalised) {
  auto route = route_of(
      "  - from: pomerium.io\n    to: httpbin.org\n    allow_public_unauthenticated_access: "
      "true\n");
  EXPECT_EQ(route.from, "https://pomerium.io");
  EXPECT_EQ(route.from_scheme, "https");
  EXPECT_EQ(route.from_host, "pomerium.io");
  EXPECT_FALSE(route.from_port.has_value());
  EXPECT_FALSE(route.from_wildcard);
  ASSERT_EQ(route.to.size(), 1u);
  EXPECT_EQ(route.to[0].url, "http://httpbin.org");
  EXPECT_EQ(route.to[0].scheme, "http");
  EXPECT_EQ(route.to[0].host, "httpbin.org");
  EXPECT_EQ(route.to[0].port, 80);
  EXPECT_EQ(route.to[0].authority, "httpbin.org");
  EXPECT_EQ(route.to[0].path, "");
  EXPECT_EQ(route.to[0].weight, 1u);
  EXPECT_FALSE(route.to[0].tls());
  EXPECT_EQ(route.path_kind, PathMatchKind::kPrefix);
  EXPECT_EQ(route.path_value, "/");
  EXPECT_EQ(route.line, 3);
  EXPECT_EQ(route.index, 0u);
  EXPECT_FALSE(route.redirect.has_value());
  EXPECT_FALSE(route.response.has_value());
}

TEST(ConfigRoutes, FromHostIsLowerCasedAndKeepsPortAndWildcard) {
  auto routes = routes_of(
      "  - from: HTTPS://App.Example.COM:8443/\n    to: https://10.0.0.1:8443\n"
      "  - from: http://*.Example.com\n    to: http://[::1]:8080\n");
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].from, "https://app.example.com:8443");
  EXPECT_EQ(routes[0].from_host, "app.example.com");
  EXPECT_EQ(routes[0].from_port, 8443);
  EXPECT_EQ(routes[0].to[0].authority, "10.0.0.1:8443");
  EXPECT_TRUE(routes[0].to[0].tls());
  EXPECT_EQ(routes[1].from, "http://*.example.com");
  EXPECT_EQ(routes[1].from_scheme, "http");
  EXPECT_TRUE(routes[1].from_wildcard);
  EXPECT_EQ(routes[1].to[0].host, "::1");
  EXPECT_EQ(routes[1].to[0].port, 8080);
  EXPECT_EQ(routes[1].to[0].authority, "[::1]:8080");
  EXPECT_EQ(routes[1].index, 1u);
  EXPECT_EQ(routes[1].line, 5);
}

TEST(ConfigRoutes, WeightedUpstreams) {
  auto route = route_of(
      "  - from: https://a.example.com\n    to:\n      - http://a:8080,10\n"
      "      - https://b:443, 20\n      - h2c://c,1\n");
  ASSERT_EQ(route.to.size(), 3u);
  EXPECT_EQ(route.to[0].url, "http://a:8080");
  EXPECT_EQ(route.to[0].weight, 10u);
  EXPECT_EQ(route.to[0].authority, "a:8080");
  EXPECT_EQ(route.to[1].weight, 20u);
  EXPECT_EQ(route.to[1].authority, "b");  // default port omitted
  EXPECT_EQ(route.to[1].port, 443);
  EXPECT_EQ(route.to[2].scheme, "http");
  EXPECT_TRUE(route.to[2].h2c);
  EXPECT_EQ(route.to[2].port, 80);
  EXPECT_EQ(route.to[2].weight, 1u);
}

TEST(ConfigRoutes, FirstUpstreamPathBecomesPrefixRewrite) {
  auto routes = routes_of(
      "  - from: https://a.example.com\n    to: http://a/api/v1\n"
      "  - from: https://b.example.com\n    to: http://b/\n"
      "  - from: https://c.example.com\n    to: http://c/api\n    prefix_rewrite: /other\n"
      "  - from: https://d.example.com\n    to: http://d/api\n"
      "    regex_rewrite_pattern: ^/(.*)$\n    regex_rewrite_substitution: /x/\\1\n");
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].prefix_rewrite, "/api/v1");
  EXPECT_EQ(routes[0].to[0].path, "/api/v1");
  EXPECT_FALSE(routes[1].prefix_rewrite.has_value());
  EXPECT_EQ(routes[2].prefix_rewrite, "/other");
  EXPECT_FALSE(routes[3].prefix_rewrite.has_value());
  ASSERT_NE(routes[3].regex_rewrite_pattern, nullptr);
  std::string path = "/hello";
  RE2::Replace(&path, *routes[3].regex_rewrite_pattern, routes[3].regex_rewrite_substitution);
  EXPECT_EQ(path, "/x/hello");
}

TEST(ConfigRoutes, PathMatchers) {
  auto routes = routes_of(
      "  - from: https://a.example.com\n    to: http://a\n    regex: /a/[0-9]+\n    path: "
      "/ignored\n"
      "  - from: https://a.example.com\n    to: http://a\n    path: /exact\n    prefix: /ignored\n"
      "  - from: https://a.example.com\n    to: http://a\n    prefix: /app\n"
      "  - from: https://a.example.com\n    to: http://a\n    regex: ^/b.*$\n"
      "  - from: https://a.example.com\n    to: http://a\n    regex: /x|/y\n");
  ASSERT_EQ(routes.size(), 5u);
  EXPECT_EQ(routes[0].path_kind, PathMatchKind::kRegex);
  EXPECT_EQ(routes[0].path_value, "/a/[0-9]+");
  ASSERT_NE(routes[0].regex, nullptr);
  EXPECT_TRUE(RE2::FullMatch("/a/123", *routes[0].regex));
  EXPECT_FALSE(RE2::PartialMatch("/x/a/123", *routes[0].regex));  // anchored
  EXPECT_FALSE(RE2::PartialMatch("/a/123/x", *routes[0].regex));
  EXPECT_EQ(routes[1].path_kind, PathMatchKind::kPath);
  EXPECT_EQ(routes[1].path_value, "/exact");
  EXPECT_EQ(routes[1].regex, nullptr);
  EXPECT_EQ(routes[2].path_kind, PathMatchKind::kPrefix);
  EXPECT_EQ(routes[2].path_value, "/app");
  EXPECT_TRUE(RE2::FullMatch("/bcd", *routes[3].regex));
  ASSERT_NE(routes[4].regex, nullptr);
  EXPECT_TRUE(RE2::PartialMatch("/x", *routes[4].regex));
  EXPECT_FALSE(RE2::PartialMatch("/x/y", *routes[4].regex));  // both alternatives anchored
  EXPECT_FALSE(RE2::PartialMatch("/z/y", *routes[4].regex));
  EXPECT_TRUE(RE2::PartialMatch("/y", *routes[4].regex));
}

TEST(ConfigRoutes, RedirectActions) {
  auto routes = routes_of(
      "  - from: https://a.example.com\n    redirect: {https_redirect: true}\n"
      "  - from: https://b.example.com\n    redirect:\n      scheme_redirect: http\n"
      "      host_redirect: example.org\n      port_redirect: 8080\n      path_redirect: /new\n"
      "      response_code: FOUND\n      strip_query: true\n"
      "  - from: https://c.example.com\n    redirect: {prefix_rewrite: /x, response_code: 308}\n"
      "  - from: https://d.example.com\n    redirect: {host_redirect: d.org, response_code: "
      "see_other}\n"
      "  - from: https://e.example.com\n    redirect: {host_redirect: e.org, response_code: "
      "\"307\"}\n");
  ASSERT_EQ(routes.size(), 5u);
  ASSERT_TRUE(routes[0].redirect.has_value());
  EXPECT_TRUE(routes[0].redirect->https_redirect);
  EXPECT_EQ(routes[0].redirect->response_code, 301);
  EXPECT_TRUE(routes[0].to.empty());
  const auto& full = *routes[1].redirect;
  EXPECT_FALSE(full.https_redirect);
  EXPECT_EQ(full.scheme_redirect, "http");
  EXPECT_EQ(full.host_redirect, "example.org");
  EXPECT_EQ(full.port_redirect, 8080);
  EXPECT_EQ(full.path_redirect, "/new");
  EXPECT_FALSE(full.prefix_rewrite.has_value());
  EXPECT_EQ(full.response_code, 302);
  EXPECT_TRUE(full.strip_query);
  EXPECT_EQ(routes[2].redirect->prefix_rewrite, "/x");
  EXPECT_EQ(routes[2].redirect->response_code, 308);
  EXPECT_EQ(routes[3].redirect->response_code, 303);
  EXPECT_EQ(routes[4].redirect->response_code, 307);
}

TEST(ConfigRoutes, DirectResponses) {
  auto routes = routes_of(
      "  - from: https://a.example.com\n    response: {status: 418, body: teapot}\n"
      "  - from: https://b.example.com\n    response: {body: ok}\n"
      "    allow_public_unauthenticated_access: true\n");
  ASSERT_EQ(routes.size(), 2u);
  ASSERT_TRUE(routes[0].response.has_value());
  EXPECT_EQ(routes[0].response->status, 418);
  EXPECT_EQ(routes[0].response->body, "teapot");
  EXPECT_EQ(routes[1].response->status, 200);
  EXPECT_EQ(routes[1].response->body, "ok");
}

TEST(ConfigRoutes, HeadersAreParsedAndResponseHeadersMerged) {
  auto routes = routes_of(
      "  - from: https://a.example.com\n    to: http://a\n"
      "    set_request_headers:\n      X-B: two\n      X-A: one\n"
      "    remove_request_headers: [X-Forwarded-Host, Cookie]\n"
      "    set_response_headers:\n      X-FRAME-OPTIONS: DENY\n      X-Route: r\n"
      "  - from: https://b.example.com\n    to: http://b\n"
      "    set_response_headers: {disable: true, X-Only: o}\n"
      "  - from: https://c.example.com\n    to: http://c\n",
      "set_response_headers: {X-Global: g}\n");
  ASSERT_EQ(routes.size(), 3u);
  ASSERT_EQ(routes[0].set_request_headers.size(), 2u);
  EXPECT_EQ(routes[0].set_request_headers[0].name, "X-B");
  EXPECT_EQ(routes[0].set_request_headers[0].value, "two");
  EXPECT_EQ(routes[0].set_request_headers[1].name, "X-A");
  EXPECT_EQ(routes[0].remove_request_headers,
            (std::vector<std::string>{"x-forwarded-host", "cookie"}));
  std::vector<std::pair<std::string, std::string>> merged;
  for (const auto& h : routes[0].set_response_headers) merged.emplace_back(h.name, h.value);
  EXPECT_EQ(merged,
            (std::vector<std::pair<std::string, std::string>>{{"X-FRAME-OPTIONS", "DENY"},
                                                              {"X-XSS-Protection", "1; mode=block"},
                                                              {"X-Global", "g"},
                                                              {"X-Route", "r"}}));
  ASSERT_EQ(routes[1].set_response_headers.size(), 1u);
  EXPECT_EQ(routes[1].set_response_headers[0].name, "X-Only");
  EXPECT_EQ(routes[2].set_response_headers.size(), 3u);  // the global ones
}

TEST(ConfigRoutes, TimeoutsFollowDefaultsAndWebsockets) {
  auto routes = routes_of(
      "  - from: https://a.example.com\n    to: http://a\n"
      "  - from: https://b.example.com\n    to: http://b\n    timeout: 5s\n    idle_timeout: 1m\n"
      "  - from: https://c.example.com\n    to: http://c\n    allow_websockets: true\n"
      "  - from: https://d.example.com\n    to: http://d\n    allow_websockets: true\n"
      "    timeout: 10s\n",
      "default_upstream_timeout: 45s\n");
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].timeout, seconds(45));
  EXPECT_EQ(routes[0].idle_timeout, Duration{0});
  EXPECT_FALSE(routes[0].allow_websockets);
  EXPECT_EQ(routes[1].timeout, seconds(5));
  EXPECT_EQ(routes[1].idle_timeout, seconds(60));
  EXPECT_TRUE(routes[2].allow_websockets);
  EXPECT_EQ(routes[2].timeout, Duration{0});
  EXPECT_EQ(routes[2].idle_timeout, Duration{0});
  EXPECT_EQ(routes[3].timeout, seconds(10));
}

TEST(ConfigRoutes, AuthorizationInputs) {
  auto routes = routes_of(
      "  - from: https://a.example.com\n    to: http://a\n"
      "    allowed_users: [alice@example.com, bob]\n    allowed_domains: example.com,example.org\n"
      "    allowed_idp_claims:\n      groups: [admins, ops]\n      department: eng\n"
      "    pass_identity_headers: false\n"
      "  - from: https://b.example.com\n    to: http://b\n"
      "    policy:\n      - allow:\n          and:\n            - email: {is: \"a@b.c\"}\n"
      "            - claim/admin: true\n            - http_method: \"true\"\n"
      "  - from: https://c.example.com\n    to: http://c\n    allow_any_authenticated_user: true\n"
      "    cors_allow_preflight: true\n"
      "  - from: https://d.example.com\n    to: http://d\n"
      "  - from: https://e.example.com\n    to: http://e\n    cors_allow_preflight: true\n"
      "  - from: https://f.example.com\n    to: http://f\n    policy: []\n");
  ASSERT_EQ(routes.size(), 6u);
  EXPECT_EQ(routes[0].allowed_users, (std::vector<std::string>{"alice@example.com", "bob"}));
  EXPECT_EQ(routes[0].allowed_domains, (std::vector<std::string>{"example.com", "example.org"}));
  EXPECT_EQ(routes[0].allowed_idp_claims,
            (std::map<std::string, std::vector<std::string>>{{"department", {"eng"}},
                                                             {"groups", {"admins", "ops"}}}));
  EXPECT_EQ(routes[0].pass_identity_headers, false);
  EXPECT_FALSE(routes[0].denies_everything());
  EXPECT_EQ(
      routes[1].policy_json,
      R"([{"allow":{"and":[{"email":{"is":"a@b.c"}},{"claim/admin":true},{"http_method":"true"}]}}])");
  EXPECT_FALSE(routes[1].pass_identity_headers.has_value());
  EXPECT_FALSE(routes[1].denies_everything());
  EXPECT_TRUE(routes[2].allow_any_authenticated_user);
  EXPECT_TRUE(routes[2].cors_allow_preflight);
  EXPECT_FALSE(routes[2].denies_everything());
  EXPECT_TRUE(routes[3].denies_everything());
  EXPECT_FALSE(routes[4].denies_everything());  // preflights are allowed
  EXPECT_EQ(routes[5].policy_json, "");
  EXPECT_TRUE(routes[5].denies_everything());
}

TEST(ConfigRoutes, UpstreamTlsAndLoadBalancing) {
  std::string ca = testing::base64(testing::read_testdata("ca.pem"));
  auto routes = routes_of(
      "  - from: https://a.example.com\n    to: [https://a1, https://a2]\n    tls_skip_verify: "
      "true\n"
      "    tls_server_name: one.internal\n    tls_upstream_server_name: two.internal\n"
      "    tls_custom_ca: " +
      ca +
      "\n    load_balancing_policy: least_request\n"
      "  - from: https://b.example.com\n    to: https://b\n    tls_server_name: b.internal\n"
      "    load_balancing_policy: MAGLEV\n    id: my-route\n    name: My Route\n");
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_TRUE(routes[0].tls_skip_verify);
  EXPECT_EQ(routes[0].tls_server_name, "two.internal");
  EXPECT_EQ(routes[0].tls_custom_ca_pem, testing::read_testdata("ca.pem"));
  EXPECT_EQ(routes[0].load_balancing, LoadBalancing::kLeastRequest);
  EXPECT_EQ(routes[1].tls_server_name, "b.internal");
  EXPECT_EQ(routes[1].load_balancing, LoadBalancing::kMaglev);
  EXPECT_EQ(routes[1].id, "my-route");
  EXPECT_EQ(routes[1].name, "My Route");
}

TEST(ConfigRoutes, LegacyPolicyListComesFirst) {
  auto result = load_insecure(
      "routes:\n  - from: https://r.example.com\n    to: http://r\n"
      "policy:\n  - from: https://p.example.com\n    to: http://p\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.config->routes.size(), 2u);
  EXPECT_EQ(result.config->routes[0].from, "https://p.example.com");
  EXPECT_EQ(result.config->routes[0].index, 0u);
  EXPECT_EQ(result.config->routes[1].from, "https://r.example.com");
  EXPECT_EQ(result.config->routes[1].index, 1u);
}

TEST(ConfigRoutes, BareListOfRoutesIsAcceptedWithAWarning) {
  auto result =
      load_yaml("- from: pomerium.io\n  to: httpbin.org\n", {{"INSECURE_SERVER", "true"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_NE(result.diagnostics[0].message.find("list of routes"), std::string::npos);
  ASSERT_EQ(result.config->routes.size(), 1u);
  EXPECT_EQ(result.config->routes[0].from, "https://pomerium.io");
  EXPECT_EQ(result.config->routes[0].line, 1);
}

TEST(ConfigRoutes, UnknownAndUnsupportedRouteKeys) {
  auto result = load_insecure(
      "routes:\n  - from: https://a.example.com\n    to: http://a\n    frm: x\n"
      "    health_checks: [{timeout: 1s}]\n    sub_policies: [{id: x}]\n"
      "    outlier_detection: {}\n    description: shown in the portal\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.diagnostics.size(), 3u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "warning: routes[0].frm (line 5): unknown key, ignored");
  EXPECT_EQ(result.diagnostics[1].to_string(),
            "warning: routes[0].health_checks (line 6): health_checks is not supported yet");
  EXPECT_EQ(result.diagnostics[2].message, "sub_policies is not supported yet");
}

TEST(ConfigRouteIds, AreStableHexHashes) {
  std::string yaml = "  - from: https://a.example.com\n    to: http://a:8080\n    prefix: /x\n";
  auto first = route_of(yaml);
  auto second = route_of(yaml);
  EXPECT_EQ(first.id.size(), 16u);
  EXPECT_EQ(first.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(first.id, second.id);
  // The same route written differently has the same id.
  auto spelled =
      route_of("  - from: HTTPS://A.example.com/\n    to: [\"http://a:8080\"]\n    prefix: /x\n");
  EXPECT_EQ(spelled.id, first.id);
  // Other fields (policy, headers) do not change it.
  auto with_policy = route_of(yaml + "    allow_any_authenticated_user: true\n");
  EXPECT_EQ(with_policy.id, first.id);
  // Matching fields and the action do.
  EXPECT_NE(route_of("  - from: https://a.example.com\n    to: http://a:8081\n    prefix: /x\n").id,
            first.id);
  EXPECT_NE(route_of("  - from: https://a.example.com\n    to: http://a:8080\n    path: /x\n").id,
            first.id);
  EXPECT_NE(route_of("  - from: https://b.example.com\n    to: http://a:8080\n    prefix: /x\n").id,
            first.id);
  EXPECT_NE(
      route_of("  - from: https://a.example.com\n    to: http://a:8080,2\n    prefix: /x\n").id,
      first.id);
  EXPECT_NE(
      route_of("  - from: https://a.example.com\n    response: {status: 200}\n    prefix: /x\n").id,
      route_of("  - from: https://a.example.com\n    response: {status: 404}\n    prefix: /x\n")
          .id);
  EXPECT_NE(route_of("  - from: https://a.example.com\n    redirect: {host_redirect: b}\n").id,
            route_of("  - from: https://a.example.com\n    redirect: {host_redirect: c}\n").id);
}

TEST(ConfigRouteIds, IdenticalRoutesWarnAndGetDistinctIds) {
  auto result = load_insecure(
      "routes:\n  - from: https://a.example.com\n    to: http://a\n"
      "  - from: https://a.example.com\n    to: http://a\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].key, "routes[1]");
  EXPECT_EQ(result.diagnostics[0].line, 5);
  EXPECT_NE(result.diagnostics[0].message.find("never matches"), std::string::npos);
  EXPECT_NE(result.config->routes[0].id, result.config->routes[1].id);
}

TEST(ConfigRoutes, LegacyPolicyErrorsNameThePolicyList) {
  auto result = load_insecure("policy:\n  - from: https://a.example.com\n    to: ftp://a\n");
  EXPECT_FALSE(result.ok());
  const Diagnostic* diagnostic = find_diagnostic(result, "policy[0].to");
  ASSERT_NE(diagnostic, nullptr) << describe(result);
  EXPECT_EQ(diagnostic->line, 4);
}

}  // namespace
}  // namespace portcullis::config
