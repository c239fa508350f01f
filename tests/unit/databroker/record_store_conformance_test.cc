// The RecordStore contract, part one: records, patches, queries and per-type options. Part two
// (changes, waiting, leases, clear, close, concurrency) is
// record_store_conformance_changes_test.cc.
#include "record_store_conformance.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <chrono>

namespace portcullis::databroker::conformance {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

void PrintTo(const RecordStoreBackend& backend, std::ostream* out) {
  *out << backend.name;
}

std::string record_store_backend_name(const ::testing::TestParamInfo<RecordStoreBackend>& info) {
  return info.param.name;
}

void RecordStoreConformance::SetUp() {
  StoreOptions options;
  options.max_record_bytes = kMaxRecordBytes;
  store_ = GetParam().make(options);
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->clear().ok());
}

void RecordStoreConformance::TearDown() {
  if (store_ != nullptr) store_->close();
}

Record session_record(const std::string& id, const std::string& user_id,
                      const std::string& access_token) {
  ::session::Session session;
  session.set_id(id);
  session.set_user_id(user_id);
  session.set_idp_id("idp-1");
  session.mutable_oauth_token()->set_access_token(access_token);
  session.mutable_oauth_token()->set_token_type("Bearer");
  session.mutable_id_token()->set_issuer("https://issuer.example.com");
  session.mutable_id_token()->set_subject(user_id);
  *session.mutable_expires_at() = TimeUtil::SecondsToTimestamp(2000000000);
  (*session.mutable_claims())["email"].add_values()->set_string_value(user_id + "@example.com");
  Record record;
  record.set_type(kSessionType);
  record.set_id(id);
  record.mutable_data()->PackFrom(session);
  return record;
}

Record user_record(const std::string& id, const std::string& name, const std::string& email) {
  ::user::User user;
  user.set_id(id);
  user.set_name(name);
  user.set_email(email);
  Record record;
  record.set_type(kUserType);
  record.set_id(id);
  record.mutable_data()->PackFrom(user);
  return record;
}

Record directory_user_record(const std::string& id, const std::string& email,
                             const std::vector<std::string>& groups) {
  google::protobuf::Struct data;
  (*data.mutable_fields())["email"].set_string_value(email);
  auto* list = (*data.mutable_fields())["group_ids"].mutable_list_value();
  for (const auto& group : groups) list->add_values()->set_string_value(group);
  Record record;
  record.set_type(kDirectoryUserType);
  record.set_id(id);
  record.mutable_data()->PackFrom(data);
  return record;
}

Record opaque_record(const std::string& id, const std::string& bytes) {
  Record record;
  record.set_type(kOpaqueType);
  record.set_id(id);
  record.mutable_data()->set_type_url("type.googleapis.com/example.NotCompiledIn");
  record.mutable_data()->set_value(bytes);
  return record;
}

Record tombstone(const std::string& type, const std::string& id) {
  Record record;
  record.set_type(type);
  record.set_id(id);
  *record.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  return record;
}

::session::Session session_of(const Record& record) {
  ::session::Session session;
  EXPECT_TRUE(record.data().UnpackTo(&session)) << record.DebugString();
  return session;
}

::user::User user_of(const Record& record) {
  ::user::User user;
  EXPECT_TRUE(record.data().UnpackTo(&user)) << record.DebugString();
  return user;
}

google::protobuf::Struct json_struct(const std::string& json) {
  google::protobuf::Struct out;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &out).ok()) << json;
  return out;
}

google::protobuf::FieldMask mask(std::initializer_list<std::string> paths) {
  google::protobuf::FieldMask out;
  for (const auto& path : paths) out.add_paths(path);
  return out;
}

std::vector<std::string> ids_of(const std::vector<Record>& records) {
  std::vector<std::string> ids;
  for (const auto& record : records) ids.push_back(record.id());
  return ids;
}

std::vector<std::string> ids_of(const QueryResponse& response) {
  return ids_of(std::vector<Record>(response.records().begin(), response.records().end()));
}

Result<QueryResponse> query(RecordStore& store, const std::string& type,
                            const std::string& filter_json, const std::string& search,
                            int64_t offset, int64_t limit) {
  QueryRequest request;
  request.set_type(type);
  *request.mutable_filter() = json_struct(filter_json);
  request.set_query(search);
  request.set_offset(offset);
  request.set_limit(limit);
  return store.query(request);
}

Options options_with(std::initializer_list<std::string> fields) {
  Options options;
  for (const auto& field : fields) options.add_indexable_fields(field);
  return options;
}

namespace {

using Ids = std::vector<std::string>;

TEST_P(RecordStoreConformance, PutThenGetRoundTrips) {
  Record input = session_record("s1", "u1");
  auto put = store_->put({input});
  ASSERT_TRUE(put.ok()) << put.status().message;
  ASSERT_EQ(put->size(), 1u);
  const Record& stored = put->front();
  EXPECT_EQ(stored.type(), kSessionType);
  EXPECT_EQ(stored.id(), "s1");
  EXPECT_GT(stored.version(), 0u);
  EXPECT_FALSE(stored.has_deleted_at());

  auto got = store_->get(kSessionType, "s1");
  ASSERT_TRUE(got.ok()) << got.status().message;
  EXPECT_EQ(got->version(), stored.version());
  EXPECT_EQ(got->data().type_url(), input.data().type_url());
  EXPECT_TRUE(MessageDifferencer::Equals(session_of(got.value()), session_of(input)));
  EXPECT_TRUE(MessageDifferencer::Equals(got->modified_at(), stored.modified_at()));
}

TEST_P(RecordStoreConformance, ModifiedAtIsNow) {
  auto before = TimeUtil::GetCurrentTime();
  auto put = store_->put({user_record("u1", "Ada", "ada@example.com")});
  ASSERT_TRUE(put.ok());
  auto modified = put->front().modified_at();
  EXPECT_LE(std::abs(TimeUtil::TimestampToMilliseconds(modified) -
                     TimeUtil::TimestampToMilliseconds(before)),
            5000);
}

TEST_P(RecordStoreConformance, VersionsIncreaseAcrossTypes) {
  const uint64_t base = store_->server_info().latest_record_version;
  auto a = store_->put({session_record("s1", "u1"), user_record("u1", "Ada", "ada@x")});
  ASSERT_TRUE(a.ok());
  auto b = store_->put({session_record("s2", "u1")});
  ASSERT_TRUE(b.ok());
  auto c = store_->put({directory_user_record("d1", "ada@x", {"g1"})});
  ASSERT_TRUE(c.ok());
  std::vector<uint64_t> versions = {a.value()[0].version(), a.value()[1].version(),
                                    b.value()[0].version(), c.value()[0].version()};
  EXPECT_GT(versions[0], base);
  for (size_t i = 1; i < versions.size(); ++i) EXPECT_GT(versions[i], versions[i - 1]);
  ServerInfo info = store_->server_info();
  EXPECT_EQ(info.latest_record_version, versions.back());
  EXPECT_NE(info.server_version, 0u);
}

TEST_P(RecordStoreConformance, PutReplacesWithNewVersion) {
  auto first = store_->put({user_record("u1", "Ada", "ada@example.com")});
  auto second = store_->put({user_record("u1", "Ada L", "ada@example.org")});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_GT(second->front().version(), first->front().version());
  auto got = store_->get(kUserType, "u1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->version(), second->front().version());
  EXPECT_EQ(user_of(got.value()).email(), "ada@example.org");
}

TEST_P(RecordStoreConformance, OpaqueDataIsStoredAsIs) {
  const std::string bytes(
      "\x0a\x03"
      "abc\xff\x00\x01",
      8);
  auto put = store_->put({opaque_record("o1", bytes)});
  ASSERT_TRUE(put.ok()) << put.status().message;
  auto got = store_->get(kOpaqueType, "o1");
  ASSERT_TRUE(got.ok()) << got.status().message;
  EXPECT_EQ(got->data().type_url(), "type.googleapis.com/example.NotCompiledIn");
  EXPECT_EQ(got->data().value(), bytes);
}

TEST_P(RecordStoreConformance, GetMissingIsNotFound) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  EXPECT_EQ(store_->get(kSessionType, "nope").status().code, Code::kNotFound);
  EXPECT_EQ(store_->get(kUserType, "s1").status().code, Code::kNotFound);
  EXPECT_EQ(store_->get("", "").status().code, Code::kNotFound);
}

TEST_P(RecordStoreConformance, TombstoneDeletes) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1"), session_record("s2", "u1")}).ok());
  const ServerInfo before = store_->server_info();
  auto deleted = store_->put({tombstone(kSessionType, "s1")});
  ASSERT_TRUE(deleted.ok()) << deleted.status().message;
  EXPECT_GT(deleted->front().version(), before.latest_record_version);
  EXPECT_TRUE(deleted->front().has_deleted_at());

  EXPECT_EQ(store_->get(kSessionType, "s1").status().code, Code::kNotFound);
  EXPECT_TRUE(store_->get(kSessionType, "s2").ok());

  auto changes =
      store_->changes_after(before.server_version, before.latest_record_version, "", 100);
  ASSERT_TRUE(changes.ok()) << changes.status().message;
  ASSERT_EQ(changes->records.size(), 1u);
  EXPECT_EQ(changes->records[0].id(), "s1");
  EXPECT_TRUE(changes->records[0].has_deleted_at());
  EXPECT_EQ(changes->records[0].version(), deleted->front().version());

  auto latest = store_->latest(kSessionType);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(ids_of(latest->records), Ids{"s2"});
  auto found = query(*store_, kSessionType);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(ids_of(found.value()), Ids{"s2"});
  EXPECT_EQ(found->total_count(), 1);
}

TEST_P(RecordStoreConformance, PutAgainAfterDeleteRevives) {
  ASSERT_TRUE(store_->put({user_record("u1", "Ada", "a@x")}).ok());
  ASSERT_TRUE(store_->put({tombstone(kUserType, "u1")}).ok());
  ASSERT_TRUE(store_->put({user_record("u1", "Ada", "b@x")}).ok());
  auto got = store_->get(kUserType, "u1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(user_of(got.value()).email(), "b@x");
}

TEST_P(RecordStoreConformance, ListTypesNamesTypesWithRecords) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1"), user_record("u1", "Ada", "a@x")}).ok());
  auto types = store_->list_types();
  EXPECT_NE(std::find(types.begin(), types.end(), kSessionType), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), kUserType), types.end());
  EXPECT_EQ(std::find(types.begin(), types.end(), kDirectoryUserType), types.end());
}

TEST_P(RecordStoreConformance, PatchReplacesOnlyMaskedFields) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1", "old-token")}).ok());
  const uint64_t before = store_->server_info().latest_record_version;
  Record update = session_record("s1", "someone-else", "new-token");
  auto patched = store_->patch({update}, mask({"oauth_token"}));
  ASSERT_TRUE(patched.ok()) << patched.status().message;
  ASSERT_EQ(patched->size(), 1u);
  EXPECT_GT(patched->front().version(), before);

  auto got = store_->get(kSessionType, "s1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->version(), patched->front().version());
  auto session = session_of(got.value());
  EXPECT_EQ(session.oauth_token().access_token(), "new-token");
  EXPECT_EQ(session.user_id(), "u1");
  EXPECT_EQ(session.id_token().subject(), "u1");
  EXPECT_TRUE(MessageDifferencer::Equals(session_of(patched->front()), session));
}

TEST_P(RecordStoreConformance, PatchClearsMaskedFieldsUnsetInUpdate) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  ::session::Session empty;
  Record update;
  update.set_type(kSessionType);
  update.set_id("s1");
  update.mutable_data()->PackFrom(empty);
  ASSERT_TRUE(store_->patch({update}, mask({"oauth_token", "claims"})).ok());
  auto session = session_of(store_->get(kSessionType, "s1").value());
  EXPECT_FALSE(session.has_oauth_token());
  EXPECT_TRUE(session.claims().empty());
  EXPECT_EQ(session.user_id(), "u1");
}

TEST_P(RecordStoreConformance, PatchNestedPath) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1", "old")}).ok());
  Record update = session_record("s1", "u2", "new");
  ASSERT_TRUE(store_->patch({update}, mask({"oauth_token.access_token"})).ok());
  auto session = session_of(store_->get(kSessionType, "s1").value());
  EXPECT_EQ(session.oauth_token().access_token(), "new");
  EXPECT_EQ(session.oauth_token().token_type(), "Bearer");
  EXPECT_EQ(session.user_id(), "u1");
}

TEST_P(RecordStoreConformance, PatchStructData) {
  ASSERT_TRUE(store_->put({directory_user_record("d1", "a@x", {"g1"})}).ok());
  ASSERT_TRUE(store_->patch({directory_user_record("d1", "b@x", {"g2"})}, mask({"email"})).ok());
  auto got = store_->get(kDirectoryUserType, "d1");
  ASSERT_TRUE(got.ok());
  google::protobuf::Struct data;
  ASSERT_TRUE(got->data().UnpackTo(&data));
  EXPECT_EQ(data.fields().at("email").string_value(), "b@x");
  EXPECT_EQ(data.fields().at("group_ids").list_value().values(0).string_value(), "g1");
}

TEST_P(RecordStoreConformance, PatchMissingIsNotFoundAndChangesNothing) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1", "old")}).ok());
  const ServerInfo before = store_->server_info();
  auto patched = store_->patch({session_record("s1", "u1", "new"), session_record("s9", "u1")},
                               mask({"oauth_token"}));
  EXPECT_EQ(patched.status().code, Code::kNotFound);
  EXPECT_EQ(store_->server_info().latest_record_version, before.latest_record_version);
  EXPECT_EQ(session_of(store_->get(kSessionType, "s1").value()).oauth_token().access_token(),
            "old");
  ASSERT_TRUE(store_->put({tombstone(kSessionType, "s1")}).ok());
  EXPECT_EQ(store_->patch({session_record("s1", "u1")}, mask({"user_id"})).status().code,
            Code::kNotFound);
}

TEST_P(RecordStoreConformance, PatchBadMaskIsInvalidAndChangesNothing) {
  ASSERT_TRUE(store_->put({session_record("s1", "u1", "old")}).ok());
  const ServerInfo before = store_->server_info();
  for (const auto& bad : {mask({"no_such_field"}), mask({"oauth_token.nope"}),
                          mask({"user_id.deeper"}), mask({"oauth_token", "bogus"})}) {
    auto patched = store_->patch({session_record("s1", "u2", "new")}, bad);
    EXPECT_EQ(patched.status().code, Code::kInvalidArgument) << bad.DebugString();
  }
  EXPECT_EQ(store_->server_info().latest_record_version, before.latest_record_version);
  EXPECT_EQ(session_of(store_->get(kSessionType, "s1").value()).user_id(), "u1");
}

TEST_P(RecordStoreConformance, PatchOfOpaqueDataIsInvalid) {
  ASSERT_TRUE(store_->put({opaque_record("o1", "abc")}).ok());
  auto patched = store_->patch({opaque_record("o1", "def")}, mask({"field"}));
  EXPECT_EQ(patched.status().code, Code::kInvalidArgument);
  EXPECT_EQ(store_->get(kOpaqueType, "o1")->data().value(), "abc");
}

TEST_P(RecordStoreConformance, OptionsRoundTrip) {
  auto none = store_->get_options(kUserType);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_capacity());
  EXPECT_FALSE(none->has_ttl());
  EXPECT_EQ(none->indexable_fields_size(), 0);

  Options options = options_with({"email", "name"});
  options.set_capacity(10);
  options.mutable_ttl()->set_seconds(3600);
  ASSERT_TRUE(store_->set_options(kUserType, options).ok());
  auto got = store_->get_options(kUserType);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got.value(), options)) << got->DebugString();
  EXPECT_FALSE(store_->get_options(kSessionType)->has_capacity());
}

TEST_P(RecordStoreConformance, InvalidOptionsAreRefused) {
  EXPECT_EQ(store_->set_options(kUserType, options_with({"$index"})).status().code,
            Code::kInvalidArgument);
  EXPECT_EQ(store_->set_options(kUserType, options_with({""})).status().code,
            Code::kInvalidArgument);
  EXPECT_EQ(store_->get_options(kUserType)->indexable_fields_size(), 0);
}

TEST_P(RecordStoreConformance, CapacityEvictsLeastRecentlyModified) {
  Options options;
  options.set_capacity(3);
  ASSERT_TRUE(store_->set_options(kUserType, options).ok());
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store_->put({user_record(id, id, "")}).ok());
  ASSERT_TRUE(store_->put({user_record("a", "a2", "")}).ok());  // a is now the newest
  ASSERT_TRUE(store_->put({user_record("d", "d", "")}).ok());
  EXPECT_EQ(store_->get(kUserType, "b").status().code, Code::kNotFound);
  for (const char* id : {"a", "c", "d"}) EXPECT_TRUE(store_->get(kUserType, id).ok()) << id;
  ASSERT_TRUE(store_->put({user_record("e", "e", ""), user_record("f", "f", "")}).ok());
  auto latest = store_->latest(kUserType);
  ASSERT_TRUE(latest.ok());
  auto ids = ids_of(latest->records);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (Ids{"d", "e", "f"}));
  EXPECT_EQ(query(*store_, kUserType)->total_count(), 3);
  // Other types are not limited.
  for (const char* id : {"s1", "s2", "s3", "s4"}) {
    ASSERT_TRUE(store_->put({session_record(id, "u")}).ok());
  }
  EXPECT_EQ(store_->latest(kSessionType)->records.size(), 4u);
}

TEST_P(RecordStoreConformance, CapacityAppliesWhenSet) {
  for (const char* id : {"a", "b", "c", "d"})
    ASSERT_TRUE(store_->put({user_record(id, id, "")}).ok());
  Options options;
  options.set_capacity(2);
  ASSERT_TRUE(store_->set_options(kUserType, options).ok());
  auto ids = ids_of(store_->latest(kUserType)->records);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (Ids{"c", "d"}));
}

TEST_P(RecordStoreConformance, TtlRemovesRecordsNotModifiedWithinIt) {
  Options options;
  options.mutable_ttl()->set_seconds(60);
  ASSERT_TRUE(store_->set_options(kUserType, options).ok());
  ASSERT_TRUE(store_->put({user_record("old", "o", ""), session_record("s1", "u1")}).ok());
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(store_->trim(now + std::chrono::seconds(30)).ok());
  EXPECT_TRUE(store_->get(kUserType, "old").ok());
  ASSERT_TRUE(store_->trim(now + std::chrono::minutes(2)).ok());
  EXPECT_EQ(store_->get(kUserType, "old").status().code, Code::kNotFound);
  EXPECT_TRUE(query(*store_, kUserType).value().records().empty());
  EXPECT_TRUE(store_->get(kSessionType, "s1").ok());  // no ttl for sessions
  ASSERT_TRUE(store_->put({user_record("new", "n", "")}).ok());
  EXPECT_TRUE(store_->get(kUserType, "new").ok());
}

}  // namespace
}  // namespace portcullis::databroker::conformance

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RecordStoreConformance);
