#pragma once
// Reading HTTP/1.1 messages for the relay: bytes already buffered are parsed in place and the
// socket is read only when the parser needs more. (Beast's composed reads complete even a fully
// buffered message through the scheduler; a keep-alive proxy hits that case on every request.)

#include "http/asio.h"

namespace portcullis::proxy {

inline constexpr std::size_t kReadChunk = 16 * 1024;

// Reads until `parser` has the whole head. End of stream before any byte is
// bhttp::error::end_of_stream; in the middle of a head, bhttp::error::partial_message.
template <class Stream, class Parser>
http::awaitable<http::error_code> read_head(Stream& stream, http::beast::flat_buffer& buffer,
                                            Parser& parser) {
  namespace bhttp = http::bhttp;
  for (;;) {
    if (buffer.size() > 0) {
      http::error_code ec;
      std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (parser.is_header_done()) co_return http::error_code{};
      if (ec && ec != bhttp::error::need_more) co_return ec;
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), http::kNoThrow);
    if (ec == http::asio::error::eof || ec == http::ssl::error::stream_truncated) {
      co_return parser.got_some() ? http::error_code(bhttp::error::partial_message)
                                  : http::error_code(bhttp::error::end_of_stream);
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

// With the parser's buffer_body pointing at free space, reads until some body bytes were written
// there, the space is full, or the message is complete. The caller reads how much was written from
// the body's remaining size.
template <class Stream, class Parser>
http::awaitable<http::error_code> read_body_some(Stream& stream, http::beast::flat_buffer& buffer,
                                                 Parser& parser) {
  namespace bhttp = http::bhttp;
  auto& body = parser.get().body();
  const std::size_t space = body.size;
  for (;;) {
    // Beast 1.81 asserts (in builds with assertions) when its chunk-header parser is handed "0\r\n"
    // and one more byte. A chunked body that is not complete still has five bytes ("0\r\n\r\n")
    // to come, so a short buffer that starts like a last chunk can wait for more without stalling.
    const auto* first = static_cast<const char*>(buffer.data().data());
    const std::size_t enough =
        parser.chunked() && buffer.size() > 0 && buffer.size() < 5 && first[0] == '0' ? 5 : 1;
    if (buffer.size() >= enough) {
      http::error_code ec;
      std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_buffer) co_return http::error_code{};  // the space is full
      if (ec && ec != bhttp::error::need_more) co_return ec;
      if (parser.is_done() || body.size < space) co_return http::error_code{};
      if (used > 0 && !ec) continue;  // framing only (a chunk header): parse on
    }
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
