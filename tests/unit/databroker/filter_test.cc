#include "databroker/filter.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "user.pb.h"

namespace portcullis::databroker {
namespace {

using ::databroker::Options;
using ::databroker::Record;
using Ids = std::vector<std::string>;

google::protobuf::Struct json(const std::string& text) {
  google::protobuf::Struct out;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &out).ok()) << text;
  return out;
}

Options indexed(std::initializer_list<std::string> fields) {
  Options options;
  for (const auto& field : fields) options.add_indexable_fields(field);
  return options;
}

Record user(const std::string& id, const std::string& email) {
  ::user::User data;
  data.set_id(id);
  data.set_email(email);
  Record record;
  record.set_type("type.googleapis.com/user.User");
  record.set_id(id);
  record.mutable_data()->PackFrom(data);
  return record;
}

TEST(FilterTest, ParsesIntoATree) {
  auto parsed =
      parse_filter(json(R"({"$or": [{"id": "a"}, {"$not": {"email": 3}}]})"), indexed({"email"}));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message;
  const FilterExpression& root = parsed.value();
  EXPECT_EQ(root.kind, FilterExpression::Kind::kOr);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].kind, FilterExpression::Kind::kEquals);
  EXPECT_EQ(root.children[0].field, "id");
  EXPECT_EQ(root.children[1].kind, FilterExpression::Kind::kNot);
  EXPECT_EQ(root.children[1].children[0].value, "3");
}

TEST(FilterTest, SeveralKeysAreAConjunctionInKeyOrder) {
  auto parsed = parse_filter(json(R"({"id": "a", "email": "e"})"), indexed({"email"}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().kind, FilterExpression::Kind::kAnd);
  EXPECT_EQ(parsed.value().children[0].field, "email");
  EXPECT_EQ(parsed.value().children[1].field, "id");
}

TEST(FilterTest, ErrorsNameTheProblem) {
  auto unknown = parse_filter(json(R"({"$like": "x"})"), Options());
  EXPECT_EQ(unknown.status().code, Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message.find("$like"), std::string::npos);
  auto not_indexed = parse_filter(json(R"({"email": "x"})"), Options());
  EXPECT_NE(not_indexed.status().message.find("indexable"), std::string::npos);
}

TEST(FilterTest, EvaluatesNumbersAndBoolsAsText) {
  auto parsed = parse_filter(json(R"({"email": "a@x"})"), indexed({"email"}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(evaluate_filter(parsed.value(), user("u1", "a@x"), indexed({"email"})).value());
  EXPECT_FALSE(evaluate_filter(parsed.value(), user("u1", "b@x"), indexed({"email"})).value());
}

TEST(FilterTest, IndexMatchesCidrBlocks) {
  Options options = indexed({"email"});
  auto parsed = parse_filter(json(R"({"$index": "10.1.2.3"})"), options);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(evaluate_filter(parsed.value(), user("u1", "10.0.0.0/8"), options).value());
  EXPECT_FALSE(evaluate_filter(parsed.value(), user("u1", "10.2.0.0/16"), options).value());
}

TEST(FilterTest, CidrContains) {
  EXPECT_TRUE(cidr_contains("192.168.0.0/16", "192.168.4.5"));
  EXPECT_TRUE(cidr_contains("0.0.0.0/0", "8.8.8.8"));
  EXPECT_TRUE(cidr_contains("10.0.0.1/32", "10.0.0.1"));
  EXPECT_FALSE(cidr_contains("10.0.0.1/32", "10.0.0.2"));
  EXPECT_TRUE(cidr_contains("2001:db8::/32", "2001:db8:1::1"));
  EXPECT_FALSE(cidr_contains("2001:db8::/32", "2001:db9::1"));
  EXPECT_FALSE(cidr_contains("10.0.0.0/8", "2001:db8::1"));
  EXPECT_FALSE(cidr_contains("10.0.0.0/33", "10.0.0.1"));
  EXPECT_FALSE(cidr_contains("10.0.0.0", "10.0.0.0"));
  EXPECT_FALSE(cidr_contains("10.0.0.0/x", "10.0.0.0"));
}

TEST(FilterTest, IdCandidates) {
  Options none;
  auto bound = [&](const std::string& text, const Options& options) {
    return filter_id_candidates(parse_filter(json(text), options).value(), options);
  };
  EXPECT_EQ(bound(R"({"id": "a"})", none), Ids{"a"});
  EXPECT_EQ(bound(R"({"$or": [{"id": "b"}, {"$index": "b"}, {"id": "a"}, {"id": "b"}]})", none),
            (Ids{"a", "b"}));
  EXPECT_EQ(bound(R"({"$or": [{"id": "b"}, {"$index": "b"}]})", indexed({"email"})), std::nullopt);
  EXPECT_EQ(bound(R"({"$and": [{"email": "e"}, {"id": "c"}]})", indexed({"email"})), Ids{"c"});
  EXPECT_EQ(bound(R"({"$not": {"id": "a"}})", none), std::nullopt);
  EXPECT_EQ(bound("{}", none), std::nullopt);
}

}  // namespace
}  // namespace portcullis::databroker
