// Route-host endpoints, sign-out on both hosts and the user pages.

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "authenticate/blocking.h"
#include "authenticate/cookies.h"
#include "authenticate/pages.h"
#include "authenticate/redirect_target.h"
#include "authenticate/sign_in_flow.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/signed_url.h"
#include "identity/session_records.h"
#include "telemetry/log.h"

namespace portcullis::authenticate {
namespace {

Response bad_request(std::string_view detail) {
  return error_response(400, "Bad Request", detail);
}

std::string utc_text(identity::TimePoint t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::vector<std::string> string_list(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (value.is_string()) out.push_back(value.get<std::string>());
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

}  // namespace

http::awaitable<Response> SignInFlow::callback(Request request) const {
  if (request.method != "GET") co_return error_response(405, "Method Not Allowed", "use GET");
  auto status = crypto::verify_signed_url(request.url(), settings_->shared_secret, now());
  if (status != crypto::SignedUrlStatus::kValid) {
    co_return bad_request("invalid callback URL: " + std::string(crypto::to_string(status)));
  }
  auto encrypted = request.param("pomerium_session_encrypted");
  auto redirect_uri = request.param("pomerium_redirect_uri");
  if (!encrypted || !redirect_uri) co_return bad_request("missing callback parameters");
  auto sealed = crypto::base64_decode(*encrypted, crypto::Base64::kUrl);
  auto jwt = sealed ? crypto::aead_open(settings_->shared_secret, *sealed, "") : std::nullopt;
  auto handle = jwt ? decode_session_handle(*jwt, settings_->shared_secret) : std::nullopt;
  if (!handle) co_return bad_request("invalid session");
  if (!handle->has_audience(request.hostname())) co_return bad_request("session not for this host");
  bool programmatic = request.param("pomerium_programmatic").value_or("") == "true";
  std::string location;
  if (programmatic) {
    auto check = check_programmatic_redirect(*redirect_uri,
                                             settings_->programmatic_redirect_domain_whitelist);
    if (check != RedirectCheck::kOk) co_return bad_request(to_string(check));
    boost::urls::url url(*redirect_uri);
    url.params().set("pomerium_jwt", *jwt);
    location = url.buffer();
  } else {
    auto check = check_redirect_target(*redirect_uri, request.scheme, request.host,
                                       request.scheme == "https");
    if (check != RedirectCheck::kOk) co_return bad_request(to_string(check));
    location = *redirect_uri;
  }
  if (await_session_) {
    auto await_session = [this, &handle] {
      await_session_(handle->databroker_server_version, handle->databroker_record_version);
      return true;
    };
    co_await run_blocking(pool_, await_session);
  }
  auto response = Response::redirect(std::move(location));
  response.add_header("Set-Cookie", make_set_cookie(settings_->cookie.name, *jwt, settings_->cookie,
                                                    settings_->cookie.expire, now()));
  co_return response;
}

Response SignInFlow::programmatic_login(const Request& request) const {
  if (request.method != "GET") return error_response(405, "Method Not Allowed", "use GET");
  auto redirect_uri = request.param("pomerium_redirect_uri");
  if (!redirect_uri) return bad_request("missing pomerium_redirect_uri");
  auto check =
      check_programmatic_redirect(*redirect_uri, settings_->programmatic_redirect_domain_whitelist);
  if (check != RedirectCheck::kOk) return bad_request(to_string(check));
  SignInUrlOptions options;
  options.callback_uri = request.scheme + "://" + request.host + std::string(kCallbackPath);
  options.programmatic = true;
  Response response;
  response.body = make_sign_in_url(*settings_, *redirect_uri, now(), options);
  response.add_header("Cache-Control", "no-store");
  return response;
}

http::awaitable<Response> SignInFlow::route_sign_out(Request request) const {
  if (request.method != "GET" && request.method != "POST") {
    co_return error_response(405, "Method Not Allowed", "use GET or POST");
  }
  boost::urls::url url(settings_->authenticate_url);
  url.set_path(kSignOutPath);
  if (!settings_->signout_redirect_url.empty()) {
    url.params().append({"pomerium_redirect_uri", settings_->signout_redirect_url});
  }
  // The authenticate host deletes the session; name the one this host's cookie holds, in case
  // the authenticate host's own cookie is gone.
  if (auto token = request.cookie_value(settings_->cookie.name)) {
    if (auto handle = decode_session_handle(*token, settings_->shared_secret)) {
      url.params().append({"pomerium_session_id", handle->session_id});
    }
  }
  auto signed_url = crypto::sign_url(url.buffer(), settings_->shared_secret, now());
  auto response = Response::redirect(signed_url.value_or(settings_->authenticate_url));
  response.add_header("Set-Cookie", make_clear_cookie(settings_->cookie.name, settings_->cookie));
  co_return response;
}

http::awaitable<Response> SignInFlow::sign_out(Request request) const {
  if (request.method != "GET" && request.method != "POST") {
    co_return error_response(405, "Method Not Allowed", "use GET or POST");
  }
  const auto t = now();
  auto status = crypto::verify_signed_url(request.url(), settings_->shared_secret, t);
  if (status == crypto::SignedUrlStatus::kMissingSignature) {
    // A plain link from elsewhere: ask first (nothing it carries is kept).
    auto fresh = crypto::sign_url(settings_->authenticate_url + std::string(kSignOutPath),
                                  settings_->shared_secret, t);
    co_return sign_out_confirmation_page(fresh.value_or(""));
  }
  if (status != crypto::SignedUrlStatus::kValid) {
    co_return bad_request("invalid sign-out URL: " + std::string(crypto::to_string(status)));
  }
  std::vector<std::string> ids;
  if (auto token = request.cookie_value(authenticate_cookie_name())) {
    if (auto handle = decode_session_handle(*token, settings_->shared_secret)) {
      ids.push_back(handle->session_id);
    }
  }
  if (auto id = request.param("pomerium_session_id"); id && !id->empty()) {
    if (ids.empty() || ids.front() != *id) ids.push_back(*id);
  }
  std::string id_token_hint;
  std::vector<identity::OAuthToken> tokens;
  auto* broker = &broker_;
  for (const auto& id : ids) {
    auto get_session = [broker, &id] {
      return broker->get(std::string(identity::kSessionRecordType), id);
    };
    auto record = co_await run_blocking(pool_, get_session);
    if (!record.ok()) continue;
    session::Session session;
    if (!record->data().UnpackTo(&session) || session.idp_id() != settings_->idp_id) continue;
    if (id_token_hint.empty()) id_token_hint = session.id_token().raw();
    tokens.push_back(identity::oauth_token_of(session));
    std::vector<databroker::Record> tombstone = {record.value()};
    *tombstone.front().mutable_deleted_at() = identity::to_timestamp(t);
    auto put_tombstone = [broker, &tombstone] { return broker->put(std::move(tombstone)); };
    auto deleted = co_await run_blocking(pool_, put_tombstone);
    if (!deleted.ok()) {
      telemetry::log_warn("deleting the session failed", {{"error", deleted.status().message}});
    }
  }
  for (auto& token : tokens) {
    auto revoked = co_await authenticator_->revoke(std::move(token));
    if (!revoked.ok() && revoked.error().kind != identity::IdpErrorKind::kUnsupported) {
      telemetry::log_warn("token revocation failed", {{"error", revoked.error().message}});
    }
  }
  std::string target = request.param("pomerium_redirect_uri").value_or("");
  if (!target.empty() && check_redirect_syntax(target, false) != RedirectCheck::kOk) target.clear();
  if (target.empty()) target = settings_->signout_redirect_url;
  if (target.empty()) target = settings_->authenticate_url + std::string(kSignedOutPath);
  std::string location = target;
  identity::EndSessionParams end;
  end.id_token_hint = id_token_hint;
  end.post_logout_redirect_uri = target;
  auto end_session = co_await authenticator_->end_session_url(end);
  if (end_session.ok() && end_session.value()) location = *end_session.value();
  auto response = Response::redirect(std::move(location));
  response.add_header("Set-Cookie",
                      make_clear_cookie(authenticate_cookie_name(), settings_->cookie));
  response.add_header("Set-Cookie", make_clear_cookie(csrf_cookie_name(), settings_->cookie));
  co_return response;
}

http::awaitable<Response> SignInFlow::user_page(Request request) const {
  bool authenticate_host = is_authenticate_host(request);
  auto loaded = co_await load_session(request);
  if (!loaded) co_return error_response(401, "Not signed in", "there is no signed-in session");
  auto claims = identity::claims_to_json(loaded->session.claims());
  UserPageData data;
  data.user_id = loaded->session.user_id();
  data.name = loaded->user ? loaded->user->name() : "";
  data.email = loaded->user ? loaded->user->email() : "";
  if (data.name.empty() && claims.contains("name")) {
    auto names = string_list(claims["name"]);
    if (!names.empty()) data.name = names.front();
  }
  if (data.email.empty() && claims.contains("email")) {
    auto emails = string_list(claims["email"]);
    if (!emails.empty()) data.email = emails.front();
  }
  if (claims.contains("groups")) data.groups = string_list(claims["groups"]);
  data.session_expires = utc_text(identity::from_timestamp(loaded->session.expires_at()));
  data.sign_out_action =
      authenticate_host ? crypto::sign_url(settings_->authenticate_url + std::string(kSignOutPath),
                                           settings_->shared_secret, now())
                              .value_or(std::string(kSignOutPath))
                        : std::string(kSignOutPath);
  co_return authenticate::user_page(data);
}

http::awaitable<Response> SignInFlow::user_json(Request request) const {
  auto loaded = co_await load_session(request);
  Response response;
  response.content_type = "application/json";
  response.add_header("Cache-Control", "no-store");
  if (!loaded) {
    response.status = 401;
    response.body = R"({"error":"not signed in"})";
    co_return response;
  }
  nlohmann::json claims = identity::claims_to_json(loaded->session.claims());
  // Identity only: no token and no token bookkeeping.
  for (const char* name : {"iss", "aud", "exp", "iat", "jti", "nbf", "nonce", "at_hash", "c_hash",
                           "auth_time", "azp", "sid"}) {
    claims.erase(name);
  }
  claims["sub"] = loaded->session.user_id();
  claims["user"] = loaded->session.user_id();
  claims["sid"] = loaded->session.id();
  if (loaded->user) {
    if (!loaded->user->email().empty()) claims["email"] = loaded->user->email();
    if (!loaded->user->name().empty()) claims["name"] = loaded->user->name();
  }
  claims["groups"] =
      claims.contains("groups") ? string_list(claims["groups"]) : std::vector<std::string>{};
  response.body = claims.dump();
  co_return response;
}

}  // namespace portcullis::authenticate
