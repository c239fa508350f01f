#pragma once
// Test support: an Authenticator with scripted answers and call counts (no network).

#include <atomic>
#include <mutex>

#include "identity/authenticator.h"

namespace portcullis::testing {

class FakeAuthenticator final : public identity::Authenticator {
 public:
  using IdpResultIdentity = identity::IdpResult<identity::Identity>;

  std::mutex mutex;  // guards everything below
  bool pkce = true;
  std::optional<identity::IdpError> authorization_error;
  std::optional<identity::IdpError> exchange_error;
  std::optional<identity::IdpError> refresh_error;
  std::map<std::string, int> used_codes;
  std::string last_verifier;
  std::string last_nonce;
  std::string last_redirect_uri;
  int refreshes = 0;
  int revocations = 0;
  std::string last_id_token_hint;
  std::string last_post_logout;
  identity::TimePoint now = std::chrono::system_clock::now();

  identity::Identity make_identity(const std::string& nonce) {
    identity::Identity id;
    id.token.access_token = "access";
    id.token.refresh_token = "refresh";
    id.token.token_type = "Bearer";
    id.token.expires_at = now + std::chrono::hours(1);
    identity::IdToken token;
    token.raw = "header.payload.signature";
    token.issuer = "https://idp.test";
    token.subject = "alice";
    token.issued_at = now;
    token.expires_at = now + std::chrono::hours(1);
    token.claims = {{"sub", "alice"}, {"nonce", nonce}};
    id.id_token = token;
    id.claims = {{"sub", "alice"},
                 {"email", "alice@example.com"},
                 {"name", "Alice <b>"},
                 {"groups", {"admins", "staff"}}};
    return id;
  }

  identity::awaitable<identity::IdpResult<identity::AuthorizationRedirect>> authorization_url(
      identity::AuthorizationParams params) override {
    std::lock_guard lock(mutex);
    if (authorization_error) co_return *authorization_error;
    identity::AuthorizationRedirect redirect;
    redirect.url = "https://idp.test/authorize?state=" + params.state + "&nonce=" + params.nonce;
    redirect.pkce = pkce;
    co_return redirect;
  }

  identity::awaitable<IdpResultIdentity> exchange_code(std::string code, std::string redirect_uri,
                                                       std::string verifier,
                                                       std::string nonce) override {
    std::lock_guard lock(mutex);
    last_verifier = verifier;
    last_nonce = nonce;
    last_redirect_uri = redirect_uri;
    if (exchange_error) co_return *exchange_error;
    if (used_codes[code]++ > 0) {
      co_return identity::IdpError{identity::IdpErrorKind::kRefused, "invalid_grant", "replayed"};
    }
    co_return make_identity(nonce);
  }

  identity::awaitable<IdpResultIdentity> refresh(identity::OAuthToken) override {
    std::lock_guard lock(mutex);
    ++refreshes;
    if (refresh_error) co_return *refresh_error;
    auto id = make_identity("");
    id.token.access_token = "access-" + std::to_string(refreshes);
    id.claims["email"] = "alice@new.example.com";
    co_return id;
  }

  identity::awaitable<identity::IdpResult<nlohmann::json>> user_info(std::string) override {
    co_return nlohmann::json::object();
  }

  identity::awaitable<identity::IdpResult<bool>> revoke(identity::OAuthToken) override {
    std::lock_guard lock(mutex);
    ++revocations;
    co_return true;
  }

  identity::awaitable<identity::IdpResult<std::optional<std::string>>> end_session_url(
      identity::EndSessionParams params) override {
    std::lock_guard lock(mutex);
    last_id_token_hint = params.id_token_hint;
    last_post_logout = params.post_logout_redirect_uri;
    co_return std::optional<std::string>("https://idp.test/logout");
  }
};

}  // namespace portcullis::testing
