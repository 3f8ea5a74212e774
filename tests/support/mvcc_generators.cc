// The rapidcheck generators declared in mvcc_test_util.h.

#include <rapidcheck.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "support/mvcc_test_util.h"

namespace strata::durability::mvcc::testing {

namespace gen {

rc::Gen<Uuid> uuid() {
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
rc::Gen<std::string> bytes() {
  return rc::gen::weightedOneOf<std::string>(
      {{3, rc::gen::string<std::string>()},
       {1, rc::gen::container<std::string>(rc::gen::arbitrary<char>())}});
}

rc::Gen<uint64_t> u64() {
  return rc::gen::weightedOneOf<uint64_t>(
      {{3, rc::gen::inRange<uint64_t>(0, 1000)},
       {1, rc::gen::arbitrary<uint64_t>()},
       {1, rc::gen::element<uint64_t>(0, 127, 128, UINT64_MAX)}});
}

rc::Gen<double> f64() {
  return rc::gen::weightedOneOf<double>(
      {{4, rc::gen::arbitrary<double>()},
       {1, rc::gen::element<double>(
               0.0, -0.0, std::numeric_limits<double>::infinity(),
               std::numeric_limits<double>::quiet_NaN(),
               std::numeric_limits<double>::denorm_min())}});
}

rc::Gen<Value> scalar_value() {
  return rc::gen::oneOf(
      rc::gen::just(Value::null()),
      rc::gen::map(rc::gen::arbitrary<bool>(), &Value::boolean),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), &Value::integer),
      rc::gen::map(f64(), &Value::floating),
      rc::gen::map(bytes(), [](std::string s) { return Value::string(s); }),
      rc::gen::map(bytes(), [](std::string s) { return Value::bytes(s); }));
}

// Values nesting at most `depth` levels, with at most 4 members per level.
rc::Gen<Value> value(int depth) {
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

rc::Gen<Key> key() {
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

rc::Gen<JsonPath> path() {
  auto seg = rc::gen::oneOf(
      rc::gen::map(bytes(), [](std::string k) { return PathSegment::key(k); }),
      rc::gen::map(u64(), &PathSegment::index));
  return rc::gen::map(
      rc::gen::container<std::vector<PathSegment>>(seg),
      [](std::vector<PathSegment> s) { return JsonPath{std::move(s)}; });
}

rc::Gen<EntityRef> entity_ref() {
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

rc::Gen<DistanceMetric> metric() {
  return rc::gen::element(DistanceMetric::kCosine, DistanceMetric::kEuclidean,
                          DistanceMetric::kDotProduct);
}

rc::Gen<std::vector<float>> embedding() {
  return rc::gen::container<std::vector<float>>(rc::gen::arbitrary<float>());
}

rc::Gen<WALEntry> entry() {
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
