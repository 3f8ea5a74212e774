// EntityRef: a reference from a vector to the entity it was made from (a KV
// entry, an event, a state cell, a run, a JSON document or another vector).

#ifndef STRATA_DURABILITY_MVCC_ENTITY_REF_H_
#define STRATA_DURABILITY_MVCC_ENTITY_REF_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "strata/durability/mvcc/key.h"

namespace strata::durability::mvcc {

struct KvRef {
  RunId run_id;
  std::string key;
  friend bool operator==(const KvRef&, const KvRef&) = default;
};
struct EventRef {
  RunId run_id;
  uint64_t sequence = 0;
  friend bool operator==(const EventRef&, const EventRef&) = default;
};
struct StateRef {
  RunId run_id;
  std::string name;
  friend bool operator==(const StateRef&, const StateRef&) = default;
};
struct RunRef {
  RunId run_id;
  friend bool operator==(const RunRef&, const RunRef&) = default;
};
struct JsonRef {
  RunId run_id;
  std::string doc_id;
  friend bool operator==(const JsonRef&, const JsonRef&) = default;
};
struct VectorRef {
  RunId run_id;
  std::string collection;
  std::string key;
  friend bool operator==(const VectorRef&, const VectorRef&) = default;
};

// The alternatives are in the original's variant order (Kv 0 ... Vector 5),
// which is also the tag byte on disk.
using EntityRef =
    std::variant<KvRef, EventRef, StateRef, RunRef, JsonRef, VectorRef>;

// The run the referenced entity belongs to.
const RunId& entity_ref_run_id(const EntityRef& ref);
// "Kv", "Event", "State", "Run", "Json" or "Vector".
const char* entity_ref_kind_name(const EntityRef& ref);

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_ENTITY_REF_H_
