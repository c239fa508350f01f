#include "proxy/header_rules.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "authorize/header_list.h"
#include "config/config.h"

namespace portcullis::proxy {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;
using Pairs = std::vector<std::pair<std::string, std::string>>;
using Headers = std::vector<config::Header>;

Fields make_fields(const Pairs& pairs) {
  Fields fields;
  for (const auto& [name, value] : pairs) fields.insert(name, value);
  return fields;
}

// Every value of `name`, in order.
std::vector<std::string> values(const Fields& fields, std::string_view name) {
  std::vector<std::string> out;
  for (auto [it, end] = fields.equal_range(name); it != end; ++it) out.emplace_back(it->value());
  return out;
}

// ---------------------------------------------------------------------------------------------
// append_upstream_request_head: helpers

// A client's request head: GET / HTTP/1.1 unless told otherwise.
RequestHead make_request(const Pairs& pairs, unsigned version = 11, std::string_view method = "GET",
                         std::string_view target = "/") {
  RequestHead head;
  head.method_string(method);
  head.target(target);
  head.version(version);
  for (const auto& [name, value] : pairs) head.insert(name, value);
  return head;
}

UpstreamRequest<config::Header> default_spec() {
  UpstreamRequest<config::Header> spec;
  spec.target = "/";
  spec.host = "app.example";
  spec.request_id = "req-1";
  spec.forwarded = {"10.0.0.1", "http", "app.example", 0};
  spec.cookie_name = "_pomerium";
  return spec;
}

template <class Header>
std::string upstream_head(const RequestHead& request, const UpstreamRequest<Header>& spec) {
  std::string out;
  append_upstream_request_head(out, request, spec);
  return out;
}

// Parses `bytes` as the upstream would: they must be exactly one valid request head.
void parse_request_head(const std::string& bytes, RequestHead& parsed) {
  bhttp::request_parser<bhttp::empty_body> parser;
  error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(bytes), ec);
  if (ec == bhttp::error::need_more && parser.is_header_done()) ec = {};  // a body follows
  ASSERT_FALSE(ec) << ec.message() << "\n" << bytes;
  ASSERT_TRUE(parser.is_header_done()) << bytes;
  ASSERT_EQ(used, bytes.size()) << bytes;
  parsed = parser.get().base();
}

// The head the upstream receives, parsed back.
template <class Header>
RequestHead sent_head(const RequestHead& request, const UpstreamRequest<Header>& spec) {
  RequestHead parsed;
  parse_request_head(upstream_head(request, spec), parsed);
  return parsed;
}

// The fields the upstream receives for a client request with `pairs`.
Fields sent_fields(const Pairs& pairs,
                   const UpstreamRequest<config::Header>& spec = default_spec()) {
  return static_cast<const Fields&>(sent_head(make_request(pairs), spec));
}

// The client's headers that went through: the sent fields without Host, X-Forwarded-For / -Proto
// / -Host and X-Request-Id, which the proxy writes itself.
Pairs client_headers(const Fields& sent) {
  Pairs out;
  for (const auto& field : sent) {
    auto name = field.name_string();
    if (field.name() == bhttp::field::host || boost::beast::iequals(name, "x-forwarded-for") ||
        boost::beast::iequals(name, "x-forwarded-proto") ||
        boost::beast::iequals(name, "x-forwarded-host") ||
        boost::beast::iequals(name, "x-request-id")) {
      continue;
    }
    out.emplace_back(name, field.value());
  }
  return out;
}

Pairs passed_through(const Pairs& pairs,
                     const UpstreamRequest<config::Header>& spec = default_spec()) {
  return client_headers(sent_fields(pairs, spec));
}

// ---------------------------------------------------------------------------------------------
// Identity headers: cookies

struct CookieCase {
  std::string name;
  std::vector<std::string> cookie_headers;
  std::vector<std::string> expected;
};

TEST(StripIdentityHeaders, RemovesOnlyTheSessionCookie) {
  const std::vector<CookieCase> cases = {
      {"only the session cookie", {"_pomerium=abc.def.ghi"}, {}},
      {"session cookie first", {"_pomerium=abc; a=1; b=2"}, {"a=1; b=2"}},
      {"session cookie in the middle, odd spacing", {"a=1 ;  _pomerium=abc ;b=2"}, {"a=1; b=2"}},
      {"session cookie last, no spaces", {"a=1;b=2;_pomerium=x"}, {"a=1; b=2"}},
      {"tab before the session cookie", {"a=1;\t_pomerium=x"}, {"a=1"}},
      {"spaces around the name", {" _pomerium =x; a=1"}, {"a=1"}},
      {"session cookie twice", {"_pomerium=1; a=1; _pomerium=2"}, {"a=1"}},
      {"several Cookie headers", {"a=1; _pomerium=x", "_pomerium=y", "b=2"}, {"a=1", "b=2"}},
      {"other cookies byte-exact",
       {"a=x==y; _pomerium=z; b=\"quoted value\"; c=; d=%7B%22k%22%7D"},
       {"a=x==y; b=\"quoted value\"; c=; d=%7B%22k%22%7D"}},
      {"names that merely contain the cookie name",
       {"_pomerium_csrf=1; x_pomerium=2; _pomerium=3; _Pomerium=4; pomerium=5; _pomerium2=6"},
       {"_pomerium_csrf=1; x_pomerium=2; _Pomerium=4; pomerium=5; _pomerium2=6"}},
      {"a value that looks like the cookie is kept",
       {"a=_pomerium; b=_pomerium=x"},
       {"a=_pomerium; b=_pomerium=x"}},
      {"no session cookie: untouched, spacing included",
       {"a=1 ;b=2;;  c=3", "d=4"},
       {"a=1 ;b=2;;  c=3", "d=4"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Pairs request = {{"Host", "app.example"}};
    for (const auto& cookie : c.cookie_headers) request.emplace_back("Cookie", cookie);
    request.emplace_back("Accept", "*/*");
    Fields sent = sent_fields(request);
    EXPECT_EQ(values(sent, "cookie"), c.expected);
    EXPECT_EQ(values(sent, "host"), std::vector<std::string>{"app.example"});
    EXPECT_EQ(values(sent, "accept"), std::vector<std::string>{"*/*"});
  }
}

TEST(StripIdentityHeaders, CookieHeadersSplitByOtherHeaders) {
  Fields sent = sent_fields({{"Cookie", "a=1; _pomerium=x"},
                             {"Host", "app.example"},
                             {"Cookie", "b=2"},
                             {"Accept", "*/*"},
                             {"cookie", "_pomerium=y; c=3"}});
  EXPECT_EQ(values(sent, "Cookie"), (std::vector<std::string>{"a=1", "b=2", "c=3"}));
  EXPECT_EQ(values(sent, "Host"), std::vector<std::string>{"app.example"});
}

TEST(StripIdentityHeaders, CustomCookieName) {
  auto spec = default_spec();
  spec.cookie_name = "_session";
  Fields sent = sent_fields({{"Cookie", "_pomerium=keep; _session=drop; other=1"}}, spec);
  EXPECT_EQ(values(sent, "Cookie"), std::vector<std::string>{"_pomerium=keep; other=1"});

  Fields only = sent_fields({{"Cookie", "_session=drop"}}, spec);
  EXPECT_TRUE(values(only, "Cookie").empty());
}

// ---------------------------------------------------------------------------------------------
// Identity headers: Authorization and X-Pomerium-*

TEST(StripIdentityHeaders, AuthorizationCarryingASession) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"Pomerium x", true},        {"Pomerium eyJhbGciOiJIUzI1NiJ9.e30.sig", true},
      {"pomerium x", true},        {"POMERIUM x", true},
      {"Bearer Pomerium-x", true}, {"bearer Pomerium-x", true},
      {"BEARER POMERIUM-x", true}, {"Bearer abc", false},
      {"Bearer Pomeriumx", false}, {"Basic dXNlcjpwYXNz", false},
      {"Pomeriumx abc", false},    {"Digest username=\"Pomerium x\"", false},
  };
  for (const auto& [value, stripped] : cases) {
    SCOPED_TRACE(value);
    for (const char* name : {"Authorization", "authorization", "AUTHORIZATION"}) {
      Fields sent = sent_fields({{name, value}, {"Host", "h"}});
      EXPECT_EQ(values(sent, "authorization").empty(), stripped) << name;
      if (!stripped) {
        EXPECT_EQ(values(sent, "authorization"), std::vector<std::string>{value});
      }
      // The Host sent is always the route's.
      EXPECT_EQ(values(sent, "host"), std::vector<std::string>{"app.example"});
    }
  }
}

TEST(StripIdentityHeaders, SeveralAuthorizationHeaders) {
  Fields sent = sent_fields({{"Authorization", "Pomerium a"},
                             {"Authorization", "Bearer keep"},
                             {"Authorization", "Bearer Pomerium-b"}});
  EXPECT_EQ(values(sent, "Authorization"), std::vector<std::string>{"Bearer keep"});
}

TEST(StripIdentityHeaders, EveryClientSentPomeriumHeader) {
  Fields sent = sent_fields({
      {"Host", "app.example"},
      {"X-Pomerium-Jwt-Assertion", "forged"},
      {"x-pomerium-claim-email", "admin@example.com"},
      {"X-POMERIUM-AUTHORIZATION", "jwt"},
      {"X-Pomerium-Claim-Groups", "admins"},
      {"X-Pomerium-Claim-Groups", "root"},
      {"x-PoMeRiUm-anything", "1"},
      {"X-Pomeriumish", "kept"},
      {"X-Forwarded-Pomerium-Thing", "kept"},
      {"Pomerium-X", "kept"},
      {"Accept", "*/*"},
  });
  EXPECT_EQ(client_headers(sent), (Pairs{{"X-Pomeriumish", "kept"},
                                         {"X-Forwarded-Pomerium-Thing", "kept"},
                                         {"Pomerium-X", "kept"},
                                         {"Accept", "*/*"}}));
  EXPECT_EQ(values(sent, "host"), std::vector<std::string>{"app.example"});
}

TEST(StripIdentityHeaders, NothingToStripLeavesHeadersAlone) {
  const Pairs headers = {{"Cookie", "a=1;b=2"}, {"Authorization", "Bearer abc"}, {"X-Custom", "v"}};
  Pairs request = headers;
  request.insert(request.begin(), {"Host", "app.example"});
  EXPECT_EQ(passed_through(request), headers);
}

// ---------------------------------------------------------------------------------------------
// HopByHop

// The fields HopByHop lets through, in order.
Pairs kept_fields(const Fields& fields, bool keep_upgrade) {
  HopByHop hop_by_hop(fields, keep_upgrade);
  Pairs out;
  for (const auto& field : fields) {
    if (!hop_by_hop.drops(field)) out.emplace_back(field.name_string(), field.value());
  }
  return out;
}

TEST(StripHopByHop, RemovesConnectionAndWhatItNames) {
  Fields fields = make_fields({
      {"Host", "app.example"},
      {"Connection", "close, X-Custom , x-other"},
      {"X-Custom", "1"},
      {"X-Other", "2"},
      {"Keep-Alive", "timeout=5"},
      {"Proxy-Connection", "keep-alive"},
      {"TE", "trailers"},
      {"Upgrade", "websocket"},
      {"Content-Length", "3"},
      {"Accept", "*/*"},
  });
  EXPECT_EQ(kept_fields(fields, false),
            (Pairs{{"Host", "app.example"}, {"Content-Length", "3"}, {"Accept", "*/*"}}));
}

TEST(StripHopByHop, NeverRemovesFramingOrRoutingHeaders) {
  Fields fields = make_fields({
      {"Host", "app.example"},
      {"Connection", "Host, Content-Length, transfer-encoding, X-A"},
      {"Content-Length", "10"},
      {"Transfer-Encoding", "chunked"},
      {"X-A", "gone"},
  });
  EXPECT_EQ(
      kept_fields(fields, false),
      (Pairs{{"Host", "app.example"}, {"Content-Length", "10"}, {"Transfer-Encoding", "chunked"}}));
}

TEST(StripHopByHop, SeveralConnectionHeadersAndEmptyTokens) {
  Fields fields = make_fields({
      {"Connection", " , x-a ,, "},
      {"Connection", "X-B"},
      {"X-A", "1"},
      {"X-B", "2"},
      {"X-C", "3"},
  });
  EXPECT_EQ(kept_fields(fields, false), (Pairs{{"X-C", "3"}}));
}

TEST(StripHopByHop, KeepUpgrade) {
  Fields fields = make_fields({
      {"Host", "app.example"},
      {"Connection", "Upgrade"},
      {"Upgrade", "websocket"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
  });
  EXPECT_EQ(kept_fields(fields, true), (Pairs{{"Host", "app.example"},
                                              {"Upgrade", "websocket"},
                                              {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}}));
  EXPECT_EQ(kept_fields(fields, false),
            (Pairs{{"Host", "app.example"}, {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}}));
}

TEST(HopByHop, NoConnectionHeaderDropsOnlyTheFixedNames) {
  Fields fields = make_fields({{"X-A", "1"}, {"te", "trailers"}, {"KEEP-ALIVE", "5"}, {"B", "2"}});
  EXPECT_EQ(kept_fields(fields, false), (Pairs{{"X-A", "1"}, {"B", "2"}}));
}

// ---------------------------------------------------------------------------------------------
// Forwarded headers

TEST(SetForwardedHeaders, NoTrustedHopsReplacesSpoofedValues) {
  Fields sent = sent_fields({
      {"X-Forwarded-For", "6.6.6.6"},
      {"X-Forwarded-For", "7.7.7.7, 8.8.8.8"},
      {"X-Forwarded-Proto", "https"},
      {"X-Forwarded-Host", "evil.example"},
  });
  EXPECT_EQ(values(sent, "x-forwarded-for"), std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(values(sent, "x-forwarded-proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(values(sent, "x-forwarded-host"), std::vector<std::string>{"app.example"});
}

TEST(SetForwardedHeaders, NoTrustedHopsWithoutClientValues) {
  auto spec = default_spec();
  spec.forwarded = {"2001:db8::1", "https", "app.example:8443", 0};
  Fields sent = sent_fields({}, spec);
  EXPECT_EQ(values(sent, "X-Forwarded-For"), std::vector<std::string>{"2001:db8::1"});
  EXPECT_EQ(values(sent, "X-Forwarded-Proto"), std::vector<std::string>{"https"});
  EXPECT_EQ(values(sent, "X-Forwarded-Host"), std::vector<std::string>{"app.example:8443"});
}

TEST(SetForwardedHeaders, TrustedHopsAppendThePeer) {
  struct Case {
    std::string name;
    std::vector<std::string> client_xff;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"no client chain", {}, "10.0.0.1"},
      {"one address", {"1.1.1.1"}, "1.1.1.1, 10.0.0.1"},
      {"a chain", {"1.1.1.1, 2.2.2.2"}, "1.1.1.1, 2.2.2.2, 10.0.0.1"},
      {"two headers", {"1.1.1.1", " 2.2.2.2 "}, "1.1.1.1, 2.2.2.2, 10.0.0.1"},
  };
  for (std::uint32_t hops : {1u, 2u}) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.name + " hops=" + std::to_string(hops));
      Pairs request;
      for (const auto& v : c.client_xff) request.emplace_back("X-Forwarded-For", v);
      auto spec = default_spec();
      spec.forwarded.trusted_hops = hops;
      Fields sent = sent_fields(request, spec);
      EXPECT_EQ(values(sent, "x-forwarded-for"), std::vector<std::string>{c.expected});
    }
  }
}

TEST(SetForwardedHeaders, TrustedHopsKeepClientProtoAndHost) {
  auto spec = default_spec();
  spec.forwarded.trusted_hops = 1;
  Fields sent =
      sent_fields({{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "outer.example"}}, spec);
  EXPECT_EQ(values(sent, "x-forwarded-proto"), std::vector<std::string>{"https"});
  EXPECT_EQ(values(sent, "x-forwarded-host"), std::vector<std::string>{"outer.example"});

  Fields missing = sent_fields({}, spec);
  EXPECT_EQ(values(missing, "x-forwarded-proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(values(missing, "x-forwarded-host"), std::vector<std::string>{"app.example"});
}

// ---------------------------------------------------------------------------------------------
// append_upstream_request_head

TEST(UpstreamRequest, ExactBytes) {
  // An HTTP/1.0 client: the upstream still gets HTTP/1.1, with the rewritten target.
  RequestHead request = make_request({{"Host", "client.example"},
                                      {"User-Agent", "ua/1"},
                                      {"Accept", "*/*"},
                                      {"Content-Length", "5"},
                                      {"X-Custom", "a b  c"},
                                      {"Connection", "keep-alive"},
                                      {"Expect", "100-continue"},
                                      {"Cookie", "a=1; _pomerium=s"},
                                      {"X-Empty", ""}},
                                     10, "POST", "/old?x=1");
  const Headers set = {{"X-Set", "s"}, {"X-Other", "o"}};
  auto spec = default_spec();
  spec.target = "/new?x=1";
  spec.set = set;
  const std::string expected =
      "POST /new?x=1 HTTP/1.1\r\n"
      "Host: app.example\r\n"
      "User-Agent: ua/1\r\n"
      "Accept: */*\r\n"
      "Content-Length: 5\r\n"
      "X-Custom: a b  c\r\n"
      "Cookie: a=1\r\n"
      "X-Empty: \r\n"
      "X-Set: s\r\n"
      "X-Other: o\r\n"
      "X-Forwarded-For: 10.0.0.1\r\n"
      "X-Forwarded-Proto: http\r\n"
      "X-Forwarded-Host: app.example\r\n"
      "X-Request-Id: req-1\r\n"
      "\r\n";
  EXPECT_EQ(upstream_head(request, spec), expected);
  RequestHead parsed = sent_head(request, spec);
  EXPECT_EQ(parsed.method(), bhttp::verb::post);
  EXPECT_EQ(parsed.target(), "/new?x=1");
  EXPECT_EQ(parsed.version(), 11u);
}

TEST(UpstreamRequest, AppendsToExistingContent) {
  std::string out = "prefix|";
  append_upstream_request_head(out, make_request({}), default_spec());
  EXPECT_EQ(out,
            "prefix|GET / HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\nX-Forwarded-Host: app.example\r\nX-Request-Id: req-1\r\n"
            "\r\n");
}

TEST(UpstreamRequest, MethodsAndTargetsAreWrittenAsGiven) {
  struct Case {
    std::string method;
    std::string target;
  };
  const std::vector<Case> cases = {
      {"GET", "/"},        {"PURGE", "/cache/item"}, {"OPTIONS", "*"},
      {"DELETE", "/it/7"}, {"GET", "/p?q=1&r=%20"},  {"PATCH", "/x"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    auto spec = default_spec();
    spec.target = c.target;
    std::string out = upstream_head(make_request({}, 11, c.method, "/ignored"), spec);
    EXPECT_EQ(out.substr(0, out.find("\r\n")), c.method + " " + c.target + " HTTP/1.1");
    RequestHead parsed = sent_head(make_request({}, 11, c.method, "/ignored"), spec);
    EXPECT_EQ(parsed.method_string(), c.method);
    EXPECT_EQ(parsed.target(), c.target);
  }
}

TEST(UpstreamRequest, ParsedClientHeadIsWrittenNormalised) {
  // Optional whitespace around values is dropped by the parser; names keep their spelling.
  const std::string raw =
      "GET /p?q=1 HTTP/1.1\r\nHost:   example.com  \r\nx-MiXeD:v\r\nAccept: */*\r\n\r\n";
  RequestHead client;
  parse_request_head(raw, client);
  auto spec = default_spec();
  spec.target = "/p?q=1";
  EXPECT_EQ(upstream_head(client, spec),
            "GET /p?q=1 HTTP/1.1\r\nHost: app.example\r\nx-MiXeD: v\r\nAccept: */*\r\n"
            "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: app.example\r\nX-Request-Id: req-1\r\n\r\n");
}

TEST(UpstreamRequest, HostComesFromTheSpec) {
  auto spec = default_spec();
  spec.host = "upstream.internal:8080";
  Fields sent = sent_fields({{"Host", "client.example"}, {"host", "second.example"}}, spec);
  EXPECT_EQ(values(sent, "Host"), std::vector<std::string>{"upstream.internal:8080"});
  Fields none = sent_fields({}, spec);
  EXPECT_EQ(values(none, "Host"), std::vector<std::string>{"upstream.internal:8080"});
}

TEST(UpstreamRequest, ExpectIsNeverForwarded) {
  for (const char* value : {"100-continue", "100-Continue", "something-else"}) {
    SCOPED_TRACE(value);
    Fields sent = sent_fields({{"Expect", value}, {"Content-Length", "3"}, {"X-A", "1"}});
    EXPECT_EQ(client_headers(sent), (Pairs{{"Content-Length", "3"}, {"X-A", "1"}}));
  }
}

TEST(UpstreamRequest, RemoveNamesAreDroppedCaseInsensitively) {
  const std::vector<std::string> remove = {"x-drop", "cookie", "authorization"};
  auto spec = default_spec();
  spec.remove = remove;
  EXPECT_EQ(passed_through({{"X-DROP", "1"},
                            {"x-drop", "2"},
                            {"X-Keep", "k"},
                            {"Cookie", "a=1; _pomerium=x"},
                            {"Cookie", "b=2"},
                            {"Authorization", "Bearer abc"}},
                           spec),
            (Pairs{{"X-Keep", "k"}}));
}

TEST(UpstreamRequest, ClaimHeadersAreDropped) {
  const std::map<std::string, std::string> claims = {{"X-Email", "email"},
                                                     {"x-user-groups", "groups"}};
  auto spec = default_spec();
  spec.claim_headers = &claims;
  EXPECT_EQ(passed_through({{"x-email", "forged@example.com"},
                            {"X-USER-GROUPS", "admins"},
                            {"X-Email-Verified", "kept"}},
                           spec),
            (Pairs{{"X-Email-Verified", "kept"}}));
}

TEST(UpstreamRequest, SetReplacesTheClientHeader) {
  const Headers set = {{"x-custom", "new"}, {"Cookie", "c=3"}, {"X-Added", "a"}};
  auto spec = default_spec();
  spec.set = set;
  EXPECT_EQ(passed_through({{"X-Custom", "old"},
                            {"X-CUSTOM", "older"},
                            {"Accept", "*/*"},
                            {"Cookie", "a=1"},
                            {"Authorization", "Bearer abc"}},
                           spec),
            (Pairs{{"Accept", "*/*"},
                   {"Authorization", "Bearer abc"},
                   {"x-custom", "new"},
                   {"Cookie", "c=3"},
                   {"X-Added", "a"}}));
}

TEST(UpstreamRequest, SetTwiceTheLastOneWins) {
  const Headers set = {{"X-A", "1"}, {"X-B", "b"}, {"x-a", "2"}, {"X-C", "c"}, {"X-A", "3"}};
  auto spec = default_spec();
  spec.set = set;
  EXPECT_EQ(passed_through({{"X-A", "client"}}, spec),
            (Pairs{{"X-B", "b"}, {"X-C", "c"}, {"X-A", "3"}}));
}

TEST(UpstreamRequest, SetCannotReplaceTheProxysOwnHeaders) {
  const Headers set = {{"Host", "evil.example"},
                       {"x-forwarded-for", "6.6.6.6"},
                       {"X-Request-Id", "forged"},
                       {"X-Kept", "k"}};
  for (std::uint32_t hops : {0u, 1u}) {
    SCOPED_TRACE(hops);
    auto spec = default_spec();
    spec.set = set;
    spec.forwarded.trusted_hops = hops;
    Fields sent = sent_fields({{"X-Request-Id", "client-id"}}, spec);
    EXPECT_EQ(values(sent, "host"), std::vector<std::string>{"app.example"});
    EXPECT_EQ(values(sent, "x-forwarded-for"), std::vector<std::string>{"10.0.0.1"});
    EXPECT_EQ(values(sent, "x-request-id"), std::vector<std::string>{"req-1"});
    EXPECT_EQ(values(sent, "x-kept"), std::vector<std::string>{"k"});
  }
}

TEST(UpstreamRequest, ForwardedProtoAndHostWithTrustedHops) {
  struct Case {
    std::string name;
    Pairs client;
    Headers set;
    std::string proto;
    std::string host;
  };
  const std::vector<Case> cases = {
      {"neither", {}, {}, "http", "app.example"},
      {"client's",
       {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "outer"}},
       {},
       "https",
       "outer"},
      {"set's", {}, {{"x-forwarded-proto", "wss"}, {"x-forwarded-host", "set"}}, "wss", "set"},
      {"both: set replaces the client's",
       {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "outer"}},
       {{"X-FORWARDED-PROTO", "wss"}, {"X-Forwarded-Host", "set"}},
       "wss",
       "set"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto spec = default_spec();
    spec.forwarded.trusted_hops = 1;
    spec.set = c.set;
    Fields sent = sent_fields(c.client, spec);
    EXPECT_EQ(values(sent, "x-forwarded-proto"), std::vector<std::string>{c.proto});
    EXPECT_EQ(values(sent, "x-forwarded-host"), std::vector<std::string>{c.host});
  }
}

TEST(UpstreamRequest, ForwardedProtoAndHostWithoutTrustedHopsAreTheProxys) {
  // Like the client's values, a route's `set` of these names is replaced by what the proxy saw.
  const Headers set = {{"X-Forwarded-Proto", "wss"}, {"X-Forwarded-Host", "set"}};
  auto spec = default_spec();
  spec.set = set;
  Fields sent = sent_fields({{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "outer"}}, spec);
  EXPECT_EQ(values(sent, "x-forwarded-proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(values(sent, "x-forwarded-host"), std::vector<std::string>{"app.example"});
}

TEST(UpstreamRequest, Websocket) {
  const Pairs client = {{"Host", "app.example"},
                        {"Connection", "keep-alive, Upgrade"},
                        {"Upgrade", "websocket"},
                        {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                        {"Sec-WebSocket-Version", "13"}};
  auto spec = default_spec();
  spec.websocket = true;
  EXPECT_EQ(upstream_head(make_request(client), spec),
            "GET / HTTP/1.1\r\nHost: app.example\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: app.example\r\nX-Request-Id: req-1\r\nConnection: upgrade\r\n\r\n");
  RequestHead parsed = sent_head(make_request(client), spec);
  EXPECT_EQ(values(parsed, "connection"), std::vector<std::string>{"upgrade"});
  EXPECT_EQ(values(parsed, "upgrade"), std::vector<std::string>{"websocket"});

  spec.websocket = false;
  EXPECT_EQ(passed_through(client, spec), (Pairs{{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                                 {"Sec-WebSocket-Version", "13"}}));
  Fields sent = sent_fields(client, spec);
  EXPECT_TRUE(values(sent, "connection").empty());
  EXPECT_TRUE(values(sent, "upgrade").empty());
}

TEST(UpstreamRequest, HopByHopHeadersAreDropped) {
  EXPECT_EQ(passed_through({{"Connection", "close, X-Secret"},
                            {"X-Secret", "1"},
                            {"Keep-Alive", "timeout=5"},
                            {"Proxy-Connection", "keep-alive"},
                            {"TE", "trailers"},
                            {"Upgrade", "h2c"},
                            {"X-Kept", "k"}}),
            (Pairs{{"X-Kept", "k"}}));
}

TEST(UpstreamRequest, ConnectionCannotDropFramingOrHost) {
  Fields with_length = sent_fields({{"Connection", "Host, Content-Length, Transfer-Encoding, X-A"},
                                    {"Content-Length", "10"},
                                    {"X-A", "gone"}});
  EXPECT_EQ(client_headers(with_length), (Pairs{{"Content-Length", "10"}}));
  EXPECT_EQ(values(with_length, "host"), std::vector<std::string>{"app.example"});

  Fields chunked = sent_fields({{"Connection", "transfer-encoding, content-length, host"},
                                {"Transfer-Encoding", "gzip, chunked"}});
  EXPECT_EQ(client_headers(chunked), (Pairs{{"Transfer-Encoding", "gzip, chunked"}}));
}

TEST(UpstreamRequest, FramingGoesThroughUnchanged) {
  RequestHead length =
      sent_head(make_request({{"Content-Length", "42"}}, 11, "POST"), default_spec());
  EXPECT_EQ(values(length, "content-length"), std::vector<std::string>{"42"});
  RequestHead chunked =
      sent_head(make_request({{"Transfer-Encoding", "chunked"}}, 11, "POST"), default_spec());
  EXPECT_EQ(values(chunked, "transfer-encoding"), std::vector<std::string>{"chunked"});
}

TEST(UpstreamRequest, RulesCannotChangeTheFraming) {
  // The body is relayed as the client framed it; a rule that changed Content-Length or
  // Transfer-Encoding would desynchronise the upstream connection.
  const Headers set = {{"Content-Length", "0"},
                       {"transfer-encoding", "chunked"},
                       {"Connection", "close"},
                       {"X-Kept", "k"}};
  const std::vector<std::string> remove = {"content-length", "transfer-encoding"};
  auto spec = default_spec();
  spec.set = set;
  spec.remove = remove;
  RequestHead length = sent_head(make_request({{"Content-Length", "5"}}, 11, "POST"), spec);
  EXPECT_EQ(values(length, "content-length"), std::vector<std::string>{"5"});
  EXPECT_TRUE(values(length, "transfer-encoding").empty());
  EXPECT_TRUE(values(length, "connection").empty());
  EXPECT_EQ(values(length, "x-kept"), std::vector<std::string>{"k"});
  RequestHead chunked =
      sent_head(make_request({{"Transfer-Encoding", "chunked"}}, 11, "POST"), spec);
  EXPECT_EQ(values(chunked, "transfer-encoding"), std::vector<std::string>{"chunked"});
  EXPECT_TRUE(values(chunked, "content-length").empty());
}

TEST(UpstreamRequest, ValuesThatWouldBreakTheHeadAreDropped) {
  // Identity headers carry claims from the identity provider: a line break must not become a
  // second header.
  authorize::HeaderList list;
  list.add("X-Pomerium-Claim-Name", "Eve\r\nX-Injected: 1");
  list.add("X-Lf", std::string_view("a\nb"));
  list.add("X-Nul", std::string_view("a\0b", 3));
  list.add("X-Fine", "ok");
  UpstreamRequest<authorize::HeaderEntry> spec;
  spec.target = "/";
  spec.host = "app.example";
  spec.request_id = "req-3";
  spec.forwarded = {"10.0.0.1", "http", "app.example", 0};
  spec.set = list.items();
  RequestHead sent = sent_head(make_request({}), spec);
  EXPECT_TRUE(values(sent, "x-injected").empty());
  EXPECT_TRUE(values(sent, "x-pomerium-claim-name").empty());
  EXPECT_TRUE(values(sent, "x-lf").empty());
  EXPECT_TRUE(values(sent, "x-nul").empty());
  EXPECT_EQ(values(sent, "x-fine"), std::vector<std::string>{"ok"});
}

TEST(UpstreamRequest, AuthorizeHeaderEntries) {
  const std::map<std::string, std::string> claims = {{"X-Email", "email"}};
  authorize::HeaderList list;
  list.add("X-Pomerium-Jwt-Assertion", "signed.jwt");
  list.add("X-Email", "user@example.com");
  list.add("Authorization", "Bearer upstream-token");
  UpstreamRequest<authorize::HeaderEntry> spec;
  spec.target = "/t";
  spec.host = "app.example";
  spec.request_id = "req-2";
  spec.forwarded = {"10.0.0.9", "https", "app.example", 0};
  spec.claim_headers = &claims;
  spec.set = list.items();
  RequestHead request = make_request({{"X-Pomerium-Jwt-Assertion", "forged"},
                                      {"x-email", "forged@example.com"},
                                      {"Authorization", "Pomerium session"},
                                      {"Accept", "*/*"}});
  EXPECT_EQ(upstream_head(request, spec),
            "GET /t HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\n"
            "X-Pomerium-Jwt-Assertion: signed.jwt\r\nX-Email: user@example.com\r\n"
            "Authorization: Bearer upstream-token\r\nX-Forwarded-For: 10.0.0.9\r\n"
            "X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example\r\nX-Request-Id: req-2\r\n"
            "\r\n");
  RequestHead parsed = sent_head(request, spec);
  EXPECT_EQ(values(parsed, "x-pomerium-jwt-assertion"), std::vector<std::string>{"signed.jwt"});
}

// ---------------------------------------------------------------------------------------------
// append_downstream_response_head

ResponseHead make_response(unsigned status, const Pairs& pairs, std::string_view reason = {}) {
  ResponseHead head;
  head.version(11);
  head.result(status);
  if (!reason.empty()) head.reason(reason);
  for (const auto& [name, value] : pairs) head.insert(name, value);
  return head;
}

// Parses `bytes` as a client would: they must be exactly one valid response head.
void parse_response_head(const std::string& bytes,
                         bhttp::response_parser<bhttp::empty_body>& parser) {
  parser.skip(true);  // the head only
  error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(bytes), ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << bytes;
  ASSERT_TRUE(parser.is_header_done()) << bytes;
  ASSERT_EQ(used, bytes.size()) << bytes;
}

// The head the client receives; fails the test when a client could not parse it.
std::string downstream_head(const ResponseHead& response, const DownstreamResponse& downstream) {
  std::string out;
  append_downstream_response_head(out, response, downstream);
  bhttp::response_parser<bhttp::empty_body> parser;
  parse_response_head(out, parser);
  return out;
}

struct StatusLineCase {
  unsigned version;
  unsigned status;
  std::string reason;  // empty: none set on the message
  Pairs fields;
  std::string expected;
};

TEST(DownstreamResponse, StatusLineAndPlainHeaders) {
  const std::vector<StatusLineCase> cases = {
      {11, 200, "", {{"Content-Length", "0"}}, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {11, 204, "", {}, "HTTP/1.1 204 No Content\r\n\r\n"},
      {11, 404, "Nothing Here", {}, "HTTP/1.1 404 Nothing Here\r\n\r\n"},
      {11, 200, "Fine Thanks", {}, "HTTP/1.1 200 Fine Thanks\r\n\r\n"},
      {11,
       599,
       "Network Connect Timeout Error",
       {{"X-Upstream", "u1"}},
       "HTTP/1.1 599 Network Connect Timeout Error\r\nX-Upstream: u1\r\n\r\n"},
      {11, 100, "", {}, "HTTP/1.1 100 Continue\r\n\r\n"},
      {11, 304, "", {{"ETag", "\"x\""}}, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"},
      {11,
       302,
       "",
       {{"Location", "https://a.example/x"}, {"Set-Cookie", "s=1"}, {"Set-Cookie", "t=2"}},
       "HTTP/1.1 302 Found\r\nLocation: https://a.example/x\r\nSet-Cookie: s=1\r\nSet-Cookie: "
       "t=2\r\n\r\n"},
      {11, 451, "", {}, "HTTP/1.1 451 Unavailable For Legal Reasons\r\n\r\n"},
      {11,
       503,
       "",
       {{"Retry-After", "5"}, {"X-Empty", ""}},
       "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nX-Empty: \r\n\r\n"},
      // The client's version, whatever the upstream's.
      {10, 200, "", {}, "HTTP/1.0 200 OK\r\n\r\n"},
      {10, 500, "", {}, "HTTP/1.0 500 Internal Server Error\r\n\r\n"},
      {10, 404, "Gone Fishing", {}, "HTTP/1.0 404 Gone Fishing\r\n\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    DownstreamResponse downstream;
    downstream.version = c.version;
    downstream.keep_alive = c.version == 11;  // no Connection header either way
    ResponseHead response = make_response(c.status, c.fields, c.reason);
    EXPECT_EQ(downstream_head(response, downstream), c.expected);
    if (c.version == 11) {
      // What Beast's own serializer writes for the same head.
      std::ostringstream beast_bytes;
      beast_bytes << response;
      EXPECT_EQ(downstream_head(response, downstream), beast_bytes.str());
    }
  }
}

TEST(DownstreamResponse, ParsedReasonIsKeptVerbatim) {
  const std::string raw = "HTTP/1.1 599 Upstream Said So\r\nServer:  up \r\n\r\n";
  bhttp::response_parser<bhttp::empty_body> parser;
  parse_response_head(raw, parser);
  EXPECT_EQ(downstream_head(parser.get(), {}),
            "HTTP/1.1 599 Upstream Said So\r\nServer: up\r\n\r\n");
  DownstreamResponse old_client;
  old_client.version = 10;
  old_client.keep_alive = false;
  EXPECT_EQ(downstream_head(parser.get(), old_client),
            "HTTP/1.0 599 Upstream Said So\r\nServer: up\r\n\r\n");
}

TEST(DownstreamResponse, StatusWithoutStandardPhraseStillFormsOneLine) {
  // 599 has no registered phrase: whatever stands in for it, the status line stays one line.
  for (unsigned status : {299u, 499u, 599u, 999u}) {
    SCOPED_TRACE(status);
    ResponseHead head = make_response(status, {{"X-A", "1"}});
    std::string out;
    append_downstream_response_head(out, head, {});
    const std::string prefix = "HTTP/1.1 " + std::to_string(status) + " ";
    ASSERT_EQ(out.compare(0, prefix.size(), prefix), 0) << out;
    auto line_end = out.find("\r\n");
    ASSERT_NE(line_end, std::string::npos);
    EXPECT_EQ(out.find_first_of("\r\n", prefix.size()), line_end) << out;
    EXPECT_EQ(out.substr(line_end), "\r\nX-A: 1\r\n\r\n");
  }
}

TEST(DownstreamResponse, AppendsToExistingContent) {
  std::string out = "prefix|";
  append_downstream_response_head(out, make_response(204, {}), {});
  EXPECT_EQ(out, "prefix|HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(DownstreamResponse, HopByHopHeadersAreDropped) {
  ResponseHead response = make_response(200, {{"Connection", "close, X-Secret"},
                                              {"X-Secret", "1"},
                                              {"Keep-Alive", "timeout=5"},
                                              {"Proxy-Connection", "keep-alive"},
                                              {"TE", "trailers"},
                                              {"Upgrade", "h2c"},
                                              {"Content-Length", "0"},
                                              {"Server", "s"}});
  EXPECT_EQ(downstream_head(response, {}),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: s\r\n\r\n");
}

TEST(DownstreamResponse, SetReplacesUpstreamHeaders) {
  const Headers set = {{"server", "portcullis"}, {"Set-Cookie", "c=3"}, {"X-Added", "a"}};
  DownstreamResponse downstream;
  downstream.set = set;
  ResponseHead response = make_response(200, {{"Server", "up"},
                                              {"Set-Cookie", "a=1"},
                                              {"SET-COOKIE", "b=2"},
                                              {"X-Frame-Options", "DENY"},
                                              {"Content-Length", "0"}});
  EXPECT_EQ(downstream_head(response, downstream),
            "HTTP/1.1 200 OK\r\nX-Frame-Options: DENY\r\nContent-Length: 0\r\nserver: "
            "portcullis\r\nSet-Cookie: c=3\r\nX-Added: a\r\n\r\n");
}

TEST(DownstreamResponse, SetCannotChangeFraming) {
  const Headers set = {{"Content-Length", "999"},
                       {"transfer-encoding", "chunked"},
                       {"CONNECTION", "close"},
                       {"X-A", "1"}};
  DownstreamResponse downstream;
  downstream.set = set;
  EXPECT_EQ(downstream_head(make_response(200, {{"Content-Length", "3"}}), downstream),
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: 1\r\n\r\n");
  EXPECT_EQ(downstream_head(make_response(200, {{"Transfer-Encoding", "chunked"}}), downstream),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n");
}

TEST(DownstreamResponse, ChunkAddsTransferEncoding) {
  DownstreamResponse downstream;
  downstream.framing = DownstreamResponse::Framing::kChunk;
  std::string out;
  append_downstream_response_head(out, make_response(200, {{"Server", "s"}}), downstream);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: s\r\nTransfer-Encoding: chunked\r\n\r\n");
  bhttp::response_parser<bhttp::empty_body> parser;
  parse_response_head(out, parser);
  EXPECT_TRUE(parser.chunked());
}

TEST(DownstreamResponse, UnchunkDropsOnlyTheFinalChunked) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"chunked"}, ""},
      {{"Chunked"}, ""},
      {{"gzip, chunked"}, "Transfer-Encoding: gzip\r\n"},
      {{" gzip ,  chunked "}, "Transfer-Encoding: gzip\r\n"},
      {{"gzip,chunked"}, "Transfer-Encoding: gzip\r\n"},
      {{"deflate, gzip, chunked"}, "Transfer-Encoding: deflate, gzip\r\n"},
      {{"gzip"}, "Transfer-Encoding: gzip\r\n"},
      {{"gzip", "chunked"}, "Transfer-Encoding: gzip\r\n"},
  };
  for (const auto& [encodings, expected] : cases) {
    SCOPED_TRACE(encodings.front());
    Pairs fields = {{"Server", "s"}};
    for (const auto& e : encodings) fields.emplace_back("Transfer-Encoding", e);
    DownstreamResponse downstream;
    downstream.version = 10;
    downstream.keep_alive = false;
    downstream.framing = DownstreamResponse::Framing::kUnchunk;
    std::string out = downstream_head(make_response(200, fields), downstream);
    EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nServer: s\r\n" + expected + "\r\n");
  }
}

TEST(DownstreamResponse, ConnectionHeaderForTheClient) {
  struct Case {
    unsigned version;
    bool keep_alive;
    std::string connection;  // the line the client gets, if any
  };
  const std::vector<Case> cases = {
      {11, true, ""},
      {11, false, "Connection: close\r\n"},
      {10, true, "Connection: keep-alive\r\n"},
      {10, false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.version) + (c.keep_alive ? " keep-alive" : " close"));
    DownstreamResponse downstream;
    downstream.version = c.version;
    downstream.keep_alive = c.keep_alive;
    // The upstream's own Connection header says nothing about the client's connection.
    ResponseHead response = make_response(
        200, {{"Connection", c.keep_alive ? "close" : "keep-alive"}, {"Content-Length", "0"}});
    std::string out;
    append_downstream_response_head(out, response, downstream);
    const std::string status = c.version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
    EXPECT_EQ(out, status + "Content-Length: 0\r\n" + c.connection + "\r\n");
    bhttp::response_parser<bhttp::empty_body> parser;
    parse_response_head(out, parser);
    EXPECT_EQ(parser.keep_alive(), c.keep_alive);
  }
}

TEST(DownstreamResponse, UpgradeKeepsUpgradeAndSaysSo) {
  ResponseHead response =
      make_response(101, {{"Upgrade", "websocket"},
                          {"Connection", "Upgrade"},
                          {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}});
  DownstreamResponse downstream;
  downstream.upgrade = true;
  std::string out;
  append_downstream_response_head(out, response, downstream);
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nConnection: upgrade\r\n\r\n");
  bhttp::response_parser<bhttp::empty_body> parser;
  parse_response_head(out, parser);
  EXPECT_TRUE(parser.upgrade());

  // Without it, Upgrade is hop-by-hop like the rest.
  EXPECT_EQ(downstream_head(response, {}),
            "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: "
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

// ---------------------------------------------------------------------------------------------
// scan_request_headers

TEST(RequestFacts, CountsAndFirstValues) {
  Fields fields = make_fields({{"Host", "a.example"},
                               {"host", "b.example"},
                               {"Content-Length", "1"},
                               {"content-length", "2"},
                               {"Content-Length", "3"},
                               {"Transfer-Encoding", "gzip"},
                               {"Transfer-Encoding", "chunked"},
                               {"Accept", "text/html"},
                               {"Accept", "*/*"},
                               {"x-REQUEST-id", "first-id"},
                               {"X-Request-Id", "second-id"},
                               {"Upgrade", "websocket"},
                               {"User-Agent", "ua/1"},
                               {"X-Other", "o"}});
  RequestFacts facts = scan_request_headers(fields);
  EXPECT_EQ(facts.count, 14u);
  EXPECT_EQ(facts.hosts, 2u);
  EXPECT_EQ(facts.content_lengths, 3u);
  EXPECT_EQ(facts.transfer_encodings, 2u);
  EXPECT_EQ(facts.host, "a.example");
  EXPECT_EQ(facts.transfer_encoding, "gzip");
  EXPECT_EQ(facts.accept, "text/html");
  EXPECT_EQ(facts.request_id, "first-id");
  EXPECT_EQ(facts.upgrade, "websocket");
  EXPECT_EQ(facts.user_agent, "ua/1");
  EXPECT_FALSE(facts.underscore);
}

TEST(RequestFacts, RequestIdMatchedCaseInsensitively) {
  for (const char* name : {"X-Request-Id", "x-request-id", "X-REQUEST-ID"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(scan_request_headers(make_fields({{name, "abc"}})).request_id, "abc");
  }
  EXPECT_EQ(scan_request_headers(make_fields({{"X-Request-Ids", "abc"}})).request_id.data(),
            nullptr);
}

TEST(RequestFacts, Underscore) {
  const std::vector<std::pair<Pairs, bool>> cases = {
      {{{"X-Custom", "a_b"}}, false},
      {{{"X_Custom", "v"}}, true},
      {{{"Accept", "*/*"}, {"x_forwarded_for", "1.1.1.1"}}, true},
      {{{"_", ""}}, true},
      {{}, false},
  };
  for (const auto& [pairs, underscore] : cases) {
    EXPECT_EQ(scan_request_headers(make_fields(pairs)).underscore, underscore)
        << (pairs.empty() ? std::string("(none)") : pairs.back().first);
  }
}

TEST(RequestFacts, AbsentIsNullAndEmptyIsNot) {
  RequestFacts none = scan_request_headers(Fields());
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.hosts, 0u);
  for (std::string_view v : {none.host, none.transfer_encoding, none.accept, none.request_id,
                             none.upgrade, none.user_agent}) {
    EXPECT_EQ(v.data(), nullptr);
  }

  Fields empty = make_fields({{"Host", ""},
                              {"Transfer-Encoding", ""},
                              {"Accept", ""},
                              {"X-Request-Id", ""},
                              {"Upgrade", ""},
                              {"User-Agent", ""}});
  RequestFacts facts = scan_request_headers(empty);
  EXPECT_EQ(facts.count, 6u);
  EXPECT_EQ(facts.hosts, 1u);
  EXPECT_EQ(facts.transfer_encodings, 1u);
  for (std::string_view v : {facts.host, facts.transfer_encoding, facts.accept, facts.request_id,
                             facts.upgrade, facts.user_agent}) {
    EXPECT_NE(v.data(), nullptr);
    EXPECT_TRUE(v.empty());
  }
}

TEST(RequestFacts, ParsedRequest) {
  const std::string raw =
      "GET / HTTP/1.1\r\nHost: app.example\r\nAccept:\r\nUser-Agent:  curl/8 \r\n"
      "X-Request-Id: rid\r\n\r\n";
  RequestHead head;
  parse_request_head(raw, head);
  RequestFacts facts = scan_request_headers(head);
  EXPECT_EQ(facts.count, 4u);
  EXPECT_EQ(facts.host, "app.example");
  EXPECT_NE(facts.accept.data(), nullptr);
  EXPECT_EQ(facts.accept, "");
  EXPECT_EQ(facts.user_agent, "curl/8");
  EXPECT_EQ(facts.request_id, "rid");
  EXPECT_EQ(facts.upgrade.data(), nullptr);
  EXPECT_EQ(facts.content_lengths, 0u);
}

// ---------------------------------------------------------------------------------------------
// client_address

struct ClientAddressCase {
  std::uint32_t hops;
  std::vector<std::string> xff;  // one entry per X-Forwarded-For header
  std::string expected;
};

void check_client_addresses(const std::vector<ClientAddressCase>& cases) {
  for (const auto& c : cases) {
    std::string trace = "hops=" + std::to_string(c.hops) + " xff=";
    for (const auto& v : c.xff) trace += "[" + v + "]";
    SCOPED_TRACE(trace);
    Fields fields;
    for (const auto& v : c.xff) fields.insert("X-Forwarded-For", v);
    EXPECT_EQ(client_address(fields, "10.0.0.1", c.hops), c.expected);
  }
}

TEST(ClientAddress, TrustedHopsTable) {
  check_client_addresses({
      {0, {}, "10.0.0.1"},
      {0, {"1.1.1.1"}, "10.0.0.1"},
      {0, {"6.6.6.6, 1.1.1.1"}, "10.0.0.1"},
      {1, {}, "10.0.0.1"},
      {1, {"1.1.1.1"}, "1.1.1.1"},
      {1, {"6.6.6.6, 1.1.1.1"}, "1.1.1.1"},
      {1, {"6.6.6.6", "1.1.1.1"}, "1.1.1.1"},
      {1, {" , 1.1.1.1 , "}, "1.1.1.1"},
      {1, {"2001:db8::1"}, "2001:db8::1"},
      {2, {"1.1.1.1, 2.2.2.2"}, "1.1.1.1"},
      {2, {"6.6.6.6, 1.1.1.1, 2.2.2.2"}, "1.1.1.1"},
      {2, {"6.6.6.6", "1.1.1.1,2.2.2.2"}, "1.1.1.1"},
      {2, {}, "10.0.0.1"},
  });
}

// Envoy (use_remote_address, which Pomerium sets): when X-Forwarded-For holds fewer than N
// addresses, the trusted client address is the peer, not a client-written entry.
TEST(ClientAddress, ShortChainFallsBackToThePeer) {
  check_client_addresses({
      {2, {"1.1.1.1"}, "10.0.0.1"},
      {3, {"6.6.6.6, 1.1.1.1"}, "10.0.0.1"},
      {3, {"6.6.6.6", "1.1.1.1"}, "10.0.0.1"},
  });
}

// ---------------------------------------------------------------------------------------------
// Request ids

TEST(RequestId, AcceptableClientIds) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"abc", true},
      {"a-b_c.d", true},
      {"ABCxyz0123456789", true},
      {"0d3b9e4a-3c1f-4e2b-9a8c-1234567890ab", true},
      {std::string(128, 'a'), true},
      {std::string(129, 'a'), false},
      {"", false},
      {"has space", false},
      {"a/b", false},
      {"a,b", false},
      {"a:b", false},
      {"a\nb", false},
      {"a\"b", false},
      {"caf\xc3\xa9", false},
      {std::string("a\0b", 3), false},
  };
  for (const auto& [id, ok] : cases) {
    EXPECT_EQ(is_acceptable_request_id(id), ok) << "\"" << id << "\"";
  }
}

TEST(RequestId, GeneratedIdsAreUuidV4) {
  const re2::RE2 uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::mt19937_64 rng(12345);
  std::unordered_set<std::string> seen;
  std::unordered_set<char> variants;
  static_assert(std::is_same_v<RequestId, std::array<char, 36>>);
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    RequestId generated = make_request_id(rng);
    std::string id(generated.begin(), generated.end());
    ASSERT_TRUE(re2::RE2::FullMatch(id, uuid_v4)) << id;
    ASSERT_TRUE(is_acceptable_request_id(id)) << id;
    variants.insert(id[19]);
    seen.insert(std::move(id));
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCount));
  // The two random variant bits take all four values.
  EXPECT_EQ(variants, (std::unordered_set<char>{'8', '9', 'a', 'b'}));
}

TEST(RequestId, RandomBitsComeFromTheGenerator) {
  std::mt19937_64 rng(7);
  std::mt19937_64 copy = rng;
  RequestId generated = make_request_id(rng);
  std::string id(generated.begin(), generated.end());
  std::uint64_t hi = copy(), lo = copy();
  char expected[40];
  std::snprintf(expected, sizeof expected, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  std::string hex =
      id.substr(0, 8) + id.substr(9, 4) + id.substr(14, 4) + id.substr(19, 4) + id.substr(24, 12);
  ASSERT_EQ(hex.size(), 32u);
  for (std::size_t i = 0; i < 32; ++i) {
    if (i == 12) {
      EXPECT_EQ(hex[i], '4');  // version
    } else if (i == 16) {
      // variant 10xx: the two low bits of the nibble are random.
      int nibble = std::stoi(std::string(1, expected[i]), nullptr, 16);
      EXPECT_EQ(std::stoi(std::string(1, hex[i]), nullptr, 16), 8 | (nibble & 3));
    } else {
      EXPECT_EQ(hex[i], expected[i]) << "hex digit " << i;
    }
  }
  // The same seed gives the same id; the next call a different one.
  std::mt19937_64 again(7);
  EXPECT_EQ(make_request_id(again), generated);
  EXPECT_NE(make_request_id(again), generated);
}

// ---------------------------------------------------------------------------------------------
// is_websocket_upgrade

TEST(IsWebsocketUpgrade, Table) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"websocket", true}, {"WebSocket", true},   {"h2c, websocket", true}, {" websocket ", true},
      {"h2c", false},      {"websocketx", false}, {"web socket", false},    {"", false},
  };
  for (const auto& [upgrade, expected] : cases) {
    EXPECT_EQ(is_websocket_upgrade(upgrade), expected) << "Upgrade: " << upgrade;
  }
  // No Upgrade header at all (scan_request_headers' view of an absent header).
  EXPECT_FALSE(is_websocket_upgrade(std::string_view()));
}

TEST(IsWebsocketUpgrade, FromScannedHeaders) {
  Fields fields = make_fields({{"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  EXPECT_TRUE(is_websocket_upgrade(scan_request_headers(fields).upgrade));
  Fields none = make_fields({{"Connection", "Upgrade"}});
  EXPECT_FALSE(is_websocket_upgrade(scan_request_headers(none).upgrade));
}

}  // namespace
}  // namespace portcullis::proxy
