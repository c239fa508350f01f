#pragma once
// UpstreamResponseParser: the relay's HTTP/1 response parser. A relayed response head is read
// once, to write the client's head, so its fields stay views into the bytes they were parsed from
// instead of being copied one allocation each into a sorted container. The views are valid until
// the read buffer is next written to: the head must be used before the body is read. The body goes
// into caller-provided space, as with Beast's buffer_body.
//
// Two ways through a message. The common response (HTTP/1.0 or 1.1, a 2xx-5xx status, one plain
// Content-Length or no body, no Transfer-Encoding, fields on one line each) is parsed here in one
// pass and its body counted off. Any other head, including every malformed one, goes to Beast's
// parser (framing, limits, validation) from its first byte, which accepts or refuses it as it
// would have anyway: the fast path takes a strict subset of what Beast takes, never more.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <forward_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/asio.h"

namespace portcullis::proxy {

class UpstreamResponseParser {
 public:
  struct Field {
    // The names the relay acts on (Connection, Keep-Alive, Proxy-Connection, TE, Upgrade,
    // Transfer-Encoding, Content-Length); field::unknown for every other name.
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
  UpstreamResponseParser(const UpstreamResponseParser&) = delete;
  UpstreamResponseParser& operator=(const UpstreamResponseParser&) = delete;

  // The largest head accepted (Beast's header_limit).
  void limit_head(std::uint32_t bytes) { head_limit_ = bytes; }
  // The largest body accepted; none: no limit (Beast's body_limit).
  void body_limit(boost::optional<std::uint64_t> bytes) { body_limit_ = bytes; }
  // The response has no body whatever its head says (a response to HEAD).
  void skip(bool v) { skip_body_ = v; }

  // Whether `buffered` may be handed to put() now: when it holds the whole head, so that every
  // view points into it (Beast parses the status line as soon as it is complete, and the buffer
  // may move before the rest arrives), or more than the limit (to be refused). Remembers the
  // bytes, to tell views into them from values assembled elsewhere (an obs-fold).
  bool ready(http::asio::const_buffer buffered);

  // Beast's basic_parser::put and put_eof: parses the head (all of it, once ready()), then body
  // bytes into body().
  std::size_t put(http::asio::const_buffer buffer, http::error_code& ec);
  void put_eof(http::error_code& ec);

  // Whether the message went to Beast's parser (a head the fast path does not take).
  bool parsed_by_beast() const { return full_.has_value(); }

  bool got_some() const { return full_ ? full_->got_some() : got_some_; }
  bool is_header_done() const { return full_ ? full_->is_header_done() : header_done_; }
  bool is_done() const { return full_ ? full_->is_done() : done_; }
  bool chunked() const { return full_ && full_->chunked(); }
  bool need_eof() const { return full_ && full_->need_eof(); }
  bool keep_alive() const { return full_ ? full_->keep_alive() : keep_alive_; }
  boost::optional<std::uint64_t> content_length() const {
    return full_ ? full_->content_length() : content_length_;
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
  // Beast's parser, reporting into this object's fields, status and body space.
  class Full : public http::bhttp::basic_parser<false> {
   public:
    explicit Full(UpstreamResponseParser& owner) : owner_(owner) {}

   private:
    using View = http::beast::string_view;
    void on_request_impl(http::bhttp::verb, View, View, int, http::error_code& ec) override {
      ec = http::bhttp::error::bad_method;  // never called for a response parser
    }
    void on_response_impl(int code, View reason, int version, http::error_code&) override {
      owner_.status_ = static_cast<unsigned>(code);
      owner_.reason_ = owner_.kept(reason);
      owner_.version_ = static_cast<unsigned>(version);
    }
    void on_field_impl(http::bhttp::field, View name, View value, http::error_code&) override {
      auto name_text = owner_.kept(name);
      owner_.fields_.push_back({relay_field(name_text), name_text, owner_.kept(value)});
    }
    void on_header_impl(http::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, http::error_code&) override {}
    std::size_t on_body_impl(View body, http::error_code& ec) override {
      return owner_.take({body.data(), body.size()}, ec);
    }
    void on_chunk_header_impl(std::uint64_t, View, http::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, View body, http::error_code& ec) override {
      return owner_.take({body.data(), body.size()}, ec);
    }
    void on_finish_impl(http::error_code&) override {}

    UpstreamResponseParser& owner_;
  };

  // The id a field name has in Field::id.
  static http::bhttp::field relay_field(std::string_view name);

  // Parses `head` (the whole head, through the empty line) when it is one the fast path takes;
  // false leaves nothing behind, for Beast to parse it.
  bool parse_simple(std::string_view head);

  // Hands the message to Beast.
  Full& go_full();

  // A view into the input as is; anything else (an unfolded obs-fold value lives in Beast's
  // scratch space) is copied first.
  std::string_view kept(std::string_view text) {
    if (text.empty() || (text.data() >= input_.data() &&
                         text.data() + text.size() <= input_.data() + input_.size())) {
      return text;
    }
    return copies_.emplace_front(text);
  }

  // Copies what fits into the body space; need_buffer when some is left over.
  std::size_t take(std::string_view body, http::error_code& ec) {
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
  std::optional<Full> full_;             // engaged once the message went to Beast
  std::uint32_t head_limit_ = 8 * 1024;  // Beast's default
  boost::optional<std::uint64_t> body_limit_ = 8 * 1024 * 1024;  // Beast's default for a response
  bool skip_body_ = false;
  std::string_view input_;     // the buffered bytes ready() saw
  std::size_t head_size_ = 0;  // of the head in input_ (through the empty line), 0: not found
  std::forward_list<std::string> copies_;  // values that are not in the input (rare)
  unsigned status_ = 0;
  unsigned version_ = 11;
  std::string_view reason_;
  BodySpace body_;
  // The fast path's state.
  boost::optional<std::uint64_t> content_length_;
  std::uint64_t remaining_ = 0;  // body bytes still to come
  bool got_some_ = false;
  bool header_done_ = false;
  bool done_ = false;
  bool keep_alive_ = false;
};

}  // namespace portcullis::proxy
