#pragma once
// Internal to the loader: listen addresses and URLs (Boost.URL).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::config::detail {

// "" when `address` is `host:port` or `:port` (port 0-65535, IPv6 hosts in brackets).
std::string check_listen_address(std::string_view address);
// The port of a valid listen address.
std::uint16_t listen_port(std::string_view address);

struct ParsedUrl {
  std::string scheme;  // lower-case
  std::string host;    // without brackets; lower-case
  bool ipv6 = false;
  std::optional<std::uint16_t> port;
  std::string path;  // encoded, as written
  bool has_query = false;
  bool has_fragment = false;
  bool has_userinfo = false;
};

// An absolute URL with a host; nullopt with `error` set otherwise.
std::optional<ParsedUrl> parse_url(std::string_view text, std::string& error);
// "" when `text` is an absolute http:// or https:// URL with a host.
std::string check_http_url(std::string_view text);
// host or [v6] for use in an authority.
std::string authority_host(const ParsedUrl& url);

}  // namespace portcullis::config::detail
