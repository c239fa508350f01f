#pragma once
// OpenID Connect Discovery 1.0: the provider metadata document and where to find it.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::identity {

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string userinfo_endpoint;  // optional
  std::string jwks_uri;
  std::string revocation_endpoint;   // optional (RFC 7009 / RFC 8414)
  std::string end_session_endpoint;  // optional (RP-initiated logout)
  std::vector<std::string> code_challenge_methods_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;  // empty: basic (the default)

  bool supports_pkce_s256() const;
  // RFC 8414: client_secret_basic is the default when the list is absent. True when the provider
  // accepts only client_secret_post (so credentials go in the form body).
  bool prefers_client_secret_post() const;
};

// `provider_url` + "/.well-known/openid-configuration" (one slash between them); nullopt unless
// provider_url is an absolute http(s) URL without query or fragment.
std::optional<std::string> discovery_url(std::string_view provider_url);

// Whether `issuer` names the configured provider URL (equal, or differing only in one trailing
// slash, which configurations often add or drop).
bool issuer_matches(std::string_view issuer, std::string_view provider_url);

// The metadata when `document` has every required member as a string with an http(s) URL where a
// URL belongs and an issuer that matches `provider_url`; nullopt with `error` set otherwise.
std::optional<ProviderMetadata> parse_provider_metadata(const nlohmann::json& document,
                                                        std::string_view provider_url,
                                                        std::string* error);

}  // namespace portcullis::identity
