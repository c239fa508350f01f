#include "proxy/request_target.h"

#include <array>
#include <boost/url/authority_view.hpp>
#include <cstddef>
#include <cstdint>

#include "proxy/http_chars.h"

namespace portcullis::proxy {
namespace {

// The path is rewritten in place, in three passes over one buffer, each of which only shrinks
// it: (1) percent-escapes and backslashes, (2) RFC 3986 dot-segment removal, (3) slash merging.
// This is the order Envoy applies path_with_escaped_slashes_action, normalize_path and
// merge_slashes, so that an escaped slash or dot cannot hide a segment from the later passes.

constexpr std::string_view kHexDigits = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 §2.3: ALPHA DIGIT "-" "." "_" "~".
bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Bytes that may never appear in a request-target: controls, space, DEL, non-ASCII.
bool is_forbidden_byte(unsigned char c) {
  return c < 0x21 || c >= 0x7F;
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_ignore_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

RequestTarget rejected(const char* why) {
  RequestTarget result;
  result.verdict = RequestTarget::Verdict::kReject;
  result.error = why;
  return result;
}

struct EscapeResult {
  std::size_t length = 0;
  bool unescaped_slash = false;
  const char* error = nullptr;
};

// Pass 1: reads `in` and writes at most in.size() bytes to `out` (which may not alias `in`).
EscapeResult process_escapes(std::string_view in, char* out, const PathOptions& options) {
  EscapeResult result;
  std::size_t w = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\\') {
      out[w++] = options.normalize_path ? '/' : '\\';
      continue;
    }
    if (c != '%') {
      out[w++] = c;
      continue;
    }
    if (in.size() - i < 3) {
      result.error = "truncated percent-escape in path";
      return result;
    }
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) {
      result.error = "malformed percent-escape in path";
      return result;
    }
    const auto value = static_cast<unsigned char>(hi * 16 + lo);
    if (value == 0) {
      result.error = "percent-encoded NUL in path";
      return result;
    }
    if (value == '/' || value == '\\') {
      switch (options.escaped_slashes) {
        case EscapedSlashesAction::kRejectRequest:
          result.error = "escaped slash or backslash in path";
          return result;
        case EscapedSlashesAction::kUnescapeAndForward:
        case EscapedSlashesAction::kUnescapeAndRedirect:
          out[w++] = '/';
          result.unescaped_slash = true;
          i += 2;
          continue;
        case EscapedSlashesAction::kKeepUnchanged:
          break;  // stays encoded, like any other reserved character
      }
    }
    if (options.normalize_path && is_unreserved(value)) {
      out[w++] = static_cast<char>(value);
    } else if (options.normalize_path) {
      out[w++] = '%';
      out[w++] = kHexDigits[static_cast<std::size_t>(hi)];
      out[w++] = kHexDigits[static_cast<std::size_t>(lo)];
    } else {
      out[w++] = '%';
      out[w++] = in[i + 1];
      out[w++] = in[i + 2];
    }
    i += 2;
  }
  result.length = w;
  return result;
}

// Pass 2: RFC 3986 §5.2.4 remove_dot_segments on buf[0, n), which starts with '/'. The output
// cursor never passes the input cursor, so the rewrite is in place. Returns the new length.
std::size_t remove_dot_segments(char* buf, std::size_t n) {
  std::size_t w = 0;  // output is buf[0, w)
  std::size_t i = 0;  // input is buf[i, n); buf[i] == '/' at the top of the loop
  while (i < n) {
    std::size_t end = i + 1;
    while (end < n && buf[end] != '/') ++end;
    const std::string_view segment(buf + i + 1, end - i - 1);
    const bool dot = segment == ".";
    const bool dot_dot = segment == "..";
    if (dot || dot_dot) {
      if (dot_dot) {
        // Drop the last output segment and its '/'; at the root there is nothing to drop, so a
        // path never climbs above '/'.
        while (w > 0 && buf[w - 1] != '/') --w;
        if (w > 0) --w;
      }
      if (end == n) buf[w++] = '/';  // "/." or "/.." at the end leaves a trailing '/'
      i = end;
      continue;
    }
    for (std::size_t k = i; k < end; ++k) buf[w++] = buf[k];
    i = end;
  }
  if (w == 0) buf[w++] = '/';  // n >= 1, so this fits
  return w;
}

// Pass 3: collapses runs of '/' in buf[0, n). Returns the new length.
std::size_t merge_slashes(char* buf, std::size_t n) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (buf[i] == '/' && w > 0 && buf[w - 1] == '/') continue;
    buf[w++] = buf[i];
  }
  return w;
}

bool is_valid_port(std::string_view port) {
  if (port.empty()) return true;  // "host:" is allowed by RFC 3986 and means the default
  if (port.size() > 5) return false;
  std::uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value <= 65535;
}

// Validates the authority of an absolute-form target: RFC 3986 syntax, a non-empty host, no
// userinfo (RFC 9110 §4.2.4), a port in range.
const char* check_authority(std::string_view authority) {
  if (authority.empty()) return "absolute-form target without a host";
  auto parsed = boost::urls::parse_authority(authority);
  if (!parsed) return "malformed authority in request-target";
  if (parsed->has_userinfo()) return "userinfo in request-target";
  if (parsed->encoded_host().empty()) return "absolute-form target without a host";
  if (parsed->has_port() && !is_valid_port(parsed->port())) {
    return "invalid port in request-target";
  }
  return nullptr;
}

}  // namespace

RequestTarget parse_request_target(std::string_view target, const PathOptions& options) {
  if (target.empty()) return rejected("empty request-target");
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_forbidden_byte(byte)) return rejected("forbidden byte in request-target");
    if (c == '#') return rejected("fragment in request-target");
  }

  RequestTarget result;
  std::string_view rest = target;  // path and query, once the form is known
  if (target.front() != '/') {
    // Only absolute-form remains (RFC 9112 §3.2.2); "*" (asterisk-form) and authority-form
    // are for OPTIONS and CONNECT, which the proxy does not serve.
    std::size_t scheme_length = 0;
    if (starts_with_ignore_case(target, "http://")) {
      scheme_length = 7;
    } else if (starts_with_ignore_case(target, "https://")) {
      scheme_length = 8;
    } else {
      return rejected("request-target is not in origin-form or absolute-form");
    }
    const std::string_view after_scheme = target.substr(scheme_length);
    const std::size_t authority_end = after_scheme.find_first_of("/?");
    const std::string_view authority = after_scheme.substr(0, authority_end);
    if (const char* error = check_authority(authority)) return rejected(error);
    result.authority.assign(authority);
    rest = authority_end == std::string_view::npos ? std::string_view()
                                                   : after_scheme.substr(authority_end);
  }

  const std::size_t query_start = rest.find('?');
  std::string_view raw_path = rest.substr(0, query_start);
  if (query_start != std::string_view::npos) result.query.assign(rest.substr(query_start));
  if (raw_path.empty()) raw_path = "/";  // absolute-form without a path (RFC 9112 §3.2.2)

  result.path.resize(raw_path.size());
  char* buf = result.path.data();
  const EscapeResult escapes = process_escapes(raw_path, buf, options);
  if (escapes.error != nullptr) return rejected(escapes.error);
  std::size_t length = escapes.length;
  if (options.normalize_path) length = remove_dot_segments(buf, length);
  if (options.merge_slashes) length = merge_slashes(buf, length);
  result.path.resize(length);

  const bool redirect = escapes.unescaped_slash &&
                        options.escaped_slashes == EscapedSlashesAction::kUnescapeAndRedirect;
  result.verdict = redirect ? RequestTarget::Verdict::kRedirect : RequestTarget::Verdict::kOk;
  return result;
}

bool is_valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

bool has_underscore(std::string_view name) {
  return name.find('_') != std::string_view::npos;
}

}  // namespace portcullis::proxy
