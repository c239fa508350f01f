#include "proxy/header_rules.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "head_test_support.h"

namespace portcullis::proxy {
namespace {

using testing::client_headers;
using testing::default_spec;
using testing::Pairs;
using testing::parse_request_head;
using testing::passed_through;
using testing::sent_fields;
using testing::values;

Fields make_fields(const Pairs& pairs) {
  Fields fields;
  for (const auto& [name, value] : pairs) fields.insert(name, value);
  return fields;
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