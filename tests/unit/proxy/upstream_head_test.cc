#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "authorize/header_list.h"
#include "head_test_support.h"
#include "proxy/header_rules.h"

namespace portcullis::proxy {
namespace {

namespace bhttp = boost::beast::http;
using testing::client_headers;
using testing::default_spec;
using testing::Headers;
using testing::make_request;
using testing::Pairs;
using testing::parse_request_head;
using testing::passed_through;
using testing::sent_fields;
using testing::sent_head;
using testing::upstream_head;
using testing::values;

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

}  // namespace
}  // namespace portcullis::proxy
