#include "databroker/record_fields.h"

#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>

#include "databroker/patch.h"
#include "databroker/record_validation.h"
#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::databroker {
namespace {

using ::databroker::Options;
using ::databroker::Record;
using Values = std::vector<std::string>;

TEST(RecordFieldsTest, KnownAndUnknownTypes) {
  ::user::User user;
  google::protobuf::Any any;
  any.PackFrom(user);
  EXPECT_EQ(data_descriptor(any), ::user::User::descriptor());
  any.set_type_url("type.googleapis.com/nowhere.Unknown");
  EXPECT_EQ(data_descriptor(any), nullptr);
  EXPECT_EQ(unpack_data(any).status().code, Code::kInvalidArgument);
  EXPECT_EQ(message_name_of("type.googleapis.com/session.Session"), "session.Session");
}

TEST(RecordFieldsTest, FieldValuesOfMessagesAndStructs) {
  ::session::Session session;
  session.set_user_id("u1");
  session.set_refresh_disabled(true);
  session.add_audience("a");
  session.add_audience("b");
  EXPECT_EQ(field_values(session, "user_id"), Values{"u1"});
  EXPECT_EQ(field_values(session, "userId"), Values{"u1"});
  EXPECT_EQ(field_values(session, "refresh_disabled"), Values{"true"});
  EXPECT_EQ(field_values(session, "audience"), (Values{"a", "b"}));
  EXPECT_TRUE(field_values(session, "oauth_token").empty());
  EXPECT_TRUE(field_values(session, "nope").empty());

  google::protobuf::Struct data;
  (*data.mutable_fields())["n"].set_number_value(3);
  (*data.mutable_fields())["half"].set_number_value(0.5);
  (*data.mutable_fields())["list"].mutable_list_value()->add_values()->set_string_value("x");
  EXPECT_EQ(field_values(data, "n"), Values{"3"});
  EXPECT_EQ(field_values(data, "half"), Values{"0.5"});
  EXPECT_EQ(field_values(data, "list"), Values{"x"});
}

TEST(RecordFieldsTest, SubstringSearchSkipsMapKeys) {
  ::session::Session session;
  session.mutable_oauth_token()->set_access_token("Secret-Token");
  (*session.mutable_claims())["department"].add_values()->set_string_value("Research");
  EXPECT_TRUE(contains_lower_substring(session, "secret"));
  EXPECT_TRUE(contains_lower_substring(session, "research"));
  EXPECT_FALSE(contains_lower_substring(session, "department"));
  EXPECT_TRUE(contains_lower_substring(session, ""));
}

TEST(RecordFieldsTest, JsonRoundTrip) {
  ::user::User user;
  user.set_id("u1");
  user.set_email("a@x");
  google::protobuf::Any any;
  any.PackFrom(user);
  auto json = data_to_json(any);
  ASSERT_TRUE(json.ok()) << json.status().message;
  EXPECT_NE(json.value().find("\"@type\":\"type.googleapis.com/user.User\""), std::string::npos);
  auto back = data_from_json(json.value());
  ASSERT_TRUE(back.ok()) << back.status().message;
  ::user::User parsed;
  ASSERT_TRUE(back.value().UnpackTo(&parsed));
  EXPECT_EQ(parsed.email(), "a@x");
}

TEST(PatchTest, MaskValidation) {
  ::session::Session session;
  google::protobuf::Any any;
  any.PackFrom(session);
  google::protobuf::FieldMask mask;
  EXPECT_EQ(validate_patch_mask(any, mask).code, Code::kInvalidArgument);  // empty
  mask.add_paths("oauth_token.access_token");
  EXPECT_TRUE(validate_patch_mask(any, mask).ok());
  mask.add_paths("claims.email");  // no paths into maps
  EXPECT_EQ(validate_patch_mask(any, mask).code, Code::kInvalidArgument);
}

TEST(PatchTest, TypesMustAgree) {
  google::protobuf::Any a;
  a.PackFrom(::session::Session());
  google::protobuf::Any b;
  b.PackFrom(::user::User());
  google::protobuf::FieldMask mask;
  mask.add_paths("id");
  EXPECT_EQ(apply_patch(a, b, mask).status().code, Code::kInvalidArgument);
}

TEST(RecordValidationTest, Records) {
  Record record;
  EXPECT_EQ(validate_record(record, 100).code, Code::kInvalidArgument);
  record.set_type("t");
  EXPECT_EQ(validate_record(record, 100).code, Code::kInvalidArgument);
  record.set_id("i");
  EXPECT_TRUE(validate_record(record, 100).ok());
  record.mutable_data()->set_type_url("type.googleapis.com/x.Unknown");
  record.mutable_data()->set_value(std::string(200, 'x'));
  EXPECT_EQ(validate_record(record, 100).code, Code::kInvalidArgument);
  EXPECT_TRUE(validate_record(record, 1000).ok());
  auto status = validate_records({record, Record()}, 1000);
  EXPECT_NE(status.message.find("records[1]"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::databroker
