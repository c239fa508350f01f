#include "proxy/wire.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

void OutgoingPiece::consume(std::size_t n) {
  for (std::size_t i = 0; i < count_ && n > 0; ++i) {
    std::size_t take = std::min(n, buffers_[i].size());
    buffers_[i] += take;
    n -= take;
  }
}

bool write_piece_now(http::TcpStream& stream, OutgoingPiece& piece, http::error_code& ec) {
  ec.clear();
  if (!stream.non_blocking()) return false;  // a synchronous write would block the worker
  // The system call itself: sendmsg through libc is a thread-cancellation point, which costs two
  // atomic updates per call on this path for a feature the proxy does not use.
  std::array<iovec, 5> iov;
  std::size_t count = 0;
  for (std::size_t i = 0; i < piece.count(); ++i) {
    const auto& buffer = piece.buffers()[i];
    if (buffer.size() == 0) continue;
    iov[count++] = {const_cast<void*>(buffer.data()), buffer.size()};
  }
  msghdr message{};
  message.msg_iov = iov.data();
  message.msg_iovlen = count;
  long written = ::syscall(SYS_sendmsg, stream.native_handle(), &message, MSG_NOSIGNAL);
  if (written < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    ec.assign(errno, boost::system::system_category());
    return true;
  }
  piece.consume(static_cast<std::size_t>(written));
  return piece.size() == 0;
}

std::size_t OutgoingPiece::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_; ++i) n += buffers_[i].size();
  return n;
}

}  // namespace portcullis::proxy
