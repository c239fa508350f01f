// The RecordStore contract, part three: queries (search, paging, filters).
#include "record_store_conformance.h"

namespace portcullis::databroker::conformance {
namespace {

using Ids = std::vector<std::string>;

TEST_P(RecordStoreConformance, QuerySearchesStringFieldsIgnoringCase) {
  ASSERT_TRUE(store_
                  ->put({user_record("u1", "Ada Lovelace", "ada@example.com"),
                         user_record("u2", "Alan Turing", "alan@example.org"),
                         user_record("u3", "Grace Hopper", "grace@EXAMPLE.com")})
                  .ok());
  auto found = query(*store_, kUserType, "{}", "example.COM");
  ASSERT_TRUE(found.ok()) << found.status().message;
  EXPECT_EQ(ids_of(found.value()), (Ids{"u1", "u3"}));
  EXPECT_EQ(found->total_count(), 2);
  EXPECT_EQ(ids_of(query(*store_, kUserType, "{}", "turing").value()), Ids{"u2"});
  EXPECT_TRUE(query(*store_, kUserType, "{}", "nobody").value().records().empty());
}

TEST_P(RecordStoreConformance, QuerySearchesStructData) {
  ASSERT_TRUE(store_
                  ->put({directory_user_record("d1", "Ada@Example.com", {"admins"}),
                         directory_user_record("d2", "alan@example.org", {"users"})})
                  .ok());
  EXPECT_EQ(ids_of(query(*store_, kDirectoryUserType, "{}", "ada@").value()), Ids{"d1"});
  EXPECT_EQ(ids_of(query(*store_, kDirectoryUserType, "{}", "USERS").value()), Ids{"d2"});
}

TEST_P(RecordStoreConformance, QueryPagesInIdOrder) {
  for (const char* id : {"c", "a", "e", "b", "d"}) {
    ASSERT_TRUE(store_->put({user_record(id, "n", "e@x")}).ok());
  }
  ASSERT_TRUE(store_->put({session_record("s1", "u1")}).ok());
  auto all = query(*store_, kUserType);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids_of(all.value()), (Ids{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(all->total_count(), 5);
  auto page = query(*store_, kUserType, "{}", "", 1, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids_of(page.value()), (Ids{"b", "c"}));
  EXPECT_EQ(page->total_count(), 5);
  auto tail = query(*store_, kUserType, "{}", "", 4, 10);
  EXPECT_EQ(ids_of(tail.value()), Ids{"e"});
  auto past = query(*store_, kUserType, "{}", "", 9, 1);
  EXPECT_TRUE(past.value().records().empty());
  EXPECT_EQ(past->total_count(), 5);
  const ServerInfo info = store_->server_info();
  EXPECT_EQ(all->server_version(), info.server_version);
  EXPECT_EQ(all->record_version(), info.latest_record_version);
}

TEST_P(RecordStoreConformance, QueryFiltersById) {
  ASSERT_TRUE(store_
                  ->put({user_record("u1", "Ada", "a@x"), user_record("u2", "Alan", "b@x"),
                         user_record("u3", "Grace", "c@x")})
                  .ok());
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"id": "u2"})").value()), Ids{"u2"});
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"id": {"$eq": "u3"}})").value()), Ids{"u3"});
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"$or": [{"id": "u1"}, {"id": "u3"}]})").value()),
            (Ids{"u1", "u3"}));
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"$not": {"id": "u1"}})").value()),
            (Ids{"u2", "u3"}));
  EXPECT_TRUE(query(*store_, kUserType, R"({"$and": [{"id": "u1"}, {"id": "u2"}]})")
                  .value()
                  .records()
                  .empty());
  auto none = query(*store_, kUserType, R"({"id": "u9"})");
  EXPECT_TRUE(none.value().records().empty());
  EXPECT_EQ(none->total_count(), 0);
}

TEST_P(RecordStoreConformance, QueryFiltersOnIndexableFields) {
  ASSERT_TRUE(store_->set_options(kUserType, options_with({"email"})).ok());
  ASSERT_TRUE(store_
                  ->put({user_record("u1", "Ada", "ada@x"), user_record("u2", "Alan", "alan@x"),
                         user_record("u3", "Ada", "ada2@x")})
                  .ok());
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"email": "alan@x"})").value()), Ids{"u2"});
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"email": {"$eq": "ada@x"}})").value()), Ids{"u1"});
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"$index": "ada2@x"})").value()), Ids{"u3"});
  // The lookup authorize makes: an id or an indexed value, first match.
  auto either =
      query(*store_, kUserType, R"({"$or": [{"id": "alan@x"}, {"$index": "alan@x"}]})", "", 0, 1);
  EXPECT_EQ(ids_of(either.value()), Ids{"u2"});
  EXPECT_EQ(
      ids_of(query(*store_, kUserType, R"({"$and": [{"email": "ada@x"}, {"$not": {"id": "u3"}}]})")
                 .value()),
      Ids{"u1"});
  EXPECT_EQ(ids_of(query(*store_, kUserType, R"({"email": "ada@x", "id": "u1"})").value()),
            Ids{"u1"});
  EXPECT_TRUE(
      query(*store_, kUserType, R"({"email": "ada@x", "id": "u2"})").value().records().empty());
}

TEST_P(RecordStoreConformance, QueryFiltersStructFieldsAndLists) {
  ASSERT_TRUE(store_->set_options(kDirectoryUserType, options_with({"email", "group_ids"})).ok());
  ASSERT_TRUE(store_
                  ->put({directory_user_record("d1", "ada@x", {"admins", "users"}),
                         directory_user_record("d2", "alan@x", {"users"})})
                  .ok());
  EXPECT_EQ(ids_of(query(*store_, kDirectoryUserType, R"({"email": "alan@x"})").value()),
            Ids{"d2"});
  EXPECT_EQ(ids_of(query(*store_, kDirectoryUserType, R"({"group_ids": "users"})").value()),
            (Ids{"d1", "d2"}));
  EXPECT_EQ(ids_of(query(*store_, kDirectoryUserType, R"({"$index": "admins"})").value()),
            Ids{"d1"});
}

TEST_P(RecordStoreConformance, IndexWithoutIndexableFieldsMatchesNothing) {
  ASSERT_TRUE(store_->put({user_record("u1", "Ada", "ada@x")}).ok());
  auto found = query(*store_, kUserType, R"({"$or": [{"id": "u1"}, {"$index": "ada@x"}]})");
  EXPECT_EQ(ids_of(found.value()), Ids{"u1"});
  EXPECT_TRUE(query(*store_, kUserType, R"({"$index": "ada@x"})").value().records().empty());
}

TEST_P(RecordStoreConformance, MalformedFiltersAreInvalid) {
  ASSERT_TRUE(store_->set_options(kUserType, options_with({"email"})).ok());
  ASSERT_TRUE(store_->put({user_record("u1", "Ada", "ada@x")}).ok());
  for (const char* filter : {
           R"({"$nope": []})",                            // unknown operator
           R"({"$and": {"id": "u1"}})",                   // $and needs a list
           R"({"$or": ["u1"]})",                          // of objects
           R"({"$not": [{"id": "u1"}]})",                 // $not needs an object
           R"({"id": ["u1"]})",                           // a list is no value
           R"({"id": null})",                             // nor is null
           R"({"id": {"$gt": "u1"}})",                    // an operator this store lacks
           R"({"id": {"$eq": "u1", "$ne": "u2"}})",       // one operator per field
           R"({"name": "Ada"})",                          // not an indexable field
           R"({"email": {"local": "ada"}})",              // nested paths
           R"({"$and": [{"id": "u1"}, {"name": "x"}]})",  // deep inside too
       }) {
    EXPECT_EQ(query(*store_, kUserType, filter).status().code, Code::kInvalidArgument) << filter;
  }
}

TEST_P(RecordStoreConformance, FilteringOpaqueDataNeedsAKnownType) {
  ASSERT_TRUE(store_->set_options(kOpaqueType, options_with({"email"})).ok());
  ASSERT_TRUE(store_->put({opaque_record("o1", "abc"), opaque_record("o2", "def")}).ok());
  EXPECT_EQ(ids_of(query(*store_, kOpaqueType, R"({"id": "o2"})").value()), Ids{"o2"});
  EXPECT_EQ(query(*store_, kOpaqueType, R"({"email": "a@x"})").status().code,
            Code::kInvalidArgument);
  EXPECT_EQ(query(*store_, kOpaqueType, "{}", "abc").status().code, Code::kInvalidArgument);
}

}  // namespace
}  // namespace portcullis::databroker::conformance
