#include "proxy/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/read.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::proxy {
namespace {

namespace asio = http::asio;
namespace beast = http::beast;
namespace bhttp = http::bhttp;
using http::error_code;
using http::tcp;

// ---------------------------------------------------------------------------------------------
// OutgoingPiece

// Every slot, as the gather-write in write_piece sends them: unused slots must be empty.
std::string join_all(const OutgoingPiece& piece) {
  std::string out;
  for (const auto& b : piece.buffers()) out.append(static_cast<const char*>(b.data()), b.size());
  return out;
}

void expect_piece(const OutgoingPiece& piece, const std::string& expected, std::size_t count) {
  EXPECT_EQ(join_all(piece), expected);
  EXPECT_EQ(piece.count(), count);
  EXPECT_EQ(piece.size(), expected.size());
  EXPECT_EQ(piece.empty(), count == 0);
  for (std::size_t i = piece.count(); i < piece.buffers().size(); ++i) {
    EXPECT_EQ(piece.buffers()[i].size(), 0u) << "slot " << i;
  }
}

struct PieceCase {
  std::string name;
  std::string head;
  std::string data;
  bool chunked = false;
  bool last = false;
  std::string expected;
  std::size_t count = 0;
};

TEST(OutgoingPiece, Table) {
  const std::string h = "HEAD-BYTES\r\n\r\n";
  const std::vector<PieceCase> cases = {
      {"head only", h, "", false, false, h, 1},
      {"head only, identity, last", h, "", false, true, h, 1},
      {"head only, chunked, not last", h, "", true, false, h, 1},
      {"head and identity data", h, "hello", false, false, h + "hello", 2},
      {"head and identity data, last", h, "hello", false, true, h + "hello", 2},
      {"identity data only", "", "hello", false, false, "hello", 1},
      {"head and chunk", h, "hello", true, false, h + "5\r\nhello\r\n", 4},
      {"head, chunk and last chunk", h, "hello", true, true, h + "5\r\nhello\r\n0\r\n\r\n", 5},
      {"chunk only", "", "hello world", true, false, "b\r\nhello world\r\n", 3},
      {"chunk and last chunk", "", "hello", true, true, "5\r\nhello\r\n0\r\n\r\n", 4},
      {"head and last chunk", h, "", true, true, h + "0\r\n\r\n", 2},
      {"last chunk only", "", "", true, true, "0\r\n\r\n", 1},
      {"nothing, identity", "", "", false, false, "", 0},
      {"nothing, identity, last", "", "", false, true, "", 0},
      {"nothing, chunked, not last", "", "", true, false, "", 0},
      {"binary chunk", "", std::string("a\0\r\n\0b", 6), true, false,
       std::string("6\r\na\0\r\n\0b\r\n", 11), 3},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    OutgoingPiece piece;
    piece.build(c.head, c.data, c.chunked, c.last);
    expect_piece(piece, c.expected, c.count);
  }
}

TEST(OutgoingPiece, ChunkSizeIsLowercaseHex) {
  const std::vector<std::pair<std::size_t, std::string>> cases = {
      {1, "1"},
      {9, "9"},
      {10, "a"},
      {15, "f"},
      {16, "10"},
      {255, "ff"},
      {256, "100"},
      {4095, "fff"},
      {4096, "1000"},
      {43981, "abcd"},
      {65535, "ffff"},
      {65536, "10000"},
      {1u << 20, "100000"},
  };
  for (const auto& [size, hex] : cases) {
    SCOPED_TRACE(size);
    std::string data(size, 'x');
    data.front() = '<';
    data.back() = '>';
    OutgoingPiece piece;
    piece.build("", data, true, false);
    expect_piece(piece, hex + "\r\n" + data + "\r\n", 3);
    piece.build("", data, true, true);
    expect_piece(piece, hex + "\r\n" + data + "\r\n0\r\n\r\n", 4);
  }
}

TEST(OutgoingPiece, ReuseLeavesNoStaleBuffers) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string big(65535, 'b');
  OutgoingPiece piece;
  // A long size line, then a short one: no digits of the first may remain.
  piece.build(head, big, true, true);
  expect_piece(piece, head + "ffff\r\n" + big + "\r\n0\r\n\r\n", 5);
  piece.build("", "z", true, false);
  expect_piece(piece, "1\r\nz\r\n", 3);
  piece.build("", "", true, false);
  expect_piece(piece, "", 0);
  piece.build(head, "", false, false);
  expect_piece(piece, head, 1);
  piece.build("", "0123456789abcdef", true, false);
  expect_piece(piece, "10\r\n0123456789abcdef\r\n", 3);
  piece.build("", "", true, true);
  expect_piece(piece, "0\r\n\r\n", 1);
  piece.build("", "identity", false, true);
  expect_piece(piece, "identity", 1);
  piece.build("", "", false, false);
  expect_piece(piece, "", 0);
}

// Splits `body` into pieces of random size (zero included) and returns the bytes they produce.
std::string write_with_pieces(const std::string& head, const std::string& body, bool chunked,
                              std::mt19937& rng, std::size_t max_piece) {
  std::uniform_int_distribution<std::size_t> piece_size(0, max_piece);
  std::string wire;
  OutgoingPiece piece;
  std::size_t pos = 0;
  bool head_sent = false;
  for (;;) {
    std::size_t n = std::min(piece_size(rng), body.size() - pos);
    std::string_view data(body.data() + pos, n);
    pos += n;
    bool last = pos == body.size() && rng() % 2 == 0;  // sometimes an empty last piece follows
    piece.build(head_sent ? std::string_view() : std::string_view(head), data, chunked, last);
    EXPECT_LE(piece.count(), piece.buffers().size());
    std::string bytes = join_all(piece);
    EXPECT_EQ(bytes.size(), piece.size());
    wire += bytes;
    head_sent = true;
    if (last) break;
  }
  return wire;
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

TEST(OutgoingPiece, ChunkedPiecesParseBackToTheBody) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE(round);
    const std::size_t body_size = round == 0 ? 0 : rng() % 70000;
    const std::string body = random_bytes(rng, body_size);
    const std::string head =
        "POST /upload HTTP/1.1\r\nHost: upstream\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string wire = write_with_pieces(head, body, true, rng, round % 2 ? 17 : 5000);

    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    error_code ec;
    std::size_t used = parser.put(asio::buffer(wire), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser.is_done());
    EXPECT_EQ(used, wire.size()) << "bytes after the end of the message";
    EXPECT_TRUE(parser.get().chunked());
    EXPECT_EQ(parser.get().target(), "/upload");
    EXPECT_EQ(parser.get().body().size(), body.size());
    EXPECT_TRUE(parser.get().body() == body);
  }
}

TEST(OutgoingPiece, IdentityPiecesParseBackToTheBody) {
  std::mt19937 rng(77);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    const std::string body = random_bytes(rng, 1 + rng() % 40000);
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    const std::string wire = write_with_pieces(head, body, false, rng, 3000);
    EXPECT_EQ(wire.size(), head.size() + body.size());

    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    error_code ec;
    std::size_t used = parser.put(asio::buffer(wire), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser.is_done());
    EXPECT_EQ(used, wire.size());
    EXPECT_TRUE(parser.get().body() == body);
  }
}

// ---------------------------------------------------------------------------------------------
// write_piece over a loopback connection

// A connected pair of loopback TCP sockets on one io_context.
struct LoopbackPair {
  LoopbackPair() {
    http::Acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
  }
  asio::io_context io;
  http::TcpSocket writer{io};
  http::TcpSocket reader{io};
};

// Small pieces go out joined into `scratch`, larger ones gathered: the bytes are the same.
TEST(WritePiece, SendsExactlyThePieceJoinedOrGathered) {
  LoopbackPair pair;
  auto& [io, writer, reader] = pair;

  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  struct Step {
    std::string head;
    std::string data;
    bool chunked;
    bool last;
  };
  const std::vector<Step> steps = {
      {head, "first", true, false},
      {"", "", true, false},  // nothing: not written at all by the caller, harmless here
      {"", std::string(5000, 's'), true, false},
      {"", "end", true, true},
  };
  std::string expected;
  OutgoingPiece piece;
  std::string scratch;
  for (const auto& step : steps) {
    piece.build(step.head, step.data, step.chunked, step.last);
    expected += join_all(piece);
    std::optional<error_code> result;
    asio::co_spawn(io, write_piece(writer, piece, scratch),
                   [&](std::exception_ptr e, std::tuple<error_code, std::size_t> done) {
                     ASSERT_FALSE(e);
                     result = std::get<0>(done);
                     EXPECT_EQ(std::get<1>(done), piece.size());
                   });
    io.restart();
    io.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result) << result->message();
    if (piece.count() > 1 && piece.size() <= kJoinedSendLimit) {
      EXPECT_EQ(scratch, join_all(piece)) << "a small piece is sent joined";
    }
  }
  std::string received(expected.size(), '\0');
  error_code ec;
  asio::read(reader, asio::buffer(received), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(received, expected);
  EXPECT_EQ(received,
            head + "5\r\nfirst\r\n1388\r\n" + std::string(5000, 's') + "\r\n3\r\nend\r\n0\r\n\r\n");
  EXPECT_EQ(reader.available(), 0u);
}

TEST(WritePiece, PartialGatherWriteIsFinishedByWriteRest) {
  LoopbackPair pair;
  auto& [io, writer, reader] = pair;
  // A small send buffer: one gather-write of several megabytes cannot go out at once.
  writer.set_option(asio::socket_base::send_buffer_size(65536));

  std::string body(4 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 23);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  OutgoingPiece piece;
  piece.build(head, body, true, true);
  const std::string expected = join_all(piece);

  std::string received;
  asio::co_spawn(
      io,
      [&]() -> http::awaitable<void> {
        std::vector<char> chunk(65536);
        while (received.size() < expected.size()) {
          auto [ec, n] = co_await reader.async_read_some(asio::buffer(chunk), http::kNoThrow);
          if (ec) break;
          received.append(chunk.data(), n);
        }
      },
      asio::detached);
  std::optional<std::size_t> first;
  std::optional<error_code> result;
  std::string scratch;
  asio::co_spawn(
      io,
      [&]() -> http::awaitable<void> {
        auto [ec, written] = co_await write_piece(writer, piece, scratch);
        first = written;
        if (!ec && written < piece.size()) ec = co_await write_rest(writer, piece, written);
        result = ec;
      },
      asio::detached);
  io.run_for(std::chrono::seconds(20));
  ASSERT_TRUE(result.has_value()) << "first write " << (first ? std::to_string(*first) : "-")
                                  << ", received " << received.size() << " of " << expected.size();
  EXPECT_FALSE(*result) << result->message();
  ASSERT_TRUE(first.has_value());
  EXPECT_GT(*first, 0u);
  EXPECT_LT(*first, expected.size()) << "the first write was expected to be partial";
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
}

}  // namespace
}  // namespace portcullis::proxy
