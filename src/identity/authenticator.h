#pragma once
// Authenticator: an identity provider as the relying party sees it (sign-in redirect, code
// exchange, refresh, userinfo, revocation, end-session). OidcAuthenticator (oidc_authenticator.h)
// implements it for any OpenID Connect provider; tests and other providers substitute their own.
//
// Every method is a coroutine on the caller's executor and is safe to call concurrently from
// several threads (implementations guard their caches).

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "http/asio.h"
#include "identity/clock.h"

namespace portcullis::identity {

template <class T = void>
using awaitable = http::awaitable<T>;

// The OAuth 2.0 tokens of a session.
struct OAuthToken {
  std::string access_token;
  std::string token_type;
  std::string refresh_token;
  TimePoint expires_at{};  // epoch (zero) when the provider did not say
};

// A verified OpenID Connect ID token.
struct IdToken {
  std::string raw;
  std::string issuer;
  std::string subject;
  TimePoint issued_at{};
  TimePoint expires_at{};
  nlohmann::json claims = nlohmann::json::object();  // the whole verified payload
};

// What a sign-in or a refresh establishes about the user.
struct Identity {
  OAuthToken token;
  std::optional<IdToken> id_token;                   // a refresh may come without one
  nlohmann::json claims = nlohmann::json::object();  // ID token claims, userinfo merged over them
};

enum class IdpErrorKind {
  kTemporary,        // network trouble, timeouts, 5xx, 429: worth retrying later
  kRefused,          // the provider said no (invalid_grant, invalid_client, access_denied...)
  kInvalidResponse,  // the provider answered something we cannot use
  kInvalidToken,     // an ID token failed verification
  kUnsupported,      // the provider does not offer this (no revocation endpoint, ...)
};

struct IdpError {
  IdpErrorKind kind = IdpErrorKind::kInvalidResponse;
  std::string code;     // the OAuth "error" value when the provider sent one
  std::string message;  // for logs; never shown with secrets in it
};

std::string_view to_string(IdpErrorKind kind);

// A value or the IdpError that explains why there is none.
template <class T>
class IdpResult {
 public:
  IdpResult(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  IdpResult(IdpError error) : value_(std::move(error)) {}  // NOLINT

  bool ok() const { return value_.index() == 0; }
  T& value() & { return std::get<0>(value_); }
  const T& value() const& { return std::get<0>(value_); }
  T&& value() && { return std::get<0>(std::move(value_)); }
  const IdpError& error() const { return std::get<1>(value_); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, IdpError> value_;
};

struct AuthorizationParams {
  std::string redirect_uri;
  std::string state;
  std::string nonce;
  std::string code_verifier;  // the PKCE verifier; used only when the provider supports S256
};

struct AuthorizationRedirect {
  std::string url;
  bool pkce = false;  // whether code_challenge was sent (the verifier must then be kept)
};

struct EndSessionParams {
  std::string id_token_hint;
  std::string post_logout_redirect_uri;
  std::string state;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // The provider's authorization endpoint URL for a new sign-in.
  virtual awaitable<IdpResult<AuthorizationRedirect>> authorization_url(
      AuthorizationParams params) = 0;

  // Exchanges an authorization code; verifies the ID token (nonce included) and merges userinfo.
  // `code_verifier` is empty when PKCE was not used.
  virtual awaitable<IdpResult<Identity>> exchange_code(std::string code, std::string redirect_uri,
                                                       std::string code_verifier,
                                                       std::string nonce) = 0;

  // Uses the refresh token; the result keeps the old refresh token when no new one is issued.
  // kRefused when the provider will not refresh any more (the session should end).
  virtual awaitable<IdpResult<Identity>> refresh(OAuthToken token) = 0;

  // The userinfo endpoint's claims for an access token.
  virtual awaitable<IdpResult<nlohmann::json>> user_info(std::string access_token) = 0;

  // Revokes the tokens at the provider; kUnsupported without a revocation endpoint.
  virtual awaitable<IdpResult<bool>> revoke(OAuthToken token) = 0;

  // The provider's end-session (RP-initiated logout) URL; nullopt when it has none.
  virtual awaitable<IdpResult<std::optional<std::string>>> end_session_url(
      EndSessionParams params) = 0;
};

}  // namespace portcullis::identity
