// Replica snapshots and the Syncer that keeps them current, over the in-process broker and over a
// real loopback gRPC channel.

#include "databroker/syncer.h"

#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>

#include <thread>

#include "databroker/local_client.h"
#include "grpc_test_support.h"
#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::databroker {
namespace {

using namespace std::chrono_literals;
using testing::kSessionType;
using testing::kUserType;
using testing::LoopbackDataBroker;
using testing::session_record;
using testing::tombstone;
using testing::user_record;

// Polls `condition` for up to `timeout`.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

SyncerOptions fast_backoff() {
  return {50ms, 200ms};
}

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  Backoff backoff(100ms, 800ms);
  std::vector<std::pair<int64_t, int64_t>> bounds = {{50, 100},  {100, 200}, {200, 400},
                                                     {400, 800}, {400, 800}, {400, 800}};
  for (auto [low, high] : bounds) {
    auto delay = backoff.next().count();
    EXPECT_GE(delay, low);
    EXPECT_LE(delay, high);
  }
  backoff.reset();
  EXPECT_LE(backoff.next().count(), 100);
}

TEST(Replica, ReadersSeeLoadsAndChanges) {
  Replica<session::Session> replica(kSessionType);
  Replica<session::Session>::Reader reader(replica);
  EXPECT_FALSE(replica.loaded());
  EXPECT_EQ(reader.find("s1"), nullptr);

  auto s1 = session_record("s1", "u1");
  s1.set_version(3);
  replica.load({s1}, {7, 3});
  EXPECT_TRUE(replica.loaded());
  ASSERT_NE(reader.find("s1"), nullptr);
  EXPECT_EQ(reader.find("s1")->user_id(), "u1");
  EXPECT_EQ(reader.versions().server_version, 7u);
  EXPECT_EQ(reader.versions().record_version, 3u);

  auto held = reader.find("s1");  // a value outlives later changes
  auto s2 = session_record("s2", "u2");
  s2.set_version(4);
  replica.apply(std::move(s2));
  auto gone = tombstone(kSessionType, "s1");
  gone.set_version(5);
  replica.apply(std::move(gone));
  EXPECT_EQ(reader.find("s1"), nullptr);
  ASSERT_NE(reader.find("s2"), nullptr);
  EXPECT_EQ(held->user_id(), "u1");
  EXPECT_EQ(replica.versions().record_version, 5u);
  EXPECT_EQ(replica.size(), 1u);
  EXPECT_TRUE(replica.wait_for_record_version(5, 0ms));
  EXPECT_FALSE(replica.wait_for_record_version(6, 10ms));

  // Data of another type is skipped rather than stored.
  auto wrong = user_record("s3", "e");
  wrong.set_type(kSessionType);
  wrong.set_version(6);
  replica.apply(std::move(wrong));
  EXPECT_EQ(reader.find("s3"), nullptr);
  EXPECT_EQ(replica.versions().record_version, 6u);
}

TEST(Replica, CaughtUpMovesTheVersionOnOnly) {
  Replica<session::Session> replica(kSessionType);
  Replica<session::Session>::Reader reader(replica);
  replica.caught_up(9);  // nothing loaded yet: nothing to be current
  EXPECT_FALSE(replica.loaded());
  auto s1 = session_record("s1", "u1");
  s1.set_version(3);
  replica.load({s1}, {7, 4});
  replica.caught_up(10);
  EXPECT_EQ(reader.versions().record_version, 10u);
  EXPECT_EQ(reader.versions().server_version, 7u);
  ASSERT_NE(reader.find("s1"), nullptr);
  EXPECT_TRUE(replica.wait_for_record_version(10, 0ms));
  replica.caught_up(8);  // never backwards
  EXPECT_EQ(replica.versions().record_version, 10u);
}

TEST(Replica, GenerationMovesOnEveryPublish) {
  Replica<session::Session> replica(kSessionType);
  EXPECT_EQ(replica.generation(), 0u);
  auto s1 = session_record("s1", "u1");
  s1.set_version(3);
  replica.load({s1}, {7, 3});
  auto loaded = replica.generation();
  EXPECT_GT(loaded, 0u);
  auto s2 = session_record("s1", "u2");
  s2.set_version(4);
  replica.apply(std::move(s2));
  auto changed = replica.generation();
  EXPECT_GT(changed, loaded);
  replica.caught_up(4);  // not past the version: nothing published
  EXPECT_EQ(replica.generation(), changed);
  replica.caught_up(5);
  EXPECT_GT(replica.generation(), changed);
}

// Record versions are store-wide: a replica of one type learns from the Sync stream how far it is
// current while only other types change, so a version comparison against a write of several
// types (a sign-in puts a user and a session) holds for every replica.
TEST(Syncer, InProcessReplicaFollowsTheStoreVersionAcrossTypes) {
  auto store = make_memory_store(StoreOptions{});
  LocalDataBroker local(*store);
  Replica<user::User> users(kUserType);
  Syncer syncer(local, users, fast_backoff());
  syncer.start();
  ASSERT_TRUE(users.wait_until_loaded(5s));

  auto put = local.put({user_record("u1", "a@example.com"), session_record("s1", "u1")});
  ASSERT_TRUE(put.ok());
  uint64_t user_version = put->records[0].version();
  uint64_t session_version = put->records[1].version();
  ASSERT_LT(user_version, session_version);
  ASSERT_TRUE(users.wait_for_record_version(session_version, 5s));
  EXPECT_NE(users.find("u1"), nullptr);

  // Only sessions change: the users replica still moves on.
  auto later = local.put({session_record("s2", "u1")});
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(users.wait_for_record_version(later->records[0].version(), 5s));
  syncer.stop();
  store->close();
}

TEST(Syncer, FollowsPutsAndDeletesOverGrpc) {
  LoopbackDataBroker broker;
  auto client = broker.client();
  ASSERT_TRUE(client->put({session_record("s1", "u1"), user_record("u1", "e")}).ok());
  Replica<session::Session> replica(kSessionType);
  Syncer syncer(*client, replica, fast_backoff());
  syncer.start();
  ASSERT_TRUE(replica.wait_until_loaded(5s));
  Replica<session::Session>::Reader reader(replica);
  ASSERT_NE(reader.find("s1"), nullptr);
  EXPECT_EQ(reader.find("u1"), nullptr);  // users are not sessions

  auto put = client->put({session_record("s2", "u2")});
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(replica.wait_for_record_version(put->records[0].version(), 5s));
  ASSERT_NE(reader.find("s2"), nullptr);
  EXPECT_EQ(reader.find("s2")->user_id(), "u2");

  auto deleted = client->put({tombstone(kSessionType, "s1")});
  ASSERT_TRUE(deleted.ok());
  ASSERT_TRUE(replica.wait_for_record_version(deleted->records[0].version(), 5s));
  EXPECT_EQ(reader.find("s1"), nullptr);
  EXPECT_EQ(syncer.loads(), 1u);
  EXPECT_EQ(syncer.failures(), 0u);

  auto started = std::chrono::steady_clock::now();
  syncer.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(Syncer, StartsOverAfterClear) {
  LoopbackDataBroker broker;
  auto client = broker.client();
  ASSERT_TRUE(client->put({session_record("s1", "u1")}).ok());
  Replica<session::Session> replica(kSessionType);
  Syncer syncer(*client, replica, fast_backoff());
  syncer.start();
  ASSERT_TRUE(replica.wait_until_loaded(30s));
  ASSERT_NE(replica.find("s1"), nullptr);
  auto old_server = replica.versions().server_version;

  auto cleared = client->clear();
  ASSERT_TRUE(cleared.ok());
  ASSERT_NE(cleared->new_server_version, old_server);
  ASSERT_TRUE(client->put({session_record("s2", "u2")}).ok());
  // The reload publishes the replica before it counts itself: wait for both, and for the new
  // server's version, rather than reading them the moment s2 shows up.
  ASSERT_TRUE(eventually(
      [&] {
        return replica.find("s2") != nullptr &&
               replica.versions().server_version == cleared->new_server_version &&
               syncer.loads() >= 2u;
      },
      30s));
  EXPECT_EQ(replica.find("s1"), nullptr);
  EXPECT_EQ(replica.versions().server_version, cleared->new_server_version);
  EXPECT_GE(syncer.loads(), 2u);
}

// Healthy: loaded and following the server; not while the server is away and the syncer retries;
// healthy again once the server answers, without a reload.
TEST(Syncer, HealthyOnlyWhileTheServerAnswers) {
  LoopbackDataBroker broker;
  auto client = broker.client();
  ASSERT_TRUE(client->put({session_record("s1", "u1")}).ok());
  Replica<session::Session> replica(kSessionType);
  Syncer syncer(*client, replica, fast_backoff());
  EXPECT_FALSE(syncer.healthy());
  syncer.start();
  ASSERT_TRUE(replica.wait_until_loaded(30s));
  ASSERT_TRUE(eventually([&] { return syncer.healthy(); }, 30s));

  broker.stop_server();
  EXPECT_TRUE(eventually([&] { return !syncer.healthy(); }, 30s));
  EXPECT_TRUE(eventually([&] { return syncer.failures() >= 2u; }, 30s));
  EXPECT_FALSE(syncer.healthy());  // still retrying

  broker.start_server();
  EXPECT_TRUE(eventually([&] { return syncer.healthy(); }, 30s));
  EXPECT_EQ(syncer.loads(), 1u);  // resumed, not reloaded
  // And it follows changes again.
  ASSERT_TRUE(client->put({session_record("s2", "u2")}).ok());
  EXPECT_TRUE(eventually([&] { return replica.find("s2") != nullptr; }, 30s));
  EXPECT_TRUE(syncer.healthy());
  syncer.stop();
}

TEST(Syncer, BacksOffWhileTheServerIsDownAndResumes) {
  LoopbackDataBroker broker;
  auto client = broker.client();
  ASSERT_TRUE(client->put({session_record("s1", "u1")}).ok());
  Replica<session::Session> replica(kSessionType);
  Syncer syncer(*client, replica, {100ms, 400ms});
  syncer.start();
  ASSERT_TRUE(replica.wait_until_loaded(5s));

  broker.stop_server();
  std::this_thread::sleep_for(1500ms);
  auto failures = syncer.failures();
  // Delays of [50,100], [100,200], then [200,400] ms: a handful of attempts, not a hot loop.
  EXPECT_GE(failures, 2u);
  EXPECT_LE(failures, 12u);

  // Written while the server was away; the same store (server version) comes back.
  ASSERT_TRUE(broker.store().put({session_record("s2", "u2")}).ok());
  broker.start_server();
  ASSERT_TRUE(eventually([&] { return replica.find("s2") != nullptr; }));
  EXPECT_EQ(syncer.loads(), 1u);  // resumed from its version, not reloaded
  ASSERT_TRUE(client->put({session_record("s3", "u3")}).ok());
  EXPECT_TRUE(eventually([&] { return replica.find("s3") != nullptr; }));
}

TEST(Syncer, KeepsAStructReplicaInProcess) {
  auto store = make_memory_store(StoreOptions{});
  LocalDataBroker local(*store);
  Replica<google::protobuf::Struct> replica("pomerium.io/DirectoryUser");
  Syncer syncer(local, replica, fast_backoff());
  syncer.start();
  ASSERT_TRUE(replica.wait_until_loaded(5s));

  google::protobuf::Struct data;
  (*data.mutable_fields())["email"].set_string_value("a@example.com");
  Record record;
  record.set_type("pomerium.io/DirectoryUser");
  record.set_id("a");
  record.mutable_data()->PackFrom(data);
  auto put = local.put({record});
  ASSERT_TRUE(put.ok()) << put.status().message;
  ASSERT_TRUE(replica.wait_for_record_version(put->records[0].version(), 5s));
  auto found = replica.find("a");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->fields().at("email").string_value(), "a@example.com");

  auto started = std::chrono::steady_clock::now();
  syncer.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  store->close();
}

TEST(Syncer, ReadersOnOtherThreadsWhileChangesArrive) {
  auto store = make_memory_store(StoreOptions{});
  LocalDataBroker local(*store);
  Replica<session::Session> replica(kSessionType);
  Syncer syncer(local, replica, fast_backoff());
  syncer.start();
  ASSERT_TRUE(replica.wait_until_loaded(5s));
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<uint64_t> hits{0};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      Replica<session::Session>::Reader reader(replica);
      while (!done.load()) {
        for (int i = 0; i < 50; ++i) {
          if (auto value = reader.find("s" + std::to_string(i)); value) {
            EXPECT_EQ(value->id(), "s" + std::to_string(i));
            hits.fetch_add(1);
          }
        }
      }
    });
  }
  uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    auto put = local.put({session_record("s" + std::to_string(i), "u")});
    ASSERT_TRUE(put.ok());
    last = put->records[0].version();
  }
  ASSERT_TRUE(replica.wait_for_record_version(last, 5s));
  // The readers must see the records: give them time to run on a busy machine.
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (hits.load() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(replica.size(), 50u);
  EXPECT_GT(hits.load(), 0u);
  syncer.stop();
  store->close();
}

}  // namespace
}  // namespace portcullis::databroker
