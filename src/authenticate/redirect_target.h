#pragma once
// Validation of every redirect target the sign-in flow follows. Targets must be absolute http(s)
// URLs whose host is exactly an expected one; everything an attacker uses to smuggle another host
// past a naive check is refused: scheme-relative and backslash forms (//evil, /\evil), userinfo
// (https://allowed@evil), look-alike suffixes (https://allowed.evil), percent-encoded hosts,
// control characters (CR/LF header injection, raw or encoded), non-http schemes (javascript:).

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::authenticate {

enum class RedirectCheck {
  kOk,
  kMalformed,       // not a URI, or contains bytes no URL may contain
  kNotAbsolute,     // relative, scheme-relative (//host) or without a host
  kBadScheme,       // not http or https
  kInsecure,        // http where https is required
  kUserInfo,        // user:password@ in the authority
  kHostNotAllowed,  // a host (or port) other than the expected ones
};

std::string_view to_string(RedirectCheck check);

// The target's structure alone (the first five checks).
RedirectCheck check_redirect_syntax(std::string_view target, bool require_https);

// `target` must pass check_redirect_syntax and its authority (host, and port with the scheme's
// default filled in) must equal `expected_authority` (host[:port], port defaulting by
// `expected_scheme`). Host names compare case-insensitively.
RedirectCheck check_redirect_target(std::string_view target, std::string_view expected_scheme,
                                    std::string_view expected_authority, bool require_https);

// For programmatic logins: an http(s) URL whose host is in `whitelist`, where the entry
// "localhost" admits every loopback host (localhost, 127.0.0.0/8, ::1).
RedirectCheck check_programmatic_redirect(std::string_view target,
                                          const std::vector<std::string>& whitelist);

}  // namespace portcullis::authenticate
