#pragma once
// A databroker served over a real loopback gRPC channel for the server, syncer and leaser tests:
// a memory store, a GrpcServer on 127.0.0.1 and a GrpcDataBroker pointing at it.

#include <google/protobuf/util/time_util.h>

#include <memory>
#include <string>

#include "databroker/grpc_client.h"
#include "databroker/grpc_server.h"
#include "databroker/record_store.h"
#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::databroker::testing {

inline constexpr char kSessionType[] = "type.googleapis.com/session.Session";
inline constexpr char kUserType[] = "type.googleapis.com/user.User";

inline Record session_record(const std::string& id, const std::string& user_id) {
  session::Session session;
  session.set_id(id);
  session.set_user_id(user_id);
  Record record;
  record.set_type(kSessionType);
  record.set_id(id);
  record.mutable_data()->PackFrom(session);
  return record;
}

inline Record user_record(const std::string& id, const std::string& email) {
  user::User user;
  user.set_id(id);
  user.set_email(email);
  Record record;
  record.set_type(kUserType);
  record.set_id(id);
  record.mutable_data()->PackFrom(user);
  return record;
}

inline Record tombstone(const std::string& type, const std::string& id) {
  Record record;
  record.set_type(type);
  record.set_id(id);
  *record.mutable_deleted_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  return record;
}

inline const std::string& test_secret() {
  static const std::string secret(32, 'k');
  return secret;
}

// A memory store behind a server that can be stopped and started again on the same port.
class LoopbackDataBroker {
 public:
  explicit LoopbackDataBroker(int max_receive_bytes = 16 * 1024 * 1024)
      : store_(make_memory_store(StoreOptions{})), max_receive_bytes_(max_receive_bytes) {
    start_server();
  }
  ~LoopbackDataBroker() {
    stop_server();
    store_->close();
  }

  void start_server() {
    GrpcServerOptions options;
    options.address = "127.0.0.1:" + std::to_string(port_);
    options.shared_secret = test_secret();
    options.insecure = true;
    options.max_receive_bytes = max_receive_bytes_;
    server_ = std::make_unique<GrpcServer>(*store_, options);
    server_->start();
    port_ = server_->port();
  }
  void stop_server() {
    if (server_) server_->shutdown(std::chrono::milliseconds(200));
    server_.reset();
  }

  // A new client; `secret` defaults to the server's.
  std::unique_ptr<GrpcDataBroker> client(std::string secret = test_secret()) const {
    GrpcClientOptions options;
    options.urls = {url()};
    options.shared_secret = std::move(secret);
    options.timeout = std::chrono::seconds(5);
    return std::make_unique<GrpcDataBroker>(options);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  RecordStore& store() { return *store_; }
  GrpcServer& server() { return *server_; }

 private:
  std::unique_ptr<RecordStore> store_;
  int max_receive_bytes_;
  std::unique_ptr<GrpcServer> server_;
  int port_ = 0;
};

}  // namespace portcullis::databroker::testing
