// The RecordStore contract, part two: the change log, waiting for changes, leases, clear, close,
// refused input and concurrent writers.
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "record_store_conformance.h"

namespace portcullis::databroker::conformance {
namespace {

using namespace std::chrono_literals;
using Ids = std::vector<std::string>;
using SteadyClock = std::chrono::steady_clock;

TEST_P(RecordStoreConformance, ChangesAfterInVersionOrder) {
  const ServerInfo start = store_->server_info();
  ASSERT_TRUE(store_->put({session_record("s1", "u1"), user_record("u1", "Ada", "a@x")}).ok());
  ASSERT_TRUE(store_->put({session_record("s2", "u1")}).ok());
  ASSERT_TRUE(store_->put({tombstone(kSessionType, "s1")}).ok());
  ASSERT_TRUE(store_->put({user_record("u1", "Ada L", "a@x")}).ok());

  auto all = store_->changes_after(start.server_version, start.latest_record_version, "", 100);
  ASSERT_TRUE(all.ok()) << all.status().message;
  EXPECT_EQ(ids_of(all->records), (Ids{"s1", "u1", "s2", "s1", "u1"}));
  for (size_t i = 1; i < all->records.size(); ++i) {
    EXPECT_GT(all->records[i].version(), all->records[i - 1].version());
  }
  EXPECT_TRUE(all->records[3].has_deleted_at());
  EXPECT_EQ(all->server_version, start.server_version);
  EXPECT_EQ(all->latest_record_version, all->records.back().version());

  auto sessions =
      store_->changes_after(start.server_version, start.latest_record_version, kSessionType, 100);
  ASSERT_TRUE(sessions.ok());
  EXPECT_EQ(ids_of(sessions->records), (Ids{"s1", "s2", "s1"}));

  auto limited = store_->changes_after(start.server_version, start.latest_record_version, "", 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(ids_of(limited->records), (Ids{"s1", "u1"}));
  auto next = store_->changes_after(start.server_version, limited->records.back().version(), "", 2);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(ids_of(next->records), (Ids{"s2", "s1"}));

  auto none = store_->changes_after(start.server_version, all->latest_record_version, "", 100);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->records.empty());
  auto future =
      store_->changes_after(start.server_version, all->latest_record_version + 100, "", 100);
  ASSERT_TRUE(future.ok());
  EXPECT_TRUE(future->records.empty());
}

TEST_P(RecordStoreConformance, ChangesCarryTheStoredRecords) {
  const ServerInfo start = store_->server_info();
  auto put = store_->put({user_record("u1", "Ada", "a@x")});
  ASSERT_TRUE(put.ok());
  auto changes = store_->changes_after(start.server_version, start.latest_record_version, "", 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->records.size(), 1u);
  EXPECT_EQ(changes->records[0].version(), put->front().version());
  EXPECT_EQ(user_of(changes->records[0]).email(), "a@x");
  EXPECT_TRUE(changes->records[0].has_modified_at());
}

TEST_P(RecordStoreConformance, StaleServerVersionIsAborted) {
  const ServerInfo start = store_->server_info();
  ASSERT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  EXPECT_EQ(store_->changes_after(start.server_version + 1, 0, "", 10).status().code,
            Code::kAborted);
  EXPECT_EQ(store_->changes_after(0, 0, "", 10).status().code, Code::kAborted);
}

TEST_P(RecordStoreConformance, RecordVersionOlderThanTheLogIsAborted) {
  const ServerInfo start = store_->server_info();
  ASSERT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  ASSERT_TRUE(store_->put({session_record("s2", "u1")}).ok());
  ASSERT_TRUE(store_->put({session_record("s3", "u1")}).ok());
  const ServerInfo written = store_->server_info();
  // Two hours on, every change is older than the one-hour retention.
  ASSERT_TRUE(store_->trim(std::chrono::system_clock::now() + 2h).ok());
  const ServerInfo trimmed = store_->server_info();
  EXPECT_GT(trimmed.earliest_record_version, start.latest_record_version + 1);
  EXPECT_LE(trimmed.earliest_record_version, written.latest_record_version + 1);
  EXPECT_EQ(trimmed.latest_record_version, written.latest_record_version);
  EXPECT_EQ(store_->changes_after(start.server_version, start.latest_record_version, "", 10)
                .status()
                .code,
            Code::kAborted);
  auto current = store_->changes_after(start.server_version, written.latest_record_version, "", 10);
  ASSERT_TRUE(current.ok()) << current.status().message;
  EXPECT_TRUE(current->records.empty());
  // Trimming the log keeps the records.
  EXPECT_TRUE(store_->get(kSessionType, "s1").ok());
  EXPECT_EQ(store_->latest(kSessionType)->records.size(), 3u);
  // New changes are logged again.
  ASSERT_TRUE(store_->put({session_record("s4", "u1")}).ok());
  auto after = store_->changes_after(start.server_version, written.latest_record_version, "", 10);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(ids_of(after->records), Ids{"s4"});
}

TEST_P(RecordStoreConformance, RecentChangesSurviveTrim) {
  const ServerInfo start = store_->server_info();
  ASSERT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  ASSERT_TRUE(store_->trim(std::chrono::system_clock::now() + 10min).ok());
  auto changes = store_->changes_after(start.server_version, start.latest_record_version, "", 10);
  ASSERT_TRUE(changes.ok()) << changes.status().message;
  EXPECT_EQ(ids_of(changes->records), Ids{"s1"});
}

TEST_P(RecordStoreConformance, LatestIsConsistent) {
  ASSERT_TRUE(store_
                  ->put({session_record("s1", "u1"), session_record("s2", "u2"),
                         user_record("u1", "Ada", "a@x")})
                  .ok());
  ASSERT_TRUE(store_->put({tombstone(kSessionType, "s2"), session_record("s3", "u3")}).ok());
  auto sessions = store_->latest(kSessionType);
  ASSERT_TRUE(sessions.ok());
  const ServerInfo info = store_->server_info();
  EXPECT_EQ(sessions->server_version, info.server_version);
  EXPECT_EQ(sessions->latest_record_version, info.latest_record_version);
  auto ids = ids_of(sessions->records);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (Ids{"s1", "s3"}));
  for (const Record& record : sessions->records) {
    auto got = store_->get(record.type(), record.id());
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->version(), record.version());
    EXPECT_LE(record.version(), sessions->latest_record_version);
  }
  auto everything = store_->latest("");
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->records.size(), 3u);
  // Replaying changes after the latest version finds nothing missed.
  auto changes =
      store_->changes_after(sessions->server_version, sessions->latest_record_version, "", 10);
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(changes->records.empty());
}

TEST_P(RecordStoreConformance, WaitForChangeTimesOut) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  const uint64_t latest = store_->server_info().latest_record_version;
  const auto start = SteadyClock::now();
  EXPECT_FALSE(store_->wait_for_change(latest, start + 150ms));
  EXPECT_GE(SteadyClock::now() - start, 140ms);
  EXPECT_TRUE(store_->wait_for_change(latest - 1, SteadyClock::now() + 5s));
}

TEST_P(RecordStoreConformance, WaitForChangeWakesOnPut) {
  const uint64_t latest = store_->server_info().latest_record_version;
  std::thread writer([&] {
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  });
  const auto start = SteadyClock::now();
  EXPECT_TRUE(store_->wait_for_change(latest, start + 10s));
  EXPECT_LT(SteadyClock::now() - start, 5s);
  writer.join();
  EXPECT_GT(store_->server_info().latest_record_version, latest);
}

TEST_P(RecordStoreConformance, CloseWakesWaitersAndRefusesCalls) {
  const uint64_t latest = store_->server_info().latest_record_version;
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    store_->wait_for_change(latest, SteadyClock::now() + 20s);
    returned = true;
  });
  std::this_thread::sleep_for(100ms);
  const auto start = SteadyClock::now();
  store_->close();
  waiter.join();
  EXPECT_TRUE(returned);
  EXPECT_LT(SteadyClock::now() - start, 5s);
  EXPECT_EQ(store_->get(kSessionType, "s1").status().code, Code::kUnavailable);
  EXPECT_EQ(store_->put({session_record("s1", "u1")}).status().code, Code::kUnavailable);
  EXPECT_EQ(store_->latest("").status().code, Code::kUnavailable);
  EXPECT_EQ(store_->changes_after(0, 0, "", 1).status().code, Code::kUnavailable);
  EXPECT_EQ(store_->lease("l", "a", 1s).status().code, Code::kUnavailable);
  EXPECT_FALSE(store_->wait_for_change(latest, SteadyClock::now() + 10s));
}

TEST_P(RecordStoreConformance, LeaseIsHeldByOneIdAtATime) {
  auto first = store_->lease("identity_manager", "a", 30s);
  ASSERT_TRUE(first.ok()) << first.status().message;
  EXPECT_TRUE(first.value());
  EXPECT_FALSE(store_->lease("identity_manager", "b", 30s).value());  // contended
  EXPECT_TRUE(store_->lease("identity_manager", "a", 30s).value());   // renewed by the holder
  EXPECT_TRUE(store_->lease("other", "b", 30s).value());              // names are independent
  // Release only by the holder.
  EXPECT_FALSE(store_->lease("identity_manager", "b", 0ms).value());
  EXPECT_FALSE(store_->lease("identity_manager", "b", 30s).value());
  EXPECT_FALSE(store_->lease("identity_manager", "a", -1ms).value());
  EXPECT_TRUE(store_->lease("identity_manager", "b", 30s).value());
  EXPECT_FALSE(store_->lease("identity_manager", "a", 30s).value());
}

TEST_P(RecordStoreConformance, LeaseExpires) {
  EXPECT_TRUE(store_->lease("l", "a", 200ms).value());
  EXPECT_FALSE(store_->lease("l", "b", 200ms).value());
  std::this_thread::sleep_for(400ms);
  EXPECT_TRUE(store_->lease("l", "b", 30s).value());
  EXPECT_FALSE(store_->lease("l", "a", 30s).value());
}

TEST_P(RecordStoreConformance, LeaseNeedsNameAndId) {
  EXPECT_EQ(store_->lease("", "a", 1s).status().code, Code::kInvalidArgument);
  EXPECT_EQ(store_->lease("l", "", 1s).status().code, Code::kInvalidArgument);
}

TEST_P(RecordStoreConformance, ClearEmptiesAndChangesServerVersion) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1"), user_record("u1", "Ada", "a@x")}).ok());
  Options options;
  options.add_indexable_fields("email");
  ASSERT_TRUE(store_->set_options(kUserType, options).ok());
  const ServerInfo before = store_->server_info();
  auto cleared = store_->clear();
  ASSERT_TRUE(cleared.ok()) << cleared.status().message;
  EXPECT_NE(cleared->server_version, before.server_version);
  EXPECT_EQ(store_->server_info().server_version, cleared->server_version);
  EXPECT_EQ(store_->get(kSessionType, "s1").status().code, Code::kNotFound);
  auto latest = store_->latest("");
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest->records.empty());
  EXPECT_EQ(latest->server_version, cleared->server_version);
  EXPECT_TRUE(store_->list_types().empty());
  EXPECT_EQ(store_->changes_after(before.server_version, before.latest_record_version, "", 10)
                .status()
                .code,
            Code::kAborted);
  ASSERT_TRUE(store_->put({session_record("s2", "u1")}).ok());
  auto changes =
      store_->changes_after(cleared->server_version, cleared->latest_record_version, "", 10);
  ASSERT_TRUE(changes.ok()) << changes.status().message;
  EXPECT_EQ(ids_of(changes->records), Ids{"s2"});
}

TEST_P(RecordStoreConformance, RefusedPutsChangeNothing) {
  ASSERT_TRUE(store_->put({user_record("u1", "Ada", "a@x")}).ok());
  const ServerInfo before = store_->server_info();

  Record no_id = user_record("", "x", "x@x");
  Record no_type = user_record("u2", "x", "x@x");
  no_type.clear_type();
  Record oversized = user_record("u3", std::string(kMaxRecordBytes + 1, 'x'), "big@x");
  Record corrupt = user_record("u4", "x", "x@x");
  corrupt.mutable_data()->set_value("\xff\xff\xff");
  for (const Record& bad : {no_id, no_type, oversized, corrupt}) {
    auto put = store_->put({user_record("u9", "Valid", "v@x"), bad, user_record("u1", "B", "b@x")});
    EXPECT_EQ(put.status().code, Code::kInvalidArgument) << bad.ShortDebugString().substr(0, 200);
  }
  const ServerInfo after = store_->server_info();
  EXPECT_EQ(after.latest_record_version, before.latest_record_version);
  EXPECT_EQ(after.server_version, before.server_version);
  EXPECT_EQ(store_->get(kUserType, "u9").status().code, Code::kNotFound);
  EXPECT_EQ(user_of(store_->get(kUserType, "u1").value()).name(), "Ada");
  auto changes = store_->changes_after(before.server_version, before.latest_record_version, "", 10);
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(changes->records.empty());
}

TEST_P(RecordStoreConformance, RecordsUpToTheLimitAreAccepted) {
  // Data of about three quarters of the limit (Any framing included).
  Record large = user_record("u1", std::string(kMaxRecordBytes * 3 / 4, 'x'), "big@x");
  auto put = store_->put({large});
  ASSERT_TRUE(put.ok()) << put.status().message;
  EXPECT_EQ(user_of(store_->get(kUserType, "u1").value()).name().size(), kMaxRecordBytes * 3 / 4);
}

TEST_P(RecordStoreConformance, RefusedQueriesAndPatchesChangeNothing) {
  ASSERT_TRUE(store_->put({user_record("u1", "Ada", "a@x")}).ok());
  const ServerInfo before = store_->server_info();
  QueryRequest request;
  request.set_type(kUserType);
  *request.mutable_filter() = json_struct(R"({"$bogus": 1})");
  EXPECT_EQ(store_->query(request).status().code, Code::kInvalidArgument);
  EXPECT_EQ(store_->patch({user_record("u1", "B", "b@x")}, mask({"nope"})).status().code,
            Code::kInvalidArgument);
  EXPECT_EQ(store_->server_info().latest_record_version, before.latest_record_version);
}

TEST_P(RecordStoreConformance, ConcurrentWritersGetUniqueVersionsAndACompleteLog) {
  const ServerInfo start = store_->server_info();
  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 50;
  std::vector<std::vector<uint64_t>> versions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto put = store_->put({session_record(id, "u")});
        if (put.ok()) versions[t].push_back(put->front().version());
        if (i % 10 == 0) static_cast<void>(store_->get(kSessionType, id));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<uint64_t> all;
  for (const auto& per_thread : versions) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kPutsPerThread));
    EXPECT_TRUE(std::is_sorted(per_thread.begin(), per_thread.end()));
    all.insert(per_thread.begin(), per_thread.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPutsPerThread));
  auto changes = store_->changes_after(start.server_version, start.latest_record_version, "",
                                       kThreads * kPutsPerThread * 2);
  ASSERT_TRUE(changes.ok());
  std::set<uint64_t> logged;
  for (const Record& change : changes->records) logged.insert(change.version());
  EXPECT_EQ(logged, all);
  EXPECT_EQ(store_->latest(kSessionType)->records.size(),
            static_cast<size_t>(kThreads * kPutsPerThread));
}

}  // namespace
}  // namespace portcullis::databroker::conformance
