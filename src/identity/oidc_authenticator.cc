#include "identity/oidc_authenticator.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "identity/id_token.h"
#include "telemetry/log.h"

namespace portcullis::identity {
namespace {

// Parameters the relying party sets itself; idp_request_params cannot replace them.
bool is_protocol_parameter(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      "response_type", "client_id", "redirect_uri",   "scope",
      "state",         "nonce",     "code_challenge", "code_challenge_method"};
  for (auto reserved : kReserved) {
    if (name == reserved) return true;
  }
  return false;
}

IdpError temporary(std::string message) {
  return IdpError{IdpErrorKind::kTemporary, "", std::move(message)};
}
IdpError invalid_response(std::string message) {
  return IdpError{IdpErrorKind::kInvalidResponse, "", std::move(message)};
}

// An OAuth error response (RFC 6749 §5.2) or another failure status, classified.
IdpError error_from_response(const http::HttpClientResponse& response, std::string_view what) {
  std::string code;
  std::string description;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    if (auto e = body.find("error"); e != body.end() && e->is_string()) code = *e;
    if (auto d = body.find("error_description"); d != body.end() && d->is_string()) {
      description = *d;
    }
  }
  std::string message = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) message += " " + code;
  if (!description.empty()) message += " (" + description + ")";
  if (response.status >= 500 || response.status == 429 || response.status == 408) {
    return IdpError{IdpErrorKind::kTemporary, code, message};
  }
  if (response.status >= 400) return IdpError{IdpErrorKind::kRefused, code, message};
  return IdpError{IdpErrorKind::kInvalidResponse, code, message};
}

std::string json_string(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// expires_in as a number or a string of digits (some providers send text).
std::optional<std::int64_t> expires_in(const nlohmann::json& object) {
  auto it = object.find("expires_in");
  if (it == object.end()) return std::nullopt;
  if (it->is_number()) return static_cast<std::int64_t>(it->get<double>());
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(IdpErrorKind kind) {
  switch (kind) {
    case IdpErrorKind::kTemporary:
      return "temporary";
    case IdpErrorKind::kRefused:
      return "refused";
    case IdpErrorKind::kInvalidResponse:
      return "invalid response";
    case IdpErrorKind::kInvalidToken:
      return "invalid token";
    case IdpErrorKind::kUnsupported:
      return "unsupported";
  }
  return "error";
}

std::vector<std::string> default_oidc_scopes() {
  return {"openid", "profile", "email", "offline_access"};
}

OidcAuthenticator::OidcAuthenticator(OidcOptions options, const http::HttpClient& client,
                                     const Clock& clock)
    : options_(std::move(options)), client_(client), clock_(clock) {}

awaitable<IdpResult<nlohmann::json>> OidcAuthenticator::fetch_json(std::string url,
                                                                   http::HeaderList headers) {
  http::HttpClientRequest request;
  request.url = std::move(url);
  request.headers = std::move(headers);
  request.headers.emplace_back("Accept", "application/json");
  auto result = co_await client_.send(std::move(request));
  if (!result.ok()) {
    co_return temporary(std::string(http::to_string(result.error)) + ": " + result.detail);
  }
  if (result.response.status != 200) co_return error_from_response(result.response, "GET");
  auto body = nlohmann::json::parse(result.response.body, nullptr, false);
  if (!body.is_object()) co_return invalid_response("response is not a JSON object");
  co_return body;
}

awaitable<IdpResult<std::shared_ptr<const ProviderMetadata>>> OidcAuthenticator::metadata(
    bool force) {
  const auto now = clock_.now();
  std::shared_ptr<const ProviderMetadata> cached;
  {
    std::lock_guard lock(mutex_);
    cached = metadata_;
    bool fresh = cached && now - metadata_fetched_at_ < options_.metadata_ttl;
    bool recent = cached && now - metadata_fetched_at_ < options_.min_key_refresh_interval;
    if ((fresh && !force) || recent) co_return cached;
  }
  auto url = discovery_url(options_.provider_url);
  if (!url) co_return invalid_response("idp_provider_url is not an absolute http(s) URL");
  metadata_fetches_.fetch_add(1);
  std::string document_url = *url;
  http::HeaderList no_headers;
  auto document = co_await fetch_json(std::move(document_url), std::move(no_headers));
  std::string error;
  std::optional<ProviderMetadata> parsed;
  if (document.ok())
    parsed = parse_provider_metadata(document.value(), options_.provider_url, &error);
  if (!parsed) {
    std::string message = document.ok() ? error : document.error().message;
    if (cached) {
      telemetry::log_warn("identity provider discovery failed; keeping the cached document",
                          {{"error", message}});
      co_return cached;
    }
    if (!document.ok()) co_return document.error();
    co_return invalid_response(message);
  }
  auto fresh = std::make_shared<const ProviderMetadata>(std::move(*parsed));
  std::lock_guard lock(mutex_);
  metadata_ = fresh;
  metadata_fetched_at_ = now;
  co_return fresh;
}

awaitable<IdpResult<std::shared_ptr<const OidcAuthenticator::KeySet>>> OidcAuthenticator::keys(
    bool force) {
  const auto now = clock_.now();
  std::shared_ptr<const KeySet> cached;
  {
    std::lock_guard lock(mutex_);
    cached = keys_;
    bool fresh = cached && now - keys_fetched_at_ < options_.metadata_ttl;
    bool recent = cached && now - keys_fetched_at_ < options_.min_key_refresh_interval;
    if ((fresh && !force) || recent) co_return cached;
  }
  auto metadata = co_await this->metadata(force);
  if (!metadata.ok()) co_return metadata.error();
  key_fetches_.fetch_add(1);
  std::string jwks_uri = metadata.value()->jwks_uri;
  http::HeaderList no_headers;
  auto document = co_await fetch_json(std::move(jwks_uri), std::move(no_headers));
  if (!document.ok()) {
    if (cached) co_return cached;
    co_return document.error();
  }
  auto parsed = std::make_shared<const KeySet>(crypto::parse_jwks(document.value()));
  if (parsed->empty()) {
    if (cached) co_return cached;
    co_return invalid_response("the provider's JWKS has no usable key");
  }
  std::lock_guard lock(mutex_);
  keys_ = parsed;
  keys_fetched_at_ = now;
  co_return parsed;
}

awaitable<IdpResult<IdToken>> OidcAuthenticator::verify(std::string raw, std::string nonce) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok()) co_return metadata.error();
  IdTokenExpectations expected;
  expected.issuer = metadata.value()->issuer;
  expected.client_id = options_.client_id;
  expected.nonce = std::move(nonce);
  expected.leeway = options_.leeway;
  for (bool force : {false, true}) {
    auto keys = co_await this->keys(force);
    if (!keys.ok()) co_return keys.error();
    expected.now = clock_.now();
    auto verified = verify_id_token(raw, *keys.value(), expected);
    if (auto* token = std::get_if<IdToken>(&verified)) co_return std::move(*token);
    auto error = std::get<IdTokenError>(verified);
    if (error == IdTokenError::kUnknownKey && !force) continue;  // the provider rotated keys
    co_return IdpError{IdpErrorKind::kInvalidToken, "", std::string(to_string(error))};
  }
  co_return IdpError{IdpErrorKind::kInvalidToken, "", "id token signed by an unknown key"};
}

awaitable<IdpResult<AuthorizationRedirect>> OidcAuthenticator::authorization_url(
    AuthorizationParams params) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok()) co_return metadata.error();
  auto parsed = boost::urls::parse_absolute_uri(metadata.value()->authorization_endpoint);
  if (!parsed) co_return invalid_response("authorization_endpoint is not a URL");
  boost::urls::url url(*parsed);
  auto query = url.params();
  auto scopes = options_.scopes.empty() ? default_oidc_scopes() : options_.scopes;
  std::string scope;
  for (const auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;
  query.append({"response_type", "code"});
  query.append({"client_id", options_.client_id});
  query.append({"redirect_uri", params.redirect_uri});
  query.append({"scope", scope});
  query.append({"state", params.state});
  if (!params.nonce.empty()) query.append({"nonce", params.nonce});
  AuthorizationRedirect redirect;
  if (!params.code_verifier.empty() && metadata.value()->supports_pkce_s256()) {
    query.append(
        {"code_challenge", crypto::base64url_encode(crypto::sha256(params.code_verifier))});
    query.append({"code_challenge_method", "S256"});
    redirect.pkce = true;
  }
  for (const auto& [name, value] : options_.request_params) {
    if (!is_protocol_parameter(name)) query.set(name, value);
  }
  redirect.url = std::string(url.buffer());
  co_return redirect;
}

awaitable<IdpResult<http::HttpClientResult>> OidcAuthenticator::post_with_client_auth(
    std::string url, http::HeaderList form) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok()) co_return metadata.error();
  bool post = use_client_secret_post_.load() || metadata.value()->prefers_client_secret_post();
  for (int attempt = 0; attempt < 2; ++attempt) {
    http::HttpClientRequest request;
    request.method = "POST";
    request.url = url;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.headers.emplace_back("Accept", "application/json");
    auto fields = form;
    if (post) {
      fields.emplace_back("client_id", options_.client_id);
      fields.emplace_back("client_secret", options_.client_secret);
    } else {
      // RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
      std::string credentials =
          http::form_escape(options_.client_id) + ":" + http::form_escape(options_.client_secret);
      request.headers.emplace_back(
          "Authorization",
          "Basic " + crypto::base64_encode(credentials, crypto::Base64::kStandard));
    }
    request.body = http::form_encode(fields);
    auto result = co_await client_.send(std::move(request));
    if (!result.ok()) {
      co_return temporary(std::string(http::to_string(result.error)) + ": " + result.detail);
    }
    bool refused_client = result.response.status == 401 ||
                          (result.response.status == 400 &&
                           error_from_response(result.response, "").code == "invalid_client");
    if (refused_client && !post && attempt == 0) {
      post = true;  // try the credentials in the body, as the provider may only accept that
      continue;
    }
    if (post && !refused_client && result.response.status == 200) use_client_secret_post_ = true;
    co_return result;
  }
  co_return invalid_response("unreachable");
}

awaitable<IdpResult<Identity>> OidcAuthenticator::token_request(http::HeaderList form,
                                                                std::string nonce,
                                                                bool require_id_token) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok()) co_return metadata.error();
  std::string token_endpoint = metadata.value()->token_endpoint;
  auto sent = co_await post_with_client_auth(std::move(token_endpoint), std::move(form));
  if (!sent.ok()) co_return sent.error();
  const auto& response = sent.value().response;
  if (response.status != 200) co_return error_from_response(response, "token endpoint");
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object()) co_return invalid_response("token response is not a JSON object");
  Identity identity;
  identity.token.access_token = json_string(body, "access_token");
  identity.token.token_type = json_string(body, "token_type");
  identity.token.refresh_token = json_string(body, "refresh_token");
  if (identity.token.access_token.empty()) {
    co_return invalid_response("token response has no access_token");
  }
  if (auto seconds = expires_in(body); seconds && *seconds > 0) {
    identity.token.expires_at = clock_.now() + std::chrono::seconds(*seconds);
  }
  std::string raw_id_token = json_string(body, "id_token");
  if (raw_id_token.empty()) {
    if (require_id_token) co_return invalid_response("token response has no id_token");
  } else {
    auto id_token = co_await verify(std::move(raw_id_token), std::move(nonce));
    if (!id_token.ok()) co_return id_token.error();
    identity.claims = id_token.value().claims;
    identity.id_token = std::move(id_token.value());
  }
  co_await merge_user_info(identity);
  co_return identity;
}

awaitable<void> OidcAuthenticator::merge_user_info(Identity& identity) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok() || metadata.value()->userinfo_endpoint.empty()) co_return;
  std::string access_token = identity.token.access_token;
  auto info = co_await user_info(std::move(access_token));
  if (!info.ok()) {
    telemetry::log_warn("userinfo request failed; using the id token claims",
                        {{"error", info.error().message}});
    co_return;
  }
  std::string subject =
      identity.id_token ? identity.id_token->subject : json_string(identity.claims, "sub");
  if (!subject.empty() && json_string(info.value(), "sub") != subject) {
    telemetry::log_warn("userinfo subject differs from the id token's; ignored");
    co_return;
  }
  for (auto& [name, value] : info.value().items()) identity.claims[name] = value;
}

awaitable<IdpResult<Identity>> OidcAuthenticator::exchange_code(std::string code,
                                                                std::string redirect_uri,
                                                                std::string code_verifier,
                                                                std::string nonce) {
  http::HeaderList form;
  form.emplace_back("grant_type", "authorization_code");
  form.emplace_back("code", code);
  form.emplace_back("redirect_uri", redirect_uri);
  if (!code_verifier.empty()) form.emplace_back("code_verifier", code_verifier);
  co_return co_await token_request(std::move(form), std::move(nonce), true);
}

awaitable<IdpResult<Identity>> OidcAuthenticator::refresh(OAuthToken token) {
  if (token.refresh_token.empty()) {
    co_return IdpError{IdpErrorKind::kRefused, "", "the session has no refresh token"};
  }
  http::HeaderList form;
  form.emplace_back("grant_type", "refresh_token");
  form.emplace_back("refresh_token", token.refresh_token);
  std::string no_nonce;
  auto result = co_await token_request(std::move(form), std::move(no_nonce), false);
  if (result.ok() && result.value().token.refresh_token.empty()) {
    result.value().token.refresh_token = token.refresh_token;  // not rotated
  }
  co_return result;
}

awaitable<IdpResult<nlohmann::json>> OidcAuthenticator::user_info(std::string access_token) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok()) co_return metadata.error();
  if (metadata.value()->userinfo_endpoint.empty()) {
    co_return IdpError{IdpErrorKind::kUnsupported, "", "the provider has no userinfo endpoint"};
  }
  http::HeaderList headers;
  headers.emplace_back("Authorization", "Bearer " + access_token);
  std::string userinfo_endpoint = metadata.value()->userinfo_endpoint;
  co_return co_await fetch_json(std::move(userinfo_endpoint), std::move(headers));
}

awaitable<IdpResult<bool>> OidcAuthenticator::revoke(OAuthToken token) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok()) co_return metadata.error();
  if (metadata.value()->revocation_endpoint.empty()) {
    co_return IdpError{IdpErrorKind::kUnsupported, "", "the provider has no revocation endpoint"};
  }
  // The refresh token first: revoking it ends the grant at most providers.
  std::vector<std::pair<std::string, std::string>> tokens;
  if (!token.refresh_token.empty()) tokens.emplace_back(token.refresh_token, "refresh_token");
  if (!token.access_token.empty()) tokens.emplace_back(token.access_token, "access_token");
  for (const auto& [value, hint] : tokens) {
    http::HeaderList form;
    form.emplace_back("token", value);
    form.emplace_back("token_type_hint", hint);
    std::string endpoint = metadata.value()->revocation_endpoint;
    auto sent = co_await post_with_client_auth(std::move(endpoint), std::move(form));
    if (!sent.ok()) co_return sent.error();
    if (sent.value().response.status != 200) {
      co_return error_from_response(sent.value().response, "revocation endpoint");
    }
  }
  co_return true;
}

awaitable<IdpResult<std::optional<std::string>>> OidcAuthenticator::end_session_url(
    EndSessionParams params) {
  auto metadata = co_await this->metadata();
  if (!metadata.ok()) co_return metadata.error();
  if (metadata.value()->end_session_endpoint.empty()) co_return std::optional<std::string>();
  auto parsed = boost::urls::parse_absolute_uri(metadata.value()->end_session_endpoint);
  if (!parsed) co_return invalid_response("end_session_endpoint is not a URL");
  boost::urls::url url(*parsed);
  auto query = url.params();
  if (!params.id_token_hint.empty()) query.append({"id_token_hint", params.id_token_hint});
  query.append({"client_id", options_.client_id});
  if (!params.post_logout_redirect_uri.empty()) {
    query.append({"post_logout_redirect_uri", params.post_logout_redirect_uri});
  }
  if (!params.state.empty()) query.append({"state", params.state});
  co_return std::optional<std::string>(std::string(url.buffer()));
}

}  // namespace portcullis::identity
