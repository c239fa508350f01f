#include "app/sign_in_service.h"

#include <stdexcept>

#include "authenticate/settings.h"
#include "crypto/encoding.h"
#include "http/http_client.h"
#include "identity/oidc_authenticator.h"
#include "telemetry/log.h"

namespace portcullis::app {
namespace {

constexpr std::string_view kGoogleIssuer = "https://accounts.google.com";
// How long the route callback waits for a new session to reach the local replica.
constexpr auto kAwaitSessionTimeout = std::chrono::seconds(2);

// An OpenID Connect client together with the HTTP client it talks through (which must outlive it).
struct OidcProvider {
  std::unique_ptr<http::HttpClient> client;
  std::unique_ptr<identity::OidcAuthenticator> authenticator;
};

std::string provider_url(const config::Options& options) {
  if (!options.idp_provider_url.empty()) return options.idp_provider_url;
  if (options.idp_provider == "google") return std::string(kGoogleIssuer);
  return "";
}

bool provider_configured(const config::Options& options) {
  return !provider_url(options).empty() && !options.idp_client_id.empty();
}

}  // namespace

SignInService::SignInService(databroker::DataBroker* broker, GeneratedSecrets secrets)
    : broker_(broker), secrets_(std::move(secrets)) {}

SignInService::~SignInService() {
  stop();
}

std::shared_ptr<const authenticate::SignInFlow> SignInService::flow_for(
    const config::Config& config, std::shared_ptr<const authorize::ReplicaSessionSource> sessions) {
  if (broker_ == nullptr) {
    telemetry::log_warn("sign-in endpoints not served: this process has no databroker");
    return nullptr;
  }
  config::Options options = config.options;
  if (options.shared_secret.empty()) {
    options.shared_secret =
        crypto::base64_encode(secrets_.shared_secret, crypto::Base64::kStandard);
  }
  if (options.cookie_secret.empty()) {
    options.cookie_secret =
        crypto::base64_encode(secrets_.cookie_secret, crypto::Base64::kStandard);
  }
  std::string error;
  auto settings = authenticate::settings_from_config(options, &error);
  if (!settings) throw std::runtime_error(error);
  if (!provider_configured(options)) {
    telemetry::log_warn(
        "sign-in endpoints not served: no identity provider (idp_provider_url, idp_client_id)");
    return nullptr;
  }
  authenticate::SignInDependencies deps;
  deps.authenticator = provider_for(options, settings->idp_id);
  deps.settings = std::make_shared<const authenticate::AuthenticateSettings>(std::move(*settings));
  deps.broker = broker_;
  deps.clock = &clock_;
  deps.blocking = &blocking_;
  if (sessions) {
    deps.await_session = [sessions](std::uint64_t server_version, std::uint64_t record_version) {
      const auto& replica = sessions->sessions();
      if (replica.versions().server_version != server_version) return;
      if (!replica.wait_for_record_version(record_version, kAwaitSessionTimeout)) {
        telemetry::log_warn("the new session is not in this process's replica yet",
                            {{"record_version", record_version}});
      }
    };
  }
  return std::make_shared<const authenticate::SignInFlow>(std::move(deps));
}

std::shared_ptr<identity::Authenticator> SignInService::provider_for(const config::Options& options,
                                                                     const std::string& idp_id) {
  std::string key = idp_id + "\n" + options.certificate_authority_pem;
  {
    std::lock_guard lock(mutex_);
    if (authenticator_ && key == provider_key_) return authenticator_;
  }
  http::HttpClientOptions client_options;
  client_options.extra_ca_pem = options.certificate_authority_pem;
  auto provider = std::make_shared<OidcProvider>();
  provider->client = std::make_unique<http::HttpClient>(std::move(client_options));
  identity::OidcOptions oidc;
  oidc.provider_url = provider_url(options);
  oidc.client_id = options.idp_client_id;
  oidc.client_secret = options.idp_client_secret;
  oidc.scopes = options.idp_scopes;
  oidc.request_params = options.idp_request_params;
  provider->authenticator =
      std::make_unique<identity::OidcAuthenticator>(std::move(oidc), *provider->client, clock_);
  // Shares ownership of the client with the authenticator it serves.
  std::shared_ptr<identity::Authenticator> authenticator(provider, provider->authenticator.get());
  std::lock_guard lock(mutex_);
  idp_id_ = idp_id;
  provider_key_ = std::move(key);
  authenticator_ = authenticator;
  return authenticator;
}

bool SignInService::use_identity_provider(const config::Options& options) {
  if (!provider_configured(options)) return false;
  provider_for(options, authenticate::compute_idp_id(options));
  return true;
}

std::shared_ptr<identity::Authenticator> SignInService::authenticator_for(
    const std::string& idp_id) const {
  std::lock_guard lock(mutex_);
  return idp_id == idp_id_ ? authenticator_ : nullptr;
}

void SignInService::start_identity_manager() {
  if (broker_ == nullptr || identity_manager_) return;
  {
    std::lock_guard lock(mutex_);
    if (!authenticator_) return;
  }
  identity_manager_ = std::make_unique<identity::IdentityManager>(
      *broker_, [this](const std::string& idp_id) { return authenticator_for(idp_id); }, clock_);
  identity_manager_->start();
  telemetry::log_info("identity manager started", {{"lease", identity::kIdentityManagerLease}});
}

void SignInService::stop() {
  if (identity_manager_) identity_manager_->stop();
  identity_manager_.reset();
}

}  // namespace portcullis::app
