#pragma once
// OidcAuthenticator: the Authenticator for any OpenID Connect provider (`idp_provider: oidc`).
//
// State: the discovery document and the provider's JWKS, each cached with the time it was fetched
// and refetched after `metadata_ttl`; an ID token signed by a key id we do not know triggers an
// early refetch of both (at most once per `min_key_refresh_interval`, so forged key ids cannot
// make us hammer the provider). When a refetch fails, the stale copy keeps serving. The cache is
// guarded by a mutex (sign-ins run on every proxy worker, refreshes on the identity manager's
// thread); no lock is held across I/O.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/jwk.h"
#include "http/http_client.h"
#include "identity/authenticator.h"
#include "identity/oidc_discovery.h"

namespace portcullis::identity {

struct OidcOptions {
  std::string provider_url;  // idp_provider_url: the issuer
  std::string client_id;
  std::string client_secret;
  std::vector<std::string> scopes;                    // empty: kDefaultOidcScopes
  std::map<std::string, std::string> request_params;  // idp_request_params
  std::chrono::seconds metadata_ttl{std::chrono::hours(1)};
  std::chrono::seconds min_key_refresh_interval{std::chrono::seconds(30)};
  std::chrono::seconds leeway{std::chrono::minutes(1)};  // for exp and iat
};

// Pomerium's default for oidc (pkg/identity/oidc/oidc.go).
std::vector<std::string> default_oidc_scopes();

class OidcAuthenticator final : public Authenticator {
 public:
  // `client` and `clock` must outlive this object.
  OidcAuthenticator(OidcOptions options, const http::HttpClient& client, const Clock& clock);

  awaitable<IdpResult<AuthorizationRedirect>> authorization_url(
      AuthorizationParams params) override;
  awaitable<IdpResult<Identity>> exchange_code(std::string code, std::string redirect_uri,
                                               std::string code_verifier,
                                               std::string nonce) override;
  awaitable<IdpResult<Identity>> refresh(OAuthToken token) override;
  awaitable<IdpResult<nlohmann::json>> user_info(std::string access_token) override;
  awaitable<IdpResult<bool>> revoke(OAuthToken token) override;
  awaitable<IdpResult<std::optional<std::string>>> end_session_url(
      EndSessionParams params) override;

  // The provider metadata, fetched or from the cache.
  awaitable<IdpResult<std::shared_ptr<const ProviderMetadata>>> metadata(bool force = false);

  // How many times the discovery document and the JWKS were fetched (for tests and metrics).
  std::uint64_t metadata_fetches() const { return metadata_fetches_.load(); }
  std::uint64_t key_fetches() const { return key_fetches_.load(); }

 private:
  using KeySet = std::vector<crypto::PublicKey>;

  awaitable<IdpResult<std::shared_ptr<const KeySet>>> keys(bool force);
  awaitable<IdpResult<nlohmann::json>> fetch_json(std::string url, http::HeaderList headers);
  // POSTs a token request with client authentication and parses the token response; the ID
  // token, when present, is verified (with `nonce` unless empty).
  awaitable<IdpResult<Identity>> token_request(http::HeaderList form, std::string nonce,
                                               bool require_id_token);
  awaitable<IdpResult<http::HttpClientResult>> post_with_client_auth(std::string url,
                                                                     http::HeaderList form);
  awaitable<IdpResult<IdToken>> verify(std::string raw, std::string nonce);
  // Merges userinfo over `identity.claims` when the provider has a userinfo endpoint and its
  // subject matches the ID token's.
  awaitable<void> merge_user_info(Identity& identity);

  const OidcOptions options_;
  const http::HttpClient& client_;
  const Clock& clock_;

  mutable std::mutex mutex_;  // guards the four members below
  std::shared_ptr<const ProviderMetadata> metadata_;
  TimePoint metadata_fetched_at_{};
  std::shared_ptr<const KeySet> keys_;
  TimePoint keys_fetched_at_{};

  // Learned client authentication style: true once the token endpoint refused HTTP Basic and
  // accepted the credentials in the form body (as Go's oauth2 AuthStyleAutoDetect does).
  std::atomic<bool> use_client_secret_post_{false};
  std::atomic<std::uint64_t> metadata_fetches_{0};
  std::atomic<std::uint64_t> key_fetches_{0};
};

}  // namespace portcullis::identity
