// The MVCC WAL's addressing types: RunId, Namespace, TypeTag and Key.
//
// A Key names one versioned cell: the namespace it lives in (tenant, app,
// agent, run), the primitive it belongs to (its TypeTag) and the user's key
// bytes. Keys order by namespace, then tag, then user key, as the original's.

#ifndef STRATA_DURABILITY_MVCC_KEY_H_
#define STRATA_DURABILITY_MVCC_KEY_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "strata/durability/uuid.h"

namespace strata::durability::mvcc {

// A run is one execution of an agent; its id is a UUID. The original made
// v4 ids; we accept any version and make v7 ids (Uuid::new_v7), which sort
// by creation time.
using RunId = Uuid;

// Where a key lives. Ordered by tenant, then app, agent, run.
struct Namespace {
  std::string tenant;
  std::string app;
  std::string agent;
  RunId run_id;

  // The namespace of a run with "default" tenant, app and agent.
  static Namespace for_run(const RunId& run);

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads "= default"
  friend auto operator<=>(const Namespace&, const Namespace&) = default;
  friend bool operator==(const Namespace&, const Namespace&) = default;
};

// Which primitive a key belongs to. The values are the original's in-memory
// repr bytes; they also give the key order (KV < Event < ... < VectorConfig).
// On disk we write the position index (type_tag_index), as the original's
// bincode did, so that the byte stays small and dense.
enum class TypeTag : uint8_t {
  kKv = 0x01,
  kEvent = 0x02,
  kState = 0x03,
  // Deprecated in the original (TraceStore was removed); kept so that old
  // keys still decode. Nothing in this library makes new Trace keys.
  kTrace = 0x04,
  kRun = 0x05,
  kVector = 0x10,
  kJson = 0x11,
  kVectorConfig = 0x12,
};

inline constexpr int kTypeTagCount = 8;
// "KV", "Event", "State", "Trace", "Run", "Vector", "Json", "VectorConfig".
std::string_view type_tag_name(TypeTag tag);
// The position index 0..7 (KV 0 ... VectorConfig 7), the on-disk value.
uint8_t type_tag_index(TypeTag tag);
std::optional<TypeTag> type_tag_from_index(uint8_t index);
// From the repr byte (0x01 ... 0x12); nullopt for any other byte.
std::optional<TypeTag> type_tag_from_repr(uint8_t repr);

struct Key {
  // Named `ns` because `namespace` is a C++ keyword (the original's field is
  // `namespace`).
  Namespace ns;
  TypeTag type_tag = TypeTag::kKv;
  std::string user_key;  // raw bytes; need not be UTF-8

  static Key new_kv(const Namespace& ns, std::string_view user_key);
  // Event keys hold the sequence number big-endian, so that byte order is
  // numeric order.
  static Key new_event(const Namespace& ns, uint64_t sequence);
  static Key new_state(const Namespace& ns, std::string_view name);
  static Key new_run(const Namespace& ns, std::string_view run_key);
  static Key new_json(const Namespace& ns, std::string_view doc_id);
  // "collection/key", as the original.
  static Key new_vector(const Namespace& ns, std::string_view collection,
                        std::string_view key);
  static Key new_vector_config(const Namespace& ns,
                               std::string_view collection);

  // For an Event key of 8 bytes, its sequence number.
  std::optional<uint64_t> event_sequence() const;

  // "default/default/default/<run>/KV/<user key, escaped>", for messages.
  std::string to_string() const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads "= default"
  friend auto operator<=>(const Key&, const Key&) = default;
  friend bool operator==(const Key&, const Key&) = default;
};

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_KEY_H_
