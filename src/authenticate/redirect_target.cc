#include "authenticate/redirect_target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

namespace portcullis::authenticate {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_forbidden_bytes(std::string_view target) {
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7f || c == '\\' || c >= 0x80) return true;
  }
  // Encoded CR, LF, NUL and backslash: harmless in a path to most servers, but never needed in
  // the URLs we redirect to, and dangerous wherever something decodes them.
  auto text = lower(target);
  for (std::string_view bad : {"%0d", "%0a", "%00", "%5c"}) {
    if (text.find(bad) != std::string::npos) return true;
  }
  return false;
}

// "host:port" with the default port filled in, lower-case; empty when `authority` is unusable.
std::string canonical_authority(std::string_view scheme, std::string_view authority) {
  auto parsed = boost::urls::parse_authority(authority);
  if (!parsed || parsed->has_userinfo()) return "";
  std::string host = lower(parsed->encoded_host());
  std::string port =
      parsed->has_port() ? std::string(parsed->port()) : (lower(scheme) == "http" ? "80" : "443");
  return host + ":" + port;
}

bool is_loopback(const boost::urls::url_view& url) {
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
      return url.host_ipv4_address().to_bytes()[0] == 127;
    case boost::urls::host_type::ipv6:
      return url.host_ipv6_address().is_loopback();
    case boost::urls::host_type::name:
      return lower(url.encoded_host()) == "localhost";
    default:
      return false;
  }
}

}  // namespace

std::string_view to_string(RedirectCheck check) {
  switch (check) {
    case RedirectCheck::kOk:
      return "ok";
    case RedirectCheck::kMalformed:
      return "malformed redirect URL";
    case RedirectCheck::kNotAbsolute:
      return "redirect URL is not absolute";
    case RedirectCheck::kBadScheme:
      return "redirect URL scheme is not http or https";
    case RedirectCheck::kInsecure:
      return "redirect URL must use https";
    case RedirectCheck::kUserInfo:
      return "redirect URL has user information";
    case RedirectCheck::kHostNotAllowed:
      return "redirect URL host is not allowed";
  }
  return "invalid redirect URL";
}

RedirectCheck check_redirect_syntax(std::string_view target, bool require_https) {
  if (target.empty() || has_forbidden_bytes(target)) return RedirectCheck::kMalformed;
  auto parsed = boost::urls::parse_uri_reference(target);
  if (!parsed) return RedirectCheck::kMalformed;
  if (!parsed->has_scheme()) return RedirectCheck::kNotAbsolute;
  auto scheme = parsed->scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    return RedirectCheck::kBadScheme;
  }
  if (!parsed->has_authority()) return RedirectCheck::kNotAbsolute;
  if (parsed->has_userinfo()) return RedirectCheck::kUserInfo;
  if (parsed->encoded_host().empty()) return RedirectCheck::kNotAbsolute;
  // A host needs no percent-encoding; an encoded one only serves to confuse comparisons.
  if (parsed->encoded_host().find('%') != std::string_view::npos) return RedirectCheck::kMalformed;
  if (require_https && scheme != boost::urls::scheme::https) return RedirectCheck::kInsecure;
  return RedirectCheck::kOk;
}

RedirectCheck check_redirect_target(std::string_view target, std::string_view expected_scheme,
                                    std::string_view expected_authority, bool require_https) {
  auto syntax = check_redirect_syntax(target, require_https);
  if (syntax != RedirectCheck::kOk) return syntax;
  auto url = boost::urls::parse_uri(target);
  if (!url) return RedirectCheck::kMalformed;
  auto actual = canonical_authority(url->scheme(), url->encoded_authority());
  auto expected = canonical_authority(expected_scheme, expected_authority);
  if (actual.empty() || expected.empty() || actual != expected) {
    return RedirectCheck::kHostNotAllowed;
  }
  return RedirectCheck::kOk;
}

RedirectCheck check_programmatic_redirect(std::string_view target,
                                          const std::vector<std::string>& whitelist) {
  auto syntax = check_redirect_syntax(target, false);
  if (syntax != RedirectCheck::kOk) return syntax;
  auto url = boost::urls::parse_uri(target);
  if (!url) return RedirectCheck::kMalformed;
  std::string host = lower(url->encoded_host());
  for (const auto& entry : whitelist) {
    std::string allowed = lower(entry);
    if (allowed == "localhost" && is_loopback(*url)) return RedirectCheck::kOk;
    if (!allowed.empty() && allowed == host) return RedirectCheck::kOk;
  }
  return RedirectCheck::kHostNotAllowed;
}

}  // namespace portcullis::authenticate
