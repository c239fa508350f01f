// The PostgreSQL backend: the conformance suite, plus what only a shared database promises —
// several instances see each other's changes and leases, the schema migrates once however many
// instances start, and the server version lives in the database. Restarts of the server are in
// postgres_restart_test.cc.
#include "databroker/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "databroker/postgres_schema.h"
#include "postgres_test_support.h"
#include "record_store_conformance.h"

namespace portcullis::databroker {
namespace {

using namespace std::chrono_literals;
using conformance::RecordStoreBackend;
using conformance::RecordStoreConformance;
using testing::TestDatabase;
using SteadyClock = std::chrono::steady_clock;

// One database for the conformance tests of this process (each test clears it first), created
// on first use and dropped when the test program ends.
class ConformanceDatabase : public ::testing::Environment {
 public:
  static const TestDatabase& get() {
    auto& database = instance();
    if (!database) database = std::make_unique<TestDatabase>(testing::postgres_test_url());
    return *database;
  }
  void TearDown() override { instance().reset(); }

 private:
  static std::unique_ptr<TestDatabase>& instance() {
    static std::unique_ptr<TestDatabase> database;
    return database;
  }
};

[[maybe_unused]] const auto* const kConformanceDatabase =
    ::testing::AddGlobalTestEnvironment(new ConformanceDatabase);

std::unique_ptr<RecordStore> make_conformance_store(const StoreOptions& suite_options) {
  const TestDatabase& database = ConformanceDatabase::get();
  if (!database.ok()) {
    ADD_FAILURE() << database.error();
    return nullptr;
  }
  StoreOptions options = suite_options;
  options.type = "postgres";
  options.connection_string = database.conninfo();
  return make_postgres_store(options);
}

INSTANTIATE_TEST_SUITE_P(Postgres, RecordStoreConformance,
                         ::testing::Values(RecordStoreBackend{"postgres", make_conformance_store}),
                         conformance::record_store_backend_name);

Record user(const std::string& id) {
  Record record;
  record.set_type("type.googleapis.com/user.User");
  record.set_id(id);
  record.mutable_data()->set_type_url("type.googleapis.com/user.User");
  return record;
}

// Each test gets its own database, so tests may run in parallel.
class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(testing::postgres_test_url());
    ASSERT_TRUE(database_->ok()) << database_->error();
  }

  std::unique_ptr<PostgresStore> open(PostgresStoreSettings settings = {}) {
    StoreOptions options;
    options.type = "postgres";
    options.connection_string = database_->conninfo();
    return std::make_unique<PostgresStore>(options, settings);
  }

  std::unique_ptr<TestDatabase> database_;
};

TEST_F(PostgresStoreTest, PutThroughOneInstanceWakesTheOther) {
  auto a = open();
  auto b = open();
  const ServerInfo start = b->server_info();
  EXPECT_EQ(a->server_info().server_version, start.server_version);
  std::atomic<bool> woke{false};
  SteadyClock::time_point woke_at;
  std::thread waiter([&] {
    woke = b->wait_for_change(start.latest_record_version, SteadyClock::now() + 10s);
    woke_at = SteadyClock::now();
  });
  std::this_thread::sleep_for(100ms);
  const auto put_at = SteadyClock::now();
  auto put = a->put({user("u1")});
  ASSERT_TRUE(put.ok()) << put.status().message;
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_LT(woke_at - put_at, 2s);
  auto changes = b->changes_after(start.server_version, start.latest_record_version, "", 0);
  ASSERT_TRUE(changes.ok()) << changes.status().message;
  ASSERT_EQ(changes->records.size(), 1u);
  EXPECT_EQ(changes->records[0].id(), "u1");
  EXPECT_EQ(changes->records[0].version(), put->at(0).version());
  EXPECT_TRUE(b->get("type.googleapis.com/user.User", "u1").ok());
}

TEST_F(PostgresStoreTest, ClearThroughOneInstanceWakesTheOtherAndAbortsItsSync) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a->put({user("u1"), user("u2")}).ok());
  const ServerInfo before = b->server_info();
  std::atomic<bool> woke{false};
  std::thread waiter(
      [&] { woke = b->wait_for_change(before.latest_record_version, SteadyClock::now() + 10s); });
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(a->clear().ok());
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_EQ(
      b->changes_after(before.server_version, before.latest_record_version, "", 0).status().code,
      Code::kAborted);
  EXPECT_NE(b->server_info().server_version, before.server_version);
}

TEST_F(PostgresStoreTest, ConcurrentStartsMigrateOnceAndAgree) {
  constexpr int kInstances = 4;
  std::vector<std::unique_ptr<PostgresStore>> stores(kInstances);
  std::vector<std::thread> starters;
  std::atomic<int> failures{0};
  for (int i = 0; i < kInstances; ++i) {
    starters.emplace_back([&, i] {
      try {
        stores[i] = open();
      } catch (const std::exception& error) {
        ADD_FAILURE() << error.what();
        ++failures;
      }
    });
  }
  for (auto& starter : starters) starter.join();
  ASSERT_EQ(failures, 0);
  const uint64_t server_version = stores[0]->server_info().server_version;
  EXPECT_NE(server_version, 0u);
  for (auto& store : stores) EXPECT_EQ(store->server_info().server_version, server_version);
  // Starting again migrates nothing and keeps the server version.
  stores.clear();
  auto again = open();
  EXPECT_EQ(again->server_info().server_version, server_version);

  auto conn = open_pg_connection(database_->conninfo());
  ASSERT_TRUE(conn.ok()) << conn.status().message;
  PgConnection raw(std::move(conn).value(), 5s);
  auto version = raw.exec("SELECT migration_version FROM portcullis.migration_info");
  ASSERT_TRUE(version.ok()) << version.status().message;
  EXPECT_EQ(std::atoi(PQgetvalue(version.value().get(), 0, 0)), latest_schema_version());
  EXPECT_TRUE(migrate_schema(raw).ok());  // idempotent
}

TEST_F(PostgresStoreTest, ServerVersionAndRecordsOutliveTheInstance) {
  uint64_t server_version = 0;
  uint64_t latest = 0;
  {
    auto store = open();
    ASSERT_TRUE(store->put({user("u1")}).ok());
    server_version = store->server_info().server_version;
    latest = store->server_info().latest_record_version;
  }
  auto store = open();
  EXPECT_EQ(store->server_info().server_version, server_version);
  EXPECT_EQ(store->server_info().latest_record_version, latest);
  EXPECT_TRUE(store->get("type.googleapis.com/user.User", "u1").ok());
}

TEST_F(PostgresStoreTest, LeasesAreSharedAndExpireAcrossInstances) {
  auto a = open();
  auto b = open();
  EXPECT_TRUE(a->lease("identity_manager", "a", 300ms).value());
  EXPECT_FALSE(b->lease("identity_manager", "b", 300ms).value());
  EXPECT_FALSE(b->lease("identity_manager", "b", 0ms).value());   // not b's to release
  EXPECT_TRUE(a->lease("identity_manager", "a", 300ms).value());  // renewed
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(b->lease("identity_manager", "b", 30s).value());   // expired: taken over
  EXPECT_FALSE(a->lease("identity_manager", "a", 30s).value());  // a lost it
  EXPECT_FALSE(b->lease("identity_manager", "b", 0ms).value());  // released
  EXPECT_TRUE(a->lease("identity_manager", "a", 30s).value());
}

TEST_F(PostgresStoreTest, ConcurrentWritersOnTwoInstancesCommitInVersionOrder) {
  auto a = open();
  auto b = open();
  const ServerInfo start = a->server_info();
  constexpr int kPerWriter = 100;
  auto writer = [&](PostgresStore& store, const std::string& prefix) {
    for (int i = 0; i < kPerWriter; ++i) {
      ASSERT_TRUE(store.put({user(prefix + std::to_string(i))}).ok());
    }
  };
  // A follower that reads while the writers write must never skip a version.
  std::atomic<bool> done{false};
  std::vector<uint64_t> seen;
  std::thread follower([&] {
    uint64_t version = start.latest_record_version;
    while (!done || version < a->server_info().latest_record_version) {
      auto changes = b->changes_after(start.server_version, version, "", 0);
      ASSERT_TRUE(changes.ok()) << changes.status().message;
      for (const Record& record : changes->records) {
        seen.push_back(record.version());
        version = record.version();
      }
      b->wait_for_change(version, SteadyClock::now() + 50ms);
    }
  });
  std::thread w1([&] { writer(*a, "a"); });
  std::thread w2([&] { writer(*b, "b"); });
  w1.join();
  w2.join();
  done = true;
  follower.join();
  ASSERT_EQ(seen.size(), 2u * kPerWriter);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], start.latest_record_version + i + 1);
  }
}

TEST_F(PostgresStoreTest, UnreachableServerFailsToStart) {
  StoreOptions options;
  options.type = "postgres";
  options.connection_string = "postgresql://postgres@127.0.0.1:1/postgres";
  const auto started = SteadyClock::now();
  EXPECT_THROW(make_postgres_store(options), std::runtime_error);
  EXPECT_LT(SteadyClock::now() - started, 10s);
}

}  // namespace
}  // namespace portcullis::databroker
