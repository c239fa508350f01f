// DataBrokerService over a real loopback gRPC channel with the memory store: every RPC through
// the gRPC client, the call-token checks, stale versions and bad input.

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/encoding.h"
#include "crypto/jws.h"
#include "crypto/service_token.h"
#include "databroker.grpc.pb.h"
#include "databroker/grpc_status.h"
#include "grpc_test_support.h"

namespace portcullis::databroker {
namespace {

using namespace std::chrono_literals;
using testing::kSessionType;
using testing::kUserType;
using testing::LoopbackDataBroker;
using testing::session_record;
using testing::test_secret;
using testing::tombstone;
using testing::user_record;

class GrpcServerTest : public ::testing::Test {
 protected:
  LoopbackDataBroker broker_;
  std::unique_ptr<GrpcDataBroker> client_ = broker_.client();
};

TEST_F(GrpcServerTest, PutGetAndServerInfo) {
  auto put = client_->put({session_record("s1", "u1"), user_record("u1", "a@example.com")});
  ASSERT_TRUE(put.ok()) << put.status().message;
  ASSERT_EQ(put->records.size(), 2u);
  EXPECT_EQ(put->records[0].version() + 1, put->records[1].version());
  EXPECT_TRUE(put->records[0].has_modified_at());
  auto info = client_->server_info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(put->server_version, info->server_version);
  EXPECT_EQ(info->latest_record_version, put->records[1].version());

  auto got = client_->get(kSessionType, "s1");
  ASSERT_TRUE(got.ok()) << got.status().message;
  session::Session session;
  ASSERT_TRUE(got->data().UnpackTo(&session));
  EXPECT_EQ(session.user_id(), "u1");
  EXPECT_EQ(got->version(), put->records[0].version());

  EXPECT_EQ(client_->get(kSessionType, "missing").status().code, Code::kNotFound);
}

TEST_F(GrpcServerTest, DeleteThenGetIsNotFound) {
  ASSERT_TRUE(client_->put({session_record("s1", "u1")}).ok());
  ASSERT_TRUE(client_->put({tombstone(kSessionType, "s1")}).ok());
  EXPECT_EQ(client_->get(kSessionType, "s1").status().code, Code::kNotFound);
}

TEST_F(GrpcServerTest, PatchUpdatesMaskedFields) {
  ASSERT_TRUE(client_->put({user_record("u1", "old@example.com")}).ok());
  auto change = user_record("u1", "new@example.com");
  user::User user;
  user.set_id("u1");
  user.set_email("new@example.com");
  user.set_name("ignored");
  change.mutable_data()->PackFrom(user);
  google::protobuf::FieldMask mask;
  mask.add_paths("email");
  auto patched = client_->patch({change}, mask);
  ASSERT_TRUE(patched.ok()) << patched.status().message;
  auto got = client_->get(kUserType, "u1");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->data().UnpackTo(&user));
  EXPECT_EQ(user.email(), "new@example.com");
  EXPECT_EQ(user.name(), "");
}

TEST_F(GrpcServerTest, QueryByFilter) {
  ASSERT_TRUE(
      client_->put({session_record("s1", "u1"), session_record("s2", "u2"), user_record("u1", "x")})
          .ok());
  QueryRequest request;
  request.set_type(kSessionType);
  request.set_limit(10);
  (*request.mutable_filter()->mutable_fields())["id"].set_string_value("s2");
  auto result = client_->query(request);
  ASSERT_TRUE(result.ok()) << result.status().message;
  ASSERT_EQ(result->records_size(), 1);
  EXPECT_EQ(result->records(0).id(), "s2");
  EXPECT_EQ(result->total_count(), 1);
}

TEST_F(GrpcServerTest, OptionsAndTypes) {
  Options options;
  options.set_capacity(2);
  auto set = client_->set_options(kSessionType, options);
  ASSERT_TRUE(set.ok()) << set.status().message;
  auto got = client_->get_options(kSessionType);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->capacity(), 2u);
  ASSERT_TRUE(client_
                  ->put({session_record("s1", "u"), session_record("s2", "u"),
                         session_record("s3", "u"), user_record("u", "e")})
                  .ok());
  EXPECT_EQ(client_->get(kSessionType, "s1").status().code, Code::kNotFound);  // evicted
  auto types = client_->list_types();
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(types.value(), (std::vector<std::string>{kSessionType, kUserType}));
}

TEST_F(GrpcServerTest, ClearStartsANewServerVersion) {
  ASSERT_TRUE(client_->put({session_record("s1", "u1")}).ok());
  auto before = client_->server_info();
  auto cleared = client_->clear();
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->old_server_version, before->server_version);
  EXPECT_NE(cleared->new_server_version, before->server_version);
  EXPECT_EQ(client_->get(kSessionType, "s1").status().code, Code::kNotFound);
}

TEST_F(GrpcServerTest, SyncLatestSendsRecordsOptionsAndVersions) {
  Options options;
  options.add_indexable_fields("user_id");
  ASSERT_TRUE(client_->set_options(kSessionType, options).ok());
  ASSERT_TRUE(
      client_->put({session_record("s1", "u1"), session_record("s2", "u2"), user_record("u1", "e")})
          .ok());
  ASSERT_TRUE(client_->put({tombstone(kSessionType, "s1")}).ok());
  auto latest = client_->sync_latest(kSessionType);
  ASSERT_TRUE(latest.ok()) << latest.status().message;
  ASSERT_EQ(latest->records.size(), 1u);
  EXPECT_EQ(latest->records[0].id(), "s2");
  ASSERT_TRUE(latest->options.has_value());
  EXPECT_EQ(latest->options->indexable_fields_size(), 1);
  EXPECT_EQ(latest->latest_record_version, 4u);
  EXPECT_EQ(latest->server_version, client_->server_info()->server_version);
}

TEST_F(GrpcServerTest, SyncWithoutWaitSendsChangesInOrderWithTombstones) {
  ASSERT_TRUE(client_->put({session_record("s1", "u1")}).ok());
  ASSERT_TRUE(client_->put({user_record("u1", "e")}).ok());
  ASSERT_TRUE(client_->put({session_record("s2", "u2")}).ok());
  ASSERT_TRUE(client_->put({tombstone(kSessionType, "s1")}).ok());
  auto sv = client_->server_info()->server_version;
  std::vector<Record> seen;
  int options_seen = 0;
  SyncCallbacks callbacks;
  callbacks.options = [&](const Options&) { ++options_seen; };
  callbacks.record = [&](Record&& record) { seen.push_back(std::move(record)); };
  auto status = client_->sync({sv, 1, kSessionType, false}, callbacks, {});
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(options_seen, 1);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id(), "s2");
  EXPECT_EQ(seen[0].version(), 3u);
  EXPECT_EQ(seen[1].id(), "s1");
  EXPECT_EQ(seen[1].version(), 4u);
  EXPECT_TRUE(seen[1].has_deleted_at());
}

TEST_F(GrpcServerTest, SyncWaitsForNewChangesUntilCancelled) {
  auto sv = client_->server_info()->server_version;
  std::mutex mutex;
  std::vector<std::string> ids;
  std::stop_source stop;
  Status status;
  std::thread reader([&] {
    SyncCallbacks callbacks;
    callbacks.record = [&](Record&& record) {
      std::lock_guard lock(mutex);
      ids.push_back(record.id());
    };
    status = client_->sync({sv, 0, "", true}, callbacks, stop.get_token());
  });
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client_->put({session_record("s" + std::to_string(i), "u")}).ok());
  }
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mutex);
      if (ids.size() == 3) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  stop.request_stop();
  reader.join();
  EXPECT_EQ(status.code, Code::kCancelled);
  EXPECT_EQ(ids, (std::vector<std::string>{"s0", "s1", "s2"}));
}

TEST_F(GrpcServerTest, SyncOnStaleServerVersionIsAborted) {
  auto sv = client_->server_info()->server_version;
  SyncCallbacks callbacks;
  callbacks.record = [](Record&&) {};
  EXPECT_EQ(client_->sync({sv + 1, 0, kSessionType, false}, callbacks, {}).code, Code::kAborted);

  // A stream that is waiting ends with ABORTED when the server version changes under it.
  Status status;
  std::thread reader([&] { status = client_->sync({sv, 0, kSessionType, true}, callbacks, {}); });
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(client_->clear().ok());
  reader.join();
  EXPECT_EQ(status.code, Code::kAborted);
}

TEST_F(GrpcServerTest, Leases) {
  auto id = client_->acquire_lease("manager", 10s);
  ASSERT_TRUE(id.ok()) << id.status().message;
  EXPECT_EQ(id->size(), 36u);  // a uuid
  EXPECT_EQ(client_->acquire_lease("manager", 10s).status().code, Code::kAlreadyExists);
  EXPECT_TRUE(client_->renew_lease("manager", id.value(), 10s).ok());
  EXPECT_EQ(client_->renew_lease("manager", "someone-else", 10s).code, Code::kAlreadyExists);
  EXPECT_TRUE(client_->release_lease("manager", id.value()).ok());
  auto next = client_->acquire_lease("manager", 10s);
  ASSERT_TRUE(next.ok());
  EXPECT_NE(next.value(), id.value());
  // Released and taken by another: the old id cannot renew it.
  EXPECT_EQ(client_->renew_lease("manager", id.value(), 10s).code, Code::kAlreadyExists);
  EXPECT_EQ(client_->acquire_lease("", 10s).status().code, Code::kInvalidArgument);
  EXPECT_EQ(client_->acquire_lease("other", 0ms).status().code, Code::kInvalidArgument);
}

TEST_F(GrpcServerTest, ExpiredLeaseCanBeTakenOver) {
  auto id = client_->acquire_lease("manager", 100ms);
  ASSERT_TRUE(id.ok());
  std::this_thread::sleep_for(150ms);
  auto other = client_->acquire_lease("manager", 10s);
  ASSERT_TRUE(other.ok()) << other.status().message;
  EXPECT_EQ(client_->renew_lease("manager", id.value(), 10s).code, Code::kAlreadyExists);
}

TEST_F(GrpcServerTest, BadInputIsInvalidArgumentAndChangesNothing) {
  ASSERT_TRUE(client_->put({session_record("s1", "u1")}).ok());
  auto before = client_->server_info()->latest_record_version;

  Record no_type = session_record("s2", "u");
  no_type.clear_type();
  EXPECT_EQ(client_->put({session_record("s3", "u"), no_type}).status().code,
            Code::kInvalidArgument);
  Record no_id = session_record("", "u");
  EXPECT_EQ(client_->put({no_id}).status().code, Code::kInvalidArgument);

  QueryRequest query;
  query.set_type(kSessionType);
  (*query.mutable_filter()->mutable_fields())["$bogus"].set_string_value("x");
  EXPECT_EQ(client_->query(query).status().code, Code::kInvalidArgument);
  QueryRequest untyped;
  EXPECT_EQ(client_->query(untyped).status().code, Code::kInvalidArgument);

  google::protobuf::FieldMask mask;
  mask.add_paths("no_such_field");
  EXPECT_EQ(client_->patch({session_record("s1", "u9")}, mask).status().code,
            Code::kInvalidArgument);

  Options options;
  options.add_indexable_fields("$bad");
  EXPECT_EQ(client_->set_options(kSessionType, options).status().code, Code::kInvalidArgument);
  EXPECT_EQ(client_->set_options("", Options()).status().code, Code::kInvalidArgument);
  EXPECT_EQ(client_->get_options("").status().code, Code::kInvalidArgument);
  EXPECT_EQ(client_->get("", "s1").status().code, Code::kInvalidArgument);
  EXPECT_EQ(client_->get(kSessionType, "").status().code, Code::kInvalidArgument);

  EXPECT_EQ(client_->server_info()->latest_record_version, before);
  EXPECT_EQ(client_->get(kSessionType, "s3").status().code, Code::kNotFound);
}

TEST(GrpcServerLimits, OversizedMessageIsRejected) {
  LoopbackDataBroker broker(64 * 1024);
  auto client = broker.client();
  session::Session big;
  big.set_id("big");
  big.set_user_id(std::string(100 * 1024, 'x'));
  Record record = session_record("big", "u");
  record.mutable_data()->PackFrom(big);
  EXPECT_EQ(client->put({record}).status().code, Code::kResourceExhausted);
  EXPECT_EQ(client->get(kSessionType, "big").status().code, Code::kNotFound);
  EXPECT_EQ(client->server_info()->latest_record_version, 0u);
}

TEST(GrpcServerLifecycle, ShutdownEndsWaitingStreams) {
  LoopbackDataBroker broker;
  auto client = broker.client();
  auto sv = client->server_info()->server_version;
  Status status;
  SyncCallbacks callbacks;
  callbacks.record = [](Record&&) {};
  std::thread reader([&] { status = client->sync({sv, 0, "", true}, callbacks, {}); });
  std::this_thread::sleep_for(200ms);
  auto started = std::chrono::steady_clock::now();
  broker.stop_server();
  reader.join();
  EXPECT_EQ(status.code, Code::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(GrpcServerLifecycle, SecondServerOnTheSamePortFails) {
  LoopbackDataBroker broker;
  GrpcServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(broker.port());
  options.shared_secret = test_secret();
  options.insecure = true;
  GrpcServer second(broker.store(), options);
  EXPECT_THROW(second.start(), std::runtime_error);
}

std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(PORTCULLIS_SOURCE_DIR) + "/tests/unit/config/testdata/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(GrpcServerTls, ServesTlsWithTheConfiguredCertificate) {
  auto store = make_memory_store(StoreOptions{});
  GrpcServerOptions options;
  options.address = "127.0.0.1:0";
  options.shared_secret = test_secret();
  options.insecure = false;
  options.certificates.push_back({read_testdata("cert.pem"), read_testdata("key.pem")});
  GrpcServer server(*store, options);
  server.start();

  GrpcClientOptions client_options;
  // An address rather than "localhost": no resolver involved.
  client_options.urls = {"https://127.0.0.1:" + std::to_string(server.port())};
  client_options.tls_server_name = "localhost";
  client_options.shared_secret = test_secret();
  client_options.ca_pem = read_testdata("cert.pem");
  GrpcDataBroker client(client_options);
  EXPECT_TRUE(client.server_info().ok()) << client.server_info().status().message;

  // The certificate does not name another host.
  client_options.tls_server_name = "other.example";
  client_options.timeout = 1s;
  GrpcDataBroker wrong_name(client_options);
  EXPECT_EQ(wrong_name.server_info().status().code, Code::kUnavailable);
  client_options.tls_server_name = "localhost";

  // A plaintext client cannot talk to it.
  client_options.insecure = true;
  client_options.timeout = 1s;
  GrpcDataBroker plain(client_options);
  EXPECT_FALSE(plain.server_info().ok());
}

TEST(GrpcServerTls, RefusesToStartWithoutCertificate) {
  auto store = make_memory_store(StoreOptions{});
  GrpcServerOptions options;
  options.address = "127.0.0.1:0";
  options.shared_secret = test_secret();
  options.insecure = false;
  GrpcServer server(*store, options);
  EXPECT_THROW(server.start(), std::runtime_error);
}

TEST(GrpcTarget, ParsesServiceUrls) {
  auto https = parse_grpc_target("https://databroker.internal:5443");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->authority, "databroker.internal:5443");
  EXPECT_TRUE(https->tls);
  auto http = parse_grpc_target("http://127.0.0.1");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->authority, "127.0.0.1:80");
  EXPECT_FALSE(http->tls);
  auto v6 = parse_grpc_target("https://[::1]/");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->authority, "[::1]:443");
  EXPECT_FALSE(parse_grpc_target("ftp://x"));
  EXPECT_FALSE(parse_grpc_target("not a url"));
  EXPECT_EQ(grpc_listen_address(":5443"), "[::]:5443");
  EXPECT_EQ(grpc_listen_address("127.0.0.1:5443"), "127.0.0.1:5443");
}

}  // namespace
}  // namespace portcullis::databroker
