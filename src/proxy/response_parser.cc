#include "proxy/response_parser.h"

#include <bit>

#include "proxy/http_chars.h"

namespace portcullis::proxy {
namespace {

namespace bhttp = http::bhttp;

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// The first control character (below 0x20, or DEL) in [p, end), or end; eight bytes at a time
// (the first in memory is the lowest byte of a word loaded on a little-endian machine).
static_assert(std::endian::native == std::endian::little);
const char* find_control(const char* p, const char* end) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    const std::uint64_t del = word ^ (0x7f * kOnes);
    // A byte below 0x20 borrows into its high bit when 0x20 is taken from it; a DEL byte becomes
    // zero when xor-ed with 0x7f, and zero borrows likewise. Bytes of 0x80 and up are masked out.
    // A borrow can also mark bytes above a marked one, never below: the lowest mark is exact.
    const std::uint64_t marks = (((word - 0x20 * kOnes) & ~word) | ((del - kOnes) & ~del)) & kHighs;
    if (marks != 0) return p + std::countr_zero(marks) / 8;
    p += 8;
  }
  while (p < end && !is_control(*p)) ++p;
  return p;
}

// The end of the line at `p`: the CR of its CRLF, with only field-value bytes (HTAB, SP, VCHAR,
// obs-text) before it; null when the line holds any other byte or a CR without LF. The head
// always ends with a CRLF, so there is one.
const char* line_end(const char* p, const char* end) {
  for (;;) {
    p = find_control(p, end);
    if (p == end) return nullptr;
    if (*p == '\t') {
      ++p;
      continue;
    }
    return *p == '\r' && p + 1 < end && p[1] == '\n' ? p : nullptr;
  }
}

// `name` equals `lower`, a lower-case name of letters and dashes, ignoring case. Only for names
// already known to be tokens: of the token characters, only a letter's two cases fold together
// under `| 0x20`.
bool is_name(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// The Connection options the framing depends on.
struct ConnectionOptions {
  bool close = false;
  bool keep_alive = false;
};

// Reads a Connection value (a list of tokens, empty elements allowed) into `options`; false
// when an element is not a token.
bool read_connection(std::string_view value, ConnectionOptions& options) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto element = value.substr(0, comma);
    while (!element.empty() && is_ows(element.front())) element.remove_prefix(1);
    while (!element.empty() && is_ows(element.back())) element.remove_suffix(1);
    for (char c : element) {
      if (!is_token_char(c)) return false;
    }
    if (is_name(element, "close")) options.close = true;
    if (is_name(element, "keep-alive")) options.keep_alive = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return true;
}

// A Content-Length of digits only, without overflow.
bool read_length(std::string_view value, std::uint64_t& length) {
  if (value.empty() || value.size() > 18) return false;
  length = 0;
  for (char c : value) {
    if (!is_digit(c)) return false;
    length = length * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

bhttp::field UpstreamResponseParser::relay_field(std::string_view name) {
  switch (name.size()) {
    case 2:
      return is_name(name, "te") ? bhttp::field::te : bhttp::field::unknown;
    case 7:
      return is_name(name, "upgrade") ? bhttp::field::upgrade : bhttp::field::unknown;
    case 10:
      if (is_name(name, "connection")) return bhttp::field::connection;
      return is_name(name, "keep-alive") ? bhttp::field::keep_alive : bhttp::field::unknown;
    case 14:
      return is_name(name, "content-length") ? bhttp::field::content_length : bhttp::field::unknown;
    case 16:
      return is_name(name, "proxy-connection") ? bhttp::field::proxy_connection
                                               : bhttp::field::unknown;
    case 17:
      return is_name(name, "transfer-encoding") ? bhttp::field::transfer_encoding
                                                : bhttp::field::unknown;
    default:
      return bhttp::field::unknown;
  }
}

bool UpstreamResponseParser::ready(http::asio::const_buffer buffered) {
  if (is_header_done()) return true;
  std::string_view bytes(static_cast<const char*>(buffered.data()), buffered.size());
  auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos && bytes.size() <= head_limit_) return false;
  input_ = bytes;
  head_size_ = end == std::string_view::npos ? 0 : end + 4;
  return true;
}

bool UpstreamResponseParser::parse_simple(std::string_view head) {
  // The status line: "HTTP/1.x NNN reason", a status from 200 to 599 (1xx go to Beast).
  constexpr std::size_t kReasonAt = 13;
  if (head.size() < kReasonAt + 4 || head.substr(0, 7) != "HTTP/1." ||
      (head[7] != '0' && head[7] != '1') || head[8] != ' ' || head[9] < '2' || head[9] > '5' ||
      !is_digit(head[10]) || !is_digit(head[11]) || head[12] != ' ') {
    return false;
  }
  const unsigned status =
      static_cast<unsigned>((head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0'));
  const char* const first = head.data();
  const char* const last = first + head.size();
  const char* eol = line_end(first + kReasonAt, last);
  if (eol == nullptr) return false;
  const std::string_view reason(first + kReasonAt,
                                static_cast<std::size_t>(eol - first) - kReasonAt);

  fields_.clear();
  ConnectionOptions connection;
  boost::optional<std::uint64_t> length;
  const char* p = eol + 2;
  while (*p != '\r') {
    // name ":" OWS value OWS CRLF, on one line (an obs-fold goes to Beast).
    const char* name_end = p;
    while (is_token_char(*name_end)) ++name_end;
    if (name_end == p || *name_end != ':') return false;
    const std::string_view name(p, static_cast<std::size_t>(name_end - p));
    const char* value_at = name_end + 1;
    while (is_ows(*value_at)) ++value_at;
    eol = line_end(value_at, last);
    if (eol == nullptr || is_ows(eol[2])) return false;
    const char* value_end = eol;
    while (value_end > value_at && is_ows(value_end[-1])) --value_end;
    const std::string_view value(value_at, static_cast<std::size_t>(value_end - value_at));
    const auto id = relay_field(name);
    switch (id) {
      case bhttp::field::content_length: {
        std::uint64_t n = 0;
        if (length || !read_length(value, n)) return false;
        length = n;
        break;
      }
      case bhttp::field::transfer_encoding:
        return false;
      case bhttp::field::connection:
      case bhttp::field::proxy_connection:
        if (!read_connection(value, connection)) return false;
        break;
      default:
        break;
    }
    fields_.push_back({id, name, value});
    p = eol + 2;
  }
  if (p + 2 != last || p[1] != '\n') return false;

  const bool bodiless = skip_body_ || status == 204 || status == 304;
  if (!bodiless && !length) return false;  // delimited by the close: Beast's need_eof
  if (!bodiless && body_limit_ && *length > *body_limit_) return false;
  status_ = status;
  version_ = head[7] == '1' ? 11 : 10;
  reason_ = reason;
  content_length_ = length;
  remaining_ = bodiless ? 0 : *length;
  keep_alive_ = version_ == 11 ? !connection.close : connection.keep_alive;
  header_done_ = true;
  done_ = remaining_ == 0;
  return true;
}

UpstreamResponseParser::Full& UpstreamResponseParser::go_full() {
  fields_.clear();
  full_.emplace(*this);
  full_->header_limit(head_limit_);
  full_->body_limit(body_limit_);
  full_->skip(skip_body_);
  return *full_;
}

std::size_t UpstreamResponseParser::put(http::asio::const_buffer buffer, http::error_code& ec) {
  if (full_) return full_->put(buffer, ec);
  ec.clear();
  std::string_view bytes(static_cast<const char*>(buffer.data()), buffer.size());
  if (done_) return 0;
  if (bytes.empty()) {
    ec = bhttp::error::need_more;
    return 0;
  }
  if (!header_done_) {
    got_some_ = true;
    // A head that is not whole here, or near the limit, or not a simple one is Beast's.
    if (head_size_ == 0 || head_size_ >= head_limit_ || bytes.data() != input_.data() ||
        bytes.size() < head_size_ || !parse_simple(bytes.substr(0, head_size_))) {
      return go_full().put(buffer, ec);
    }
    return head_size_;
  }
  auto n = take(bytes.substr(0, std::min<std::uint64_t>(bytes.size(), remaining_)), ec);
  remaining_ -= n;
  done_ = remaining_ == 0;
  return n;
}

void UpstreamResponseParser::put_eof(http::error_code& ec) {
  if (full_) return full_->put_eof(ec);
  ec.clear();
  if (!done_) ec = bhttp::error::partial_message;
}

}  // namespace portcullis::proxy
