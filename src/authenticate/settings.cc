#include "authenticate/settings.h"

#include <boost/url/parse.hpp>

#include "crypto/encoding.h"
#include "crypto/hmac.h"

namespace portcullis::authenticate {

std::optional<AuthenticateSettings> settings_from_config(const config::Options& options,
                                                         std::string* error) {
  auto fail = [error](std::string message) -> std::optional<AuthenticateSettings> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  AuthenticateSettings settings;
  auto url = boost::urls::parse_absolute_uri(options.authenticate_service_url);
  if (!url ||
      (url->scheme_id() != boost::urls::scheme::https &&
       url->scheme_id() != boost::urls::scheme::http) ||
      url->host().empty()) {
    return fail("authenticate_service_url must be an absolute http(s) URL");
  }
  settings.authenticate_url =
      std::string(url->scheme()) + "://" + std::string(url->encoded_host_and_port());
  settings.authenticate_host = std::string(url->encoded_host_and_port());
  for (auto& c : settings.authenticate_host) c = static_cast<char>(std::tolower(c));
  auto shared = crypto::base64_decode(options.shared_secret, crypto::Base64::kStandard);
  if (!shared || shared->size() != 32) return fail("shared_secret must be base64 of 32 bytes");
  auto cookie = crypto::base64_decode(options.cookie_secret, crypto::Base64::kStandard);
  if (!cookie || cookie->size() != 32) return fail("cookie_secret must be base64 of 32 bytes");
  settings.shared_secret = std::move(*shared);
  settings.cookie_secret = std::move(*cookie);
  settings.idp_id = compute_idp_id(options);
  settings.cookie.name = options.cookie_name;
  settings.cookie.expire = std::chrono::duration_cast<std::chrono::seconds>(options.cookie_expire);
  settings.cookie.domain = options.cookie_domain;
  settings.cookie.http_only = options.cookie_http_only;
  settings.cookie.same_site = options.cookie_same_site;
  settings.programmatic_redirect_domain_whitelist = options.programmatic_redirect_domain_whitelist;
  settings.signout_redirect_url = options.signout_redirect_url;
  return settings;
}

std::string compute_idp_id(const config::Options& options) {
  // Length-prefixed fields so that no two configurations serialise alike.
  std::string text;
  auto add = [&text](std::string_view field) {
    text += std::to_string(field.size());
    text += ':';
    text += field;
  };
  add(options.authenticate_service_url);
  add(options.idp_provider.empty() ? "oidc" : options.idp_provider);
  add(options.idp_provider_url);
  add(options.idp_client_id);
  add(crypto::sha256(options.idp_client_secret));
  for (const auto& scope : options.idp_scopes) add(scope);
  add("|");
  for (const auto& [name, value] : options.idp_request_params) {
    add(name);
    add(value);
  }
  return crypto::hex_encode(crypto::sha256(text).substr(0, 8));
}

}  // namespace portcullis::authenticate
