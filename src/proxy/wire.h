#pragma once
// Body framing of relayed messages: one gather-write per piece, with the head (header_rules.h)
// and the first body bytes together.

#include <array>
#include <string>
#include <string_view>
#include <tuple>

#include "http/asio.h"

namespace portcullis::proxy {

// Up to five buffers: [head] [chunk size line] [data] [chunk CRLF] [last chunk].
class OutgoingPiece {
 public:
  // `head` may be empty; `data` may be empty; `last` ends a chunked body.
  void build(std::string_view head, std::string_view data, bool chunked, bool last);
  bool empty() const { return count_ == 0; }
  std::size_t count() const { return count_; }
  const std::array<http::asio::const_buffer, 5>& buffers() const { return buffers_; }
  std::size_t size() const;

 private:
  std::array<http::asio::const_buffer, 5> buffers_{};
  std::size_t count_ = 0;
  char size_line_[24];
};

// A plain socket's piece of up to this many bytes is joined and sent from one buffer: the kernel
// takes a single buffer (send) for less than a gather (sendmsg), and copying a small piece costs
// less than that difference.
inline constexpr std::size_t kJoinedSendLimit = 4096;

// Writes a piece: over TLS in one go, its buffers first joined so that they become one record; on
// a plain socket with one send, which may take only part of it (then write_rest): from one buffer
// when the piece has one or is small (joined), otherwise gathered. Not a coroutine itself: it
// returns the write's awaitable, so a relayed piece costs no coroutine frame and no
// composed-operation layer of its own. The piece's buffers are copied into the operation; the
// bytes they point to (and `scratch`) must live until it completes.
template <class Stream>
http::awaitable<std::tuple<http::error_code, std::size_t>> write_piece(Stream& stream,
                                                                       const OutgoingPiece& piece,
                                                                       std::string& scratch) {
  const auto& b = piece.buffers();
  constexpr bool kTls = std::is_same_v<Stream, http::TlsStream>;
  const bool join = piece.count() > 1 && (kTls || piece.size() <= kJoinedSendLimit);
  if (join) {
    scratch.clear();
    for (std::size_t i = 0; i < piece.count(); ++i) {
      scratch.append(static_cast<const char*>(b[i].data()), b[i].size());
    }
  }
  const auto one = join ? http::asio::const_buffer(scratch.data(), scratch.size()) : b[0];
  if constexpr (kTls) {
    if (join || piece.count() == 1) return http::asio::async_write(stream, one, http::kNoThrow);
    return http::asio::async_write(stream, b, http::kNoThrow);
  } else {
    if (join || piece.count() == 1) return stream.async_write_some(one, http::kNoThrow);
    // Unused slots are empty buffers, which the gather-write skips.
    return stream.async_write_some(b, http::kNoThrow);
  }
}

// Writes what is left of `piece` after its first `written` bytes went out.
template <class Stream>
http::awaitable<http::error_code> write_rest(Stream& stream, const OutgoingPiece& piece,
                                             std::size_t written) {
  http::beast::buffers_suffix<std::array<http::asio::const_buffer, 5>> rest(piece.buffers());
  rest.consume(written);
  auto [ec, n] = co_await http::asio::async_write(stream, rest, http::kNoThrow);
  co_return ec;
}

}  // namespace portcullis::proxy
