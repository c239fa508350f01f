#include "proxy/local_reply.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::proxy {
namespace {

using config::PathMatchKind;
using config::RedirectAction;
using config::Route;

// ---------------------------------------------------------------------------------------------
// error_reply

TEST(ErrorReply, HtmlPageEscapesTheDetail) {
  const std::string xss = "<script>alert(\"x\")</script>&'";
  LocalReply reply = error_reply(403, xss, "req-1", "text/html");
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(reply.body.find("<script>"), std::string::npos) << reply.body;
  EXPECT_EQ(reply.body.find(xss), std::string::npos);
  EXPECT_NE(reply.body.find("<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>"),
            std::string::npos)
      << reply.body;
  EXPECT_NE(reply.body.find("<title>403 Forbidden</title>"), std::string::npos);
  EXPECT_NE(reply.body.find("<h1>403 Forbidden</h1>"), std::string::npos);
  EXPECT_NE(reply.body.find("<code>req-1</code>"), std::string::npos);
  EXPECT_TRUE(reply.location.empty());
}

TEST(ErrorReply, HtmlPageEscapesTheRequestId) {
  LocalReply reply = error_reply(404, "", "\"><img src=x onerror=alert(1)>", "");
  EXPECT_EQ(reply.body.find("<img"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

TEST(ErrorReply, HtmlPageWithoutDetail) {
  LocalReply reply = error_reply(502, "", "abc", "*/*");
  EXPECT_EQ(reply.content_type, "text/html; charset=utf-8");
  EXPECT_NE(reply.body.find("<title>502 Bad Gateway</title>"), std::string::npos);
  // Only the request id paragraph.
  std::size_t paragraphs = 0;
  for (auto pos = reply.body.find("<p>"); pos != std::string::npos;
       pos = reply.body.find("<p>", pos + 1)) {
    ++paragraphs;
  }
  EXPECT_EQ(paragraphs, 1u) << reply.body;
}

TEST(ErrorReply, JsonWhenTheClientPrefersIt) {
  const std::string detail =
      "quote \" backslash \\ newline \n tab \t ctl \x01 utf-8 caf\xc3\xa9 \xe2\x9c\x93";
  LocalReply reply = error_reply(401, detail, "id-\"1\"", "application/json");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.content_type, "application/json");
  nlohmann::json body = nlohmann::json::parse(reply.body);  // throws when invalid
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body.size(), 2u);
  EXPECT_EQ(body["error"].get<std::string>(), detail);
  EXPECT_EQ(body["request_id"].get<std::string>(), "id-\"1\"");
}

TEST(ErrorReply, JsonWithoutDetailNamesTheStatus) {
  LocalReply reply = error_reply(404, "", "r", "application/json");
  nlohmann::json body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["error"], "Not Found");
  EXPECT_EQ(body["request_id"], "r");
}

TEST(ErrorReply, AcceptNegotiation) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"application/json", true},
      {"application/json, text/html", true},
      {"application/json;q=0.9", true},
      {"text/plain, application/json", true},
      {"text/html, application/json", false},
      {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
      {"text/html", false},
      {"*/*", false},
      {"", false},
  };
  for (const auto& [accept, json] : cases) {
    LocalReply reply = error_reply(403, "denied", "id", accept);
    EXPECT_EQ(reply.content_type == "application/json", json) << "Accept: " << accept;
    if (json) {
      EXPECT_TRUE(nlohmann::json::accept(reply.body)) << reply.body;
    }
  }
}

TEST(ReasonPhrase, Table) {
  const std::vector<std::pair<int, std::string>> cases = {
      {200, "OK"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {413, "Payload Too Large"},
      {414, "URI Too Long"},
      {431, "Request Header Fields Too Large"},
      {495, "SSL Certificate Error"},
      {500, "Internal Server Error"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {599, "Error"},
  };
  for (const auto& [status, phrase] : cases) {
    EXPECT_EQ(reason_phrase(status), phrase) << status;
    LocalReply reply = error_reply(status, "", "id", "text/html");
    EXPECT_NE(reply.body.find("<title>" + std::to_string(status) + " " + phrase + "</title>"),
              std::string::npos)
        << status;
  }
}

// ---------------------------------------------------------------------------------------------
// rewrite_path

Route prefix_route(std::string prefix) {
  Route route;
  route.path_kind = PathMatchKind::kPrefix;
  route.path_value = std::move(prefix);
  return route;
}

Route path_route(std::string path) {
  Route route;
  route.path_kind = PathMatchKind::kPath;
  route.path_value = std::move(path);
  return route;
}

Route regex_route(const std::string& pattern) {
  Route route;
  route.path_kind = PathMatchKind::kRegex;
  route.regex = std::make_shared<const re2::RE2>(pattern);
  return route;
}

Route with_prefix_rewrite(Route route, std::string rewrite) {
  route.prefix_rewrite = std::move(rewrite);
  return route;
}

Route with_regex_rewrite(Route route, const std::string& pattern, std::string substitution) {
  route.regex_rewrite_pattern = std::make_shared<const re2::RE2>(pattern);
  route.regex_rewrite_substitution = std::move(substitution);
  return route;
}

struct RewriteCase {
  std::string name;
  Route route;
  std::string path;
  std::string expected;
};

TEST(RewritePath, Table) {
  const std::vector<RewriteCase> cases = {
      {"no rewrite", prefix_route("/api"), "/api/a/b", "/api/a/b"},
      {"prefix replaced", with_prefix_rewrite(prefix_route("/api"), "/v1"), "/api/users",
       "/v1/users"},
      {"whole prefix", with_prefix_rewrite(prefix_route("/api"), "/v1"), "/api", "/v1"},
      {"prefix with slash to root", with_prefix_rewrite(prefix_route("/api/"), "/"), "/api/users",
       "/users"},
      {"empty rewrite keeps a leading slash", with_prefix_rewrite(prefix_route("/api/"), ""),
       "/api/users", "/users"},
      {"empty rewrite of the whole path", with_prefix_rewrite(prefix_route("/api"), ""), "/api",
       "/"},
      {"default prefix /", with_prefix_rewrite(prefix_route("/"), "/base/"), "/x/y", "/base/x/y"},
      {"rewrite without a leading slash", with_prefix_rewrite(prefix_route("/api/"), "v2/"),
       "/api/x", "/v2/x"},
      {"path matcher: the whole path", with_prefix_rewrite(path_route("/exact"), "/other"),
       "/exact", "/other"},
      {"path matcher: empty rewrite", with_prefix_rewrite(path_route("/exact"), ""), "/exact", "/"},
      {"regex matcher: the whole path", with_prefix_rewrite(regex_route("/re/[0-9]+"), "/num"),
       "/re/42", "/num"},
      {"regex rewrite with captures",
       with_regex_rewrite(prefix_route("/"), "^/service/([^/]+)(/.*)$", "\\2/instance/\\1"),
       "/service/foo/v1/api", "/v1/api/instance/foo"},
      {"regex rewrite replaces every match", with_regex_rewrite(prefix_route("/"), "one", "two"),
       "/xxx/one/yyy/one/zzz", "/xxx/two/yyy/two/zzz"},
      {"regex rewrite without a match", with_regex_rewrite(prefix_route("/"), "^/nope", "/x"),
       "/a/b", "/a/b"},
      {"regex rewrite to empty", with_regex_rewrite(prefix_route("/"), "^/.*$", ""), "/a/b", "/"},
      {"regex rewrite without a leading slash",
       with_regex_rewrite(prefix_route("/"), "^/(.*)$", "\\1"), "/abc", "/abc"},
      {"regex rewrite with a regex matcher",
       with_regex_rewrite(regex_route("/v[0-9]+/.*"), "^/v([0-9]+)/", "/api/version-\\1/"),
       "/v3/items", "/api/version-3/items"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(rewrite_path(c.route, c.path), c.expected) << c.name;
  }
}

// ---------------------------------------------------------------------------------------------
// redirect_location

Route redirect_route(RedirectAction action, Route route = prefix_route("/")) {
  route.redirect = std::move(action);
  return route;
}

RedirectAction https_redirect() {
  RedirectAction a;
  a.https_redirect = true;
  return a;
}
RedirectAction scheme_redirect(std::string scheme) {
  RedirectAction a;
  a.scheme_redirect = std::move(scheme);
  return a;
}
RedirectAction host_redirect(std::string host) {
  RedirectAction a;
  a.host_redirect = std::move(host);
  return a;
}
RedirectAction port_redirect(std::uint16_t port) {
  RedirectAction a;
  a.port_redirect = port;
  return a;
}
RedirectAction path_redirect(std::string path) {
  RedirectAction a;
  a.path_redirect = std::move(path);
  return a;
}
RedirectAction prefix_rewrite(std::string rewrite) {
  RedirectAction a;
  a.prefix_rewrite = std::move(rewrite);
  return a;
}
RedirectAction strip_query(RedirectAction a) {
  a.strip_query = true;
  return a;
}

struct RedirectCase {
  std::string name;
  Route route;
  std::string scheme;
  std::string host;
  std::string path;
  std::string query;
  std::string expected;
};

void check_redirects(const std::vector<RedirectCase>& cases) {
  for (const auto& c : cases) {
    EXPECT_EQ(redirect_location(c.route, {c.scheme, c.host, c.path, c.query}), c.expected)
        << c.name;
  }
}

TEST(RedirectLocation, Table) {
  RedirectAction everything = https_redirect();
  everything.host_redirect = "new.example.org";
  everything.path_redirect = "/landing";
  RedirectAction https_port = https_redirect();
  https_port.port_redirect = 443;

  check_redirects({
      {"nothing changed", redirect_route({}), "http", "a.example", "/p", "?q=1",
       "http://a.example/p?q=1"},
      {"explicit non-default port kept", redirect_route({}), "http", "a.example:8080", "/p", "",
       "http://a.example:8080/p"},
      {"default http port dropped", redirect_route({}), "http", "a.example:80", "/p", "",
       "http://a.example/p"},
      {"default https port dropped", redirect_route({}), "https", "a.example:443", "/p", "",
       "https://a.example/p"},
      {"https_redirect", redirect_route(https_redirect()), "http", "a.example", "/p", "?q=1",
       "https://a.example/p?q=1"},
      {"https_redirect drops :80", redirect_route(https_redirect()), "http", "a.example:80", "/p",
       "", "https://a.example/p"},
      {"https_redirect on https", redirect_route(https_redirect()), "https", "a.example", "/p", "",
       "https://a.example/p"},
      {"scheme_redirect to http drops :443", redirect_route(scheme_redirect("http")), "https",
       "a.example:443", "/p", "", "http://a.example/p"},
      {"scheme_redirect to https", redirect_route(scheme_redirect("https")), "http", "a.example",
       "/p", "", "https://a.example/p"},
      {"host_redirect", redirect_route(host_redirect("b.example")), "http", "a.example", "/p",
       "?q=1", "http://b.example/p?q=1"},
      {"port_redirect", redirect_route(port_redirect(8443)), "https", "a.example", "/p", "",
       "https://a.example:8443/p"},
      {"port_redirect replaces the request port", redirect_route(port_redirect(8443)), "https",
       "a.example:9000", "/p", "", "https://a.example:8443/p"},
      {"port_redirect to the default port", redirect_route(port_redirect(443)), "https",
       "a.example:9000", "/p", "", "https://a.example/p"},
      {"https_redirect with port 443", redirect_route(https_port), "http", "a.example:8080", "/p",
       "", "https://a.example/p"},
      {"path_redirect keeps the query", redirect_route(path_redirect("/landing")), "http",
       "a.example", "/old", "?q=1&r=two", "http://a.example/landing?q=1&r=two"},
      {"path_redirect with strip_query", redirect_route(strip_query(path_redirect("/landing"))),
       "http", "a.example", "/old", "?q=1", "http://a.example/landing"},
      {"strip_query", redirect_route(strip_query(host_redirect("found.example.org"))), "http",
       "a.example", "/found/x", "?secret=1", "http://found.example.org/found/x"},
      {"prefix_rewrite with a prefix matcher",
       redirect_route(prefix_rewrite("/new/"), prefix_route("/old/")), "http",
       "redirect.example.org", "/old/a/b", "?q=1&r=two",
       "http://redirect.example.org/new/a/b?q=1&r=two"},
      {"prefix_rewrite with a path matcher",
       redirect_route(prefix_rewrite("/new"), path_route("/old")), "http", "a.example", "/old", "",
       "http://a.example/new"},
      {"prefix_rewrite with the default prefix", redirect_route(prefix_rewrite("/v2/")), "http",
       "a.example", "/x", "", "http://a.example/v2/x"},
      {"https, host and path", redirect_route(everything), "http", "redirect.example.org", "/moved",
       "", "https://new.example.org/landing"},
      {"IPv6 host with port", redirect_route({}), "http", "[::1]:8080", "/p", "",
       "http://[::1]:8080/p"},
      {"IPv6 host without port", redirect_route({}), "http", "[2001:db8::1]", "/p", "?a=b",
       "http://[2001:db8::1]/p?a=b"},
      {"IPv6 https_redirect drops :80", redirect_route(https_redirect()), "http", "[::1]:80", "/p",
       "", "https://[::1]/p"},
      {"IPv6 port_redirect", redirect_route(port_redirect(9000)), "http", "[::1]", "/p", "",
       "http://[::1]:9000/p"},
      {"IPv6 port_redirect replaces the port", redirect_route(port_redirect(9000)), "http",
       "[2001:db8::1]:8080", "/p", "", "http://[2001:db8::1]:9000/p"},
  });
}

// Envoy's RedirectAction (what a Pomerium route's `redirect` becomes): a scheme change only drops
// a port that is the default of the request's scheme; any other port stays.
TEST(RedirectLocation, SchemeChangeKeepsANonDefaultPort) {
  check_redirects({
      {"https_redirect keeps :8080", redirect_route(https_redirect()), "http", "a.example:8080",
       "/p", "", "https://a.example:8080/p"},
      {"https_redirect on https is no scheme change", redirect_route(https_redirect()), "https",
       "a.example:8443", "/p", "", "https://a.example:8443/p"},
      {"scheme_redirect keeps :8443", redirect_route(scheme_redirect("http")), "https",
       "a.example:8443", "/p", "", "http://a.example:8443/p"},
      {"IPv6 https_redirect keeps :8080", redirect_route(https_redirect()), "http", "[::1]:8080",
       "/p", "", "https://[::1]:8080/p"},
  });
}

// Envoy: host_redirect replaces the whole authority; the request's port does not carry over to
// another host (port_redirect still applies).
TEST(RedirectLocation, HostRedirectDropsTheRequestPort) {
  RedirectAction host_and_port = host_redirect("b.example");
  host_and_port.port_redirect = 9443;
  check_redirects({
      {"host_redirect", redirect_route(host_redirect("b.example")), "https", "a.example:8443", "/p",
       "", "https://b.example/p"},
      {"host_redirect and port_redirect", redirect_route(host_and_port), "https", "a.example:8443",
       "/p", "", "https://b.example:9443/p"},
  });
}

// Envoy: a query in path_redirect wins over the request's query (and strip_query does not touch
// it); the Location never holds two '?'.
TEST(RedirectLocation, PathRedirectWithItsOwnQuery) {
  check_redirects({
      {"request query replaced", redirect_route(path_redirect("/landing?from=old")), "http",
       "a.example", "/old", "?q=1", "http://a.example/landing?from=old"},
      {"strip_query keeps the path_redirect query",
       redirect_route(strip_query(path_redirect("/landing?from=old"))), "http", "a.example", "/old",
       "?q=1", "http://a.example/landing?from=old"},
  });
}

}  // namespace
}  // namespace portcullis::proxy
