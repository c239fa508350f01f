// Leasers on one store: only one runs its task at a time, and another takes over within about a
// ttl when the holder stops or loses the lease.

#include "databroker/leaser.h"

#include <gtest/gtest.h>

#include <thread>

#include "databroker/local_client.h"
#include "grpc_test_support.h"

namespace portcullis::databroker {
namespace {

using namespace std::chrono_literals;

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

// Counts tasks running at once; every task runs until cancelled.
struct Exclusivity {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  Leaser::Task task() {
    return [this](std::stop_token stop) {
      int now = running.fetch_add(1) + 1;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      while (!stop.stop_requested()) std::this_thread::sleep_for(2ms);
      running.fetch_sub(1);
    };
  }
};

// A DataBroker whose lease renewals can be made to fail, as when the databroker is unreachable.
class FlakyRenewals final : public DataBroker {
 public:
  explicit FlakyRenewals(DataBroker& inner) : inner_(inner) {}
  std::atomic<bool> fail_renewals{false};

  Result<Record> get(const std::string& t, const std::string& i) override {
    return inner_.get(t, i);
  }
  Result<WriteResult> put(std::vector<Record> r) override { return inner_.put(std::move(r)); }
  Result<WriteResult> patch(std::vector<Record> r, const google::protobuf::FieldMask& m) override {
    return inner_.patch(std::move(r), m);
  }
  Result<QueryResponse> query(const QueryRequest& q) override { return inner_.query(q); }
  Result<ServerInfo> server_info() override { return inner_.server_info(); }
  Result<Options> get_options(const std::string& t) override { return inner_.get_options(t); }
  Result<Options> set_options(const std::string& t, const Options& o) override {
    return inner_.set_options(t, o);
  }
  Result<std::vector<std::string>> list_types() override { return inner_.list_types(); }
  Result<ClearResult> clear() override { return inner_.clear(); }
  Result<std::string> acquire_lease(const std::string& n, std::chrono::milliseconds t) override {
    if (fail_renewals) return Status::error(Code::kUnavailable, "unreachable");
    return inner_.acquire_lease(n, t);
  }
  Status renew_lease(const std::string& n, const std::string& i,
                     std::chrono::milliseconds t) override {
    if (fail_renewals) return Status::error(Code::kUnavailable, "unreachable");
    return inner_.renew_lease(n, i, t);
  }
  Status release_lease(const std::string& n, const std::string& i) override {
    if (fail_renewals) return Status::error(Code::kUnavailable, "unreachable");
    return inner_.release_lease(n, i);
  }
  Result<LatestSnapshot> sync_latest(const std::string& t) override {
    return inner_.sync_latest(t);
  }
  Status sync(const SyncParams& p, const SyncCallbacks& c, std::stop_token s) override {
    return inner_.sync(p, c, s);
  }

 private:
  DataBroker& inner_;
};

TEST(Leaser, OnlyOneHolderAndTakeoverWhenItStops) {
  auto store = make_memory_store(StoreOptions{});
  LocalDataBroker broker(*store);
  Exclusivity tasks;
  LeaserOptions options{400ms, 20ms};
  Leaser a(broker, "identity_manager", tasks.task(), options);
  Leaser b(broker, "identity_manager", tasks.task(), options);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.holding(); }));
  b.start();
  std::this_thread::sleep_for(1200ms);  // several renewals
  EXPECT_TRUE(a.holding());
  EXPECT_FALSE(b.holding());
  EXPECT_EQ(tasks.running.load(), 1);

  auto stopped = std::chrono::steady_clock::now();
  a.stop();  // releases the lease
  ASSERT_TRUE(eventually([&] { return b.holding(); }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, 400ms);
  EXPECT_EQ(tasks.most.load(), 1);
  b.stop();
  EXPECT_EQ(tasks.running.load(), 0);
  store->close();
}

TEST(Leaser, LostRenewalStopsTheTaskAndAnotherTakesOverAfterTheTtl) {
  auto store = make_memory_store(StoreOptions{});
  LocalDataBroker broker(*store);
  FlakyRenewals flaky(broker);
  Exclusivity tasks;
  LeaserOptions options{400ms, 20ms};
  Leaser a(flaky, "job", tasks.task(), options);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.holding(); }));
  Leaser b(broker, "job", tasks.task(), options);
  b.start();
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(b.holding());

  auto cut = std::chrono::steady_clock::now();
  flaky.fail_renewals = true;
  // A notices at its next renewal (within ttl/2) and stops its task; B gets the lease once the
  // unreleased lease expires (within the ttl of A's last renewal).
  ASSERT_TRUE(eventually([&] { return !a.holding(); }, 2s));
  ASSERT_TRUE(eventually([&] { return b.holding(); }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - cut, 1s);
  EXPECT_EQ(tasks.most.load(), 1);
  a.stop();
  b.stop();
  store->close();
}

TEST(Leaser, OverGrpcTwoLeasersTakeTurns) {
  testing::LoopbackDataBroker loopback;
  auto client_a = loopback.client();
  auto client_b = loopback.client();
  Exclusivity tasks;
  LeaserOptions options{500ms, 20ms};
  auto a = std::make_unique<Leaser>(*client_a, "job", tasks.task(), options);
  auto b = std::make_unique<Leaser>(*client_b, "job", tasks.task(), options);
  a->start();
  b->start();
  ASSERT_TRUE(eventually([&] { return a->holding() || b->holding(); }));
  std::this_thread::sleep_for(700ms);
  EXPECT_NE(a->holding(), b->holding());
  auto& holder = a->holding() ? a : b;
  auto& other = a->holding() ? b : a;
  holder->stop();
  ASSERT_TRUE(eventually([&] { return other->holding(); }, 2s));
  EXPECT_EQ(tasks.most.load(), 1);
  other->stop();
}

TEST(Leaser, ATaskThatEndsReleasesAndRunsAgain) {
  auto store = make_memory_store(StoreOptions{});
  LocalDataBroker broker(*store);
  std::atomic<int> runs{0};
  Leaser leaser(broker, "once", [&](std::stop_token) { runs.fetch_add(1); }, {400ms, 20ms});
  leaser.start();
  ASSERT_TRUE(eventually([&] { return runs.load() >= 2; }));
  leaser.stop();
  // Released: someone else can take it at once.
  EXPECT_TRUE(broker.acquire_lease("once", 1s).ok());
  store->close();
}

}  // namespace
}  // namespace portcullis::databroker
