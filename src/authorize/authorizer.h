#pragma once
// Authorizer: the authorize service of one configuration snapshot. It holds every route's
// compiled policy, the identity signer and, per worker thread, the caches and the record lookup
// that the request path uses without locks. The proxy calls it for each request on a route that
// is not public (DESIGN.md §1): session handle → session, user and directory records → policy →
// allow (with the identity headers for the upstream) or deny (with the response to send).
//
// Threading: immutable after construction except the per-worker state, of which worker i only
// ever touches row i (the `worker` argument), so concurrent calls from different workers never
// share written memory.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "authorize/header_list.h"
#include "authorize/header_template.h"
#include "authorize/identity_cache.h"
#include "authorize/identity_jwt.h"
#include "authorize/reply.h"
#include "authorize/session_handle.h"
#include "authorize/session_lookup.h"
#include "authorize/well_known.h"
#include "config/config.h"
#include "policy/policy.h"

namespace portcullis::authorize {

// What the process gives every snapshot's authorizer.
struct AuthorizeEnvironment {
  // Where sessions and users are read; null when this process has none (a request carrying a
  // session handle is then answered 503: it cannot be decided).
  std::shared_ptr<const SessionSource> sessions;
  // The decoded shared secret to use when the configuration has none (generated once per
  // process, so that it survives reloads); empty: generate one per snapshot.
  std::string generated_shared_secret;
  // The identity provider id of the routes (authenticate's compute_idp_id): sign-in URLs carry it
  // (pomerium_idp_id; empty: left out), and a session handle or session record naming another
  // one does not sign in (reference §4.3 step 6).
  std::string idp_id;
};

// Read-your-writes right after sign-in (reference §6.3): the first request may reach authorize
// before the replicas hold the session or user its handle names. A caller that can wait asks
// check() with CheckRequest::wait_for_replicas, gets replicas_behind instead of a decision while
// that is so, and asks again every kReplicaRetryInterval until kReplicaWaitLimit has passed; then
// it asks without waiting and gets a decision on what exists. Only handles issued within
// kRecentHandle are waited for: the writes a handle names happen when it is issued.
inline constexpr auto kReplicaRetryInterval = std::chrono::milliseconds(3);
inline constexpr auto kReplicaWaitLimit = std::chrono::seconds(1);
inline constexpr auto kRecentHandle = std::chrono::seconds(60);

// The request as authorize sees it. Everything is borrowed for the duration of the call.
struct CheckRequest {
  std::string_view method;
  std::string_view scheme;  // of the route's public URL ("https" for https:// routes)
  std::string_view host;    // Host as sent (may carry a port)
  std::string_view path;    // normalised: the path that is forwarded
  std::string_view query;   // with its '?', or empty
  std::string_view accept;  // the Accept header
  std::string_view client_ip;
  std::string_view request_id;
  std::span<const policy::HeaderView> headers;
  policy::ClientCertificateView client_certificate;
  // The caller will ask again shortly when the answer is replicas_behind (see kReplicaWaitLimit).
  bool wait_for_replicas = false;
};

struct CheckResult {
  bool allowed = false;
  int status = 0;  // 200 when allowed; otherwise the status of deny_reply()
  policy::Decision decision;
  HandleSource handle_source = HandleSource::kNone;
  bool signed_in = false;
  // No decision yet (status 0; only with wait_for_replicas): the session or user the handle names
  // is missing from a replica that has not caught up with the handle's writes. Ask again shortly.
  bool replicas_behind = false;
  std::string_view error;  // why the decision could not be made (status 503)
  // Who the request comes from; views into the worker's cache, valid until its next check().
  std::string_view session_id;
  std::string_view user_id;
  std::string_view email;
};

class Authorizer {
 public:
  // Compiles every route's policy and loads (or derives) the signing key. Throws
  // std::runtime_error naming the route or key that fails; `workers` is the number of worker
  // threads that will call check().
  Authorizer(std::shared_ptr<const config::Config> config, AuthorizeEnvironment environment,
             std::size_t workers);
  ~Authorizer();
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // Public routes are forwarded without a decision.
  static bool evaluates(const config::Route& route) {
    return !route.allow_public_unauthenticated_access;
  }

  // Decides `request` on `route` from worker thread `worker`. When allowed, `upstream` receives
  // the headers to set on the upstream request: the identity JWT and claim headers when the
  // route passes identity headers, and the route's set_request_headers rendered.
  CheckResult check(std::size_t worker, const config::Route& route, const CheckRequest& request,
                    HeaderList& upstream, std::chrono::system_clock::time_point now) const;

  // For a public route: renders set_request_headers (no session: session references are empty)
  // into `upstream`. False when the route's headers are all literal, so the caller can set
  // route.set_request_headers as they are.
  bool public_headers(const config::Route& route, const CheckRequest& request,
                      HeaderList& upstream) const;

  // The response for a check that did not allow: a signed sign-in redirect, or an error page.
  Reply deny_reply(const CheckResult& result, const CheckRequest& request,
                   std::chrono::system_clock::time_point now) const;

  // /.well-known/pomerium and its jwks.json; nullopt for other paths.
  std::optional<Reply> well_known(const WellKnownRequest& request) const;

  // The JSON decision log line ("authorize check") of a check, appended to `out`.
  void format_decision_log(std::string& out, const CheckResult& result, const config::Route& route,
                           const CheckRequest& request) const;

  const IdentitySigner& signer() const { return *signer_; }
  const std::string& shared_secret() const { return shared_secret_; }
  // The worker's caches (tests and benchmarks read their counters).
  const IdentityCache& identity_cache(std::size_t worker) const;
  const HandleCache& handle_cache(std::size_t worker) const;

 private:
  struct RouteState {
    std::shared_ptr<const policy::CompiledPolicy> policy;  // null for public routes
    bool pass_identity_headers = false;
    struct SetHeader {
      std::string name;
      HeaderTemplate value;
    };
    std::vector<SetHeader> set_headers;
    bool templated = false;  // some set_request_headers value has a reference
    bool needs_jwt = false;  // identity headers or a ${pomerium.jwt} reference
  };
  struct WorkerState;

  // Who a request with the verified `handle` (null: none) comes from: the worker's principal of
  // its session, or the anonymous one. Null when the request cannot be decided now, with
  // `result` saying why (503, or replicas_behind).
  IdentityCache::Entry* principal_of(WorkerState& w, const SessionHandle* handle,
                                     const CheckRequest& request,
                                     std::chrono::system_clock::time_point now,
                                     CheckResult& result) const;
  void render_set_headers(const RouteState& state, const TemplateContext& context,
                          HeaderList& upstream) const;

  std::shared_ptr<const config::Config> config_;
  AuthorizeEnvironment environment_;
  std::string shared_secret_;  // decoded bytes
  std::unique_ptr<IdentitySigner> signer_;
  std::vector<RouteState> routes_;  // by route index
  std::vector<std::unique_ptr<WorkerState>> workers_;
};

}  // namespace portcullis::authorize
