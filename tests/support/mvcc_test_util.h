// Test helpers for the MVCC WAL: a sample of every entry kind, and
// rapidcheck generators for Values (of bounded depth) and WALEntries.

#ifndef STRATA_DURABILITY_TESTS_SUPPORT_MVCC_TEST_UTIL_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_MVCC_TEST_UTIL_H_

#include <rapidcheck/Gen.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "strata/durability/mvcc/entry_codec.h"
#include "strata/durability/mvcc/wal_entry.h"

namespace strata::durability::mvcc::testing {

inline RunId test_run(uint8_t n) {
  Uuid::Bytes b{};
  b[0] = 0x01;
  b[6] = 0x70;  // looks like a v7 id
  b[15] = n;
  return Uuid(b);
}

inline std::string encoded(const WALEntry& e) {
  std::string out;
  Status s = encode_entry(e, &out);
  if (!s.ok()) return "<" + s.to_string() + ">";
  return out;
}

// The encoding in a given version (encode_entry_as): what an older
// library wrote.
inline std::string encoded_as(const WALEntry& e, uint8_t version) {
  std::string out;
  Status s = encode_entry_as(e, version, &out);
  if (!s.ok()) return "<" + s.to_string() + ">";
  return out;
}

// One entry of every kind (fourteen, in variant order), with non-trivial
// field values, plus a few edge cases after them.
inline std::vector<WALEntry> sample_entries() {
  const RunId run = test_run(1);
  const Namespace ns = Namespace::for_run(run);
  Value::Object doc;
  doc["name"] = Value::string("ada");
  doc["tags"] = Value::array({Value::integer(1), Value::floating(2.5),
                              Value::null(), Value::boolean(true)});
  doc["raw"] = Value::bytes(std::string("\x00\xff", 2));
  std::vector<WALEntry> v;
  v.push_back(BeginTxn{42, run, 1700000000000000ULL});
  v.push_back(Write{run, Key::new_kv(ns, "user:1"), Value::object(doc), 7});
  v.push_back(Delete{run, Key::new_event(ns, 99), 8});
  v.push_back(CommitTxn{42, run});
  v.push_back(AbortTxn{43, run});
  v.push_back(Checkpoint{test_run(9), 100, {run, test_run(2)}});
  v.push_back(
      JsonCreate{run, "doc-1", Value::object(doc), 9, 1700000000000001ULL});
  v.push_back(JsonSet{run, "doc-1", *JsonPath::parse("tags[2]"),
                      Value::string("x"), 10});
  v.push_back(JsonDelete{run, "doc-1", *JsonPath::parse("name"), 11});
  v.push_back(JsonDestroy{run, "doc-1"});
  v.push_back(
      VectorCollectionCreate{run, "emb", 3, DistanceMetric::kEuclidean, 12});
  v.push_back(VectorCollectionDelete{run, "emb", 13});
  v.push_back(VectorUpsert{run,
                           "emb",
                           "v1",
                           5,
                           {0.5f, -1.0f, 3.25f},
                           std::string("meta"),
                           14,
                           EntityRef{VectorRef{run, "emb", "v0"}}});
  v.push_back(VectorDelete{run, "emb", "v1", 5, 15});
  // Edge cases: extreme numbers, empty strings, no optionals.
  v.push_back(
      Write{run, Key{Namespace{"", "", "", Uuid::nil()}, TypeTag::kTrace, ""},
            Value::integer(std::numeric_limits<int64_t>::min()), UINT64_MAX});
  v.push_back(
      Write{run, Key::new_vector(ns, "c", "k"), Value::floating(-0.0), 0});
  v.push_back(VectorUpsert{run, "", "", 0, {}, std::nullopt, 0, std::nullopt});
  v.push_back(Checkpoint{Uuid::nil(), 0, {}});
  return v;
}

namespace gen {

// Defined in mvcc_generators.cc, compiled once: instantiating rapidcheck's
// combinators in every test that includes this header made each of them
// slow to compile.
rc::Gen<Uuid> uuid();
// Short byte strings, sometimes with any byte.
rc::Gen<std::string> bytes();
rc::Gen<uint64_t> u64();
rc::Gen<double> f64();
rc::Gen<Value> scalar_value();
// Values nesting at most `depth` levels, with at most 4 members per level.
rc::Gen<Value> value(int depth = 3);
rc::Gen<Key> key();
rc::Gen<JsonPath> path();
rc::Gen<EntityRef> entity_ref();
rc::Gen<DistanceMetric> metric();
rc::Gen<std::vector<float>> embedding();
rc::Gen<WALEntry> entry();

}  // namespace gen
}  // namespace strata::durability::mvcc::testing

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_MVCC_TEST_UTIL_H_
