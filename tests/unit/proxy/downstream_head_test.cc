#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "head_test_support.h"
#include "proxy/header_rules.h"
#include "proxy/response_parser.h"

namespace portcullis::proxy {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;
using testing::Headers;
using testing::Pairs;

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

// A route's set headers are written once per route (set_lines): the head is the same either way,
// without the headers that would change the framing or break the head.
TEST(DownstreamResponse, PrecomputedSetLinesWriteTheSameHead) {
  const std::vector<config::Header> set = {{"X-Frame-Options", "SAMEORIGIN"},
                                           {"Content-Length", "5"},
                                           {"X-Bad", "a\r\nInjected: 1"},
                                           {"X-XSS-Protection", "1; mode=block"}};
  ResponseHead response = make_response(200, {{"Server", "s"}, {"X-Frame-Options", "DENY"}});
  DownstreamResponse downstream;
  downstream.set = set;
  const std::string computed = downstream_head(response, downstream);
  std::string lines;
  append_response_set_lines(lines, set);
  EXPECT_EQ(lines, "X-Frame-Options: SAMEORIGIN\r\nX-XSS-Protection: 1; mode=block\r\n");
  downstream.set_lines = &lines;
  EXPECT_EQ(downstream_head(response, downstream), computed);
  EXPECT_EQ(computed,
            "HTTP/1.1 200 OK\r\nServer: s\r\nX-Frame-Options: SAMEORIGIN\r\n"
            "X-XSS-Protection: 1; mode=block\r\n\r\n");
}

// The relay's parsed head: lines that come as they are written go out as they came, one copy per
// run of them; dropped, replaced and irregularly spaced lines break the runs.
TEST(DownstreamResponse, RelayedHeadLinesAreCopiedInRuns) {
  const std::string upstream =
      "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nConnection: x-drop\r\nX-Drop: d\r\nC:  spaced  \r\n"
      "D: 4\r\nE:5\r\nX-Frame-Options: upstream\r\nF: 6\r\nEmpty: \r\nG: 7\r\n"
      "Content-Length: 0\r\n\r\n";
  std::vector<UpstreamResponseParser::Field> storage;
  UpstreamResponseParser parser(storage);
  ASSERT_TRUE(parser.ready(boost::asio::buffer(upstream)));
  error_code ec;
  parser.put(boost::asio::buffer(upstream), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_FALSE(parser.parsed_by_beast());
  const std::vector<config::Header> set = {{"X-Frame-Options", "SAMEORIGIN"}};
  DownstreamResponse downstream;
  downstream.set = set;
  std::string out;
  append_downstream_response_head(out, parser, downstream);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: spaced\r\nD: 4\r\nE: 5\r\nF: 6\r\n"
            "Empty: \r\nG: 7\r\nContent-Length: 0\r\nX-Frame-Options: SAMEORIGIN\r\n\r\n");
}

}  // namespace
}  // namespace portcullis::proxy
