#include "proxy/route_table.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::proxy {
namespace {

using config::PathMatchKind;
using config::Route;

// A route as the config loader would produce it from `from: <scheme>://<host>[:port]`.
Route make_route(std::string id, std::string scheme, std::string host,
                 std::optional<std::uint16_t> port = std::nullopt,
                 PathMatchKind kind = PathMatchKind::kPrefix, std::string value = "/") {
  Route route;
  route.id = std::move(id);
  route.from_scheme = std::move(scheme);
  route.from_host = std::move(host);
  route.from_port = port;
  route.from_wildcard = route.from_host.find('*') != std::string::npos;
  route.path_kind = kind;
  if (kind == PathMatchKind::kRegex) {
    route.regex = std::make_shared<re2::RE2>(value);
  } else {
    route.path_value = std::move(value);
  }
  return route;
}

Route https(std::string id, std::string host, PathMatchKind kind = PathMatchKind::kPrefix,
            std::string value = "/") {
  return make_route(std::move(id), "https", std::move(host), std::nullopt, kind, std::move(value));
}

std::vector<Route> indexed(std::vector<Route> routes) {
  for (std::size_t i = 0; i < routes.size(); ++i) routes[i].index = i;
  return routes;
}

// The id of the matched route, or "none".
std::string matched(const RouteTable& table, std::string_view host, std::string_view path) {
  const Route* route = table.match(host, path);
  return route == nullptr ? "none" : route->id;
}

struct MatchCase {
  std::string host;
  std::string path;
  std::string expected_id;
};

void check_all(const RouteTable& table, const std::vector<MatchCase>& cases) {
  for (const MatchCase& c : cases) {
    EXPECT_EQ(matched(table, c.host, c.path), c.expected_id)
        << "host=\"" << c.host << "\" path=\"" << c.path << "\"";
  }
}

TEST(RouteTableTest, ExactHostsBeforeWildcardsThenFileOrder) {
  const auto routes = indexed({
      https("wild-all", "*.example.com"),
      https("app-api", "app.example.com", PathMatchKind::kPrefix, "/api"),
      https("wild-admin", "*.example.com", PathMatchKind::kPrefix, "/admin"),
      https("app-root", "app.example.com"),
      https("app-late-admin", "app.example.com", PathMatchKind::kPrefix, "/admin"),
      https("other", "other.example.com", PathMatchKind::kPath, "/only"),
  });
  const RouteTable table(routes);
  check_all(table, {
                       // The exact host wins over an earlier wildcard; within the host, file
                       // order decides, so the later /admin route is shadowed by "/".
                       {"app.example.com", "/api/v1", "app-api"},
                       {"app.example.com", "/", "app-root"},
                       {"app.example.com", "/admin", "app-root"},
                       // An exact host is served by its own routes only (Envoy virtual host
                       // semantics): a path none of them matches is a 404, not a wildcard hit.
                       {"other.example.com", "/only", "other"},
                       {"other.example.com", "/admin", "none"},
                       {"zzz.example.com", "/admin", "wild-all"},
                       {"example.com", "/", "none"},
                       {"example.org", "/", "none"},
                   });
}

TEST(RouteTableTest, OrderFollowsIndexNotVectorPosition) {
  std::vector<Route> routes = {
      https("second", "a.test"),
      https("first", "a.test"),
  };
  routes[0].index = 1;
  routes[1].index = 0;
  const RouteTable table(routes);
  EXPECT_EQ(matched(table, "a.test", "/x"), "first");
}

TEST(RouteTableTest, WildcardSemantics) {
  const auto routes = indexed({
      https("app-star", "app-*.example.com"),
      https("star-dot", "*.example.com"),
      https("mid", "api.*.internal"),
      https("two-stars", "*-*.multi.test"),
      https("label-glob", "a*b*c.glob.test"),
  });
  const RouteTable table(routes);
  check_all(table, {
                       // '*' inside a label: one or more characters, never a '.'.
                       {"app-1.example.com", "/", "app-star"},
                       {"app-blue-green.example.com", "/", "app-star"},
                       {"app-.example.com", "/", "star-dot"},
                       {"app-a.b.example.com", "/", "star-dot"},
                       // Leading "*.": any non-empty prefix, dots included, not the bare domain.
                       {"a.example.com", "/", "star-dot"},
                       {"a.b.c.example.com", "/", "star-dot"},
                       {"example.com", "/", "none"},
                       {".example.com", "/", "none"},
                       {"notexample.com", "/", "none"},
                       {"a.example.com.evil.test", "/", "none"},
                       {"api.eu.internal", "/", "mid"},
                       {"api.internal", "/", "none"},
                       {"api.eu.west.internal", "/", "none"},
                       {"x-y.multi.test", "/", "two-stars"},
                       {"x-y-z.multi.test", "/", "two-stars"},
                       {"x-.multi.test", "/", "none"},
                       {"-y.multi.test", "/", "none"},
                       {"xy.multi.test", "/", "none"},
                       {"a1b2c.glob.test", "/", "label-glob"},
                       {"abbbc.glob.test", "/", "label-glob"},
                       {"axxbyyc.glob.test", "/", "label-glob"},
                       {"abxbc.glob.test", "/", "none"},
                       {"abc.glob.test", "/", "none"},
                       {"axbc.glob.test", "/", "none"},
                       {"axbxcx.glob.test", "/", "none"},
                   });
}

TEST(RouteTableTest, LoneStarMatchesEveryHost) {
  const auto routes = indexed({https("exact", "a.test"), https("any", "*")});
  const RouteTable table(routes);
  check_all(table, {{"a.test", "/", "exact"},
                    {"b.test", "/", "any"},
                    {"localhost:8443", "/", "any"},
                    {"[::1]", "/", "any"},
                    {"", "/", "none"}});
}

TEST(RouteTableTest, HostCaseTrailingDotAndPort) {
  const auto routes = indexed({
      https("app", "app.example.com"),
      https("wild", "*.wild.test"),
  });
  const RouteTable table(routes);
  check_all(table, {
                       {"APP.Example.COM", "/", "app"},
                       {"app.example.com.", "/", "app"},
                       {"app.example.com.:443", "/", "app"},
                       {"app.example.com:8443", "/", "app"},  // no from_port: any port
                       {"app.example.com:", "/", "app"},
                       {"X.WILD.TEST.", "/", "wild"},
                       {"app.example.com..", "/", "none"},
                       {"app.example.com:99999", "/", "none"},
                       {"app.example.com:44a", "/", "none"},
                       {"app.example.com:443:443", "/", "none"},
                       {"", "/", "none"},
                       {":443", "/", "none"},
                       {".", "/", "none"},
                       {"app.example.com/", "/", "none"},
                       {"user@app.example.com", "/", "none"},
                       {"app.example.com ", "/", "none"},
                       {" app.example.com", "/", "none"},
                       {"app example.com", "/", "none"},
                       {"app.example.com\t", "/", "none"},
                       {"*.wild.test", "/", "none"},
                       {std::string(300, 'a') + ".example.com", "/", "none"},
                   });
}

TEST(RouteTableTest, FromPort) {
  const auto routes = indexed({
      make_route("https-8443", "https", "p.test", 8443),
      make_route("https-443", "https", "p.test", 443),
      make_route("http-80", "http", "h.test", 80),
      make_route("http-8080", "http", "h8.test", 8080),
      make_route("wild-9000", "https", "*.w.test", 9000),
  });
  const RouteTable table(routes);
  check_all(table, {
                       {"p.test:8443", "/", "https-8443"},
                       {"p.test:443", "/", "https-443"},
                       {"p.test", "/", "https-443"},  // no port: the scheme's default
                       {"p.test:80", "/", "none"},
                       {"h.test", "/", "http-80"},
                       {"h.test:80", "/", "http-80"},
                       {"h.test:443", "/", "none"},
                       {"h8.test:8080", "/", "http-8080"},
                       {"h8.test", "/", "none"},
                       {"a.w.test:9000", "/", "wild-9000"},
                       {"a.w.test", "/", "none"},
                       {"a.w.test:443", "/", "none"},
                   });
}

TEST(RouteTableTest, Ipv6Hosts) {
  const auto routes = indexed({
      https("loopback", "[::1]"),
      make_route("v6-port", "https", "2001:db8::a", 8443),
      https("v4", "127.0.0.1"),
  });
  const RouteTable table(routes);
  check_all(table, {
                       {"[::1]", "/", "loopback"},
                       {"[::1]:8443", "/", "loopback"},
                       {"[2001:DB8::A]:8443", "/", "v6-port"},
                       {"[2001:db8::a]", "/", "none"},
                       {"[2001:db8::a]:443", "/", "none"},
                       {"127.0.0.1:80", "/", "v4"},
                       {"::1", "/", "none"},
                       {"[::1", "/", "none"},
                       {"[::1]x", "/", "none"},
                       {"[::1]:", "/", "loopback"},
                       {"[]", "/", "none"},
                       {"[::1%eth0]", "/", "none"},
                       {"[::g]", "/", "none"},
                   });
}

TEST(RouteTableTest, PathMatchers) {
  const auto routes = indexed({
      https("exact", "p.test", PathMatchKind::kPath, "/exact"),
      https("regex", "p.test", PathMatchKind::kRegex, "/api/v[0-9]+/.*"),
      https("app", "p.test", PathMatchKind::kPrefix, "/app"),
      https("slash-app", "p.test", PathMatchKind::kPrefix, "/static/"),
  });
  const RouteTable table(routes);
  check_all(table, {
                       {"p.test", "/exact", "exact"},
                       {"p.test", "/exact/", "none"},
                       {"p.test", "/exactly", "none"},
                       {"p.test", "/EXACT", "none"},
                       {"p.test", "/api/v2/users", "regex"},
                       {"p.test", "/api/v2/", "regex"},
                       {"p.test", "/api/v2", "none"},  // full match, not a search
                       {"p.test", "/x/api/v2/users", "none"},
                       {"p.test", "/app", "app"},
                       {"p.test", "/app/", "app"},
                       {"p.test", "/application", "app"},  // Envoy: a plain byte prefix
                       {"p.test", "/App", "none"},
                       {"p.test", "/ap", "none"},
                       {"p.test", "/static/x.css", "slash-app"},
                       {"p.test", "/static", "none"},
                       {"p.test", "/", "none"},
                   });
}

TEST(RouteTableTest, RegexWithoutPatternNeverMatches) {
  std::vector<Route> routes = indexed({https("broken", "p.test")});
  routes[0].path_kind = PathMatchKind::kRegex;
  const RouteTable table(routes);
  EXPECT_EQ(matched(table, "p.test", "/"), "none");
}

TEST(RouteTableTest, EmptyTable) {
  const std::vector<Route> routes;
  const RouteTable table(routes);
  EXPECT_EQ(table.match("a.test", "/"), nullptr);
  EXPECT_FALSE(table.knows_host("a.test"));
}

TEST(RouteTableTest, ManyExactHosts) {
  std::vector<Route> routes;
  for (int i = 0; i < 2000; ++i) {
    routes.push_back(https("r" + std::to_string(i), "host" + std::to_string(i) + ".test",
                           PathMatchKind::kPrefix, i % 2 == 0 ? "/" : "/odd"));
  }
  routes = indexed(std::move(routes));
  const RouteTable table(routes);
  EXPECT_EQ(matched(table, "host0.test", "/"), "r0");
  EXPECT_EQ(matched(table, "HOST1999.test:443", "/odd/x"), "r1999");
  EXPECT_EQ(matched(table, "host1999.test", "/"), "none");
  EXPECT_EQ(matched(table, "host2000.test", "/"), "none");
}

TEST(RouteTableTest, KnowsHost) {
  const auto routes = indexed({
      https("a", "a.test", PathMatchKind::kPath, "/only"),
      https("wild", "*.w.test"),
      make_route("ported", "https", "p.test", 8443),
  });
  const RouteTable table(routes);
  EXPECT_TRUE(table.knows_host("a.test"));  // whatever the path
  EXPECT_TRUE(table.knows_host("A.TEST:443"));
  EXPECT_TRUE(table.knows_host("a.test."));
  EXPECT_TRUE(table.knows_host("x.w.test"));
  EXPECT_TRUE(table.knows_host("x.y.w.test:1234"));
  EXPECT_TRUE(table.knows_host("p.test:8443"));
  EXPECT_FALSE(table.knows_host("p.test"));
  EXPECT_FALSE(table.knows_host("w.test"));
  EXPECT_FALSE(table.knows_host("b.test"));
  EXPECT_FALSE(table.knows_host(""));
  EXPECT_FALSE(table.knows_host("a.test/x"));
}

TEST(RouteMatchTest, HostMatchesAndPathMatchesDirectly) {
  const Route exact = make_route("e", "https", "App.Example.com", std::nullopt);
  EXPECT_TRUE(host_matches(exact, "app.example.com", 0, false));
  EXPECT_TRUE(host_matches(exact, "app.example.com", 1, true));
  EXPECT_FALSE(host_matches(exact, "app.example.co", 0, false));
  EXPECT_FALSE(host_matches(exact, "", 0, false));

  const Route ported = make_route("p", "https", "a.test.", 443);
  EXPECT_TRUE(host_matches(ported, "a.test", 0, false));
  EXPECT_TRUE(host_matches(ported, "a.test", 443, true));
  EXPECT_FALSE(host_matches(ported, "a.test", 80, true));

  const Route wild = make_route("w", "http", "*.a.test", 80);
  EXPECT_TRUE(host_matches(wild, "b.a.test", 80, true));
  EXPECT_TRUE(host_matches(wild, "b.a.test", 0, false));
  EXPECT_FALSE(host_matches(wild, "b.a.test", 443, true));
  EXPECT_FALSE(host_matches(wild, "a.test", 80, true));

  const Route empty_host = make_route("x", "https", "", std::nullopt);
  EXPECT_FALSE(host_matches(empty_host, "a.test", 0, false));

  const Route prefix =
      make_route("pre", "https", "a.test", std::nullopt, PathMatchKind::kPrefix, "/app");
  EXPECT_TRUE(path_matches(prefix, "/app"));
  EXPECT_TRUE(path_matches(prefix, "/apple"));
  EXPECT_FALSE(path_matches(prefix, "/ap"));
  EXPECT_FALSE(path_matches(prefix, ""));

  const Route regex =
      make_route("re", "https", "a.test", std::nullopt, PathMatchKind::kRegex, "^/user/[a-z]+$");
  EXPECT_TRUE(path_matches(regex, "/user/bob"));
  EXPECT_FALSE(path_matches(regex, "/user/bob/x"));
  EXPECT_FALSE(path_matches(regex, "/user/Bob"));
}

}  // namespace
}  // namespace portcullis::proxy
