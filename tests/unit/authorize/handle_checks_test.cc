// What a verified session handle must also satisfy before it signs a request in: the identity
// provider it (and its session record) names is the routes' one; and read-your-writes right after
// sign-in, when the replicas may not hold the session or user the handle names yet.

#include <gtest/gtest.h>

#include "authorize/authorizer.h"
#include "crypto/session_handle.h"
#include "fake_session_source.h"

namespace portcullis::authorize {
namespace {

using testing::FakeSessionSource;

const std::string kSecret(32, 'z');
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
constexpr std::int64_t kNowSeconds = 1800000000;
constexpr std::uint64_t kServer = 77;

std::shared_ptr<const config::Config> make_config() {
  auto config = std::make_shared<config::Config>();
  auto& o = config->options;
  o.shared_secret = "enp6enp6enp6enp6enp6enp6enp6enp6enp6enp6eno=";  // 32 x 'z'
  o.authenticate_service_url = "https://authn.example.com";
  config::Route any;
  any.index = 0;
  any.id = "any";
  any.from = "https://app.example.com";
  any.from_scheme = "https";
  any.from_host = "app.example.com";
  any.allow_any_authenticated_user = true;
  any.pass_identity_headers = true;
  config::Route by_email = any;
  by_email.index = 1;
  by_email.id = "email";
  by_email.from = "https://mail.example.com";
  by_email.from_host = "mail.example.com";
  by_email.allow_any_authenticated_user = false;
  by_email.policy_json = R"({"allow":{"or":[{"email":{"is":"ada@example.com"}}]}})";
  config->routes = {any, by_email};
  return config;
}

session::Session make_session(const std::string& id, const std::string& idp_id = "") {
  session::Session s;
  s.set_id(id);
  s.set_user_id("user-1");
  s.set_idp_id(idp_id);
  s.mutable_expires_at()->set_seconds(kNowSeconds + 3600);
  return s;
}

user::User make_user() {
  user::User u;
  u.set_id("user-1");
  u.set_email("ada@example.com");
  return u;
}

struct Fixture {
  std::shared_ptr<FakeSessionSource> source = std::make_shared<FakeSessionSource>();
  std::shared_ptr<const config::Config> config = make_config();
  std::unique_ptr<Authorizer> authorizer;
  HeaderList upstream;
  std::string cookie;
  std::vector<policy::HeaderView> headers;

  explicit Fixture(std::string idp_id = "idp-1") {
    AuthorizeEnvironment env;
    env.sessions = source;
    env.idp_id = std::move(idp_id);
    authorizer = std::make_unique<Authorizer>(config, env, 1);
  }

  // A handle as authenticate issues it: the versions of the sign-in's writes, issued `age` ago.
  static std::string handle(const std::string& session_id, const std::string& idp_id = "idp-1",
                            std::uint64_t record_version = 20, std::int64_t age_seconds = 0) {
    crypto::SessionHandle h;
    h.issuer = "authn.example.com";
    h.user_id = "user-1";
    h.audience = {"authn.example.com", "app.example.com"};
    h.issued_at = kNowSeconds - age_seconds;
    h.session_id = session_id;
    h.idp_id = idp_id;
    h.databroker_server_version = kServer;
    h.databroker_record_version = record_version;
    return crypto::encode_session_handle(h, kSecret);
  }

  CheckResult check(const std::string& token, bool wait, std::size_t route = 0,
                    std::string_view accept = "application/json") {
    cookie = "_pomerium=" + token;
    headers = {{"Cookie", cookie}};
    CheckRequest request;
    request.method = "GET";
    request.scheme = "https";
    request.host = config->routes[route].from_host;
    request.path = "/";
    request.accept = accept;
    request.headers = headers;
    request.wait_for_replicas = wait;
    return authorizer->check(0, config->routes[route], request, upstream, kNow);
  }
};

TEST(HandleIdentityProvider, HandleMustNameTheRoutesProvider) {
  Fixture f;
  f.source->put(make_session("sess-1", "idp-1"));
  f.source->put(make_user());
  auto ok = f.check(Fixture::handle("sess-1"), false);
  EXPECT_TRUE(ok.allowed);
  EXPECT_TRUE(ok.signed_in);

  struct Row {
    const char* name;
    std::string idp_id;
  };
  for (const Row& row : {Row{"another provider", "some-other-idp"}, Row{"no provider", ""},
                         Row{"a prefix of it", "idp-"}}) {
    auto token = Fixture::handle("sess-1", row.idp_id);
    auto api = f.check(token, false);
    EXPECT_FALSE(api.signed_in) << row.name;
    EXPECT_EQ(api.status, 401) << row.name;
    EXPECT_EQ(f.upstream.items().size(), 0u) << row.name << ": no identity headers";
    auto browser = f.check(token, false, 0, "text/html");
    EXPECT_EQ(browser.status, 302) << row.name;
  }
}

TEST(HandleIdentityProvider, SessionRecordMustNameTheRoutesProviderWhenItNamesOne) {
  Fixture f;
  f.source->put(make_user());
  f.source->put(make_session("sess-mine", "idp-1"));
  f.source->put(make_session("sess-unnamed", ""));
  f.source->put(make_session("sess-other", "some-other-idp"));
  EXPECT_EQ(f.check(Fixture::handle("sess-mine"), false).status, 200);
  EXPECT_EQ(f.check(Fixture::handle("sess-unnamed"), false).status, 200);
  auto other = f.check(Fixture::handle("sess-other"), false);
  EXPECT_FALSE(other.signed_in);
  EXPECT_EQ(other.status, 401);
}

// The databroker is away: a session the replica lacks may exist there, so a valid handle naming it
// cannot be decided (503, never a sign-out or an allow). Requests without a valid handle and found
// sessions are decided as usual.
TEST(SessionsUnhealthy, UnknownSessionOfAValidHandleIsUnavailable) {
  Fixture f;
  f.source->put(make_session("sess-1", "idp-1"));
  f.source->put(make_user());
  f.source->state().sessions_healthy = false;

  auto token = Fixture::handle("sess-gone");
  auto api = f.check(token, false);
  EXPECT_EQ(api.status, 503);
  EXPECT_FALSE(api.allowed);
  EXPECT_FALSE(api.signed_in);
  EXPECT_EQ(f.upstream.items().size(), 0u);
  EXPECT_EQ(f.check(token, false, 0, "text/html").status, 503);
  EXPECT_EQ(f.check(token, true).status, 503);  // recent handle, replica not behind
  EXPECT_EQ(f.check(token, false, 1).status, 503);

  for (const std::string& none : {std::string(), std::string("not-a-handle")}) {
    EXPECT_EQ(f.check(none, false).status, 401) << none;
    EXPECT_EQ(f.check(none, false, 0, "text/html").status, 302) << none;
  }
  // A handle of another provider signs nothing in: decided as anonymous.
  EXPECT_EQ(f.check(Fixture::handle("sess-gone", "some-other-idp"), false).status, 401);

  auto found = f.check(Fixture::handle("sess-1"), false);
  EXPECT_TRUE(found.allowed);
  EXPECT_TRUE(found.signed_in);

  // Back again: the unknown session is signed out as before.
  f.source->state().sessions_healthy = true;
  EXPECT_EQ(f.check(token, false).status, 401);
  EXPECT_EQ(f.check(token, false, 0, "text/html").status, 302);
}

TEST(ReadYourWrites, WaitsWhileTheSessionReplicaIsBehindTheHandle) {
  Fixture f;
  f.source->state().server_version = kServer;
  f.source->state().sessions_version = 15;
  f.source->state().users_version = 15;
  auto token = Fixture::handle("sess-new", "idp-1", 20);

  auto behind = f.check(token, true);
  EXPECT_TRUE(behind.replicas_behind);
  EXPECT_FALSE(behind.allowed);
  EXPECT_EQ(behind.status, 0);
  // A caller that cannot wait (or has waited long enough) gets a decision on what exists.
  auto decided = f.check(token, false);
  EXPECT_FALSE(decided.replicas_behind);
  EXPECT_EQ(decided.status, 401);

  // The session arrives (and the user with it): signed in on the next try.
  f.source->put(make_session("sess-new", "idp-1"));
  f.source->put(make_user());
  f.source->state().sessions_version = 20;
  f.source->state().users_version = 20;
  auto after = f.check(token, true);
  EXPECT_FALSE(after.replicas_behind);
  EXPECT_TRUE(after.allowed);
  EXPECT_EQ(after.email, "ada@example.com");
}

TEST(ReadYourWrites, WaitsWhileTheUserReplicaIsBehindTheHandle) {
  Fixture f;
  f.source->state().server_version = kServer;
  f.source->state().sessions_version = 20;
  f.source->state().users_version = 19;
  f.source->put(make_session("sess-new", "idp-1"));
  auto token = Fixture::handle("sess-new", "idp-1", 20);

  // Session found, user not yet: no 403 email-unauthorized while the user is on its way.
  EXPECT_TRUE(f.check(token, true, 1).replicas_behind);
  auto without_user = f.check(token, false, 1);
  EXPECT_EQ(without_user.status, 403) << "after the bound: decided without user fields";
  EXPECT_TRUE(without_user.signed_in);
  EXPECT_EQ(without_user.email, "");

  f.source->put(make_user());
  auto after = f.check(token, true, 1);
  EXPECT_FALSE(after.replicas_behind);
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.email, "ada@example.com");
}

TEST(ReadYourWrites, NoWaitWhenTheReplicasHaveCaughtUpOrCannotCompare) {
  struct Row {
    const char* name;
    std::uint64_t server_version;   // where the replicas stand
    std::uint64_t replica_version;  // (both types)
    std::uint64_t handle_version;
    std::int64_t handle_age_seconds;
  };
  const std::vector<Row> rows = {
      {"signed out or deleted: the replica is past the handle", kServer, 30, 20, 0},
      {"exactly at the handle's writes", kServer, 20, 20, 0},
      {"another server version (cleared or replaced store)", kServer + 1, 5, 20, 0},
      {"an old handle", kServer, 5, 20, 3600},
      {"a handle without versions", kServer, 5, 0, 0},
  };
  for (const auto& row : rows) {
    Fixture f;
    f.source->state().server_version = row.server_version;
    f.source->state().sessions_version = row.replica_version;
    f.source->state().users_version = row.replica_version;
    auto token = Fixture::handle("sess-gone", "idp-1", row.handle_version, row.handle_age_seconds);
    auto result = f.check(token, true);
    EXPECT_FALSE(result.replicas_behind) << row.name;
    EXPECT_EQ(result.status, 401) << row.name;

    // A session with a missing user that cannot be on its way: decided without user fields.
    f.source->put(make_session("sess-gone", "idp-1"));
    auto no_user = f.check(token, true, 1);
    EXPECT_FALSE(no_user.replicas_behind) << row.name;
    EXPECT_EQ(no_user.status, 403) << row.name;
  }
}

TEST(ReadYourWrites, PresentRecordsNeverWait) {
  Fixture f;
  f.source->state().server_version = kServer;
  f.source->state().sessions_version = 1;  // far behind, but the records are there
  f.source->state().users_version = 1;
  f.source->put(make_session("sess-1", "idp-1"));
  f.source->put(make_user());
  auto result = f.check(Fixture::handle("sess-1", "idp-1", 20), true, 1);
  EXPECT_FALSE(result.replicas_behind);
  EXPECT_EQ(result.status, 200);
  // Nor does a request without a handle, or with another provider's handle.
  EXPECT_FALSE(f.check("", true).replicas_behind);
  EXPECT_FALSE(f.check(Fixture::handle("sess-new", "other", 20), true).replicas_behind);
}

}  // namespace
}  // namespace portcullis::authorize
