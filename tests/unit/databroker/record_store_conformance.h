#pragma once
// The RecordStore contract as a value-parameterised GoogleTest suite. Every backend runs it from
// its own test file:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, RecordStoreConformance,
//                            ::testing::Values(RecordStoreBackend{"memory", make_memory}),
//                            record_store_backend_name);
//
// The suite uses only the RecordStore interface. Each test makes a fresh store through the
// factory and clear()s it first, so a backend over shared storage (a PostgreSQL database) only
// has to point the factory at storage the tests may wipe.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "databroker/record_store.h"
#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::databroker::conformance {

struct RecordStoreBackend {
  std::string name;  // letters, digits and '_' (it names the instantiated tests)
  // A store with the suite's options (max_record_bytes, change_log_retention); the factory adds
  // what its backend needs (type, connection_string).
  std::function<std::unique_ptr<RecordStore>(const StoreOptions&)> make;
};

// Test output names the backend instead of dumping the parameter's bytes.
void PrintTo(const RecordStoreBackend& backend, std::ostream* out);

std::string record_store_backend_name(const ::testing::TestParamInfo<RecordStoreBackend>& info);

class RecordStoreConformance : public ::testing::TestWithParam<RecordStoreBackend> {
 protected:
  // The largest record the suite's stores accept.
  static constexpr size_t kMaxRecordBytes = 64 * 1024;

  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<RecordStore> store_;
};

// Record builders and checks shared by the suite's files.
inline constexpr char kSessionType[] = "type.googleapis.com/session.Session";
inline constexpr char kUserType[] = "type.googleapis.com/user.User";
inline constexpr char kDirectoryUserType[] = "pomerium.io/DirectoryUser";
inline constexpr char kOpaqueType[] = "example.com/Opaque";

Record session_record(const std::string& id, const std::string& user_id,
                      const std::string& access_token = "access-token");
Record user_record(const std::string& id, const std::string& name, const std::string& email);
// google.protobuf.Struct data {"email": email, "group_ids": [groups...]}.
Record directory_user_record(const std::string& id, const std::string& email,
                             const std::vector<std::string>& groups);
// Data of a type URL that no descriptor pool knows.
Record opaque_record(const std::string& id, const std::string& bytes);
Record tombstone(const std::string& type, const std::string& id);

::session::Session session_of(const Record& record);
::user::User user_of(const Record& record);
// A Struct from JSON text; the test fails on bad JSON.
google::protobuf::Struct json_struct(const std::string& json);
google::protobuf::FieldMask mask(std::initializer_list<std::string> paths);

// A query of `type` with a filter given as JSON, a search string and paging.
Result<QueryResponse> query(RecordStore& store, const std::string& type,
                            const std::string& filter_json = "{}", const std::string& search = "",
                            int64_t offset = 0, int64_t limit = 0);
// Options with these indexable fields and nothing else.
Options options_with(std::initializer_list<std::string> fields);

// Ids of the records, in order.
std::vector<std::string> ids_of(const std::vector<Record>& records);
std::vector<std::string> ids_of(const QueryResponse& response);

}  // namespace portcullis::databroker::conformance
