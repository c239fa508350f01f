#include "identity/oidc_discovery.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace portcullis::identity {
namespace {

bool is_http_url(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return false;
  auto scheme = url->scheme_id();
  return (scheme == boost::urls::scheme::https || scheme == boost::urls::scheme::http) &&
         url->has_authority() && !url->host().empty();
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool ProviderMetadata::supports_pkce_s256() const {
  return contains(code_challenge_methods_supported, "S256");
}

bool ProviderMetadata::prefers_client_secret_post() const {
  if (token_endpoint_auth_methods_supported.empty()) return false;
  return !contains(token_endpoint_auth_methods_supported, "client_secret_basic") &&
         contains(token_endpoint_auth_methods_supported, "client_secret_post");
}

std::optional<std::string> discovery_url(std::string_view provider_url) {
  auto parsed = boost::urls::parse_absolute_uri(provider_url);
  if (!parsed || !is_http_url(provider_url) || parsed->has_query() || parsed->has_fragment()) {
    return std::nullopt;
  }
  boost::urls::url url(*parsed);
  std::string path(url.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  url.set_encoded_path(path + "/.well-known/openid-configuration");
  return std::string(url.buffer());
}

bool issuer_matches(std::string_view issuer, std::string_view provider_url) {
  auto trim = [](std::string_view s) {
    if (!s.empty() && s.back() == '/') s.remove_suffix(1);
    return s;
  };
  return !issuer.empty() && trim(issuer) == trim(provider_url);
}

std::optional<ProviderMetadata> parse_provider_metadata(const nlohmann::json& document,
                                                        std::string_view provider_url,
                                                        std::string* error) {
  auto fail = [error](std::string message) -> std::optional<ProviderMetadata> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  if (!document.is_object()) return fail("discovery document is not a JSON object");
  ProviderMetadata metadata;
  struct Field {
    const char* name;
    std::string* out;
    bool required;
  };
  const Field fields[] = {
      {"issuer", &metadata.issuer, true},
      {"authorization_endpoint", &metadata.authorization_endpoint, true},
      {"token_endpoint", &metadata.token_endpoint, true},
      {"jwks_uri", &metadata.jwks_uri, true},
      {"userinfo_endpoint", &metadata.userinfo_endpoint, false},
      {"revocation_endpoint", &metadata.revocation_endpoint, false},
      {"end_session_endpoint", &metadata.end_session_endpoint, false},
  };
  for (const auto& field : fields) {
    auto it = document.find(field.name);
    if (it == document.end() || it->is_null()) {
      if (field.required) return fail(std::string("discovery document has no ") + field.name);
      continue;
    }
    if (!it->is_string() || !is_http_url(it->get<std::string>())) {
      return fail(std::string("discovery document: ") + field.name + " is not an http(s) URL");
    }
    *field.out = it->get<std::string>();
  }
  if (!issuer_matches(metadata.issuer, provider_url)) {
    return fail("discovery document issuer \"" + metadata.issuer +
                "\" does not match idp_provider_url");
  }
  auto string_list = [&document](const char* name, std::vector<std::string>& out) {
    auto it = document.find(name);
    if (it == document.end() || !it->is_array()) return;
    for (const auto& entry : *it) {
      if (entry.is_string()) out.push_back(entry.get<std::string>());
    }
  };
  string_list("code_challenge_methods_supported", metadata.code_challenge_methods_supported);
  string_list("token_endpoint_auth_methods_supported",
              metadata.token_endpoint_auth_methods_supported);
  return metadata;
}

}  // namespace portcullis::identity
