// Tests for MvccStore, the in-memory versioned reference store: versioned
// put/delete/get, JSON documents changed by path, vector collections, and
// dispatch through the ReplayHandler interface.

#include <gtest/gtest.h>

#include <limits>

#include "strata/durability/mvcc/mvcc_store.h"
#include "support/mvcc_test_util.h"

namespace strata::durability::mvcc {
namespace {

using testing::test_run;

class MvccStoreTest : public ::testing::Test {
 protected:
  RunId run_ = test_run(1);
  Namespace ns_ = Namespace::for_run(run_);
  MvccStore store_;
};

TEST_F(MvccStoreTest, PutGetLatestAndAtVersion) {
  Key k = Key::new_kv(ns_, "a");
  EXPECT_FALSE(store_.get(k).has_value());
  store_.put(k, Value::integer(1), 10);
  store_.put(k, Value::integer(2), 20);
  ASSERT_TRUE(store_.get(k).has_value());
  EXPECT_EQ(store_.get(k)->value, Value::integer(2));
  EXPECT_EQ(store_.get(k)->version, 20u);
  EXPECT_FALSE(store_.get_at(k, 9).has_value());
  EXPECT_EQ(store_.get_at(k, 10)->value, Value::integer(1));
  EXPECT_EQ(store_.get_at(k, 19)->value, Value::integer(1));
  EXPECT_EQ(store_.get_at(k, 20)->value, Value::integer(2));
  EXPECT_EQ(store_.get_at(k, UINT64_MAX)->value, Value::integer(2));
  EXPECT_EQ(store_.max_version(), 20u);
  EXPECT_EQ(store_.history(k).size(), 2u);
}

TEST_F(MvccStoreTest, NewestVersionWinsNotNewestCall) {
  Key k = Key::new_kv(ns_, "a");
  store_.put(k, Value::string("new"), 5);
  store_.put(k, Value::string("old"), 3);  // an older version arrives later
  EXPECT_EQ(store_.get(k)->value, Value::string("new"));
  EXPECT_EQ(store_.get_at(k, 4)->value, Value::string("old"));
  // The same version twice: the later call wins.
  store_.put(k, Value::string("newer"), 5);
  EXPECT_EQ(store_.get(k)->value, Value::string("newer"));
  EXPECT_EQ(store_.history(k).size(), 2u);
}

TEST_F(MvccStoreTest, DeleteWritesATombstoneWithItsVersion) {
  Key k = Key::new_kv(ns_, "a");
  store_.put(k, Value::integer(1), 1);
  store_.delete_key(k, 2);
  EXPECT_FALSE(store_.get(k).has_value());
  ASSERT_TRUE(store_.latest(k).has_value());
  EXPECT_TRUE(store_.latest(k)->tombstone);
  EXPECT_EQ(store_.latest(k)->version, 2u);
  EXPECT_EQ(store_.get_at(k, 1)->value, Value::integer(1));
  EXPECT_EQ(store_.live_key_count(), 0u);
  EXPECT_EQ(store_.key_count(), 1u);
  // Deleting an absent key still records the tombstone.
  Key absent = Key::new_kv(ns_, "never");
  store_.delete_key(absent, 7);
  EXPECT_TRUE(store_.latest(absent)->tombstone);
  EXPECT_EQ(store_.max_version(), 7u);
  // Written again after the delete.
  store_.put(k, Value::integer(3), 8);
  EXPECT_EQ(store_.get(k)->value, Value::integer(3));
  EXPECT_EQ(store_.scan().size(), 1u);
}

TEST_F(MvccStoreTest, KeysInDifferentNamespacesAndTagsAreDistinct) {
  Namespace other = Namespace::for_run(test_run(2));
  store_.put(Key::new_kv(ns_, "x"), Value::integer(1), 1);
  store_.put(Key::new_kv(other, "x"), Value::integer(2), 1);
  store_.put(Key::new_state(ns_, "x"), Value::integer(3), 1);
  EXPECT_EQ(store_.get(Key::new_kv(ns_, "x"))->value, Value::integer(1));
  EXPECT_EQ(store_.get(Key::new_kv(other, "x"))->value, Value::integer(2));
  EXPECT_EQ(store_.get(Key::new_state(ns_, "x"))->value, Value::integer(3));
  EXPECT_EQ(store_.live_key_count(), 3u);
}

TEST_F(MvccStoreTest, JsonCreateSetDeleteByPath) {
  Value doc = Value::object(
      {{"a", Value::integer(1)}, {"list", Value::array({Value::integer(0)})}});
  ASSERT_EQ(store_.on_json_create({run_, "d", doc, 1, 99}).value(),
            ApplyOutcome::kApplied);
  EXPECT_EQ(store_.json_document(run_, "d")->created_at, 99u);
  // Set an existing key, a new nested key, an index and an append.
  EXPECT_EQ(*store_.on_json_set(
                {run_, "d", *JsonPath::parse("a"), Value::string("x"), 2}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(*store_.on_json_set({run_, "d", *JsonPath::parse("b.c[0]"),
                                 Value::boolean(true), 3}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(*store_.on_json_set(
                {run_, "d", *JsonPath::parse("list[1]"), Value::integer(5), 4}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(store_.json_get(run_, "d", *JsonPath::parse("a")),
            Value::string("x"));
  EXPECT_EQ(store_.json_get(run_, "d", *JsonPath::parse("b.c[0]")),
            Value::boolean(true));
  EXPECT_EQ(store_.json_get(run_, "d", *JsonPath::parse("list")),
            Value::array({Value::integer(0), Value::integer(5)}));
  EXPECT_EQ(store_.json_document(run_, "d")->version, 4u);
  // Delete a key and an array element.
  EXPECT_EQ(*store_.on_json_delete({run_, "d", *JsonPath::parse("list[0]"), 5}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(*store_.on_json_delete({run_, "d", *JsonPath::parse("b"), 6}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(store_.json_get(run_, "d", JsonPath::root()),
            Value::object({{"a", Value::string("x")},
                           {"list", Value::array({Value::integer(5)})}}));
  // Deleting a path that is not there changes nothing but still applies.
  EXPECT_EQ(*store_.on_json_delete({run_, "d", *JsonPath::parse("zzz[3]"), 7}),
            ApplyOutcome::kApplied);
  // Setting the root replaces the document.
  EXPECT_EQ(
      *store_.on_json_set({run_, "d", JsonPath::root(), Value::integer(9), 8}),
      ApplyOutcome::kApplied);
  EXPECT_EQ(store_.json_get(run_, "d", JsonPath::root()), Value::integer(9));
  EXPECT_EQ(store_.max_version(), 8u);
}

TEST_F(MvccStoreTest, JsonChangesToAMissingDocumentAreSkippedAndCounted) {
  EXPECT_EQ(*store_.on_json_set(
                {run_, "nope", *JsonPath::parse("a"), Value::integer(1), 1}),
            ApplyOutcome::kSkipped);
  EXPECT_EQ(*store_.on_json_delete({run_, "nope", *JsonPath::parse("a"), 2}),
            ApplyOutcome::kSkipped);
  EXPECT_EQ(store_.counters().json_missing_document, 2u);
  EXPECT_EQ(store_.json_document_count(), 0u);
  EXPECT_EQ(store_.max_version(), 0u);
  // Destroy of an absent document counts as applied, as the original's.
  EXPECT_EQ(*store_.on_json_destroy({run_, "nope"}), ApplyOutcome::kApplied);
}

TEST_F(MvccStoreTest, JsonPathsThatDoNotFitAreSkippedAndChangeNothing) {
  Value doc =
      Value::object({{"n", Value::integer(1)}, {"arr", Value::array()}});
  ASSERT_TRUE(store_.on_json_create({run_, "d", doc, 1, 0}).ok());
  for (const char* p : {"n.x", "arr.x", "arr[1]", "[0]", "n[0]"}) {
    EXPECT_EQ(*store_.on_json_set(
                  {run_, "d", *JsonPath::parse(p), Value::integer(2), 2}),
              ApplyOutcome::kSkipped)
        << p;
  }
  EXPECT_EQ(*store_.on_json_delete({run_, "d", JsonPath::root(), 3}),
            ApplyOutcome::kSkipped);
  EXPECT_EQ(store_.counters().json_bad_path, 6u);
  EXPECT_EQ(store_.json_get(run_, "d", JsonPath::root()), doc);
  EXPECT_EQ(store_.json_document(run_, "d")->version, 1u);
}

TEST_F(MvccStoreTest, JsonCreateReplacesAndDestroyRemoves) {
  ASSERT_TRUE(store_.on_json_create({run_, "d", Value::integer(1), 1, 0}).ok());
  ASSERT_TRUE(store_.on_json_create({run_, "d", Value::integer(2), 2, 0}).ok());
  EXPECT_EQ(store_.json_get(run_, "d", {}), Value::integer(2));
  // Documents of different runs are distinct.
  ASSERT_TRUE(
      store_.on_json_create({test_run(2), "d", Value::integer(3), 3, 0}).ok());
  EXPECT_EQ(store_.json_document_count(), 2u);
  EXPECT_EQ(*store_.on_json_destroy({run_, "d"}), ApplyOutcome::kApplied);
  EXPECT_EQ(store_.json_document(run_, "d"), nullptr);
  EXPECT_NE(store_.json_document(test_run(2), "d"), nullptr);
}

TEST_F(MvccStoreTest, VectorCollectionsCheckDimensionAndMetric) {
  EXPECT_EQ(*store_.on_vector_upsert(
                {run_, "c", "k", 1, {1, 0}, std::nullopt, 1, std::nullopt}),
            ApplyOutcome::kSkipped);  // no collection yet
  ASSERT_EQ(*store_.on_vector_collection_create(
                {run_, "c", 2, DistanceMetric::kCosine, 2}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(*store_.on_vector_collection_create(
                {run_, "c", 3, DistanceMetric::kEuclidean, 3}),
            ApplyOutcome::kSkipped);  // exists
  EXPECT_EQ(store_.vector_collection(run_, "c")->dimension, 2u);
  EXPECT_EQ(*store_.on_vector_upsert(
                {run_, "c", "k", 1, {1, 0, 0}, std::nullopt, 4, std::nullopt}),
            ApplyOutcome::kSkipped);  // dimension 3 != 2
  EXPECT_EQ(*store_.on_vector_upsert(
                {run_, "c", "k", 1, {0, 0}, std::nullopt, 4, std::nullopt}),
            ApplyOutcome::kSkipped);  // zero vector under cosine
  EXPECT_EQ(
      *store_.on_vector_upsert({run_,
                                "c",
                                "k",
                                1,
                                {std::numeric_limits<float>::quiet_NaN(), 1},
                                std::nullopt,
                                4,
                                std::nullopt}),
      ApplyOutcome::kSkipped);  // NaN
  EXPECT_EQ(*store_.on_vector_upsert({run_,
                                      "c",
                                      "k",
                                      1,
                                      {0.5f, 0.5f},
                                      std::string("m"),
                                      5,
                                      EntityRef{KvRef{run_, "src"}}}),
            ApplyOutcome::kApplied);
  const VectorRecord* rec = store_.vector(run_, "c", "k");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->vector_id, 1u);
  EXPECT_EQ(rec->version, 5u);
  EXPECT_EQ(rec->metadata, std::string("m"));
  const auto& ctr = store_.counters();
  EXPECT_EQ(ctr.vector_missing_collection, 1u);
  EXPECT_EQ(ctr.vector_collection_exists, 1u);
  EXPECT_EQ(ctr.vector_dimension_mismatch, 1u);
  EXPECT_EQ(ctr.vector_invalid_embedding, 2u);
  // A zero vector is fine under euclidean distance.
  ASSERT_TRUE(store_
                  .on_vector_collection_create(
                      {run_, "e", 2, DistanceMetric::kEuclidean, 6})
                  .ok());
  EXPECT_EQ(*store_.on_vector_upsert(
                {run_, "e", "z", 2, {0, 0}, std::nullopt, 7, std::nullopt}),
            ApplyOutcome::kApplied);
  // Deletes.
  EXPECT_EQ(*store_.on_vector_delete({run_, "c", "k", 1, 8}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(*store_.on_vector_delete({run_, "c", "k", 1, 9}),
            ApplyOutcome::kSkipped);
  EXPECT_EQ(*store_.on_vector_collection_delete({run_, "c", 10}),
            ApplyOutcome::kApplied);
  EXPECT_EQ(*store_.on_vector_collection_delete({run_, "c", 11}),
            ApplyOutcome::kSkipped);
  EXPECT_EQ(store_.vector_collection_count(), 1u);
  EXPECT_EQ(store_.max_version(), 10u);
}

TEST_F(MvccStoreTest, ApplyDispatchesEveryDataEntryAndRejectsFraming) {
  for (const WALEntry& e : testing::sample_entries()) {
    auto r = store_.apply(e);
    if (e.is_data()) {
      EXPECT_TRUE(r.ok()) << e.to_string() << ": " << r.status().to_string();
    } else {
      ASSERT_FALSE(r.ok()) << e.to_string();
      EXPECT_TRUE(r.status().is_invalid_argument());
    }
  }
  EXPECT_GT(store_.key_count(), 0u);
}

TEST_F(MvccStoreTest, DumpIsDeterministicAndClearEmpties) {
  MvccStore other;
  for (MvccStore* s : {&store_, &other}) {
    s->put(Key::new_kv(ns_, "b"), Value::integer(2), 2);
    s->put(Key::new_kv(ns_, "a"),
           Value::object({{"y", Value::null()}, {"x", Value::floating(0.5)}}),
           1);
    s->delete_key(Key::new_kv(ns_, "c"), 3);
    ASSERT_TRUE(s->on_json_create({run_, "d", Value::integer(1), 4, 5}).ok());
    ASSERT_TRUE(s->on_vector_collection_create(
                     {run_, "v", 1, DistanceMetric::kDotProduct, 5})
                    .ok());
    ASSERT_TRUE(s->on_vector_upsert(
                     {run_, "v", "k", 1, {2}, std::nullopt, 6, std::nullopt})
                    .ok());
  }
  EXPECT_EQ(store_.dump(), other.dump());
  EXPECT_NE(store_.dump().find("<deleted>"), std::string::npos);
  other.put(Key::new_kv(ns_, "b"), Value::integer(2), 7);
  EXPECT_NE(store_.dump(), other.dump());
  store_.clear();
  EXPECT_EQ(store_.key_count(), 0u);
  EXPECT_EQ(store_.dump(), "max_version 0\n");
}

// A handler that overrides only the required methods skips the rest.
class KvOnly : public ReplayHandler {
 public:
  Result<ApplyOutcome> on_write(const Write&) override {
    ++writes;
    return ApplyOutcome::kApplied;
  }
  Result<ApplyOutcome> on_delete(const Delete&) override {
    return Status::io_error("disk gone");
  }
  int writes = 0;
};

TEST(MvccReplayHandler, DefaultsSkipAndErrorsPropagate) {
  KvOnly h;
  auto entries = testing::sample_entries();
  EXPECT_EQ(*apply_data_entry(&h, entries[1]), ApplyOutcome::kApplied);
  EXPECT_TRUE(apply_data_entry(&h, entries[2]).status().is_io_error());
  for (std::size_t i = 6; i < 14; ++i) {
    EXPECT_EQ(*apply_data_entry(&h, entries[i]), ApplyOutcome::kSkipped);
  }
  EXPECT_EQ(h.writes, 1);
}

}  // namespace
}  // namespace strata::durability::mvcc
