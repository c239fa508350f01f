// PostgreSQL record store: Put and Get of session-sized records (about 2 KiB serialised) through
// one instance, and propagation between two instances on one database — from the start of a Put
// on A until B's wait_for_change() has returned and B's changes_after() holds the record (what a
// Sync stream served by B sees). Needs a server: PORTCULLIS_TEST_POSTGRES_URL (bench/databroker
// starts one); each benchmark runs in a fresh database that it drops afterwards.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "../../tests/unit/databroker/postgres_test_support.h"
#include "databroker/postgres_store.h"
#include "session.pb.h"

namespace portcullis::databroker {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr char kSessionType[] = "type.googleapis.com/session.Session";
constexpr int kRecords = 10000;

Record session_record(int i) {
  ::session::Session session;
  session.set_id("session-" + std::to_string(i));
  session.set_user_id("user-" + std::to_string(i % 1000));
  session.set_idp_id("idp-0123456789");
  session.mutable_id_token()->set_issuer("https://accounts.example.com");
  session.mutable_id_token()->set_subject(session.user_id());
  session.mutable_id_token()->set_raw(std::string(900, 'j'));
  session.mutable_oauth_token()->set_access_token(std::string(400, 'a'));
  session.mutable_oauth_token()->set_refresh_token(std::string(200, 'r'));
  session.mutable_oauth_token()->set_token_type("Bearer");
  session.add_audience("app.example.com");
  (*session.mutable_claims())["email"].add_values()->set_string_value(session.user_id() +
                                                                      "@example.com");
  Record record;
  record.set_type(kSessionType);
  record.set_id(session.id());
  record.mutable_data()->PackFrom(session);
  return record;
}

// A database of the benchmark's own and stores on it; reports an error (and leaves the benchmark
// skipped) when there is no server.
class BenchDatabase {
 public:
  explicit BenchDatabase(benchmark::State& state) : database_(testing::postgres_test_url()) {
    if (!database_.ok()) state.SkipWithError(database_.error().c_str());
  }
  bool ok() const { return database_.ok(); }
  std::unique_ptr<PostgresStore> open() const {
    StoreOptions options;
    options.type = "postgres";
    options.connection_string = database_.conninfo();
    return std::make_unique<PostgresStore>(options);
  }

 private:
  testing::TestDatabase database_;
};

void fill(PostgresStore& store) {
  for (int first = 0; first < kRecords; first += 100) {
    std::vector<Record> batch;
    for (int i = first; i < first + 100; ++i) batch.push_back(session_record(i));
    if (!store.put(std::move(batch)).ok()) std::abort();
  }
}

void BM_PostgresPut(benchmark::State& state) {
  BenchDatabase database(state);
  if (!database.ok()) return;
  auto store = database.open();
  std::vector<Record> records;
  for (int i = 0; i < kRecords; ++i) records.push_back(session_record(i));
  size_t next = 0;
  for (auto _ : state) {
    auto put = store->put({records[next]});
    if (!put.ok()) state.SkipWithError(put.status().message.c_str());
    if (++next == records.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PostgresPut)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_PostgresGet(benchmark::State& state) {
  BenchDatabase database(state);
  if (!database.ok()) return;
  auto store = database.open();
  fill(*store);
  size_t next = 0;
  for (auto _ : state) {
    auto record = store->get(kSessionType, "session-" + std::to_string((next * 7919) % kRecords));
    if (!record.ok()) state.SkipWithError(record.status().message.c_str());
    benchmark::DoNotOptimize(record);
    ++next;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PostgresGet)->Unit(benchmark::kMicrosecond)->UseRealTime();

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<size_t>(fraction * static_cast<double>(values.size() - 1));
  return values[index];
}

void BM_PostgresPropagation(benchmark::State& state) {
  BenchDatabase database(state);
  if (!database.ok()) return;
  auto a = database.open();
  auto b = database.open();
  const uint64_t server_version = b->server_info().server_version;
  uint64_t version = b->server_info().latest_record_version;
  std::vector<double> millis;
  std::vector<double> put_millis;
  int next = 0;
  for (auto _ : state) {
    const Record record = session_record(next++ % kRecords);
    const auto started = SteadyClock::now();
    auto put = a->put({record});
    if (!put.ok()) {
      state.SkipWithError(put.status().message.c_str());
      break;
    }
    put_millis.push_back(
        std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count());
    bool seen = false;
    while (!seen) {
      if (!b->wait_for_change(version, SteadyClock::now() + std::chrono::seconds(5))) {
        state.SkipWithError("B was not woken within 5 s");
        return;
      }
      auto changes = b->changes_after(server_version, version, "", 0);
      if (!changes.ok()) {
        state.SkipWithError(changes.status().message.c_str());
        return;
      }
      for (const Record& change : changes->records) {
        version = change.version();
        seen = seen || change.version() == put->at(0).version();
      }
    }
    const std::chrono::duration<double> elapsed = SteadyClock::now() - started;
    state.SetIterationTime(elapsed.count());
    millis.push_back(elapsed.count() * 1000);
  }
  state.counters["p50_ms"] = percentile(millis, 0.50);
  state.counters["p99_ms"] = percentile(millis, 0.99);
  state.counters["max_ms"] = percentile(millis, 1.0);
  // The Put alone (until A's commit returned), for comparison.
  state.counters["put_p50_ms"] = percentile(put_millis, 0.50);
}
BENCHMARK(BM_PostgresPropagation)->Unit(benchmark::kMicrosecond)->UseManualTime();

}  // namespace
}  // namespace portcullis::databroker
