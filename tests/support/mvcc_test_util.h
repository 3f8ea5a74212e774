// Test helpers for the MVCC WAL: a sample of every entry kind, and
// rapidcheck generators for Values (of bounded depth) and WALEntries.

#ifndef STRATA_DURABILITY_TESTS_SUPPORT_MVCC_TEST_UTIL_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_MVCC_TEST_UTIL_H_

#include <rapidcheck.h>

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

inline rc::Gen<Uuid> uuid() {
  return rc::gen::weightedOneOf<Uuid>(
      {{3,
        rc::gen::map(rc::gen::inRange<int>(0, 4),
                     [](int n) { return test_run(static_cast<uint8_t>(n)); })},
       {1, rc::gen::map(rc::gen::container<std::vector<uint8_t>>(
                            16, rc::gen::arbitrary<uint8_t>()),
                        [](const std::vector<uint8_t>& v) {
                          Uuid::Bytes b{};
                          for (int i = 0; i < 16; ++i) b[i] = v[i];
                          return Uuid(b);
                        })}});
}

// Short byte strings, sometimes with any byte.
inline rc::Gen<std::string> bytes() {
  return rc::gen::weightedOneOf<std::string>(
      {{3, rc::gen::string<std::string>()},
       {1, rc::gen::container<std::string>(rc::gen::arbitrary<char>())}});
}

inline rc::Gen<uint64_t> u64() {
  return rc::gen::weightedOneOf<uint64_t>(
      {{3, rc::gen::inRange<uint64_t>(0, 1000)},
       {1, rc::gen::arbitrary<uint64_t>()},
       {1, rc::gen::element<uint64_t>(0, 127, 128, UINT64_MAX)}});
}

inline rc::Gen<double> f64() {
  return rc::gen::weightedOneOf<double>(
      {{4, rc::gen::arbitrary<double>()},
       {1, rc::gen::element<double>(
               0.0, -0.0, std::numeric_limits<double>::infinity(),
               std::numeric_limits<double>::quiet_NaN(),
               std::numeric_limits<double>::denorm_min())}});
}

inline rc::Gen<Value> scalar_value() {
  return rc::gen::oneOf(
      rc::gen::just(Value::null()),
      rc::gen::map(rc::gen::arbitrary<bool>(), &Value::boolean),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), &Value::integer),
      rc::gen::map(f64(), &Value::floating),
      rc::gen::map(bytes(), [](std::string s) { return Value::string(s); }),
      rc::gen::map(bytes(), [](std::string s) { return Value::bytes(s); }));
}

// Values nesting at most `depth` levels, with at most 4 members per level.
inline rc::Gen<Value> value(int depth = 3) {
  if (depth <= 0) return scalar_value();
  rc::Gen<Value> child = value(depth - 1);
  auto arr = rc::gen::mapcat(rc::gen::inRange(0, 5), [child](int n) {
    return rc::gen::map(
        rc::gen::container<Value::Array>(static_cast<std::size_t>(n), child),
        [](Value::Array a) { return Value::array(std::move(a)); });
  });
  auto obj = rc::gen::map(
      rc::gen::container<std::vector<std::pair<std::string, Value>>>(
          rc::gen::pair(bytes(), child)),
      [](const std::vector<std::pair<std::string, Value>>& kvs) {
        Value::Object o;
        for (std::size_t i = 0; i < kvs.size() && i < 4; ++i) {
          o.emplace(kvs[i].first, kvs[i].second);
        }
        return Value::object(std::move(o));
      });
  return rc::gen::weightedOneOf<Value>(
      {{3, scalar_value()}, {1, arr}, {1, obj}});
}

inline rc::Gen<Key> key() {
  return rc::gen::apply(
      [](std::string t, std::string a, std::string g, Uuid run, int tag,
         std::string k) {
        return Key{Namespace{std::move(t), std::move(a), std::move(g), run},
                   *type_tag_from_index(static_cast<uint8_t>(tag)),
                   std::move(k)};
      },
      bytes(), bytes(), bytes(), uuid(), rc::gen::inRange(0, kTypeTagCount),
      bytes());
}

inline rc::Gen<JsonPath> path() {
  auto seg = rc::gen::oneOf(
      rc::gen::map(bytes(), [](std::string k) { return PathSegment::key(k); }),
      rc::gen::map(u64(), &PathSegment::index));
  return rc::gen::map(
      rc::gen::container<std::vector<PathSegment>>(seg),
      [](std::vector<PathSegment> s) { return JsonPath{std::move(s)}; });
}

inline rc::Gen<EntityRef> entity_ref() {
  return rc::gen::oneOf(
      rc::gen::apply(
          [](Uuid r, std::string k) {
            return EntityRef{KvRef{r, k}};
          },
          uuid(), bytes()),
      rc::gen::apply(
          [](Uuid r, uint64_t s) {
            return EntityRef{EventRef{r, s}};
          },
          uuid(), u64()),
      rc::gen::apply(
          [](Uuid r, std::string n) {
            return EntityRef{StateRef{r, n}};
          },
          uuid(), bytes()),
      rc::gen::map(uuid(), [](Uuid r) { return EntityRef{RunRef{r}}; }),
      rc::gen::apply(
          [](Uuid r, std::string d) {
            return EntityRef{JsonRef{r, d}};
          },
          uuid(), bytes()),
      rc::gen::apply(
          [](Uuid r, std::string c, std::string k) {
            return EntityRef{VectorRef{r, c, k}};
          },
          uuid(), bytes(), bytes()));
}

inline rc::Gen<DistanceMetric> metric() {
  return rc::gen::element(DistanceMetric::kCosine, DistanceMetric::kEuclidean,
                          DistanceMetric::kDotProduct);
}

inline rc::Gen<std::vector<float>> embedding() {
  return rc::gen::container<std::vector<float>>(rc::gen::arbitrary<float>());
}

inline rc::Gen<WALEntry> entry() {
  using rc::gen::apply;
  using rc::gen::maybe;
  auto w = [](auto e) { return WALEntry(std::move(e)); };
  return rc::gen::oneOf(
      apply(
          [=](uint64_t t, Uuid r, uint64_t ts) {
            return w(BeginTxn{t, r, ts});
          },
          u64(), uuid(), u64()),
      apply(
          [=](Uuid r, Key k, Value v, uint64_t ver) {
            return w(Write{r, std::move(k), std::move(v), ver});
          },
          uuid(), key(), value(), u64()),
      apply(
          [=](Uuid r, Key k, uint64_t ver) {
            return w(Delete{r, std::move(k), ver});
          },
          uuid(), key(), u64()),
      apply(
          [=](uint64_t t, Uuid r) {
            return w(CommitTxn{t, r});
          },
          u64(), uuid()),
      apply(
          [=](uint64_t t, Uuid r) {
            return w(AbortTxn{t, r});
          },
          u64(), uuid()),
      apply(
          [=](Uuid s, uint64_t ver, std::vector<Uuid> runs) {
            return w(Checkpoint{s, ver, std::move(runs)});
          },
          uuid(), u64(), rc::gen::container<std::vector<Uuid>>(uuid())),
      apply(
          [=](Uuid r, std::string d, Value v, uint64_t ver, uint64_t ts) {
            return w(JsonCreate{r, std::move(d), std::move(v), ver, ts});
          },
          uuid(), bytes(), value(), u64(), u64()),
      apply(
          [=](Uuid r, std::string d, JsonPath p, Value v, uint64_t ver) {
            return w(JsonSet{r, std::move(d), std::move(p), std::move(v), ver});
          },
          uuid(), bytes(), path(), value(), u64()),
      apply(
          [=](Uuid r, std::string d, JsonPath p, uint64_t ver) {
            return w(JsonDelete{r, std::move(d), std::move(p), ver});
          },
          uuid(), bytes(), path(), u64()),
      apply(
          [=](Uuid r, std::string d) {
            return w(JsonDestroy{r, std::move(d)});
          },
          uuid(), bytes()),
      apply(
          [=](Uuid r, std::string c, uint64_t dim, DistanceMetric m,
              uint64_t ver) {
            return w(VectorCollectionCreate{r, std::move(c), dim, m, ver});
          },
          uuid(), bytes(), u64(), metric(), u64()),
      apply(
          [=](Uuid r, std::string c, uint64_t ver) {
            return w(VectorCollectionDelete{r, std::move(c), ver});
          },
          uuid(), bytes(), u64()),
      apply(
          [=](Uuid r, std::string c, std::string k, uint64_t id,
              std::vector<float> emb, rc::Maybe<std::string> meta, uint64_t ver,
              rc::Maybe<EntityRef> src) {
            VectorUpsert e{r,   std::move(c),   std::move(k),
                           id,  std::move(emb), std::nullopt,
                           ver, std::nullopt};
            if (meta) e.metadata = *meta;
            if (src) e.source_ref = *src;
            return w(std::move(e));
          },
          uuid(), bytes(), bytes(), u64(), embedding(), maybe(bytes()), u64(),
          maybe(entity_ref())),
      apply(
          [=](Uuid r, std::string c, std::string k, uint64_t id, uint64_t ver) {
            return w(VectorDelete{r, std::move(c), std::move(k), id, ver});
          },
          uuid(), bytes(), bytes(), u64(), u64()));
}

}  // namespace gen
}  // namespace strata::durability::mvcc::testing

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_MVCC_TEST_UTIL_H_
