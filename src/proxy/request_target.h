#pragma once
// Request-target parsing and path normalisation (DESIGN.md §7). The proxy routes, authorizes
// and forwards on exactly the path this returns.

#include <string>
#include <string_view>

namespace portcullis::proxy {

enum class EscapedSlashesAction {
  kRejectRequest,
  kKeepUnchanged,
  kUnescapeAndRedirect,
  kUnescapeAndForward
};

struct PathOptions {
  bool normalize_path = true;  // RFC 3986 dot-segment removal, %-decoding of unreserved
                               // characters, upper-case hex, '\' -> '/'
  bool merge_slashes = true;   // "//" -> "/"
  EscapedSlashesAction escaped_slashes = EscapedSlashesAction::kRejectRequest;
};

struct RequestTarget {
  enum class Verdict {
    kOk,        // forward `path` + `query`
    kReject,    // 400: malformed or forbidden (escaped slash with kRejectRequest, bad %-escape,
                // control characters, not origin- or absolute-form, ...)
    kRedirect,  // kUnescapeAndRedirect and the path had escaped slashes: 307 to `path`+`query`
  };
  Verdict verdict = Verdict::kReject;
  std::string path;       // normalised, always starts with '/'
  std::string query;      // with its leading '?', or empty
  std::string authority;  // host[:port] from an absolute-form target, else empty
  std::string error;      // why it was rejected (for the log, not the client)
};

// `target` is the raw request-target of the request line.
RequestTarget parse_request_target(std::string_view target, const PathOptions& options);

// Header checks of the security defaults: a field name is a valid RFC 9110 token; underscores
// are reported separately so that headers_with_underscores_action can apply.
bool is_valid_header_name(std::string_view name);
bool has_underscore(std::string_view name);

}  // namespace portcullis::proxy
