// The identity manager's schedule and its refresh/delete decisions, with a fake clock, a scripted
// authenticator and the in-process databroker over the memory store.

#include "identity/identity_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "databroker/local_client.h"
#include "fake_authenticator.h"
#include "fake_clock.h"
#include "identity/session_records.h"

namespace portcullis::identity {
namespace {

using namespace std::chrono_literals;
using testing::FakeAuthenticator;
using testing::FakeClock;

session::Session make_session(const std::string& id, TimePoint now, std::chrono::seconds oauth,
                              std::chrono::seconds id_token, std::chrono::seconds expires) {
  session::Session s;
  s.set_id(id);
  s.set_user_id("alice");
  s.set_idp_id("idp-1");
  *s.mutable_expires_at() = to_timestamp(now + expires);
  s.mutable_oauth_token()->set_access_token("access");
  s.mutable_oauth_token()->set_refresh_token("refresh");
  *s.mutable_oauth_token()->mutable_expires_at() = to_timestamp(now + oauth);
  *s.mutable_id_token()->mutable_expires_at() = to_timestamp(now + id_token);
  return s;
}

TEST(NextSessionRefresh, Table) {
  const TimePoint now = std::chrono::system_clock::now();
  struct Case {
    std::chrono::seconds oauth, id_token, expires;
    TimePoint last_refresh;
    TimePoint expected;
  };
  const std::vector<Case> cases = {
      {3600s, 7200s, 50000s, {}, now + 3600s - 60s},  // oauth expiry - grace
      {7200s, 1800s, 50000s, {}, now + 1800s - 60s},  // id token expiry - grace
      {7200s, 7200s, 600s, {}, now + 600s},           // session expiry, no grace
      {30s, 7200s, 50000s, now, now + 10s},           // cool-off after a refresh
      {30s, 7200s, 50000s, now - 60s, now - 30s},     // cool-off long past
  };
  for (const auto& c : cases) {
    auto s = make_session("s", now, c.oauth, c.id_token, c.expires);
    auto due = next_session_refresh(s, c.last_refresh, 60s, 10s);
    ASSERT_TRUE(due);
    EXPECT_EQ(*due, c.expected);
  }
  session::Session bare;
  EXPECT_FALSE(next_session_refresh(bare, {}, 60s, 10s));
}

class IdentityManagerTest : public ::testing::Test {
 protected:
  IdentityManagerTest()
      : store_(databroker::make_memory_store({})),
        broker_(*store_),
        authenticator_(std::make_shared<FakeAuthenticator>()),
        manager_(
            broker_,
            [this](const std::string& idp) -> std::shared_ptr<Authenticator> {
              return idp == "idp-1" ? authenticator_ : nullptr;
            },
            clock_) {}

  void put(const session::Session& s) {
    ASSERT_TRUE(broker_.put({make_record(kSessionRecordType, s.id(), s)}).ok());
  }
  bool exists(const std::string& id) {
    return broker_.get(std::string(kSessionRecordType), id).ok();
  }
  session::Session stored(const std::string& id) {
    session::Session s;
    broker_.get(std::string(kSessionRecordType), id)->data().UnpackTo(&s);
    return s;
  }

  FakeClock clock_;
  std::unique_ptr<databroker::RecordStore> store_;
  databroker::LocalDataBroker broker_;
  std::shared_ptr<FakeAuthenticator> authenticator_;
  IdentityManager manager_;
};

TEST_F(IdentityManagerTest, RefreshesWhenDueAndStoresTokensAndUser) {
  put(make_session("s1", clock_.now(), 3600s, 3600s, 14h));
  ASSERT_TRUE(manager_.load().ok());
  EXPECT_EQ(manager_.tracked(), 1u);
  EXPECT_EQ(manager_.refresh_due(), 0u);  // not yet
  EXPECT_EQ(*manager_.next_due(), clock_.now() + 3600s - 60s);

  clock_.advance(3600s - 60s);
  authenticator_->now = clock_.now();  // the provider issues tokens valid for an hour from now
  EXPECT_EQ(manager_.refresh_due(), 1u);
  EXPECT_EQ(authenticator_->refreshes, 1);
  auto s = stored("s1");
  EXPECT_EQ(s.oauth_token().access_token(), "access-1");
  EXPECT_EQ(claims_to_json(s.claims())["email"], "alice@new.example.com");
  EXPECT_EQ(s.user_id(), "alice");  // untouched by the field mask
  user::User user;
  ASSERT_TRUE(broker_.get(std::string(kUserRecordType), "alice")->data().UnpackTo(&user));
  EXPECT_EQ(user.email(), "alice@new.example.com");

  // The refreshed tokens push the next refresh an hour out.
  EXPECT_EQ(manager_.refresh_due(), 0u);
  EXPECT_GT(*manager_.next_due(), clock_.now() + 50min);
}

TEST_F(IdentityManagerTest, DeletesExpiredSessions) {
  put(make_session("s1", clock_.now(), 3600s, 3600s, 120s));
  manager_.load();
  clock_.advance(121s);
  EXPECT_EQ(manager_.refresh_due(), 1u);
  EXPECT_FALSE(exists("s1"));
  EXPECT_EQ(authenticator_->refreshes, 0);
  EXPECT_EQ(manager_.tracked(), 0u);
}

TEST_F(IdentityManagerTest, DeletesSessionsWhoseRefreshIsRefused) {
  authenticator_->refresh_error = IdpError{IdpErrorKind::kRefused, "invalid_grant", "no"};
  put(make_session("s1", clock_.now(), 60s, 3600s, 14h));
  manager_.load();
  EXPECT_EQ(manager_.refresh_due(), 1u);
  EXPECT_FALSE(exists("s1"));
}

TEST_F(IdentityManagerTest, RetriesTemporaryFailuresAfterTheCoolOff) {
  authenticator_->refresh_error = IdpError{IdpErrorKind::kTemporary, "", "down"};
  put(make_session("s1", clock_.now(), 60s, 3600s, 14h));
  manager_.load();
  EXPECT_EQ(manager_.refresh_due(), 1u);
  EXPECT_TRUE(exists("s1"));
  EXPECT_EQ(manager_.refresh_due(), 0u);  // cool-off
  clock_.advance(10s);
  authenticator_->refresh_error.reset();
  EXPECT_EQ(manager_.refresh_due(), 1u);
  EXPECT_EQ(stored("s1").oauth_token().access_token(), "access-2");
}

TEST_F(IdentityManagerTest, DeletesSessionsOfUnknownProviders) {
  auto s = make_session("s1", clock_.now(), 60s, 3600s, 14h);
  s.set_idp_id("gone");
  put(s);
  manager_.load();
  EXPECT_EQ(manager_.refresh_due(), 1u);
  EXPECT_FALSE(exists("s1"));
}

TEST_F(IdentityManagerTest, SkipsRefreshDisabledSessions) {
  auto s = make_session("s1", clock_.now(), 60s, 3600s, 14h);
  s.set_refresh_disabled(true);
  put(s);
  manager_.load();
  EXPECT_EQ(manager_.refresh_due(), 1u);
  EXPECT_EQ(authenticator_->refreshes, 0);
  EXPECT_TRUE(exists("s1"));
}

TEST_F(IdentityManagerTest, RunsUnderTheLeaseAndFollowsNewSessions) {
  IdentityManagerOptions options;
  options.max_wait = 20ms;
  options.lease.ttl = 2s;
  SystemClock real;
  IdentityManager manager(
      broker_,
      [this](const std::string&) -> std::shared_ptr<Authenticator> { return authenticator_; }, real,
      options);
  manager.start();
  // Written after the manager started: it arrives through Sync; it expires in a second.
  put(make_session("s1", real.now(), 3600s, 3600s, 1s));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (exists("s1") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(manager.holding_lease());
  EXPECT_FALSE(exists("s1"));
  // A second manager cannot take the lease while the first holds it.
  IdentityManager second(broker_, nullptr, real, options);
  second.start();
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(second.holding_lease());
  second.stop();
  manager.stop();
}

}  // namespace
}  // namespace portcullis::identity
