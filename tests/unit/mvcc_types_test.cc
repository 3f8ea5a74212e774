// Tests for the MVCC WAL's types: Namespace and Key ordering, TypeTag
// bytes, Value equality, JsonPath text form, and the WALEntry accessors.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "support/mvcc_test_util.h"

namespace strata::durability::mvcc {
namespace {

using testing::sample_entries;
using testing::test_run;

TEST(MvccNamespace, ForRunFillsDefaults) {
  Namespace ns = Namespace::for_run(test_run(3));
  EXPECT_EQ(ns.tenant, "default");
  EXPECT_EQ(ns.app, "default");
  EXPECT_EQ(ns.agent, "default");
  EXPECT_EQ(ns.run_id, test_run(3));
}

TEST(MvccNamespace, OrdersByTenantThenAppAgentRun) {
  Namespace a{"t1", "z", "z", test_run(9)};
  Namespace b{"t2", "a", "a", test_run(0)};
  EXPECT_LT(a, b);  // tenant decides first
  Namespace c{"t", "a1", "z", test_run(9)};
  Namespace d{"t", "a2", "a", test_run(0)};
  EXPECT_LT(c, d);  // then app
  Namespace e{"t", "a", "g1", test_run(9)};
  Namespace f{"t", "a", "g2", test_run(0)};
  EXPECT_LT(e, f);  // then agent
  Namespace g{"t", "a", "g", test_run(1)};
  Namespace h{"t", "a", "g", test_run(2)};
  EXPECT_LT(g, h);  // then run
  EXPECT_EQ(g, g);
}

TEST(MvccTypeTag, ReprBytesIndexesAndOrder) {
  const TypeTag all[] = {
      TypeTag::kKv,  TypeTag::kEvent,  TypeTag::kState, TypeTag::kTrace,
      TypeTag::kRun, TypeTag::kVector, TypeTag::kJson,  TypeTag::kVectorConfig};
  const uint8_t repr[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x12};
  const char* names[] = {"KV",  "Event",  "State", "Trace",
                         "Run", "Vector", "Json",  "VectorConfig"};
  for (int i = 0; i < kTypeTagCount; ++i) {
    EXPECT_EQ(static_cast<uint8_t>(all[i]), repr[i]);
    EXPECT_EQ(type_tag_index(all[i]), i);
    EXPECT_EQ(type_tag_from_index(static_cast<uint8_t>(i)), all[i]);
    EXPECT_EQ(type_tag_from_repr(repr[i]), all[i]);
    EXPECT_EQ(type_tag_name(all[i]), names[i]);
    if (i > 0) {
      EXPECT_LT(all[i - 1], all[i]);
    }
  }
  EXPECT_FALSE(type_tag_from_index(8).has_value());
  EXPECT_FALSE(type_tag_from_repr(0x00).has_value());
  EXPECT_FALSE(type_tag_from_repr(0x06).has_value());
  EXPECT_FALSE(type_tag_from_repr(0x13).has_value());
}

TEST(MvccKey, OrdersByNamespaceThenTagThenUserKey) {
  Namespace n1 = Namespace::for_run(test_run(1));
  Namespace n2 = Namespace::for_run(test_run(2));
  EXPECT_LT(Key::new_json(n1, "a"), Key::new_kv(n2, "a"));   // namespace first
  EXPECT_LT(Key::new_kv(n1, "zzz"), Key::new_event(n1, 0));  // then tag
  EXPECT_LT(Key::new_kv(n1, "a"), Key::new_kv(n1, "b"));     // then key
  EXPECT_LT(Key::new_kv(n1, "a"), Key::new_kv(n1, "ab"));
  // Bytes compare unsigned: 0xff sorts after 'a'.
  EXPECT_LT(Key::new_kv(n1, "a"), Key::new_kv(n1, "\xff"));
}

TEST(MvccKey, EventKeysAreBigEndianSoByteOrderIsNumericOrder) {
  Namespace ns = Namespace::for_run(test_run(1));
  Key k = Key::new_event(ns, 0x0102030405060708ULL);
  EXPECT_EQ(k.type_tag, TypeTag::kEvent);
  EXPECT_EQ(k.user_key, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(k.event_sequence(), 0x0102030405060708ULL);
  EXPECT_LT(Key::new_event(ns, 255), Key::new_event(ns, 256));
  EXPECT_LT(Key::new_event(ns, 1), Key::new_event(ns, UINT64_MAX));
  EXPECT_FALSE(Key::new_kv(ns, "12345678").event_sequence().has_value());
}

TEST(MvccKey, HelpersSetTagAndKey) {
  Namespace ns = Namespace::for_run(test_run(1));
  Key v = Key::new_vector(ns, "coll", "k1");
  EXPECT_EQ(v.type_tag, TypeTag::kVector);
  EXPECT_EQ(v.user_key, "coll/k1");
  EXPECT_EQ(Key::new_vector_config(ns, "coll").type_tag,
            TypeTag::kVectorConfig);
  EXPECT_EQ(Key::new_json(ns, "d").type_tag, TypeTag::kJson);
  EXPECT_EQ(Key::new_state(ns, "s").type_tag, TypeTag::kState);
  EXPECT_EQ(Key::new_run(ns, "r").type_tag, TypeTag::kRun);
  EXPECT_EQ(Key::new_kv(ns, "x").to_string(),
            "default/default/default/" + test_run(1).to_string() + "/KV/\"x\"");
}

TEST(MvccValue, EqualityIsStrictAcrossKinds) {
  EXPECT_NE(Value::integer(1), Value::floating(1.0));
  EXPECT_NE(Value::string("a"), Value::bytes("a"));
  EXPECT_NE(Value::null(), Value::boolean(false));
  EXPECT_NE(Value::integer(0), Value::boolean(false));
  EXPECT_EQ(Value::integer(1), Value::integer(1));
  EXPECT_EQ(Value(), Value::null());
}

TEST(MvccValue, FloatsCompareAsIeeeNumbers) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(Value::floating(nan), Value::floating(nan));
  EXPECT_EQ(Value::floating(-0.0), Value::floating(0.0));
  EXPECT_EQ(Value::floating(2.5), Value::floating(2.5));
  // identical() compares bits: what an encoding round trip keeps.
  EXPECT_TRUE(identical(Value::floating(nan), Value::floating(nan)));
  EXPECT_FALSE(identical(Value::floating(-0.0), Value::floating(0.0)));
  // Inside containers too.
  EXPECT_NE(Value::array({Value::floating(nan)}),
            Value::array({Value::floating(nan)}));
  EXPECT_EQ(Value::array({Value::floating(-0.0)}),
            Value::array({Value::floating(0.0)}));
}

TEST(MvccValue, ContainersCompareMemberwise) {
  Value::Object a{{"x", Value::integer(1)}, {"y", Value::string("s")}};
  Value::Object b{{"y", Value::string("s")}, {"x", Value::integer(1)}};
  EXPECT_EQ(Value::object(a), Value::object(b));
  b["z"] = Value::null();
  EXPECT_NE(Value::object(a), Value::object(b));
  EXPECT_NE(Value::array({Value::integer(1), Value::integer(2)}),
            Value::array({Value::integer(2), Value::integer(1)}));
  EXPECT_NE(Value::array({}), Value::object({}));
}

TEST(MvccValue, ObjectKeysIterateSorted) {
  Value v = Value::object({{"b", Value::integer(2)},
                           {"a", Value::integer(1)},
                           {"\xff", Value::integer(3)}});
  std::vector<std::string> keys;
  for (const auto& [k, e] : v.as_object()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "\xff"}));
}

TEST(MvccValue, ToStringAndDepth) {
  Value v = Value::object(
      {{"a", Value::array({Value::integer(1), Value::floating(1.0)})},
       {"b", Value::bytes("\x01")},
       {"c", Value::string("q\"")}});
  EXPECT_EQ(v.to_string(), R"({"a":[1,1.0],"b":b"01","c":"q\""})");
  EXPECT_EQ(v.depth(), 2);
  EXPECT_EQ(Value::integer(3).depth(), 0);
  EXPECT_EQ(value_kind_name(Value::Kind::kBytes), "Bytes");
}

TEST(MvccValue, MutableAccessors) {
  Value v = Value::array();
  v.mutable_array().push_back(Value::integer(5));
  EXPECT_EQ(v.as_array().size(), 1u);
  Value o = Value::object();
  o.mutable_object()["k"] = Value::boolean(true);
  EXPECT_TRUE(o.as_object().at("k").as_bool());
}

TEST(MvccValueDeathTest, WrongKindAccessAborts) {
  EXPECT_DEATH((void)Value::integer(1).as_string(), "read as String");
}

TEST(MvccJsonPath, ParsesAndPrints) {
  auto p = JsonPath::parse("a.b[3]");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_EQ(p->segments.size(), 3u);
  EXPECT_EQ(p->segments[0].as_key(), "a");
  EXPECT_EQ(p->segments[1].as_key(), "b");
  EXPECT_EQ(p->segments[2].as_index(), 3u);
  EXPECT_EQ(p->to_string(), "a.b[3]");

  auto root = JsonPath::parse("");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->is_root());
  EXPECT_EQ(root->to_string(), "");

  auto q = JsonPath::parse("[0].x[\"a.b\"][\"q\\\"\"]");
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  ASSERT_EQ(q->segments.size(), 4u);
  EXPECT_EQ(q->segments[0].as_index(), 0u);
  EXPECT_EQ(q->segments[2].as_key(), "a.b");
  EXPECT_EQ(q->segments[3].as_key(), "q\"");
  EXPECT_EQ(JsonPath::parse(q->to_string()).value(), *q);

  JsonPath built = JsonPath::root().key("").index(18446744073709551615ULL);
  EXPECT_EQ(built.to_string(), "[\"\"][18446744073709551615]");
  EXPECT_EQ(JsonPath::parse(built.to_string()).value(), built);
}

TEST(MvccJsonPath, RejectsMalformedText) {
  for (const char* bad :
       {".a", "a.", "a..b", "a[", "a[x]", "a[1", "[\"a]", "a]", "[1]b",
        "a[18446744073709551616]", "[\"\\n\"]"}) {
    auto p = JsonPath::parse(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_TRUE(p.status().is_invalid_argument()) << bad;
    }
  }
}

TEST(MvccEntityRef, RunIdAndNames) {
  EntityRef r = VectorRef{test_run(4), "c", "k"};
  EXPECT_EQ(entity_ref_run_id(r), test_run(4));
  EXPECT_STREQ(entity_ref_kind_name(r), "Vector");
  EXPECT_STREQ(entity_ref_kind_name(EntityRef{KvRef{}}), "Kv");
}

TEST(MvccWalEntry, KindsNamesAndTypeBytes) {
  auto entries = sample_entries();
  const std::pair<uint8_t, const char*> want[] = {
      {0x01, "BeginTxn"},
      {0x02, "Write"},
      {0x03, "Delete"},
      {0x04, "CommitTxn"},
      {0x05, "AbortTxn"},
      {0x06, "Checkpoint"},
      {0x20, "JsonCreate"},
      {0x21, "JsonSet"},
      {0x22, "JsonDelete"},
      {0x23, "JsonDestroy"},
      {0x70, "VectorCollectionCreate"},
      {0x71, "VectorCollectionDelete"},
      {0x72, "VectorUpsert"},
      {0x73, "VectorDelete"}};
  for (int i = 0; i < kWalEntryKindCount; ++i) {
    EXPECT_EQ(static_cast<uint8_t>(entries[i].kind()), want[i].first);
    EXPECT_EQ(entries[i].type_name(), want[i].second);
    EXPECT_EQ(wal_entry_kind_from_byte(want[i].first), entries[i].kind());
  }
  int known = 0;
  for (int b = 0; b < 256; ++b) {
    if (wal_entry_kind_from_byte(static_cast<uint8_t>(b))) ++known;
  }
  EXPECT_EQ(known, kWalEntryKindCount);
}

TEST(MvccWalEntry, AccessorsFollowTheOriginal) {
  auto entries = sample_entries();
  for (int i = 0; i < kWalEntryKindCount; ++i) {
    const WALEntry& e = entries[i];
    SCOPED_TRACE(std::string(e.type_name()));
    // run_id: None only for Checkpoint.
    EXPECT_EQ(e.run_id().has_value(), !e.is<Checkpoint>());
    if (e.run_id()) {
      EXPECT_EQ(*e.run_id(), test_run(1));
    }
    // txn_id: only the three framing entries.
    bool framing = e.is<BeginTxn>() || e.is<CommitTxn>() || e.is<AbortTxn>();
    EXPECT_EQ(e.txn_id().has_value(), framing);
    EXPECT_EQ(e.is_txn_boundary(), framing);
    // version: everything but framing and JsonDestroy.
    EXPECT_EQ(e.version().has_value(), !framing && !e.is<JsonDestroy>());
    EXPECT_EQ(e.is_checkpoint(), e.is<Checkpoint>());
    EXPECT_EQ(e.is_data(), !framing && !e.is<Checkpoint>());
    EXPECT_FALSE(e.to_string().empty());
  }
  EXPECT_EQ(entries[0].txn_id(), 42u);
  EXPECT_EQ(entries[1].version(), 7u);
  EXPECT_EQ(entries[5].version(), 100u);
  EXPECT_EQ(entries[13].version(), 15u);
}

TEST(MvccWalEntry, EqualityAndToString) {
  auto a = sample_entries();
  auto b = sample_entries();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]);
  EXPECT_NE(a[0], a[3]);
  WALEntry w =
      Write{test_run(1), Key::new_kv(Namespace::for_run(test_run(1)), "a"),
            Value::integer(1), 3};
  EXPECT_EQ(w.to_string(), "Write run=" + test_run(1).to_string() +
                               " key=default/default/default/" +
                               test_run(1).to_string() +
                               "/KV/\"a\" value=1 v=3");
}

}  // namespace
}  // namespace strata::durability::mvcc
