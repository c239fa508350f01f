#pragma once
// UpstreamResponseParser: Beast's HTTP/1 response parser (framing, limits, validation) without a
// field container. A relayed response head is read once, to write the client's head, so its
// fields stay views into the bytes they were parsed from instead of being copied one allocation
// each into a sorted container. The views are valid until the read buffer is next written to:
// the head must be used before the body is read. The body goes into caller-provided space, as
// with Beast's buffer_body.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/asio.h"

namespace portcullis::proxy {

class UpstreamResponseParser : public http::bhttp::basic_parser<false> {
 public:
  struct Field {
    http::bhttp::field id;
    std::string_view name_text;
    std::string_view value_text;

    http::bhttp::field name() const { return id; }
    std::string_view name_string() const { return name_text; }
    std::string_view value() const { return value_text; }
  };

  // Where the next body bytes go, as Beast's buffer_body::value_type: `data` advances and `size`
  // shrinks as bytes are written.
  struct BodySpace {
    void* data = nullptr;
    std::size_t size = 0;
  };

  // `fields` is storage reused from message to message; it is cleared here.
  explicit UpstreamResponseParser(std::vector<Field>& fields) : fields_(fields) { fields_.clear(); }

  // The largest head accepted (Beast's header_limit).
  void limit_head(std::uint32_t bytes) {
    header_limit(bytes);
    head_limit_ = bytes;
  }

  // Whether `buffered` may be handed to put() now: when it holds the whole head, so that every
  // view points into it (Beast parses the status line as soon as it is complete, and the buffer
  // may move before the rest arrives), or more than the limit (for Beast to refuse). Remembers
  // the bytes, to tell views into them from values Beast assembled elsewhere (an obs-fold).
  bool ready(http::asio::const_buffer buffered) {
    std::string_view bytes(static_cast<const char*>(buffered.data()), buffered.size());
    if (is_header_done() || bytes.size() > head_limit_ ||
        bytes.find("\r\n\r\n") != std::string_view::npos) {
      input_ = bytes;
      return true;
    }
    return false;
  }

  unsigned result_int() const { return status_; }
  http::bhttp::status result() const { return http::bhttp::int_to_status(status_); }
  std::string_view reason() const { return reason_; }
  unsigned version() const { return version_; }
  std::span<const Field> fields() const { return fields_; }
  auto begin() const { return fields_.cbegin(); }
  auto end() const { return fields_.cend(); }

  BodySpace& body() { return body_; }

 private:
  using View = http::beast::string_view;

  void on_request_impl(http::bhttp::verb, View, View, int, http::error_code& ec) override {
    ec = http::bhttp::error::bad_method;  // never called for a response parser
  }
  void on_response_impl(int code, View reason, int version, http::error_code&) override {
    status_ = static_cast<unsigned>(code);
    reason_ = kept(reason);
    version_ = static_cast<unsigned>(version);
  }
  void on_field_impl(http::bhttp::field name, View name_string, View value,
                     http::error_code&) override {
    fields_.push_back({name, kept(name_string), kept(value)});
  }

  // A view into the input as is; anything else (an unfolded obs-fold value lives in Beast's
  // scratch space) is copied first.
  std::string_view kept(View text) {
    std::string_view view(text.data(), text.size());
    if (view.empty() || (view.data() >= input_.data() &&
                         view.data() + view.size() <= input_.data() + input_.size())) {
      return view;
    }
    return copies_.emplace_back(view);
  }
  void on_header_impl(http::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, http::error_code&) override {}
  std::size_t on_body_impl(View body, http::error_code& ec) override { return take(body, ec); }
  void on_chunk_header_impl(std::uint64_t, View, http::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, View body, http::error_code& ec) override {
    return take(body, ec);
  }
  void on_finish_impl(http::error_code&) override {}

  // Copies what fits into the body space; need_buffer when some is left over.
  std::size_t take(View body, http::error_code& ec) {
    if (body_.data == nullptr) {
      ec = http::bhttp::error::need_buffer;
      return 0;
    }
    std::size_t n = std::min(body.size(), body_.size);
    std::memcpy(body_.data, body.data(), n);
    body_.data = static_cast<char*>(body_.data) + n;
    body_.size -= n;
    if (n < body.size()) ec = http::bhttp::error::need_buffer;
    return n;
  }

  std::vector<Field>& fields_;
  std::uint32_t head_limit_ = 8 * 1024;  // Beast's default
  std::string_view input_;
  std::deque<std::string> copies_;  // values that are not in the input (rare)
  unsigned status_ = 0;
  unsigned version_ = 11;
  std::string_view reason_;
  BodySpace body_;
};

}  // namespace portcullis::proxy
