#pragma once
// SignInService: the authenticate side of the process. It builds one SignInFlow per
// configuration snapshot (so a reload swaps secrets, cookie settings and the identity provider
// with the rest of the snapshot), keeps one OpenID Connect client per provider configuration
// (its discovery and key caches survive reloads that do not change the provider), and runs the
// identity manager under the "identity_manager" lease in a process that runs the databroker or
// the authenticate service.
//
// Threading: flow_for() and stop() run on the control thread; the identity manager asks for the
// current authenticator from its own thread, so the provider is guarded by mutex_.

#include <memory>
#include <mutex>
#include <string>

#include "authenticate/sign_in_flow.h"
#include "authorize/replica_session_source.h"
#include "config/config.h"
#include "databroker/client.h"
#include "identity/clock.h"
#include "identity/identity_manager.h"

namespace portcullis::app {

// Secrets the process generated because the configuration has none (decoded bytes), so that the
// authorizer and the sign-in endpoints agree on them across reloads.
struct GeneratedSecrets {
  std::string shared_secret;
  std::string cookie_secret;
};

class SignInService {
 public:
  // `broker` (may be null: no sign-in then) must outlive the service.
  SignInService(databroker::DataBroker* broker, GeneratedSecrets secrets);
  ~SignInService();  // stops the identity manager
  SignInService(const SignInService&) = delete;
  SignInService& operator=(const SignInService&) = delete;

  // The sign-in endpoints for `config`; null (with a warning logged) when this process does not
  // serve them: no databroker, or no identity provider configured. Throws std::runtime_error for
  // settings that do not load (authenticate_service_url, secrets, the provider's CA). `sessions`
  // (may be null) are the replicas authorize reads: the route callback waits for them to hold a
  // new session before the browser returns.
  std::shared_ptr<const authenticate::SignInFlow> flow_for(
      const config::Config& config,
      std::shared_ptr<const authorize::ReplicaSessionSource> sessions);

  // Takes the identity provider of `options` without serving sign-in (a databroker-only process
  // that runs the identity manager). False when none is configured.
  bool use_identity_provider(const config::Options& options);

  // Starts the identity manager (once) when a provider is configured.
  void start_identity_manager();
  void stop();

 private:
  std::shared_ptr<identity::Authenticator> authenticator_for(const std::string& idp_id) const;
  std::shared_ptr<identity::Authenticator> provider_for(const config::Options& options,
                                                        const std::string& idp_id);

  databroker::DataBroker* broker_;
  GeneratedSecrets secrets_;
  identity::SystemClock clock_;
  // The handlers' databroker calls run here, off the proxy workers' event loops.
  authenticate::BlockingPool blocking_{2};
  mutable std::mutex mutex_;  // guards the three members below
  std::string idp_id_;        // of the current provider
  std::string provider_key_;  // idp_id and the CA it trusts: a new key means a new client
  std::shared_ptr<identity::Authenticator> authenticator_;
  std::unique_ptr<identity::IdentityManager> identity_manager_;
};

}  // namespace portcullis::app
