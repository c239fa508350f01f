#include "proxy/wire.h"

#include <charconv>

namespace portcullis::proxy {

void OutgoingPiece::build(std::string_view head, std::string_view data, bool chunked, bool last) {
  count_ = 0;
  buffers_.fill(http::asio::const_buffer());
  if (!head.empty()) buffers_[count_++] = http::asio::buffer(head.data(), head.size());
  if (!data.empty()) {
    if (chunked) {
      auto [end, ec] =
          std::to_chars(size_line_, size_line_ + sizeof size_line_ - 2, data.size(), 16);
      *end++ = '\r';
      *end++ = '\n';
      buffers_[count_++] =
          http::asio::buffer(size_line_, static_cast<std::size_t>(end - size_line_));
    }
    buffers_[count_++] = http::asio::buffer(data.data(), data.size());
    if (chunked) buffers_[count_++] = http::asio::buffer("\r\n", 2);
  }
  if (chunked && last) buffers_[count_++] = http::asio::buffer("0\r\n\r\n", 5);
}

std::size_t OutgoingPiece::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_; ++i) n += buffers_[i].size();
  return n;
}

}  // namespace portcullis::proxy
