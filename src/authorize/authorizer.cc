#include "authorize/authorizer.h"

#include <stdexcept>

#include "authorize/decision.h"
#include "config/route_policy.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "crypto/signed_url.h"
#include "telemetry/log.h"

namespace portcullis::authorize {
namespace {

constexpr std::size_t kHandleCacheSlots = 4096;
constexpr std::size_t kIdentityCacheSlots = 4096;
constexpr std::string_view kJwtAssertionHeader = "x-pomerium-jwt-assertion";

std::chrono::system_clock::time_point to_time(const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(t.seconds()) +
                                               std::chrono::nanoseconds(t.nanos()));
}

// Session.Validate: the session belongs to the handle's user and (when it names one) to the
// routes' identity provider, and has not expired; an expired access token is only acceptable
// while it can be refreshed.
bool session_valid(const session::Session& s, const SessionHandle& handle, std::string_view idp_id,
                   std::chrono::system_clock::time_point now) {
  if (s.user_id() != handle.user_id) return false;
  if (!s.idp_id().empty() && s.idp_id() != idp_id) return false;
  if (s.has_expires_at() && to_time(s.expires_at()) <= now) return false;
  if (s.has_oauth_token() && s.oauth_token().has_expires_at() &&
      to_time(s.oauth_token().expires_at()) <= now &&
      (s.oauth_token().refresh_token().empty() || s.refresh_disabled())) {
    return false;
  }
  return true;
}

// Whether the writes `handle` names may still be on their way to the replicas: it carries their
// versions and was issued lately (its clock may run a little ahead of ours).
bool recently_issued(const SessionHandle& handle, std::chrono::system_clock::time_point now) {
  if (handle.databroker_server_version == 0 || handle.databroker_record_version == 0) return false;
  auto issued = std::chrono::system_clock::time_point(std::chrono::seconds(handle.issued_at));
  return handle.issued_at > 0 && issued + kRecentHandle >= now;
}

// The host name of a Host value: without the port, IPv6 brackets kept.
std::string_view host_name(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

std::string reasons_text(policy::ReasonSet reasons) {
  std::string out;
  for (auto reason : reasons) {
    if (!out.empty()) out.push_back(',');
    out.append(policy::to_string(reason));
  }
  return out;
}

std::string_view status_message(int status) {
  switch (status) {
    case 401:
      return "sign-in is required for this route";
    case 403:
      return "access to this route is denied";
    case 404:
      return "no route for this host and path";
    case 495:
      return "a valid client certificate is required";
    default:
      return "";
  }
}

}  // namespace

// One worker thread's mutable state (see the class comment); aligned so that two workers' rows
// never share a cache line.
struct alignas(64) Authorizer::WorkerState {
  std::unique_ptr<SessionLookup> lookup;  // null without a session source
  HandleCache handles{kHandleCacheSlots};
  IdentityCache identities{kIdentityCacheSlots};
  // The client address of the last request and what it parses to: a connection's requests come
  // from one address, so it is parsed once per run of requests instead of once per request.
  std::string client_ip_text;
  std::optional<policy::IpAddress> client_ip;

  const std::optional<policy::IpAddress>& parse_client_ip(std::string_view text) {
    if (text != client_ip_text) {
      client_ip = policy::IpAddress::parse(text);
      client_ip_text.assign(text);
    }
    return client_ip;
  }
};

Authorizer::Authorizer(std::shared_ptr<const config::Config> config,
                       AuthorizeEnvironment environment, std::size_t workers)
    : config_(std::move(config)), environment_(std::move(environment)) {
  const auto& options = config_->options;
  if (!options.shared_secret.empty()) {
    auto decoded = crypto::base64_decode(options.shared_secret, crypto::Base64::kStandard);
    if (!decoded) throw std::runtime_error("shared_secret is not valid base64");
    shared_secret_ = std::move(*decoded);
  } else if (!environment_.generated_shared_secret.empty()) {
    shared_secret_ = environment_.generated_shared_secret;
  } else {
    shared_secret_ = crypto::random_bytes(32);
  }
  signer_ = std::make_unique<IdentitySigner>(IdentitySigner::from_options(
      options.signing_key, shared_secret_, options.jwt_claims_headers));

  routes_.resize(config_->routes.size());
  for (const auto& route : config_->routes) {
    RouteState& state = routes_[route.index];
    if (evaluates(route)) {
      auto compiled = config::compile_route_policy(route, options);
      if (!compiled.ok()) {
        throw std::runtime_error("route " + route.from + " (id " + route.id +
                                 "): invalid policy: " + compiled.error);
      }
      state.policy = compiled.policy;
    }
    state.pass_identity_headers =
        route.pass_identity_headers.value_or(options.pass_identity_headers);
    for (const auto& header : route.set_request_headers) {
      auto tpl = HeaderTemplate::parse(header.value);
      state.templated = state.templated || !tpl.is_literal();
      state.needs_jwt = state.needs_jwt || tpl.uses(TemplateRef::kJwt);
      state.set_headers.push_back({header.name, std::move(tpl)});
    }
    state.needs_jwt = state.needs_jwt || state.pass_identity_headers;
  }

  workers_.resize(std::max<std::size_t>(workers, 1));
  for (auto& worker : workers_) {
    worker = std::make_unique<WorkerState>();
    if (environment_.sessions) worker->lookup = environment_.sessions->make_lookup();
  }
}

Authorizer::~Authorizer() = default;

const IdentityCache& Authorizer::identity_cache(std::size_t worker) const {
  return workers_.at(worker)->identities;
}

const HandleCache& Authorizer::handle_cache(std::size_t worker) const {
  return workers_.at(worker)->handles;
}

CheckResult Authorizer::check(std::size_t worker, const config::Route& route,
                              const CheckRequest& request, HeaderList& upstream,
                              std::chrono::system_clock::time_point now) const {
  WorkerState& w = *workers_[worker];
  const RouteState& state = routes_[route.index];
  CheckResult result;
  upstream.clear();
  if (!state.policy) {
    // Public routes are not decided here; asking anyway is a caller bug: fail closed.
    result.status = kStatusForbidden;
    return result;
  }

  // The session: a verified handle naming a live session of the handle's user. Anything else
  // (no handle, forged, unknown, expired, someone else's) is an anonymous request.
  auto token = find_handle_token(request.headers, config_->options.cookie_name);
  result.handle_source = token.source;
  const SessionHandle* handle = nullptr;
  if (!token.token.empty()) handle = w.handles.verify(token.token, shared_secret_);
  // A handle of another identity provider does not sign in here (reference §4.3 step 6).
  if (handle != nullptr && handle->idp_id != environment_.idp_id) handle = nullptr;
  IdentityCache::Entry* entry = principal_of(w, handle, request, now, result);
  if (entry == nullptr) return result;
  const Principal& principal = entry->principal;
  result.signed_in = principal.signed_in();
  result.session_id = principal.session_id;
  result.user_id = principal.user_id;
  result.email = principal.email;

  // A policy that reads nothing but the principal decides every request of it alike: its
  // decision is kept with the principal (and dropped with it when a record changes).
  const bool principal_only = state.policy->principal_only();
  if (const policy::Decision* kept = principal_only ? entry->kept_decision(route.index) : nullptr) {
    result.decision = *kept;
  } else {
    policy::EvalInput input;
    input.request.method = request.method;
    input.request.host = request.host;
    input.request.path = request.path;
    input.request.headers = request.headers;
    input.request.ip = w.parse_client_ip(request.client_ip);
    input.request.client_certificate = request.client_certificate;
    input.session = principal.session_view();
    input.user = principal.user_view();
    input.directory_user = principal.directory_user_view();
    input.now = now;
    result.decision = state.policy->evaluate(input);
    if (principal_only) entry->keep_decision(route.index, result.decision);
  }

  // A browser is sent to sign in, unless its session came in a header (an API client). Only a
  // sign-in answer depends on it, so Accept is read only then.
  result.status = decision_status(result.decision, false);
  if (result.status == kStatusUnauthorized &&
      (token.source == HandleSource::kNone || token.source == HandleSource::kCookie) &&
      prefers_html(request.accept)) {
    result.status = decision_status(result.decision, true);
  }
  result.allowed = result.status == kStatusOk;
  if (!result.allowed) return result;

  const IdentityToken* identity = nullptr;
  if (state.needs_jwt) {
    identity = &w.identities.token(*entry, host_name(request.host), *signer_, now);
  }
  if (state.pass_identity_headers) {
    upstream.add(kJwtAssertionHeader, identity->jwt);
    const auto& claim_headers = signer_->claim_headers();
    for (std::size_t i = 0; i < claim_headers.size(); ++i) {
      upstream.add(claim_headers[i].header, identity->claim_values[i]);
    }
  }
  if (!state.set_headers.empty()) {
    TemplateContext context;
    if (principal.session) {
      context.access_token = principal.session->oauth_token().access_token();
      context.id_token = principal.session->id_token().raw();
    }
    if (identity != nullptr) context.jwt = identity->jwt;
    context.email = principal.email;
    context.user_id = principal.user_id;
    context.name = principal.name;
    context.client_certificate = &request.client_certificate;
    context.request_headers = request.headers;
    render_set_headers(state, context, upstream);
  }
  return result;
}

IdentityCache::Entry* Authorizer::principal_of(WorkerState& w, const SessionHandle* handle,
                                               const CheckRequest& request,
                                               std::chrono::system_clock::time_point now,
                                               CheckResult& result) const {
  SessionRecord session;
  bool may_lag = false;  // a missing record may still be on its way (see kReplicaWaitLimit)
  std::uint64_t generation = 0;
  if (handle != nullptr) {
    if (!w.lookup || !w.lookup->ready()) {
      result.status = kStatusUnavailable;
      result.error = "the session store is not available yet";
      return nullptr;
    }
    // Read before the records: while it stands still, the records read below stay current and
    // the next request of this session reuses its principal without reading them again.
    generation = w.lookup->generation();
    if (auto* entry = w.identities.current(handle->session_id, generation);
        entry != nullptr &&
        session_valid(*entry->principal.session, *handle, environment_.idp_id, now)) {
      return entry;
    }
    may_lag = request.wait_for_replicas && recently_issued(*handle, now);
    session = w.lookup->session(handle->session_id);
    if (!session && may_lag) {
      if (w.lookup->sessions_behind(handle->databroker_server_version,
                                    handle->databroker_record_version)) {
        result.replicas_behind = true;
        return nullptr;
      }
      session = w.lookup->session(handle->session_id);  // it may have arrived meanwhile
    }
    if (!session && !w.lookup->sessions_healthy()) {
      // The databroker is away: the session may exist and be current there. Never sign out (or
      // allow) on a replica that is not being kept current.
      result.status = kStatusUnavailable;
      result.error = "the session store is not available";
      return nullptr;
    }
    if (session && !session_valid(*session, *handle, environment_.idp_id, now)) session = nullptr;
  }
  UserRecord user;
  StructRecord directory_user;
  std::uint64_t groups_version = 0;
  if (session) {
    user = w.lookup->user(session->user_id());
    if (!user && may_lag) {
      if (w.lookup->users_behind(handle->databroker_server_version,
                                 handle->databroker_record_version)) {
        result.replicas_behind = true;
        return nullptr;
      }
      user = w.lookup->user(session->user_id());
    }
    directory_user = w.lookup->directory_user(session->user_id());
    groups_version = w.lookup->directory_groups_version();
  }
  // Reused only when read under the session's own id and with its user: a missing user may be
  // on its way (read-your-writes above), so it is looked for again on the next request.
  bool reusable = session && user && session->id() == handle->session_id;
  return &w.identities.principal(session ? std::string_view(session->id()) : std::string_view(),
                                 session, user, directory_user, groups_version, w.lookup.get(),
                                 reusable ? generation : 0);
}

void Authorizer::render_set_headers(const RouteState& state, const TemplateContext& context,
                                    HeaderList& upstream) const {
  for (const auto& header : state.set_headers) {
    header.value.render(upstream.add(header.name), context);
  }
}

bool Authorizer::public_headers(const config::Route& route, const CheckRequest& request,
                                HeaderList& upstream) const {
  const RouteState& state = routes_[route.index];
  upstream.clear();
  if (!state.templated) return false;
  TemplateContext context;
  context.client_certificate = &request.client_certificate;
  context.request_headers = request.headers;
  render_set_headers(state, context, upstream);
  return true;
}

Reply Authorizer::deny_reply(const CheckResult& result, const CheckRequest& request,
                             std::chrono::system_clock::time_point now) const {
  int status = result.status;
  if (status == kStatusSignInRedirect) {
    std::string redirect_uri = std::string(request.scheme) + "://" + std::string(request.host) +
                               std::string(request.path) + std::string(request.query);
    crypto::SignInUrlOptions options;
    options.idp_id = environment_.idp_id;
    auto url = crypto::sign_in_url(config_->options.authenticate_service_url, redirect_uri,
                                   shared_secret_, now, options);
    if (url) return redirect_reply(std::move(*url));
    status = kStatusUnauthorized;  // nowhere to sign in: answer as to an API client
  }
  ErrorDetails details;
  details.status = status;
  details.reasons = shown_reasons(result.decision);
  details.message = !result.error.empty() ? result.error : status_message(status);
  details.request_id = request.request_id;
  details.json = prefers_json(request.accept);
  return error_reply(details);
}

std::optional<Reply> Authorizer::well_known(const WellKnownRequest& request) const {
  return well_known_reply(request, config_->options.authenticate_service_url, *signer_);
}

void Authorizer::format_decision_log(std::string& out, const CheckResult& result,
                                     const config::Route& route,
                                     const CheckRequest& request) const {
  telemetry::format_log_line(out, telemetry::LogLevel::kInfo, "authorize check",
                             {{"service", "authorize"},
                              {"request_id", request.request_id},
                              {"route_id", route.id},
                              {"method", request.method},
                              {"host", request.host},
                              {"path", request.path},
                              {"ip", request.client_ip},
                              {"session_id", result.session_id},
                              {"user", result.user_id},
                              {"email", result.email},
                              {"allow", result.decision.allow.value},
                              {"allow_why", reasons_text(result.decision.allow.reasons)},
                              {"deny", result.decision.deny.value},
                              {"deny_why", reasons_text(result.decision.deny.reasons)},
                              {"status", result.status},
                              {"error", result.error}});
}

}  // namespace portcullis::authorize
