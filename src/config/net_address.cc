#include "config/net_address.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

#include "config/text.h"

namespace portcullis::config::detail {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string check_listen_address(std::string_view address) {
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string_view::npos) return "missing ']' after the IPv6 address";
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return "expected host:port or :port";
    }
    port = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return "expected host:port or :port";
    std::string_view host = address.substr(0, colon);
    if (host.find(':') != std::string_view::npos) return "an IPv6 host must be in brackets";
    if (host.find_first_of(" /\t") != std::string_view::npos) return "invalid host";
    port = address.substr(colon + 1);
  }
  if (!parse_port(port)) return "the port must be a number from 0 to 65535";
  return {};
}

std::uint16_t listen_port(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return 0;
  return parse_port(address.substr(colon + 1)).value_or(0);
}

std::optional<ParsedUrl> parse_url(std::string_view text, std::string& error) {
  auto result = boost::urls::parse_uri(text);
  if (!result) {
    error = "not a valid URL";
    return std::nullopt;
  }
  const boost::urls::url_view& url = *result;
  ParsedUrl parsed;
  parsed.scheme = to_lower(url.scheme());
  if (!url.has_authority() || url.encoded_host().empty()) {
    error = "the URL has no host";
    return std::nullopt;
  }
  if (url.host_type() == boost::urls::host_type::ipv6) {
    parsed.ipv6 = true;
    parsed.host = to_lower(url.host_address());
  } else {
    std::string_view host = url.encoded_host();
    if (host.find('%') != std::string_view::npos) {
      error = "the host must not be percent-encoded";
      return std::nullopt;
    }
    parsed.host = to_lower(host);
  }
  if (url.has_port() && !url.port().empty()) {
    parsed.port = parse_port(url.port());
    if (!parsed.port) {
      error = "the port must be a number from 0 to 65535";
      return std::nullopt;
    }
  }
  parsed.path = url.encoded_path();
  parsed.has_query = url.has_query();
  parsed.has_fragment = url.has_fragment();
  parsed.has_userinfo = url.has_userinfo();
  return parsed;
}

std::string check_http_url(std::string_view text) {
  std::string error;
  auto url = parse_url(text, error);
  if (!url) return "must be an absolute http(s) URL: " + error;
  if (url->scheme != "http" && url->scheme != "https") {
    return "must be an http:// or https:// URL";
  }
  return {};
}

std::string authority_host(const ParsedUrl& url) {
  return url.ipv6 ? "[" + url.host + "]" : url.host;
}

}  // namespace portcullis::config::detail
