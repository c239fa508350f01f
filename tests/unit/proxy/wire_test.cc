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

// ---------------------------------------------------------------------------------------------
// OutgoingPiece::consume

TEST(OutgoingPiece, ConsumeDropsLeadingBytes) {
  const std::string head = "HEAD\r\n\r\n";  // 8 bytes
  OutgoingPiece reference;
  reference.build(head, "hello", true, true);
  const std::string all = join_all(reference);  // head | 5\r\n | hello | \r\n | 0\r\n\r\n
  ASSERT_EQ(all, head + "5\r\nhello\r\n0\r\n\r\n");
  const std::vector<std::vector<std::size_t>> steps = {
      {0},
      {1},
      {8},                 // exactly the head
      {9},                 // into the size line
      {3, 5},              // two steps ending on the head's boundary
      {7, 2, 4},           // across the head, the size line and into the data
      {10, 5},             // from the size line into the data
      {all.size() - 1},    // all but the last byte
      {all.size()},        // everything
      {all.size() + 100},  // more than there is
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
  };
  for (const auto& step : steps) {
    std::string trace;
    for (auto n : step) trace += std::to_string(n) + " ";
    SCOPED_TRACE(trace);
    OutgoingPiece piece;
    piece.build(head, "hello", true, true);
    std::size_t consumed = 0;
    for (auto n : step) {
      piece.consume(n);
      consumed = std::min(all.size(), consumed + n);
      EXPECT_EQ(join_all(piece), all.substr(consumed));
      EXPECT_EQ(piece.size(), all.size() - consumed);
      EXPECT_EQ(piece.count(), 5u);  // consumed slots stay, empty
    }
  }
}

TEST(OutgoingPiece, ConsumeEverythingByteByByte) {
  const std::string data(1000, 'd');
  OutgoingPiece piece;
  piece.build("H\r\n\r\n", data, false, true);
  const std::string all = join_all(piece);
  for (std::size_t i = 1; i <= all.size(); ++i) {
    piece.consume(1);
    ASSERT_EQ(piece.size(), all.size() - i);
    ASSERT_EQ(join_all(piece), all.substr(i));
  }
  EXPECT_EQ(piece.size(), 0u);
  piece.consume(1);  // nothing left: harmless
  EXPECT_EQ(piece.size(), 0u);
}

TEST(OutgoingPiece, BuildAfterConsumeStartsAfresh) {
  OutgoingPiece piece;
  piece.build("head", "body", true, true);
  piece.consume(6);
  piece.build("", "xyz", true, false);
  expect_piece(piece, "3\r\nxyz\r\n", 3);
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

TEST(WritePiece, GatherWriteSendsExactlyThePiece) {
  asio::io_context io;
  http::Acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  http::TcpSocket writer(io);
  http::TcpSocket reader(io);
  writer.connect(acceptor.local_endpoint());
  acceptor.accept(reader);

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
                   [&](std::exception_ptr e, error_code ec) {
                     ASSERT_FALSE(e);
                     result = ec;
                   });
    io.restart();
    io.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result) << result->message();
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

// ---------------------------------------------------------------------------------------------
// write_piece_now over a loopback connection

struct Loopback {
  asio::io_context io;
  http::Acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  http::TcpSocket writer{io};
  http::TcpSocket reader{io};

  // `buffer`: the kernel buffer sizes to ask for, 0 for the defaults.
  explicit Loopback(int buffer = 0) {
    if (buffer > 0) {
      // Before connecting: the receive window is set up by the handshake.
      acceptor.set_option(asio::socket_base::receive_buffer_size(buffer));
      writer.open(tcp::v4());
      writer.set_option(asio::socket_base::send_buffer_size(buffer));
    }
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
    if (buffer > 0) reader.set_option(asio::socket_base::receive_buffer_size(buffer));
  }
};

TEST(WritePieceNow, BlockingSocketIsLeftToWritePiece) {
  Loopback net;
  OutgoingPiece piece;
  piece.build("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "hello", false, true);
  const std::size_t size = piece.size();
  ASSERT_FALSE(net.writer.non_blocking());
  error_code ec;
  EXPECT_FALSE(write_piece_now(net.writer, piece, ec));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(piece.size(), size);  // nothing consumed
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(net.reader.available(), 0u);  // nothing written
}

TEST(WritePieceNow, SmallPieceIsWrittenAtOnce) {
  Loopback net;
  net.writer.non_blocking(true);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  OutgoingPiece piece;
  piece.build(head, "hello", true, true);
  const std::string expected = join_all(piece);
  error_code ec;
  EXPECT_TRUE(write_piece_now(net.writer, piece, ec));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(piece.size(), 0u);
  std::string received(expected.size(), '\0');
  asio::read(net.reader, asio::buffer(received), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(received, expected);
  EXPECT_EQ(received, head + "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(net.reader.available(), 0u);
}

TEST(WritePieceNow, LargePieceIsFinishedByWritePiece) {
  Loopback net(4096);
  net.writer.non_blocking(true);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string data(8u << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>((i * 131) ^ (i >> 12));  // position-dependent: catches reordering
  }
  OutgoingPiece piece;
  piece.build(head, data, true, true);
  const std::string expected = join_all(piece);

  error_code ec;
  EXPECT_FALSE(write_piece_now(net.writer, piece, ec));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_GT(piece.size(), 0u);
  EXPECT_LT(piece.size(), expected.size());  // some of it went out
  EXPECT_EQ(join_all(piece), expected.substr(expected.size() - piece.size()));

  // The reader drains concurrently while write_piece sends the rest.
  std::string received;
  std::vector<char> chunk(64 * 1024);
  std::optional<error_code> read_error;
  std::function<void()> read_more = [&] {
    net.reader.async_read_some(asio::buffer(chunk), [&](error_code rec, std::size_t n) {
      received.append(chunk.data(), n);
      if (rec) {
        read_error = rec;
      } else if (received.size() < expected.size()) {
        read_more();
      }
    });
  };
  read_more();
  std::optional<error_code> write_result;
  std::string scratch;
  asio::co_spawn(net.io, write_piece(net.writer, piece, scratch),
                 [&](std::exception_ptr e, error_code wec) {
                   ASSERT_FALSE(e);
                   write_result = wec;
                 });
  net.io.run_for(std::chrono::seconds(30));
  ASSERT_TRUE(write_result.has_value());
  EXPECT_FALSE(*write_result) << write_result->message();
  EXPECT_FALSE(read_error.has_value()) << read_error->message();
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
  EXPECT_EQ(net.reader.available(), 0u);
}

TEST(WritePieceNow, FailedWriteFinishesWithTheError) {
  Loopback net;
  net.writer.non_blocking(true);
  net.reader.close();
  // The first writes may still be accepted by the kernel; once the reset arrives they fail.
  OutgoingPiece piece;
  error_code ec;
  bool finished = false;
  for (int i = 0; i < 200 && !ec; ++i) {
    piece.build("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "hello", false, true);
    finished = write_piece_now(net.writer, piece, ec);
    if (!ec) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(ec) << "the write never failed";
  EXPECT_TRUE(finished);
  EXPECT_TRUE(ec == asio::error::broken_pipe || ec == asio::error::connection_reset)
      << ec.message();
}

}  // namespace
}  // namespace portcullis::proxy
