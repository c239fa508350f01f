#pragma once
// SignInFlow: the endpoints of Pomerium's stateful sign-in (reference §4.3-4.5) as
// transport-independent coroutine handlers.
//
// Authenticate host (authenticate_service_url):
//   /.pomerium/sign_in     signed; reuses the `<cookie>_authenticate` session or starts the IdP
//                          redirect (CSRF cookie, state, nonce, PKCE cookie)
//   /oauth2/callback       state + CSRF check, code exchange, session and user Put, then straight
//                          to the route host's signed /.pomerium/callback/
//   /.pomerium/sign_out    deletes the session(s), revokes tokens, ends the IdP session
//   /.pomerium/signed_out  a static page;  /.pomerium/ the user page;  / → /.pomerium/
// Route hosts:
//   /.pomerium/callback/   signed; decrypts the handle, sets the session cookie, back to the URL
//   /.pomerium/api/v1/login  programmatic login: the signed sign-in URL as text
//   /.pomerium/sign_out    clears the cookie and continues at the authenticate host
//   /.pomerium/  /.pomerium/user   the signed-in user as HTML / JSON claims
//
// Mounting: `if (flow.handles(request)) co_return co_await flow.handle(request);` on every host.
// Bad input always gets a 4xx page and changes nothing (no cookie, no databroker write).
//
// Threading: immutable after construction; handlers may run concurrently on any io_context.
// Databroker calls go through run_blocking (blocking.h): on the dependencies' BlockingPool, so a
// PostgreSQL store or a remote databroker does not block the worker's event loop.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "authenticate/blocking.h"
#include "authenticate/exchange.h"
#include "authenticate/session_handle.h"
#include "authenticate/settings.h"
#include "databroker/client.h"
#include "http/asio.h"
#include "identity/authenticator.h"
#include "identity/clock.h"
#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::authenticate {

inline constexpr std::string_view kSignInPath = "/.pomerium/sign_in";
inline constexpr std::string_view kOAuthCallbackPath = "/oauth2/callback";
inline constexpr std::string_view kCallbackPath = "/.pomerium/callback/";
inline constexpr std::string_view kSignOutPath = "/.pomerium/sign_out";
inline constexpr std::string_view kSignedOutPath = "/.pomerium/signed_out";
inline constexpr std::string_view kUserPagePath = "/.pomerium/";
inline constexpr std::string_view kUserJsonPath = "/.pomerium/user";
inline constexpr std::string_view kProgrammaticLoginPath = "/.pomerium/api/v1/login";

struct SignInDependencies {
  std::shared_ptr<const AuthenticateSettings> settings;
  databroker::DataBroker* broker = nullptr;                // must outlive the flow
  std::shared_ptr<identity::Authenticator> authenticator;  // the IdP of settings->idp_id
  const identity::Clock* clock = nullptr;                  // must outlive the flow
  // Where databroker calls run (must outlive the flow); null: inline on the caller's thread.
  BlockingPool* blocking = nullptr;
  // Read-your-writes for the route host: blocks (bounded) until the sessions authorize reads
  // reflect a stored session's (server_version, record_version), so the browser's next request
  // finds it. Called through run_blocking before the route callback sets the cookie; empty: no
  // wait.
  std::function<void(std::uint64_t, std::uint64_t)> await_session;
};

// Extra parameters of a sign-in URL (programmatic logins).
struct SignInUrlOptions {
  std::string callback_uri;  // pomerium_callback_uri
  bool programmatic = false;
};

// The signed https://<authenticate>/.pomerium/sign_in URL that sends the browser to sign in and
// back to `redirect_uri` (what authorize answers a browser without a session with).
std::string make_sign_in_url(const AuthenticateSettings& settings, std::string_view redirect_uri,
                             identity::TimePoint now, const SignInUrlOptions& options = {});

// A signed-in session as loaded for a request.
struct LoadedSession {
  SessionHandle handle;
  std::string raw_handle;
  session::Session session;
  std::optional<user::User> user;
};

class SignInFlow {
 public:
  explicit SignInFlow(SignInDependencies deps);

  // Whether `request` is for one of the endpoints above (by host and path).
  bool handles(const Request& request) const;
  // Dispatches by host and path; 404 for anything handles() is false for.
  http::awaitable<Response> handle(Request request) const;

  // Authenticate host.
  http::awaitable<Response> sign_in(Request request) const;
  http::awaitable<Response> oauth2_callback(Request request) const;
  http::awaitable<Response> sign_out(Request request) const;
  Response signed_out(const Request& request) const;

  // Route hosts.
  http::awaitable<Response> callback(Request request) const;
  Response programmatic_login(const Request& request) const;
  http::awaitable<Response> route_sign_out(Request request) const;
  http::awaitable<Response> user_json(Request request) const;

  // Both.
  http::awaitable<Response> user_page(Request request) const;

  bool is_authenticate_host(const Request& request) const;
  const AuthenticateSettings& settings() const { return *settings_; }
  // The session named by the request's cookie (the authenticate cookie on the authenticate host)
  // or, on route hosts, by its Authorization headers; nullopt when absent, forged or over.
  http::awaitable<std::optional<LoadedSession>> load_session(Request request) const;

  std::string authenticate_cookie_name() const { return settings_->cookie.name + "_authenticate"; }
  std::string csrf_cookie_name() const { return settings_->cookie.name + "_csrf"; }

 private:
  struct SignInTarget {
    std::string redirect_uri;
    std::string callback_uri;
    bool programmatic = false;
  };

  http::awaitable<Response> start_identity_provider_redirect(Request request) const;
  // The signed redirect to the route host's /.pomerium/callback/ for a stored session.
  std::optional<std::string> route_callback_url(const SignInTarget& target,
                                                const session::Session& session,
                                                std::uint64_t server_version,
                                                std::uint64_t record_version) const;
  std::optional<SignInTarget> sign_in_target(std::string_view signed_url) const;
  http::awaitable<std::optional<LoadedSession>> load_session_token(std::string token) const;
  identity::TimePoint now() const { return clock_.now(); }

  std::shared_ptr<const AuthenticateSettings> settings_;
  databroker::DataBroker& broker_;
  std::shared_ptr<identity::Authenticator> authenticator_;
  const identity::Clock& clock_;
  BlockingPool* pool_;
  std::function<void(std::uint64_t, std::uint64_t)> await_session_;
};

}  // namespace portcullis::authenticate
