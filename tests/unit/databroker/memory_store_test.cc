// The memory backend: the conformance suite, plus what only this backend promises (an injected
// clock, change-log trimming on writes, tombstones for evictions, versions restarting on clear).
#include "databroker/memory_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "record_store_conformance.h"

namespace portcullis::databroker {
namespace {

using namespace std::chrono_literals;
using conformance::RecordStoreBackend;
using conformance::RecordStoreConformance;

INSTANTIATE_TEST_SUITE_P(Memory, RecordStoreConformance,
                         ::testing::Values(RecordStoreBackend{"memory",
                                                              [](const StoreOptions& options) {
                                                                return make_memory_store(options);
                                                              }}),
                         conformance::record_store_backend_name);

// A wall clock the test moves by hand.
class FakeClock {
 public:
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::nanoseconds(nanos_.load()));
  }
  void advance(std::chrono::nanoseconds by) { nanos_ += by.count(); }
  WallClock wall_clock() {
    return [this] { return now(); };
  }

 private:
  std::atomic<int64_t> nanos_{std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count()};
};

class MemoryStoreTest : public ::testing::Test {
 protected:
  MemoryStoreTest() : store_(StoreOptions{}, MemoryStoreHooks{clock_.wall_clock(), 0ms}) {}

  uint64_t put(const Record& record) {
    auto stored = store_.put({record});
    EXPECT_TRUE(stored.ok()) << stored.status().message;
    return stored.ok() ? stored->front().version() : 0;
  }

  FakeClock clock_;
  MemoryStore store_;
};

TEST_F(MemoryStoreTest, VersionsStartAtOneAndNothingIsTrimmed) {
  EXPECT_EQ(store_.server_info().latest_record_version, 0u);
  EXPECT_EQ(store_.server_info().earliest_record_version, 0u);
  EXPECT_EQ(put(conformance::session_record("s1", "u1")), 1u);
  EXPECT_EQ(put(conformance::user_record("u1", "Ada", "a@x")), 2u);
  EXPECT_EQ(store_.server_info().earliest_record_version, 0u);
}

TEST_F(MemoryStoreTest, WritesTrimChangesOlderThanTheRetention) {
  const uint64_t sv = store_.server_info().server_version;
  put(conformance::session_record("s1", "u1"));  // version 1 at t0
  clock_.advance(30min);
  put(conformance::session_record("s2", "u1"));  // version 2 at t0+30m
  clock_.advance(45min);
  put(conformance::session_record("s3", "u1"));  // t0+75m: version 1 is older than an hour
  EXPECT_EQ(store_.server_info().earliest_record_version, 2u);
  EXPECT_EQ(store_.changes_after(sv, 0, "", 10).status().code, Code::kAborted);
  auto changes = store_.changes_after(sv, 1, "", 10);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(conformance::ids_of(changes->records), (std::vector<std::string>{"s2", "s3"}));
  EXPECT_TRUE(store_.get(conformance::kSessionType, "s1").ok());
}

TEST_F(MemoryStoreTest, TrimAdvancesEarliestPastAnEmptiedLog) {
  const uint64_t sv = store_.server_info().server_version;
  put(conformance::session_record("s1", "u1"));
  put(conformance::session_record("s2", "u1"));
  clock_.advance(2h);
  ASSERT_TRUE(store_.trim(clock_.now()).ok());
  EXPECT_EQ(store_.server_info().earliest_record_version, 3u);
  EXPECT_EQ(store_.changes_after(sv, 1, "", 10).status().code, Code::kAborted);
  EXPECT_TRUE(store_.changes_after(sv, 2, "", 10).ok());
  EXPECT_EQ(put(conformance::session_record("s3", "u1")), 3u);
  EXPECT_EQ(store_.changes_after(sv, 2, "", 10)->records.size(), 1u);
}

TEST_F(MemoryStoreTest, ReadsHideExpiredRecordsBeforeATrim) {
  Options options;
  options.mutable_ttl()->set_seconds(10);
  ASSERT_TRUE(store_.set_options(conformance::kUserType, options).ok());
  put(conformance::user_record("u1", "Ada", "a@x"));
  clock_.advance(11s);
  EXPECT_EQ(store_.get(conformance::kUserType, "u1").status().code, Code::kNotFound);
  EXPECT_TRUE(store_.latest(conformance::kUserType)->records.empty());
  QueryRequest request;
  request.set_type(conformance::kUserType);
  EXPECT_EQ(store_.query(request)->total_count(), 0);
  // The trim turns the expiry into a tombstone that syncers see.
  const uint64_t before = store_.server_info().latest_record_version;
  ASSERT_TRUE(store_.trim(clock_.now()).ok());
  auto changes = store_.changes_after(store_.server_info().server_version, before, "", 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->records.size(), 1u);
  EXPECT_EQ(changes->records[0].id(), "u1");
  EXPECT_TRUE(changes->records[0].has_deleted_at());
}

TEST_F(MemoryStoreTest, EvictionsAreLoggedAsTombstones) {
  Options options;
  options.set_capacity(1);
  ASSERT_TRUE(store_.set_options(conformance::kUserType, options).ok());
  put(conformance::user_record("u1", "Ada", "a@x"));
  uint64_t second = put(conformance::user_record("u2", "Alan", "b@x"));
  auto changes = store_.changes_after(store_.server_info().server_version, second, "", 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->records.size(), 1u);
  EXPECT_EQ(changes->records[0].id(), "u1");
  EXPECT_TRUE(changes->records[0].has_deleted_at());
}

TEST_F(MemoryStoreTest, LeasesFollowTheInjectedClock) {
  EXPECT_TRUE(store_.lease("l", "a", 30s).value());
  clock_.advance(29s);
  EXPECT_FALSE(store_.lease("l", "b", 30s).value());
  clock_.advance(2s);
  EXPECT_TRUE(store_.lease("l", "b", 30s).value());
}

TEST_F(MemoryStoreTest, ClearRestartsVersionsAndWakesWaiters) {
  put(conformance::session_record("s1", "u1"));
  put(conformance::session_record("s2", "u1"));
  std::atomic<bool> woke{false};
  std::thread waiter(
      [&] { woke = store_.wait_for_change(2, std::chrono::steady_clock::now() + 10s); });
  std::this_thread::sleep_for(50ms);
  auto cleared = store_.clear();
  ASSERT_TRUE(cleared.ok());
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_EQ(cleared->latest_record_version, 0u);
  EXPECT_EQ(put(conformance::session_record("s3", "u1")), 1u);
}

TEST(MemoryStoreCleanup, BackgroundThreadTrims) {
  FakeClock clock;
  MemoryStore store(StoreOptions{}, MemoryStoreHooks{clock.wall_clock(), 5ms});
  ASSERT_TRUE(store.put({conformance::session_record("s1", "u1")}).ok());
  clock.advance(2h);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (store.server_info().earliest_record_version == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(store.server_info().earliest_record_version, 2u);
  store.close();
}

TEST(MemoryStoreCleanup, FactoryStoreClosesCleanly) {
  auto store = make_memory_store(StoreOptions{});
  ASSERT_TRUE(store->put({conformance::session_record("s1", "u1")}).ok());
  EXPECT_TRUE(store->get(conformance::kSessionType, "s1").ok());
  store.reset();  // joins the cleanup thread without waiting a minute
}

}  // namespace
}  // namespace portcullis::databroker
