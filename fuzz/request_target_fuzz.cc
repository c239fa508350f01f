// libFuzzer target for parse_request_target (and, on the same input, the Host parsing of
// RouteTable). Besides "no crash", it checks the properties the proxy relies on: the path it
// returns is the one it would return again, it has no dot segments or empty segments when
// normalisation is on, escaped slashes never survive REJECT_REQUEST, and the query is the
// input's own tail. See fuzz/README.md.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/request_target.h"
#include "proxy/route_table.h"

namespace {

using portcullis::proxy::EscapedSlashesAction;
using portcullis::proxy::PathOptions;
using portcullis::proxy::RequestTarget;

void require(bool condition) {
  if (!condition) std::abort();
}

bool contains_escaped_slash(std::string_view path) {
  for (std::size_t i = 0; i + 2 < path.size(); ++i) {
    if (path[i] != '%') continue;
    const char hi = path[i + 1];
    const char lo = static_cast<char>(path[i + 2] | 0x20);
    if ((hi == '2' && lo == 'f') || (hi == '5' && lo == 'c')) return true;
  }
  return false;
}

bool has_dot_segment(std::string_view path) {
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start + 1);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start + 1, end - start - 1);
    if (segment == "." || segment == "..") return true;
    start = end;
  }
  return false;
}

void check_target(std::string_view target, const PathOptions& options) {
  const RequestTarget result = parse_request_target(target, options);
  if (result.verdict == RequestTarget::Verdict::kReject) {
    require(!result.error.empty());
    return;
  }
  const std::string& path = result.path;
  require(!path.empty() && path.front() == '/');
  require(path.size() <= target.size());
  if (!result.query.empty()) {
    require(result.query.front() == '?');
    require(target.ends_with(result.query));
  }
  require(path.find('?') == std::string::npos && path.find('#') == std::string::npos);
  for (char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    require(byte > 0x20 && byte < 0x7F);
  }
  if (options.escaped_slashes == EscapedSlashesAction::kRejectRequest) {
    require(!contains_escaped_slash(path));
  }
  if (options.escaped_slashes == EscapedSlashesAction::kUnescapeAndForward ||
      options.escaped_slashes == EscapedSlashesAction::kUnescapeAndRedirect) {
    require(!contains_escaped_slash(path));
  }
  if (result.verdict == RequestTarget::Verdict::kRedirect) {
    require(options.escaped_slashes == EscapedSlashesAction::kUnescapeAndRedirect);
  }
  if (options.normalize_path) {
    require(!has_dot_segment(path));
    require(path.find('\\') == std::string::npos);
  }
  if (options.merge_slashes) require(path.find("//") == std::string::npos);
  if (options.normalize_path && options.merge_slashes) {
    // Canonical: parsing the result again is the identity.
    const RequestTarget again = parse_request_target(path, options);
    require(again.verdict == RequestTarget::Verdict::kOk);
    require(again.path == path);
  }
}

portcullis::config::Route make_route(std::size_t index, const char* host,
                                     std::optional<std::uint16_t> port) {
  portcullis::config::Route route;
  route.index = index;
  route.from_scheme = "https";
  route.from_host = host;
  route.from_port = port;
  route.from_wildcard = route.from_host.find('*') != std::string::npos;
  return route;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto selector = static_cast<unsigned>(data[0]);
  const std::string_view target = input.substr(1);

  PathOptions options;
  options.normalize_path = (selector & 1) != 0;
  options.merge_slashes = (selector & 2) != 0;
  options.escaped_slashes = static_cast<EscapedSlashesAction>((selector >> 2) & 3);
  check_target(target, options);

  // The same bytes as a Host header: must never crash, and a match must be a known host.
  static const std::vector<portcullis::config::Route> routes = {
      make_route(0, "a.example.com", std::nullopt),
      make_route(1, "*.example.com", 8443),
      make_route(2, "app-*.x*y.test", std::nullopt),
      make_route(3, "[::1]", 443),
      make_route(4, "*", 9999),
  };
  static const portcullis::proxy::RouteTable table(routes);
  const bool known = table.knows_host(target);
  const portcullis::config::Route* route = table.match(target, "/");
  require(route == nullptr || known);
  if (route != nullptr) require(route == &routes[route->index]);
  portcullis::proxy::is_valid_header_name(target);
  return 0;
}
