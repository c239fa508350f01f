// Authorize on the request path, single thread: the identity header (JWT plus claim headers) with
// a warm and a cold cache, and a whole protected-route decision (handle verification, record
// lookups in replicas synced from an in-process memory databroker, policy evaluation and the
// identity header), also as bench/run's portcullis_signed_in sends it (a session handle as sign-in
// issues it, an email and a group rule, the identity JWT and two claim headers).
#include <benchmark/benchmark.h>
#include <google/protobuf/util/time_util.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "authorize/authorizer.h"
#include "authorize/identity_cache.h"
#include "authorize/replica_session_source.h"
#include "crypto/encoding.h"
#include "crypto/jws.h"
#include "crypto/session_handle.h"
#include "databroker/local_client.h"
#include "databroker/record_store.h"

namespace portcullis::authorize {
namespace {

const std::string kSecret(32, 'b');
constexpr int kUsers = 1000;

session::Session make_session(int i) {
  session::Session s;
  s.set_id("session-" + std::to_string(i));
  s.set_user_id("user-" + std::to_string(i));
  s.mutable_id_token()->set_raw(std::string(900, 'j'));
  s.mutable_oauth_token()->set_access_token(std::string(400, 'a'));
  s.mutable_oauth_token()->set_refresh_token(std::string(200, 'r'));
  using google::protobuf::util::TimeUtil;
  *s.mutable_expires_at() = TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(14);
  (*s.mutable_claims())["email"].add_values()->set_string_value(s.user_id() + "@example.com");
  (*s.mutable_claims())["name"].add_values()->set_string_value("User " + std::to_string(i));
  (*s.mutable_claims())["groups"].add_values()->set_string_value("engineering");
  return s;
}

user::User make_user(int i) {
  user::User u;
  u.set_id("user-" + std::to_string(i));
  u.set_email(u.id() + "@example.com");
  u.set_name("User " + std::to_string(i));
  return u;
}

// An in-process databroker with kUsers sessions and users, and replicas synced from it.
struct World {
  std::unique_ptr<databroker::RecordStore> store =
      databroker::make_memory_store(databroker::StoreOptions{});
  databroker::LocalDataBroker broker{*store};
  std::shared_ptr<ReplicaSessionSource> source;

  World() : World(std::vector<databroker::Record>()) {}
  explicit World(std::vector<databroker::Record> records) {
    for (int i = 0; i < kUsers; ++i) {
      databroker::Record session;
      session.set_type(std::string(kSessionType));
      session.set_id("session-" + std::to_string(i));
      session.mutable_data()->PackFrom(make_session(i));
      records.push_back(session);
      databroker::Record user;
      user.set_type(std::string(kUserType));
      user.set_id("user-" + std::to_string(i));
      user.mutable_data()->PackFrom(make_user(i));
      records.push_back(user);
    }
    auto written = broker.put(std::move(records));
    if (!written.ok()) throw std::runtime_error("put: " + written.status().message);
    source = std::make_shared<ReplicaSessionSource>(broker);
    auto version = written.ok() ? written.value().records.back().version() : 0;
    source->sessions().wait_for_record_version(version, std::chrono::seconds(10));
    source->users().wait_for_record_version(version, std::chrono::seconds(10));
  }
  ~World() { source->stop(); }
};

std::shared_ptr<const config::Config> make_config() {
  auto config = std::make_shared<config::Config>();
  config->options.shared_secret = crypto::base64_encode(kSecret, crypto::Base64::kStandard);
  config->options.authenticate_service_url = "https://authenticate.example.com";
  config->options.jwt_claims_headers = {{"x-pomerium-claim-email", "email"}};
  config::Route route;
  route.id = "app";
  route.from = "https://app.example.com";
  route.from_scheme = "https";
  route.from_host = "app.example.com";
  route.pass_identity_headers = true;
  route.policy_json =
      R"({"allow":{"or":[{"domain":{"is":"example.com"}},{"groups":{"has":"admins"}}]}})";
  config->routes.push_back(route);
  return config;
}

void BM_IdentityHeaderWarm(benchmark::State& state) {
  World world;
  auto lookup = world.source->make_lookup();
  auto signer = IdentitySigner::from_options("", kSecret, {{"x-pomerium-claim-email", "email"}});
  IdentityCache cache;
  auto now = std::chrono::system_clock::now();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto session = lookup->session("session-1");
    auto user = lookup->user("user-1");
    auto& entry = cache.principal("session-1", session, user, lookup->directory_user("user-1"),
                                  lookup->directory_groups_version(), lookup.get());
    const auto& token = cache.token(entry, "app.example.com", signer, now);
    bytes += token.jwt.size();
    benchmark::DoNotOptimize(token.claim_values.data());
  }
  benchmark::DoNotOptimize(bytes);
  state.counters["signatures"] = static_cast<double>(cache.signatures());
}
BENCHMARK(BM_IdentityHeaderWarm);

// Every request a session the cache has not seen: principal built from the records and an ES256
// signature.
void BM_IdentityHeaderCold(benchmark::State& state) {
  World world;
  auto lookup = world.source->make_lookup();
  auto signer = IdentitySigner::from_options("", kSecret, {{"x-pomerium-claim-email", "email"}});
  IdentityCache cache(kUsers / 2);  // smaller than the rotation: always a miss
  auto now = std::chrono::system_clock::now();
  int i = 0;
  std::vector<std::string> ids;
  for (int k = 0; k < kUsers; ++k) ids.push_back(std::to_string(k));
  for (auto _ : state) {
    const std::string& n = ids[i++ % kUsers];
    std::string session_id = "session-" + n;
    std::string user_id = "user-" + n;
    auto& entry = cache.principal(session_id, lookup->session(session_id), lookup->user(user_id),
                                  nullptr, 0, lookup.get());
    benchmark::DoNotOptimize(cache.token(entry, "app.example.com", signer, now).jwt.data());
  }
}
BENCHMARK(BM_IdentityHeaderCold);

// Runs the check once per iteration. Returns the first result that was not allowed, if any (else
// one that says allowed).
CheckResult check_every_iteration(benchmark::State& state, const Authorizer& authorizer,
                                  const config::Route& route, const CheckRequest& request,
                                  HeaderList& upstream) {
  CheckResult last;
  last.allowed = true;
  for (auto _ : state) {
    auto result = authorizer.check(0, route, request, upstream, std::chrono::system_clock::now());
    if (!result.allowed && last.allowed) last = result;
  }
  return last;
}

// A protected route, signed-in user, warm caches: everything check() does per request.
void BM_ProtectedRouteDecision(benchmark::State& state) {
  World world;
  auto config = make_config();
  AuthorizeEnvironment environment;
  environment.sessions = world.source;
  Authorizer authorizer(config, environment, 1);
  std::string cookie =
      "_pomerium=" + crypto::sign_hs256(kSecret, {{"jti", "session-1"},
                                                  {"sub", "user-1"},
                                                  {"iss", "authenticate.example.com"},
                                                  {"aud", "app.example.com"},
                                                  {"iat", 1800000000}});
  std::string cookie_header = "theme=dark; " + cookie;
  std::vector<policy::HeaderView> headers = {
      {"Host", "app.example.com"},
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"},
      {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"},
      {"Accept-Language", "en-GB,en;q=0.9"},
      {"Cookie", cookie_header},
  };
  CheckRequest request;
  request.method = "GET";
  request.scheme = "https";
  request.host = "app.example.com";
  request.path = "/dashboard";
  request.accept = headers[2].value;
  request.client_ip = "203.0.113.7";
  request.request_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  request.headers = headers;
  HeaderList upstream;
  if (auto result = check_every_iteration(state, authorizer, config->routes[0], request, upstream);
      !result.allowed) {
    auto lookup = world.source->make_lookup();
    state.SkipWithError(("not allowed: " + std::to_string(result.status) + " signed in " +
                         std::to_string(result.signed_in) + " ready " +
                         std::to_string(lookup->ready()) + " found " +
                         std::to_string(lookup->session("session-1") != nullptr))
                            .c_str());
  }
  state.counters["signatures"] = static_cast<double>(authorizer.identity_cache(0).signatures());
}
BENCHMARK(BM_ProtectedRouteDecision);

// bench/run's portcullis_signed_in: alice from the demo identity provider, the handle sign-in
// issues (issuer, audience, identity provider, databroker versions), a policy of an email and a
// group rule, and the identity JWT with the email and groups claim headers for the upstream.
void BM_SignedInRouteCheck(benchmark::State& state) {
  const std::string idp_id = "2kxy3n7q5w8e1r4t6y9u0i2o3p5a7s9d";
  const std::string session_id = "42745c94-826a-4cb5-8c1c-2b8d08f05931";
  session::Session s;
  s.set_id(session_id);
  s.set_user_id("alice");
  s.set_idp_id(idp_id);
  s.mutable_id_token()->set_raw(std::string(900, 'j'));
  s.mutable_oauth_token()->set_access_token(std::string(43, 'a'));
  s.mutable_oauth_token()->set_refresh_token(std::string(43, 'r'));
  using google::protobuf::util::TimeUtil;
  *s.mutable_issued_at() = TimeUtil::GetCurrentTime();
  *s.mutable_expires_at() = TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(14);
  *s.mutable_oauth_token()->mutable_expires_at() =
      TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(1);
  auto& claims = *s.mutable_claims();
  claims["sub"].add_values()->set_string_value("alice");
  claims["email"].add_values()->set_string_value("alice@example.com");
  claims["email_verified"].add_values()->set_bool_value(true);
  claims["name"].add_values()->set_string_value("Alice Admin");
  claims["groups"].add_values()->set_string_value("admins");
  claims["groups"].add_values()->set_string_value("engineering");
  user::User u;
  u.set_id("alice");
  u.set_email("alice@example.com");
  u.set_name("Alice Admin");
  std::vector<databroker::Record> records(2);
  records[0].set_type(std::string(kSessionType));
  records[0].set_id(session_id);
  records[0].mutable_data()->PackFrom(s);
  records[1].set_type(std::string(kUserType));
  records[1].set_id("alice");
  records[1].mutable_data()->PackFrom(u);
  World world(std::move(records));

  auto config = std::make_shared<config::Config>();
  config->options.shared_secret = crypto::base64_encode(kSecret, crypto::Base64::kStandard);
  config->options.authenticate_service_url = "http://authenticate.bench.local";
  config->options.jwt_claims_headers = {{"x-pomerium-claim-email", "email"},
                                        {"x-pomerium-claim-groups", "groups"}};
  config::Route route;
  route.id = "bench";
  route.from = "http://bench.local";
  route.from_scheme = "http";
  route.from_host = "bench.local";
  route.pass_identity_headers = true;
  route.policy_json =
      R"({"allow":{"and":[{"email":{"is":"alice@example.com"}},{"groups":{"has":"admins"}}]}})";
  config->routes.push_back(route);
  AuthorizeEnvironment environment;
  environment.sessions = world.source;
  environment.idp_id = idp_id;
  Authorizer authorizer(config, environment, 1);

  crypto::SessionHandle handle;
  handle.issuer = "authenticate.bench.local";
  handle.user_id = "alice";
  handle.audience = {"authenticate.bench.local", "bench.local"};
  handle.issued_at = crypto::unix_seconds(std::chrono::system_clock::now());
  handle.session_id = session_id;
  handle.idp_id = idp_id;
  handle.databroker_server_version = 1234567890123;
  handle.databroker_record_version = 2;
  std::string cookie = "_pomerium=" + crypto::encode_session_handle(handle, kSecret);
  std::vector<policy::HeaderView> headers = {
      {"Host", "bench.local"},
      {"Cookie", cookie},
  };
  CheckRequest request;
  request.method = "GET";
  request.scheme = "http";
  request.host = "bench.local";
  request.path = "/";
  request.client_ip = "127.0.0.1";
  request.request_id = "0dda4324-6617-427e-998b-52c38b4aefce";
  request.headers = headers;
  HeaderList upstream;
  if (auto result = check_every_iteration(state, authorizer, config->routes[0], request, upstream);
      !result.allowed) {
    state.SkipWithError(("not allowed: status " + std::to_string(result.status) + ", signed in " +
                         std::to_string(result.signed_in))
                            .c_str());
  } else if (upstream.size() != 3) {
    state.SkipWithError("expected the identity JWT and two claim headers");
  }
  state.counters["handle_misses"] = static_cast<double>(authorizer.handle_cache(0).misses());
  state.counters["signatures"] = static_cast<double>(authorizer.identity_cache(0).signatures());
}
BENCHMARK(BM_SignedInRouteCheck);

// The same route without a session: handle lookup finds nothing, policy says sign in.
void BM_ProtectedRouteAnonymous(benchmark::State& state) {
  World world;
  auto config = make_config();
  AuthorizeEnvironment environment;
  environment.sessions = world.source;
  Authorizer authorizer(config, environment, 1);
  std::vector<policy::HeaderView> headers = {{"Host", "app.example.com"},
                                             {"Accept", "application/json"}};
  CheckRequest request;
  request.method = "GET";
  request.host = "app.example.com";
  request.path = "/api";
  request.accept = "application/json";
  request.client_ip = "203.0.113.7";
  request.headers = headers;
  HeaderList upstream;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        authorizer.check(0, config->routes[0], request, upstream, std::chrono::system_clock::now())
            .status);
  }
}
BENCHMARK(BM_ProtectedRouteAnonymous);

}  // namespace
}  // namespace portcullis::authorize
