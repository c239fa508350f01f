// The authenticate host's endpoints, and what both kinds of host share.

#include "authenticate/sign_in_flow.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "authenticate/blocking.h"
#include "authenticate/cookies.h"
#include "authenticate/flow_state.h"
#include "authenticate/pages.h"
#include "authenticate/redirect_target.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/jws.h"
#include "crypto/random.h"
#include "crypto/signed_url.h"
#include "identity/session_records.h"
#include "telemetry/log.h"

namespace portcullis::authenticate {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string hostname_of(const boost::urls::url_view& url) {
  return lower(url.host_type() == boost::urls::host_type::ipv6
                   ? "[" + std::string(url.host_address()) + "]"
                   : std::string(url.host_address()));
}

Response bad_request(std::string_view detail) {
  return error_response(400, "Bad Request", detail);
}

}  // namespace

std::string make_sign_in_url(const AuthenticateSettings& settings, std::string_view redirect_uri,
                             identity::TimePoint now, const SignInUrlOptions& options) {
  crypto::SignInUrlOptions url_options;
  url_options.idp_id = settings.idp_id;
  url_options.callback_uri = options.callback_uri;
  url_options.programmatic = options.programmatic;
  return crypto::sign_in_url(settings.authenticate_url, redirect_uri, settings.shared_secret, now,
                             url_options)
      .value_or("");
}

SignInFlow::SignInFlow(SignInDependencies deps)
    : settings_(std::move(deps.settings)),
      broker_(*deps.broker),
      authenticator_(std::move(deps.authenticator)),
      clock_(*deps.clock),
      pool_(deps.blocking),
      await_session_(std::move(deps.await_session)) {}

bool SignInFlow::is_authenticate_host(const Request& request) const {
  return lower(request.host) == settings_->authenticate_host;
}

bool SignInFlow::handles(const Request& request) const {
  const auto& path = request.path;
  if (is_authenticate_host(request)) {
    return path == kSignInPath || path == kOAuthCallbackPath || path == kSignOutPath ||
           path == kSignedOutPath || path == kUserPagePath || path == "/";
  }
  return path == kCallbackPath || path == "/.pomerium/callback" || path == kProgrammaticLoginPath ||
         path == kSignOutPath || path == kUserPagePath || path == kUserJsonPath;
}

http::awaitable<Response> SignInFlow::handle(Request request) const {
  const std::string path = request.path;
  if (is_authenticate_host(request)) {
    if (path == kSignInPath) co_return co_await sign_in(std::move(request));
    if (path == kOAuthCallbackPath) co_return co_await oauth2_callback(std::move(request));
    if (path == kSignOutPath) co_return co_await sign_out(std::move(request));
    if (path == kSignedOutPath) co_return signed_out(request);
    if (path == kUserPagePath) co_return co_await user_page(std::move(request));
    if (path == "/") co_return Response::redirect(std::string(kUserPagePath));
  } else {
    if (path == kCallbackPath || path == "/.pomerium/callback") {
      co_return co_await callback(std::move(request));
    }
    if (path == kProgrammaticLoginPath) co_return programmatic_login(request);
    if (path == kSignOutPath) co_return co_await route_sign_out(std::move(request));
    if (path == kUserPagePath) co_return co_await user_page(std::move(request));
    if (path == kUserJsonPath) co_return co_await user_json(std::move(request));
  }
  co_return error_response(404, "Not Found", "no such page");
}

std::optional<SignInFlow::SignInTarget> SignInFlow::sign_in_target(
    std::string_view signed_url) const {
  auto url = boost::urls::parse_absolute_uri(signed_url);
  if (!url) return std::nullopt;
  SignInTarget target;
  bool has_redirect = false;
  for (auto param : url->params()) {
    if (param.key == "pomerium_redirect_uri" && !has_redirect) {
      target.redirect_uri = param.value;
      has_redirect = true;
    } else if (param.key == "pomerium_callback_uri" && target.callback_uri.empty()) {
      target.callback_uri = param.value;
    } else if (param.key == "pomerium_programmatic") {
      target.programmatic = param.value == "true";
    }
  }
  if (!has_redirect) return std::nullopt;
  if (target.programmatic) {
    if (check_programmatic_redirect(target.redirect_uri,
                                    settings_->programmatic_redirect_domain_whitelist) !=
        RedirectCheck::kOk) {
      return std::nullopt;
    }
    if (target.callback_uri.empty()) return std::nullopt;
  } else if (check_redirect_syntax(target.redirect_uri, false) != RedirectCheck::kOk) {
    return std::nullopt;
  }
  if (!target.callback_uri.empty()) {
    if (check_redirect_syntax(target.callback_uri, false) != RedirectCheck::kOk)
      return std::nullopt;
    auto callback = boost::urls::parse_uri(target.callback_uri);
    if (!callback || callback->encoded_path() != kCallbackPath) return std::nullopt;
  }
  return target;
}

std::optional<std::string> SignInFlow::route_callback_url(const SignInTarget& target,
                                                          const session::Session& session,
                                                          std::uint64_t server_version,
                                                          std::uint64_t record_version) const {
  boost::urls::url callback;
  if (!target.callback_uri.empty()) {
    auto parsed = boost::urls::parse_uri(target.callback_uri);
    if (!parsed) return std::nullopt;
    callback = *parsed;
    callback.remove_query();
  } else {
    auto redirect = boost::urls::parse_uri(target.redirect_uri);
    if (!redirect) return std::nullopt;
    callback.set_scheme(redirect->scheme());
    callback.set_encoded_authority(redirect->encoded_authority());
    callback.set_path(kCallbackPath);
  }
  auto authenticate = boost::urls::parse_uri(settings_->authenticate_url);
  SessionHandle handle;
  handle.issuer = hostname_of(*authenticate);
  handle.user_id = session.user_id();
  handle.audience = {handle.issuer};
  if (auto route_host = hostname_of(callback); route_host != handle.issuer) {
    handle.audience.push_back(route_host);
  }
  handle.issued_at = crypto::unix_seconds(now());
  handle.session_id = session.id();
  handle.idp_id = settings_->idp_id;
  handle.databroker_server_version = server_version;
  handle.databroker_record_version = record_version;
  std::string jwt = encode_session_handle(handle, settings_->shared_secret);
  std::string encrypted = crypto::base64_encode(
      crypto::aead_seal(settings_->shared_secret, jwt, ""), crypto::Base64::kUrl);
  auto params = callback.params();
  params.append({"pomerium_redirect_uri", target.redirect_uri});
  params.append({"pomerium_session_encrypted", encrypted});
  if (target.programmatic) params.append({"pomerium_programmatic", "true"});
  return crypto::sign_url(callback.buffer(), settings_->shared_secret, now());
}

http::awaitable<std::optional<LoadedSession>> SignInFlow::load_session_token(
    std::string token) const {
  if (token.empty()) co_return std::nullopt;
  auto handle = decode_session_handle(token, settings_->shared_secret);
  if (!handle || handle->idp_id != settings_->idp_id) co_return std::nullopt;
  auto* broker = &broker_;
  std::string id = handle->session_id;
  auto get_session = [broker, &id] {
    return broker->get(std::string(identity::kSessionRecordType), id);
  };
  auto record = co_await run_blocking(pool_, get_session);
  if (!record.ok()) co_return std::nullopt;
  LoadedSession loaded;
  if (!record->data().UnpackTo(&loaded.session)) co_return std::nullopt;
  if (!loaded.session.has_expires_at() ||
      identity::from_timestamp(loaded.session.expires_at()) <= now()) {
    co_return std::nullopt;
  }
  if (loaded.session.idp_id() != settings_->idp_id) co_return std::nullopt;
  std::string user_id = loaded.session.user_id();
  auto get_user = [broker, &user_id] {
    return broker->get(std::string(identity::kUserRecordType), user_id);
  };
  auto user = co_await run_blocking(pool_, get_user);
  if (user.ok()) {
    user::User value;
    if (user->data().UnpackTo(&value)) loaded.user = std::move(value);
  }
  loaded.handle = std::move(*handle);
  loaded.raw_handle = std::move(token);
  co_return loaded;
}

http::awaitable<std::optional<LoadedSession>> SignInFlow::load_session(Request request) const {
  std::string token;
  if (is_authenticate_host(request)) {
    token = request.cookie_value(authenticate_cookie_name()).value_or("");
  } else {
    token = request.cookie_value(settings_->cookie.name).value_or("");
    if (token.empty()) {
      token = handle_from_headers(request.authorization, request.pomerium_authorization);
    }
  }
  co_return co_await load_session_token(std::move(token));
}

http::awaitable<Response> SignInFlow::sign_in(Request request) const {
  auto status = crypto::verify_signed_url(request.url(), settings_->shared_secret, now());
  if (status != crypto::SignedUrlStatus::kValid) {
    co_return bad_request("invalid sign-in URL: " + std::string(crypto::to_string(status)));
  }
  auto target = sign_in_target(request.url());
  if (!target) co_return bad_request("invalid or disallowed pomerium_redirect_uri");
  if (auto idp = request.param("pomerium_idp_id"); idp && *idp != settings_->idp_id) {
    co_return bad_request("unknown identity provider");
  }
  // Named values, not temporaries, go into co_await expressions (GCC 12 can destroy temporaries
  // of a co_await operand twice).
  std::string own_cookie = request.cookie_value(authenticate_cookie_name()).value_or("");
  auto existing = co_await load_session_token(std::move(own_cookie));
  if (existing) {
    auto location =
        route_callback_url(*target, existing->session, existing->handle.databroker_server_version,
                           existing->handle.databroker_record_version);
    if (!location) co_return bad_request("invalid redirect target");
    co_return Response::redirect(std::move(*location));
  }
  if (lower(request.requested_with) == "xmlhttprequest") {
    co_return error_response(401, "Unauthorized", "sign in required");
  }
  co_return co_await start_identity_provider_redirect(std::move(request));
}

http::awaitable<Response> SignInFlow::start_identity_provider_redirect(Request request) const {
  const auto t = now();
  const auto& cookie_secret = settings_->cookie_secret;
  // Reuse this browser's CSRF token so that sign-ins in other tabs stay valid.
  std::string csrf;
  if (auto cookie = request.cookie_value(csrf_cookie_name())) {
    csrf = decode_csrf_cookie(cookie_secret, csrf_cookie_name(), *cookie, t).value_or("");
  }
  if (csrf.empty()) csrf = crypto::random_bytes(32);
  identity::AuthorizationParams params;
  params.redirect_uri = settings_->authenticate_url + std::string(kOAuthCallbackPath);
  params.state = encode_state(cookie_secret, csrf, request.url(), t);
  params.nonce = nonce_for_state(cookie_secret, params.state);
  params.code_verifier = new_code_verifier();
  auto redirect = co_await authenticator_->authorization_url(params);
  if (!redirect.ok()) {
    telemetry::log_warn("identity provider unavailable", {{"error", redirect.error().message}});
    co_return error_response(502, "Bad Gateway", "the identity provider is unavailable");
  }
  auto response = Response::redirect(redirect->url);
  // The callback arrives as a top-level navigation from the provider's site: SameSite=Strict
  // would withhold the cookie, so these two are Lax at most.
  std::string_view same_site = settings_->cookie.same_site == "strict" ? "lax" : "";
  response.add_header(
      "Set-Cookie", make_set_cookie(csrf_cookie_name(),
                                    encode_csrf_cookie(cookie_secret, csrf_cookie_name(), csrf, t),
                                    settings_->cookie, kCsrfCookieLifetime, t, same_site));
  if (redirect->pkce) {
    auto name = pkce_cookie_name(settings_->cookie.name, params.state);
    response.add_header(
        "Set-Cookie",
        make_set_cookie(name, encode_pkce_cookie(cookie_secret, name, params.code_verifier, t),
                        settings_->cookie, kPkceCookieLifetime, t, same_site));
  }
  co_return response;
}

http::awaitable<Response> SignInFlow::oauth2_callback(Request request) const {
  if (request.method != "GET" && request.method != "POST") {
    co_return error_response(405, "Method Not Allowed", "use GET or POST");
  }
  if (auto error = request.param("error")) {
    int status = (*error == "access_denied" || *error == "unauthorized_client") ? 401 : 400;
    std::string detail = "the identity provider answered: " + *error;
    if (auto description = request.param("error_description")) detail += " (" + *description + ")";
    co_return error_response(status, "Sign-in failed", detail);
  }
  const auto t = now();
  auto state = request.param("state");
  if (!state || state->empty()) co_return bad_request("missing state");
  std::string csrf;
  if (auto cookie = request.cookie_value(csrf_cookie_name())) {
    csrf =
        decode_csrf_cookie(settings_->cookie_secret, csrf_cookie_name(), *cookie, t).value_or("");
  }
  StateError state_error = StateError::kMalformed;
  auto decoded = decode_state(settings_->cookie_secret, *state, csrf, t, &state_error);
  if (!decoded) co_return bad_request(std::string(to_string(state_error)));
  auto code = request.param("code");
  if (!code || code->empty()) co_return bad_request("missing code");
  auto target = sign_in_target(decoded->return_url);
  if (!target) co_return bad_request("invalid return URL");

  auto pkce_name = pkce_cookie_name(settings_->cookie.name, *state);
  std::string verifier;
  if (auto cookie = request.cookie_value(pkce_name)) {
    verifier = decode_pkce_cookie(settings_->cookie_secret, pkce_name, *cookie, t).value_or("");
  }
  std::string callback_uri = settings_->authenticate_url + std::string(kOAuthCallbackPath);
  std::string nonce = nonce_for_state(settings_->cookie_secret, *state);
  std::string code_value = *code;
  auto identity = co_await authenticator_->exchange_code(
      std::move(code_value), std::move(callback_uri), std::move(verifier), std::move(nonce));
  if (!identity.ok()) {
    const auto& error = identity.error();
    telemetry::log_info("sign-in failed at the code exchange", {{"error", error.message}});
    if (error.kind == identity::IdpErrorKind::kTemporary) {
      co_return error_response(502, "Bad Gateway", "the identity provider is unavailable");
    }
    co_return bad_request(
        "the identity provider did not accept the sign-in (" +
        (error.code.empty() ? std::string(identity::to_string(error.kind)) : error.code) + ")");
  }
  if (!identity->id_token || identity->id_token->subject.empty()) {
    co_return bad_request("the identity provider sent no subject");
  }

  session::Session session;
  session.set_id(crypto::random_uuid());
  session.set_user_id(identity->id_token->subject);
  session.set_idp_id(settings_->idp_id);
  *session.mutable_issued_at() = identity::to_timestamp(t);
  *session.mutable_accessed_at() = identity::to_timestamp(t);
  *session.mutable_expires_at() = identity::to_timestamp(t + settings_->cookie.expire);
  identity::apply_identity(identity.value(), session);
  auto* broker = &broker_;
  std::string user_id = session.user_id();
  auto get_user = [broker, &user_id] {
    return broker->get(std::string(identity::kUserRecordType), user_id);
  };
  auto existing_user = co_await run_blocking(pool_, get_user);
  user::User user;
  if (existing_user.ok()) existing_user->data().UnpackTo(&user);
  user.set_id(user_id);
  if (!user.has_created_at()) *user.mutable_created_at() = identity::to_timestamp(t);
  *user.mutable_modified_at() = identity::to_timestamp(t);
  identity::populate_user(identity->claims, user);
  std::vector<databroker::Record> records = {
      identity::make_record(identity::kUserRecordType, user.id(), user),
      identity::make_record(identity::kSessionRecordType, session.id(), session)};
  auto put_records = [broker, &records] { return broker->put(records); };
  auto stored = co_await run_blocking(pool_, put_records);
  if (!stored.ok()) {
    telemetry::log_error("storing the session failed", {{"error", stored.status().message}});
    co_return error_response(503, "Service Unavailable", "the session could not be stored");
  }
  std::uint64_t record_version = 0;
  for (const auto& record : stored->records)
    record_version = std::max(record_version, record.version());
  auto location = route_callback_url(*target, session, stored->server_version, record_version);
  if (!location) co_return bad_request("invalid redirect target");

  SessionHandle own;
  own.issuer = settings_->authenticate_host;
  if (auto url = boost::urls::parse_uri(settings_->authenticate_url))
    own.issuer = hostname_of(*url);
  own.user_id = session.user_id();
  own.audience = {own.issuer};
  own.issued_at = crypto::unix_seconds(t);
  own.session_id = session.id();
  own.idp_id = settings_->idp_id;
  own.databroker_server_version = stored->server_version;
  own.databroker_record_version = record_version;
  auto response = Response::redirect(std::move(*location));
  response.add_header("Set-Cookie",
                      make_set_cookie(authenticate_cookie_name(),
                                      encode_session_handle(own, settings_->shared_secret),
                                      settings_->cookie, settings_->cookie.expire, t));
  if (request.cookie_value(pkce_name)) {
    response.add_header("Set-Cookie", make_clear_cookie(pkce_name, settings_->cookie));
  }
  co_return response;
}

Response SignInFlow::signed_out(const Request&) const {
  return signed_out_page();
}

}  // namespace portcullis::authenticate
