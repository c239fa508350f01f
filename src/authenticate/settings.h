#pragma once
// The part of the configuration the sign-in machinery reads, with secrets decoded once.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace portcullis::authenticate {

struct CookieSettings {
  std::string name = "_pomerium";  // cookie_name; the authenticate host uses name + "_authenticate"
  std::chrono::seconds expire{std::chrono::hours(14)};
  std::string domain;  // empty: host-only
  bool http_only = true;
  std::string same_site;  // "", "strict", "lax" or "none"
};

struct AuthenticateSettings {
  std::string authenticate_url;   // https://authenticate.example.com (no path)
  std::string authenticate_host;  // its host[:port], lower-case
  std::string shared_secret;      // 32 raw bytes: handles, signed URLs, the encrypted session
  std::string cookie_secret;      // 32 raw bytes: CSRF cookie, state, PKCE cookies
  std::string idp_id;             // which identity provider sessions come from
  CookieSettings cookie;
  std::vector<std::string> programmatic_redirect_domain_whitelist{"localhost"};
  std::string signout_redirect_url;
};

// From the loaded options. nullopt with `error` set when authenticate_service_url is not an
// absolute http(s) URL or a secret is not the base64 of 32 bytes (both must be set: the caller
// generates them for `services: all` before this).
std::optional<AuthenticateSettings> settings_from_config(const config::Options& options,
                                                         std::string* error);

// A stable identifier of the configured identity provider (its type, URL, client and scopes), so
// that a session made with one provider is not accepted once the configuration names another.
std::string compute_idp_id(const config::Options& options);

}  // namespace portcullis::authenticate
