// Memory record store throughput, single thread: Get and Put of session records of a realistic
// size (an ID token, OAuth tokens and a few claims: about 2 KiB serialised), and the id-or-index
// Query that authorize issues when a record is not in its replica.
#include <benchmark/benchmark.h>
#include <google/protobuf/util/time_util.h>

#include <string>
#include <vector>

#include "databroker/memory_store.h"
#include "session.pb.h"

namespace portcullis::databroker {
namespace {

constexpr char kSessionType[] = "type.googleapis.com/session.Session";
constexpr int kRecords = 10000;

std::string session_id(int i) {
  return "session-" + std::to_string(i);
}

Record session_record(int i) {
  ::session::Session session;
  session.set_id(session_id(i));
  session.set_user_id("user-" + std::to_string(i % 1000));
  session.set_idp_id("idp-0123456789");
  session.mutable_id_token()->set_issuer("https://accounts.example.com");
  session.mutable_id_token()->set_subject(session.user_id());
  session.mutable_id_token()->set_raw(std::string(900, 'j'));
  session.mutable_oauth_token()->set_access_token(std::string(400, 'a'));
  session.mutable_oauth_token()->set_refresh_token(std::string(200, 'r'));
  session.mutable_oauth_token()->set_token_type("Bearer");
  using google::protobuf::util::TimeUtil;
  *session.mutable_expires_at() = TimeUtil::GetCurrentTime();
  *session.mutable_issued_at() = TimeUtil::GetCurrentTime();
  *session.mutable_oauth_token()->mutable_expires_at() = TimeUtil::GetCurrentTime();
  session.add_audience("app.example.com");
  (*session.mutable_claims())["email"].add_values()->set_string_value(session.user_id() +
                                                                      "@example.com");
  (*session.mutable_claims())["name"].add_values()->set_string_value("Example User");
  auto& groups = (*session.mutable_claims())["groups"];
  for (const char* group : {"admins", "developers", "everyone"}) {
    groups.add_values()->set_string_value(group);
  }
  Record record;
  record.set_type(kSessionType);
  record.set_id(session.id());
  record.mutable_data()->PackFrom(session);
  return record;
}

// No background cleanup thread; a zero retention keeps the change log from growing with every
// iteration (each write then also trims, as a long-running store does).
MemoryStore make_store() {
  StoreOptions options;
  options.change_log_retention = std::chrono::seconds(0);
  return MemoryStore(options, MemoryStoreHooks{.cleanup_interval = std::chrono::milliseconds(0)});
}

void fill(MemoryStore& store) {
  for (int i = 0; i < kRecords; ++i) {
    if (!store.put({session_record(i)}).ok()) std::abort();
  }
}

void BM_MemoryGet(benchmark::State& state) {
  MemoryStore store = make_store();
  fill(store);
  std::vector<std::string> ids;
  for (int i = 0; i < kRecords; ++i) ids.push_back(session_id((i * 7919) % kRecords));
  size_t next = 0;
  for (auto _ : state) {
    auto record = store.get(kSessionType, ids[next]);
    benchmark::DoNotOptimize(record);
    if (++next == ids.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["record_bytes"] = static_cast<double>(session_record(0).ByteSizeLong());
}
BENCHMARK(BM_MemoryGet);

void BM_MemoryPut(benchmark::State& state) {
  MemoryStore store = make_store();
  std::vector<Record> records;
  for (int i = 0; i < kRecords; ++i) records.push_back(session_record(i));
  size_t next = 0;
  for (auto _ : state) {
    auto stored = store.put({records[next]});
    benchmark::DoNotOptimize(stored);
    if (++next == records.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryPut);

void BM_MemoryQueryIdOrIndex(benchmark::State& state) {
  MemoryStore store = make_store();
  fill(store);
  QueryRequest request;
  request.set_type(kSessionType);
  request.set_limit(1);
  auto* any = (*request.mutable_filter()->mutable_fields())["$or"].mutable_list_value();
  for (const char* key : {"id", "$index"}) {
    (*any->add_values()->mutable_struct_value()->mutable_fields())[key].set_string_value(
        session_id(4242));
  }
  for (auto _ : state) {
    auto response = store.query(request);
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryQueryIdOrIndex)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace portcullis::databroker
