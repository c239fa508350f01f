// The PostgreSQL backend across a server restart: each test starts its own server (so the
// shared test server is never disturbed) and restarts it with tests/support/postgres-server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "databroker/postgres_store.h"
#include "postgres_test_support.h"

namespace portcullis::databroker {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr char kUserType[] = "type.googleapis.com/user.User";

// A PostgreSQL server of the test's own in a temporary directory.
class DedicatedServer {
 public:
  DedicatedServer() {
    char dir[] = "/tmp/portcullis-pg-XXXXXX";
    if (::mkdtemp(dir) == nullptr) return;
    dir_ = dir;
    if (script("start") != 0) return;
    std::ifstream file(dir_ + "/url");
    file >> url_;
  }
  ~DedicatedServer() {
    if (dir_.empty()) return;
    script("stop");
    // The script removes the directory; this covers a script that could not run at all.
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  DedicatedServer(const DedicatedServer&) = delete;
  DedicatedServer& operator=(const DedicatedServer&) = delete;

  const std::string& url() const { return url_; }
  // Stops the server, waits `pause` and starts it again on the same port and data.
  int restart(std::chrono::seconds pause) {
    return script("restart", " " + std::to_string(pause.count()));
  }

 private:
  int script(const std::string& command, const std::string& extra = "") {
    const std::string line = std::string(PORTCULLIS_SOURCE_DIR) +
                             "/tests/support/postgres-server " + command + " " + dir_ + extra +
                             " >/dev/null";
    return std::system(line.c_str());
  }

  std::string dir_;
  std::string url_;
};

Record user(const std::string& id) {
  Record record;
  record.set_type(kUserType);
  record.set_id(id);
  record.mutable_data()->set_type_url(kUserType);
  return record;
}

std::unique_ptr<PostgresStore> open(const std::string& url) {
  StoreOptions options;
  options.type = "postgres";
  options.connection_string = url;
  PostgresStoreSettings settings;
  settings.acquire_timeout = 2s;
  settings.statement_timeout = 5s;
  return std::make_unique<PostgresStore>(options, settings);
}

TEST(PostgresRestartTest, CallsFailFastDuringTheOutageAndRecoverWithTheSameServerVersion) {
  DedicatedServer server;
  ASSERT_FALSE(server.url().empty()) << "could not start a PostgreSQL server";
  auto store = open(server.url());
  ASSERT_TRUE(store->put({user("before")}).ok());
  const ServerInfo before = store->server_info();

  std::atomic<bool> restarted{false};
  std::thread restarter([&] {
    EXPECT_EQ(server.restart(2s), 0);
    restarted = true;
  });
  // Calls while the server is down or coming up: each answers (OK or UNAVAILABLE) in bounded
  // time, and some answer UNAVAILABLE.
  int unavailable = 0;
  auto slowest = SteadyClock::duration::zero();
  while (!restarted) {
    const auto started = SteadyClock::now();
    auto got = store->get(kUserType, "before");
    slowest = std::max(slowest, SteadyClock::now() - started);
    if (!got.ok()) {
      EXPECT_EQ(got.status().code, Code::kUnavailable) << got.status().message;
      ++unavailable;
    }
    auto put = store->put({user("during")});
    if (!put.ok()) {
      EXPECT_EQ(put.status().code, Code::kUnavailable) << put.status().message;
    }
    std::this_thread::sleep_for(20ms);
  }
  restarter.join();
  EXPECT_GT(unavailable, 0);
  EXPECT_LT(slowest, 3s);

  // Back within the reconnect backoff (at most 2 s), with the same server version and records.
  const auto deadline = SteadyClock::now() + 10s;
  Result<Record> got = Status::error(Code::kUnavailable, "not tried");
  while (SteadyClock::now() < deadline) {
    got = store->get(kUserType, "before");
    if (got.ok()) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(got.ok()) << got.status().message;
  EXPECT_EQ(store->server_info().server_version, before.server_version);
  ASSERT_TRUE(store->put({user("after")}).ok());
  // A new instance agrees.
  EXPECT_EQ(open(server.url())->server_info().server_version, before.server_version);
}

TEST(PostgresRestartTest, FollowerSeesEveryAcknowledgedPutExactlyOnceAcrossARestart) {
  DedicatedServer server;
  ASSERT_FALSE(server.url().empty()) << "could not start a PostgreSQL server";
  auto writer_store = open(server.url());
  auto reader_store = open(server.url());
  const ServerInfo start = reader_store->server_info();

  // The writer puts unique ids; an id is acknowledged when its put returned OK.
  std::mutex mutex;
  std::map<std::string, uint64_t> acknowledged;  // id → version
  std::atomic<bool> stop_writing{false};
  std::thread writer([&] {
    for (int i = 0; !stop_writing; ++i) {
      const std::string id = "u" + std::to_string(i);
      auto put = writer_store->put({user(id)});
      if (put.ok()) {
        std::lock_guard lock(mutex);
        acknowledged[id] = put->at(0).version();
      } else {
        std::this_thread::sleep_for(10ms);
      }
    }
  });

  // The follower reads changes after its version and waits for more, as a Sync stream does.
  std::atomic<bool> stop_reading{false};
  std::vector<Record> followed;
  std::atomic<uint64_t> followed_version{start.latest_record_version};
  std::thread reader([&] {
    while (!stop_reading) {
      auto changes = reader_store->changes_after(start.server_version, followed_version, "", 100);
      if (!changes.ok()) {
        EXPECT_EQ(changes.status().code, Code::kUnavailable) << changes.status().message;
        std::this_thread::sleep_for(20ms);
        continue;
      }
      for (Record& record : changes->records) {
        followed_version = record.version();
        followed.push_back(std::move(record));
      }
      if (changes->records.empty()) {
        reader_store->wait_for_change(followed_version.load(), SteadyClock::now() + 200ms);
      }
    }
  });

  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(server.restart(1s), 0);
  // Writes resume, and the follower's listener reconnects.
  const auto deadline = SteadyClock::now() + 10s;
  size_t before_restart = 0;
  {
    std::lock_guard lock(mutex);
    before_restart = acknowledged.size();
  }
  while (SteadyClock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      if (acknowledged.size() > before_restart + 50 && reader_store->listening()) break;
    }
    std::this_thread::sleep_for(50ms);
  }
  stop_writing = true;
  writer.join();
  EXPECT_TRUE(reader_store->listening());

  // Let the follower catch up with everything written, then compare.
  const uint64_t latest = writer_store->server_info().latest_record_version;
  const auto catch_up = SteadyClock::now() + 10s;
  while (SteadyClock::now() < catch_up) {
    if (followed_version >= latest) break;
    std::this_thread::sleep_for(50ms);
  }
  stop_reading = true;
  reader.join();

  ASSERT_GT(acknowledged.size(), before_restart) << "no write succeeded after the restart";
  std::map<std::string, int> times_seen;
  for (size_t i = 0; i < followed.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(followed[i].version(), followed[i - 1].version());
    }
    ++times_seen[followed[i].id()];
  }
  EXPECT_EQ(followed.empty() ? 0 : followed.back().version(), latest);
  for (const auto& [id, count] : times_seen) {
    EXPECT_EQ(count, 1) << id;
  }
  for (const auto& [id, version] : acknowledged) {
    EXPECT_EQ(times_seen[id], 1) << id << " (version " << version << ") was acknowledged";
  }
}

}  // namespace
}  // namespace portcullis::databroker
