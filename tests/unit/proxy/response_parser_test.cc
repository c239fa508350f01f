#include "proxy/response_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::proxy {
namespace {

namespace asio = http::asio;
namespace bhttp = http::bhttp;
using http::error_code;

// What a parser made of a whole message handed to it at once (the head, then the body into space
// of `space` bytes at a time): the relay's parser must make the same of it as Beast's.
struct Outcome {
  bool accepted = false;
  unsigned status = 0;
  unsigned version = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<std::uint64_t> content_length;
  bool keep_alive = false;
  bool chunked = false;
  bool need_eof = false;
  bool done_after_head = false;
  std::string body;
  bool body_ok = false;
  bool beast = true;  // parsed by Beast's parser (the relay's parser may take it itself)

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << (o.accepted ? "accepted" : "refused") << " status=" << o.status << " version=" << o.version
     << " reason=\"" << o.reason << "\" fields=[";
  for (const auto& [n, v] : o.fields) os << n << ": \"" << v << "\"; ";
  os << "] content_length=" << (o.content_length ? std::to_string(*o.content_length) : "none")
     << " keep_alive=" << o.keep_alive << " chunked=" << o.chunked << " need_eof=" << o.need_eof
     << " done_after_head=" << o.done_after_head << " body=\"" << o.body
     << "\" body_ok=" << o.body_ok;
  return os;
}

// Feeds the body bytes after the head to `parser`, `space` bytes of body space at a time, the
// way parse_buffered_body does.
template <class Parser, class BodyOf>
void read_body(Parser& parser, BodyOf body_of, std::string_view rest, Outcome& out) {
  char space[3];
  out.body_ok = true;
  while (!parser.is_done()) {
    body_of(parser).data = space;
    body_of(parser).size = sizeof space;
    error_code ec;
    auto used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    out.body.append(space, sizeof space - body_of(parser).size);
    if (ec == bhttp::error::need_buffer) continue;
    if (ec == bhttp::error::need_more || (ec && ec != bhttp::error::need_buffer)) {
      if (ec == bhttp::error::need_more && rest.empty()) {
        error_code eof;
        parser.put_eof(eof);
        if (eof) out.body_ok = false;
        return;
      }
      if (ec != bhttp::error::need_more) out.body_ok = false;
      if (ec) return;
    }
    if (used == 0 && rest.empty()) {
      error_code eof;
      parser.put_eof(eof);
      if (eof) out.body_ok = false;
      return;
    }
  }
}

// Fills `out` from a parser whose head is done (`head`: what holds the status line and the
// fields), then reads the body after the `used` bytes of the message.
template <class Parser, class Head, class BodyOf>
void describe(Parser& parser, const Head& head, BodyOf body_of, std::string_view rest,
              Outcome& out) {
  out.accepted = true;
  out.status = head.result_int();
  out.version = head.version();
  // Beast's message reports the standard reason for an empty one, as the relay writes it.
  out.reason = head.reason().empty() ? std::string(bhttp::obsolete_reason(head.result()))
                                     : std::string(head.reason());
  for (const auto& f : head) out.fields.emplace_back(f.name_string(), f.value());
  if (auto n = parser.content_length()) out.content_length = *n;
  out.keep_alive = parser.keep_alive();
  out.chunked = parser.chunked();
  out.need_eof = parser.need_eof();
  out.done_after_head = parser.is_done();
  read_body(parser, body_of, rest, out);
}

Outcome with_beast(const std::string& message, bool head_request) {
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(1024);
  parser.body_limit(100);
  if (head_request) parser.skip(true);
  Outcome out;
  error_code ec;
  auto used = parser.put(asio::buffer(message), ec);
  if (ec || !parser.is_header_done()) return out;
  describe(
      parser, parser.get(), [](auto& p) -> auto& { return p.get().body(); },
      std::string_view(message).substr(used), out);
  return out;
}

Outcome with_relay(const std::string& message, bool head_request, bool& taken_by_relay) {
  taken_by_relay = false;
  std::vector<UpstreamResponseParser::Field> storage;
  UpstreamResponseParser parser(storage);
  parser.limit_head(1024);
  parser.body_limit(100);
  if (head_request) parser.skip(true);
  Outcome out;
  if (!parser.ready(asio::buffer(message))) return out;
  error_code ec;
  auto used = parser.put(asio::buffer(message), ec);
  if (ec || !parser.is_header_done()) return out;
  taken_by_relay = !parser.parsed_by_beast();
  describe(
      parser, parser, [](auto& p) -> auto& { return p.body(); },
      std::string_view(message).substr(used), out);
  return out;
}

// Heads the relay parses itself and heads it hands to Beast, well-formed and not: every one must
// come out as Beast's parser makes it, including the refusals, and the simple ones must not need
// Beast.
TEST(UpstreamResponseParser, MakesOfEveryMessageWhatBeastMakes) {
  const std::string big(2000, 'x');
  const std::vector<std::string> simple = {
      "HTTP/1.1 200 OK\r\nServer: u\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found",
      "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
      "HTTP/1.1 200 OK\r\nConnection: , Keep-Alive ,CLOSE\r\nContent-Length: 2\r\n\r\nhi",
      "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\nhi",
      "HTTP/1.1 200 OK\r\nconnection: x-custom\r\nX-Custom: 1\r\nContent-Length: 2\r\n\r\nhi",
      "HTTP/1.1 204 No Content\r\nServer: u\r\n\r\n",
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Spaces: \t a b \t \r\nContent-Length: 1\r\n\r\n!",
      "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n!",
      "HTTP/1.1 599 Odd\tReason \xe9\r\nContent-Length: 1\r\n\r\n!",
      "HTTP/1.1 200 OK\r\nX-Obs-Text: caf\xc3\xa9\r\nContent-Length: 1\r\n\r\n!",
      "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567",
      "HTTP/1.1 200 OK\r\nX-Long: 0123456789\tabcdefghij\tklmnopqrstuvwxyz \xff\x80~\r\n"
      "Content-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nlonger than three",
  };
  // Simple heads whose body is not (delimited by the close, over the body limit): the fast
  // path's only in answer to HEAD, when there is no body.
  const std::vector<std::string> simple_without_body = {
      "HTTP/1.1 200 OK\r\nServer: u\r\n\r\nuntil the end",
      "HTTP/1.0 200 OK\r\n\r\nuntil the end",
      "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n",
  };
  const std::vector<std::string> others = {
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nConnection: keep alive\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Fold: one\r\n two\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: a\x01z\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: 0123456789abcdefghij\x1f\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: 0123456789abcdefghijklmnop\x7f\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: 0123456789abcdefghijklmnop\rq\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: 0123456789abcdefghijklmnop" + std::string(1, '\0') +
          "q\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: a\x7fz\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: a\nz\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: a\rz\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\n: no name\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Colon : x\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
      "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 600 High\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n",
      "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
  };
  for (const auto* messages : {&simple, &simple_without_body, &others}) {
    for (const auto& message : *messages) {
      for (bool head_request : {false, true}) {
        SCOPED_TRACE(message + (head_request ? " (HEAD)" : ""));
        bool taken = false;
        EXPECT_EQ(with_relay(message, head_request, taken), with_beast(message, head_request));
        EXPECT_EQ(taken, messages == &simple || (messages == &simple_without_body && head_request));
      }
    }
  }
}

TEST(UpstreamResponseParser, FieldIdsAreTheRelaysNames) {
  const std::string message =
      "HTTP/1.1 200 OK\r\nConnection: x\r\nKeep-Alive: 1\r\nProxy-Connection: y\r\nTE: t\r\n"
      "Upgrade: u\r\nContent-Length: 0\r\nSet-Cookie: a=1\r\nX: 1\r\n\r\n";
  std::vector<UpstreamResponseParser::Field> storage;
  UpstreamResponseParser parser(storage);
  ASSERT_TRUE(parser.ready(asio::buffer(message)));
  error_code ec;
  parser.put(asio::buffer(message), ec);
  ASSERT_FALSE(ec) << ec.message();
  std::vector<bhttp::field> ids;
  for (const auto& f : parser) ids.push_back(f.name());
  EXPECT_EQ(ids, (std::vector<bhttp::field>{bhttp::field::connection, bhttp::field::keep_alive,
                                            bhttp::field::proxy_connection, bhttp::field::te,
                                            bhttp::field::upgrade, bhttp::field::content_length,
                                            bhttp::field::unknown, bhttp::field::unknown}));
}

TEST(UpstreamResponseParser, WaitsForTheWholeHead) {
  std::vector<UpstreamResponseParser::Field> storage;
  UpstreamResponseParser parser(storage);
  parser.limit_head(64);
  EXPECT_FALSE(parser.ready(asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nA: 1\r\n"))));
  EXPECT_FALSE(parser.ready(asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nA: 1\r\n\r"))));
  EXPECT_TRUE(parser.ready(asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"))));
  // More than the limit without the end of the head: ready, to be refused.
  const std::string long_head = "HTTP/1.1 200 OK\r\nA: " + std::string(100, 'a');
  EXPECT_TRUE(parser.ready(asio::buffer(long_head)));
  error_code ec;
  parser.put(asio::buffer(long_head), ec);
  EXPECT_EQ(ec, bhttp::error::header_limit);
}

}  // namespace
}  // namespace portcullis::proxy
