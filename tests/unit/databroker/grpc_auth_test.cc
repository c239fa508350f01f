// Every DataBrokerService call must carry a valid `jwt` call token; anything else is
// UNAUTHENTICATED and changes nothing.

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <optional>

#include "crypto/encoding.h"
#include "crypto/jws.h"
#include "crypto/service_token.h"
#include "databroker.grpc.pb.h"
#include "grpc_test_support.h"

namespace portcullis::databroker {
namespace {

using namespace std::chrono_literals;
using testing::kSessionType;
using testing::LoopbackDataBroker;
using testing::session_record;
using testing::test_secret;

int64_t unix_now() {
  return crypto::unix_seconds(std::chrono::system_clock::now());
}

// The token cases; nullopt sends no metadata at all.
struct TokenCase {
  std::string name;
  std::function<std::optional<std::string>()> token;
};

std::vector<TokenCase> bad_tokens() {
  return {
      {"missing", [] { return std::nullopt; }},
      {"empty", [] { return std::string(); }},
      {"garbage", [] { return std::string("not.a.jwt"); }},
      {"forged_signature",
       [] {
         std::string token =
             crypto::make_databroker_token(test_secret(), std::chrono::system_clock::now());
         token.back() = token.back() == 'A' ? 'B' : 'A';
         return token;
       }},
      {"wrong_secret",
       [] {
         return crypto::make_databroker_token(std::string(32, 'x'),
                                              std::chrono::system_clock::now());
       }},
      {"expired",
       [] {
         return crypto::make_databroker_token(test_secret(), std::chrono::system_clock::now() - 3h);
       }},
      {"extra_claim",
       [] {
         return crypto::sign_hs256(test_secret(), {{"exp", unix_now() + 600}, {"sub", "someone"}});
       }},
      {"no_exp", [] { return crypto::sign_hs256(test_secret(), nlohmann::json::object()); }},
      {"alg_none",
       [] {
         auto header = crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})");
         auto claims =
             crypto::base64url_encode("{\"exp\":" + std::to_string(unix_now() + 600) + "}");
         return header + "." + claims + ".";
       }},
  };
}

class GrpcAuthTest : public ::testing::Test {
 protected:
  std::unique_ptr<::databroker::DataBrokerService::Stub> stub() {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(broker_.port()),
                                       grpc::InsecureChannelCredentials());
    return ::databroker::DataBrokerService::NewStub(channel);
  }
  static void attach(grpc::ClientContext& context, const std::optional<std::string>& token) {
    if (token) context.AddMetadata("jwt", *token);
    context.set_deadline(std::chrono::system_clock::now() + 5s);
  }

  LoopbackDataBroker broker_;
};

TEST_F(GrpcAuthTest, ValidTokenIsAccepted) {
  auto s = stub();
  grpc::ClientContext context;
  attach(context, crypto::make_databroker_token(test_secret(), std::chrono::system_clock::now()));
  ::databroker::ServerInfoResponse response;
  EXPECT_TRUE(s->ServerInfo(&context, google::protobuf::Empty(), &response).ok());
}

TEST_F(GrpcAuthTest, TwoTokensAreRejected) {
  auto s = stub();
  grpc::ClientContext context;
  auto token = crypto::make_databroker_token(test_secret(), std::chrono::system_clock::now());
  attach(context, token);
  context.AddMetadata("jwt", token);
  ::databroker::ServerInfoResponse response;
  EXPECT_EQ(s->ServerInfo(&context, google::protobuf::Empty(), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcAuthTest, BadTokensAreUnauthenticatedOnEveryKindOfCall) {
  auto s = stub();
  for (const auto& bad : bad_tokens()) {
    SCOPED_TRACE(bad.name);
    auto token = bad.token();
    {
      grpc::ClientContext context;
      attach(context, token);
      ::databroker::PutRequest request;
      *request.add_records() = session_record("s1", "u1");
      ::databroker::PutResponse response;
      EXPECT_EQ(s->Put(&context, request, &response).error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      grpc::ClientContext context;
      attach(context, token);
      ::databroker::GetRequest request;
      request.set_type(kSessionType);
      request.set_id("s1");
      ::databroker::GetResponse response;
      EXPECT_EQ(s->Get(&context, request, &response).error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      grpc::ClientContext context;
      attach(context, token);
      ::databroker::ClearResponse response;
      EXPECT_EQ(s->Clear(&context, google::protobuf::Empty(), &response).error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      grpc::ClientContext context;
      attach(context, token);
      ::databroker::AcquireLeaseRequest request;
      request.set_name("lease");
      request.mutable_duration()->set_seconds(10);
      ::databroker::AcquireLeaseResponse response;
      EXPECT_EQ(s->AcquireLease(&context, request, &response).error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      grpc::ClientContext context;
      attach(context, token);
      ::databroker::SyncRequest request;
      auto reader = s->Sync(&context, request);
      ::databroker::SyncResponse response;
      EXPECT_FALSE(reader->Read(&response));
      EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      grpc::ClientContext context;
      attach(context, token);
      ::databroker::SyncLatestRequest request;
      auto reader = s->SyncLatest(&context, request);
      ::databroker::SyncLatestResponse response;
      EXPECT_FALSE(reader->Read(&response));
      EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
  }
  // Nothing was stored, cleared or leased.
  EXPECT_EQ(broker_.store().server_info().latest_record_version, 0u);
  auto lease = broker_.store().lease("lease", "probe", 1s);
  ASSERT_TRUE(lease.ok());
  EXPECT_TRUE(lease.value());
}

TEST_F(GrpcAuthTest, ClientWithTheWrongSecretIsUnauthenticated) {
  auto client = broker_.client(std::string(32, 'z'));
  EXPECT_EQ(client->server_info().status().code, Code::kUnauthenticated);
  EXPECT_EQ(client->put({session_record("s1", "u1")}).status().code, Code::kUnauthenticated);
  EXPECT_EQ(client->sync_latest(kSessionType).status().code, Code::kUnauthenticated);
  EXPECT_EQ(broker_.store().server_info().latest_record_version, 0u);
}

}  // namespace
}  // namespace portcullis::databroker
