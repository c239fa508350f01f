#include "proxy/route_table.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>

namespace portcullis::proxy {
namespace {

// A DNS name is at most 253 characters (255 octets on the wire); longer Host values cannot
// name any route, so they are lower-cased into a fixed stack buffer or refused.
constexpr std::size_t kMaxHostLength = 255;
using HostBuffer = std::array<char, kMaxHostLength>;

struct RequestHost {
  std::string_view name;  // lower-case, no port, no brackets, no trailing dot
  std::uint16_t port = 0;
  bool has_port = false;
};

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// A reg-name character of a Host header lower-cased, or 0 for a character a name cannot hold.
constexpr std::array<char, 256> make_host_name_table() {
  std::array<char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    if (is_name_char(ch)) table[static_cast<std::size_t>(c)] = ascii_lower(ch);
  }
  return table;
}
constexpr std::array<char, 256> kHostNameChars = make_host_name_table();

bool is_ipv6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

// Parses the digits after ':' in a Host header; empty means "no port" (RFC 9110 allows it).
bool parse_port(std::string_view digits, RequestHost& out) {
  if (digits.empty()) return true;
  if (digits.size() > 5) return false;
  std::uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  out.port = static_cast<std::uint16_t>(value);
  out.has_port = true;
  return true;
}

// Splits a Host header value into name and port, lower-casing the name into `buffer`. False for
// anything that is not `reg-name[:port]` or `[IPv6][:port]`: empty, '/', '@', spaces, ...
bool parse_host(std::string_view host, HostBuffer& buffer, RequestHost& out) {
  std::string_view name;
  std::string_view port;
  bool has_colon = false;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(1, close - 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_ipv6_char)) return false;
    const std::string_view after = host.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      has_colon = true;
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = host.find(':');
    name = host.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_colon = true;
      port = host.substr(colon + 1);
    }
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > buffer.size()) return false;
    // Checked and lower-cased in one pass.
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char lower = kHostNameChars[static_cast<unsigned char>(name[i])];
      if (lower == 0) return false;
      buffer[i] = lower;
    }
    if (has_colon && !parse_port(port, out)) return false;
    out.name = std::string_view(buffer.data(), name.size());
    return true;
  }
  if (name.empty() || name.size() > buffer.size()) return false;
  if (has_colon && !parse_port(port, out)) return false;
  std::transform(name.begin(), name.end(), buffer.begin(), ascii_lower);
  out.name = std::string_view(buffer.data(), name.size());
  return true;
}

// A route's `from_host` reduced the same way as a request's Host name (brackets and one trailing
// dot removed); it is still compared case-insensitively.
std::string_view route_host_name(std::string_view from_host) {
  if (from_host.size() >= 2 && from_host.front() == '[' && from_host.back() == ']') {
    return from_host.substr(1, from_host.size() - 2);
  }
  if (!from_host.empty() && from_host.back() == '.') from_host.remove_suffix(1);
  return from_host;
}

bool is_wildcard(const config::Route& route) {
  return route.from_wildcard || route.from_host.find('*') != std::string::npos;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// Glob match of one DNS label: '*' matches one or more characters (the label holds no dots).
// Greedy with backtracking to the last '*': linear for one star, O(n*m) at worst.
bool label_matches(std::string_view pattern, std::string_view label) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star_p = std::string_view::npos;  // pattern position after the last '*'
  std::size_t star_t = 0;                       // label position where that star's match ends
  while (t < label.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      ++p;  // the star takes one character unconditionally, then more on backtracking
      ++t;
      star_p = p;
      star_t = t;
    } else if (p < pattern.size() && ascii_lower(pattern[p]) == label[t]) {
      ++p;
      ++t;
    } else if (star_p != std::string_view::npos) {
      p = star_p;
      t = ++star_t;
    } else {
      return false;
    }
  }
  return p == pattern.size();
}

// Label-by-label glob: both sides must have the same number of labels.
bool labels_match(std::string_view pattern, std::string_view host) {
  while (true) {
    const std::size_t pattern_dot = pattern.find('.');
    const std::size_t host_dot = host.find('.');
    if (!label_matches(pattern.substr(0, pattern_dot), host.substr(0, host_dot))) return false;
    if (pattern_dot == std::string_view::npos || host_dot == std::string_view::npos) {
      return pattern_dot == host_dot;
    }
    pattern.remove_prefix(pattern_dot + 1);
    host.remove_prefix(host_dot + 1);
  }
}

// Envoy's wildcard domains, which is how Pomerium's wildcard `from` hosts are served:
//  - "*" alone matches every host;
//  - a leading "*." matches any non-empty prefix, dots included: "*.example.com" matches
//    "a.example.com" and "a.b.example.com", but not "example.com";
//  - a '*' anywhere else matches one or more characters other than '.': "app-*.example.com"
//    matches "app-1.example.com", but not "app-.example.com" nor "app-a.b.example.com".
// `host` is lower-case; the pattern is compared case-insensitively.
bool wildcard_matches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return !host.empty();
  if (pattern.size() >= 2 && pattern[0] == '*' && pattern[1] == '.') {
    const std::string_view rest = pattern.substr(2);  // after "*."
    // The prefix ends at some '.' of the host with at least one character before it.
    for (std::size_t dot = host.find('.', 1); dot != std::string_view::npos;
         dot = host.find('.', dot + 1)) {
      if (labels_match(rest, host.substr(dot + 1))) return true;
    }
    return false;
  }
  return labels_match(pattern, host);
}

std::optional<std::uint16_t> default_port(std::string_view scheme) {
  if (equals_ignore_case(scheme, "https")) return 443;
  if (equals_ignore_case(scheme, "http")) return 80;
  return std::nullopt;
}

// Without `from_port` any incoming port matches (Pomerium's match_any_incoming_port); with it,
// the request names that port, or no port when it is the scheme's default.
bool port_matches(const config::Route& route, std::uint16_t port, bool has_port) {
  if (!route.from_port) return true;
  if (has_port) return port == *route.from_port;
  return default_port(route.from_scheme) == route.from_port;
}

std::string exact_key(const config::Route& route) {
  const std::string_view name = route_host_name(route.from_host);
  std::string key(name.size(), '\0');
  std::transform(name.begin(), name.end(), key.begin(), ascii_lower);
  return key;
}

}  // namespace

bool host_matches(const config::Route& route, std::string_view host_lower, std::uint16_t port,
                  bool has_port) {
  if (host_lower.empty() || !port_matches(route, port, has_port)) return false;
  const std::string_view pattern = route_host_name(route.from_host);
  if (pattern.empty()) return false;
  if (is_wildcard(route)) return wildcard_matches(pattern, host_lower);
  return equals_ignore_case(pattern, host_lower);
}

bool path_matches(const config::Route& route, std::string_view path) {
  switch (route.path_kind) {
    case config::PathMatchKind::kPrefix:
      // Envoy's prefix match is a plain byte prefix: "/app" also matches "/application".
      return path.starts_with(route.path_value);
    case config::PathMatchKind::kPath:
      return path == route.path_value;
    case config::PathMatchKind::kRegex:
      return route.regex != nullptr && route.regex->ok() &&
             re2::RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *route.regex);
  }
  return false;
}

RouteTable::RouteTable(const std::vector<config::Route>& routes) {
  std::vector<const config::Route*> ordered;
  ordered.reserve(routes.size());
  for (const config::Route& route : routes) ordered.push_back(&route);
  std::stable_sort(
      ordered.begin(), ordered.end(),
      [](const config::Route* a, const config::Route* b) { return a->index < b->index; });
  for (const config::Route* route : ordered) {
    if (route_host_name(route->from_host).empty()) continue;  // can never match
    if (is_wildcard(*route)) {
      wildcard_.push_back(route);
    } else {
      exact_.push_back(route);
      exact_by_host_[exact_key(*route)].push_back(route);
    }
  }
}

const config::Route* RouteTable::match(std::string_view host, std::string_view path) const {
  HostBuffer buffer;
  RequestHost request;
  if (!parse_host(host, buffer, request)) return nullptr;
  if (auto it = exact_by_host_.find(request.name); it != exact_by_host_.end()) {
    // As Envoy's virtual hosts: a host named exactly by some route is served by those routes
    // only; its unmatched paths do not fall through to wildcard hosts.
    bool host_known = false;
    for (const config::Route* route : it->second) {
      if (!port_matches(*route, request.port, request.has_port)) continue;
      host_known = true;
      if (path_matches(*route, path)) return route;
    }
    if (host_known) return nullptr;
  }
  for (const config::Route* route : wildcard_) {
    if (host_matches(*route, request.name, request.port, request.has_port) &&
        path_matches(*route, path)) {
      return route;
    }
  }
  return nullptr;
}

bool RouteTable::knows_host(std::string_view host) const {
  HostBuffer buffer;
  RequestHost request;
  if (!parse_host(host, buffer, request)) return false;
  if (auto it = exact_by_host_.find(request.name); it != exact_by_host_.end()) {
    for (const config::Route* route : it->second) {
      if (port_matches(*route, request.port, request.has_port)) return true;
    }
  }
  return std::any_of(wildcard_.begin(), wildcard_.end(), [&](const config::Route* route) {
    return host_matches(*route, request.name, request.port, request.has_port);
  });
}

}  // namespace portcullis::proxy
