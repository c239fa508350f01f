#pragma once
// Reading HTTP/1.1 messages for the relay: bytes already buffered are parsed in place and the
// socket is read only when the parser needs more. (Beast's composed reads complete even a fully
// buffered message through the scheduler; a keep-alive proxy hits that case on every request.)

#include "http/asio.h"
#include "proxy/response_parser.h"

namespace portcullis::proxy {

inline constexpr std::size_t kReadChunk = 16 * 1024;

// The free space a parser writes body bytes into: `data` and `size` (Beast's buffer_body value or
// UpstreamResponseParser's).
template <bool isRequest>
auto& body_space(http::bhttp::parser<isRequest, http::bhttp::buffer_body>& parser) {
  return parser.get().body();
}
inline auto& body_space(UpstreamResponseParser& parser) {
  return parser.body();
}

// Parses the head from the bytes already buffered. Returns true when that settles it: the head is
// complete (`ec` clear) or malformed (`ec` set); false when more bytes must be read.
// Whether the buffered bytes may be handed to the parser: Beast's own parsers copy what they
// keep and take any prefix; UpstreamResponseParser keeps views and waits for the whole head.
template <class Parser>
bool head_ready(Parser&, const http::beast::flat_buffer&) {
  return true;
}
inline bool head_ready(UpstreamResponseParser& parser, const http::beast::flat_buffer& buffer) {
  return parser.ready(buffer.data());
}

template <class Parser>
bool parse_buffered_head(http::beast::flat_buffer& buffer, Parser& parser, http::error_code& ec) {
  ec.clear();
  if (buffer.size() == 0 || !head_ready(parser, buffer)) return false;
  std::size_t used = parser.put(buffer.data(), ec);
  buffer.consume(used);
  if (parser.is_header_done()) {
    ec.clear();
    return true;
  }
  if (ec == http::bhttp::error::need_more) {
    ec.clear();
    return false;
  }
  return static_cast<bool>(ec);
}

// After a read of `n` bytes (or `read_ec`) for a head: commits them and parses. Returns the outcome
// (clear: the head is complete), or bhttp::error::need_more when more must be read. End of stream
// before any byte is bhttp::error::end_of_stream; in the middle of a head,
// bhttp::error::partial_message.
template <class Parser>
http::error_code after_head_read(http::beast::flat_buffer& buffer, Parser& parser,
                                 const http::error_code& read_ec, std::size_t n) {
  namespace bhttp = http::bhttp;
  if (read_ec == http::asio::error::eof || read_ec == http::ssl::error::stream_truncated) {
    return parser.got_some() ? http::error_code(bhttp::error::partial_message)
                             : http::error_code(bhttp::error::end_of_stream);
  }
  if (read_ec) return read_ec;
  buffer.commit(n);
  http::error_code ec;
  if (parse_buffered_head(buffer, parser, ec)) return ec;
  return bhttp::error::need_more;
}

// Reads until `parser` has the whole head (errors as after_head_read). Callers that expect the
// head to be buffered already, or to arrive in one read, try parse_buffered_head and one
// async_read_some with after_head_read first: that costs no coroutine of its own.
template <class Stream, class Parser>
http::awaitable<http::error_code> read_head(Stream& stream, http::beast::flat_buffer& buffer,
                                            Parser& parser) {
  http::error_code ec;
  if (parse_buffered_head(buffer, parser, ec)) co_return ec;
  for (;;) {
    auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), http::kNoThrow);
    ec = after_head_read(buffer, parser, read_ec, n);
    if (ec != http::bhttp::error::need_more) co_return ec;
  }
}

// With the parser's buffer_body pointing at `space` bytes of free space, parses body bytes already
// buffered. Returns true when that settles the read: some body bytes were written there, the space
// is full, the message is complete (`ec` clear), or the body is malformed (`ec` set); false when
// more bytes must be read. The caller reads how much was written from the body's remaining size.
template <class Parser>
bool parse_buffered_body(http::beast::flat_buffer& buffer, Parser& parser, std::size_t space,
                         http::error_code& ec) {
  namespace bhttp = http::bhttp;
  const auto& body = body_space(parser);
  for (;;) {
    ec.clear();
    // Beast 1.81 asserts (in builds with assertions) when its chunk-header parser is handed "0\r\n"
    // and one more byte. A chunked body that is not complete still has five bytes ("0\r\n\r\n")
    // to come, so a short buffer that starts like a last chunk can wait for more without stalling.
    const auto* first = static_cast<const char*>(buffer.data().data());
    const std::size_t enough =
        parser.chunked() && buffer.size() > 0 && buffer.size() < 5 && first[0] == '0' ? 5 : 1;
    if (buffer.size() < enough) return false;
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == bhttp::error::need_buffer) {  // the space is full
      ec.clear();
      return true;
    }
    if (ec && ec != bhttp::error::need_more) return true;
    if (parser.is_done() || body.size < space) {
      ec.clear();
      return true;
    }
    if (used > 0 && !ec) continue;  // framing only (a chunk header): parse on
    ec.clear();
    return false;
  }
}

// Like parse_buffered_body, reading from `stream` until the read is settled.
template <class Stream, class Parser>
http::awaitable<http::error_code> read_body_some(Stream& stream, http::beast::flat_buffer& buffer,
                                                 Parser& parser) {
  const std::size_t space = body_space(parser).size;
  for (;;) {
    http::error_code parse_ec;
    if (parse_buffered_body(buffer, parser, space, parse_ec)) co_return parse_ec;
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), http::kNoThrow);
    if (ec == http::asio::error::eof || ec == http::ssl::error::stream_truncated) {
      http::error_code eof_ec;
      parser.put_eof(eof_ec);  // completes a body delimited by the connection's end
      co_return eof_ec;
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

}  // namespace portcullis::proxy
