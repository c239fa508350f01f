#include "proxy/wire.h"

#include <charconv>

namespace portcullis::proxy {
namespace bhttp = http::bhttp;

namespace {

void append_fields(std::string& out, const bhttp::fields& fields) {
  for (const auto& field : fields) {
    out.append(field.name_string());
    out.append(": ");
    out.append(field.value());
    out.append("\r\n");
  }
  out.append("\r\n");
}

}  // namespace

void append_request_head(std::string& out, const bhttp::request_header<>& head) {
  out.append(head.method_string());
  out.push_back(' ');
  out.append(head.target());
  out.append(head.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  append_fields(out, head);
}

void append_response_head(std::string& out, const bhttp::response_header<>& head) {
  out.append(head.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char status[8];
  auto [end, ec] = std::to_chars(status, status + sizeof status, head.result_int());
  out.append(status, end);
  out.push_back(' ');
  std::string_view reason = head.reason();
  if (reason.empty()) reason = bhttp::obsolete_reason(head.result());
  out.append(reason);
  out.append("\r\n");
  append_fields(out, head);
}

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
