// WALEntry: one entry of the MVCC write-ahead log, one of fourteen kinds:
// transaction framing (BeginTxn, CommitTxn, AbortTxn), key/value changes
// (Write, Delete), Checkpoint, JSON document changes (JsonCreate, JsonSet,
// JsonDelete, JsonDestroy) and vector changes (VectorCollectionCreate,
// VectorCollectionDelete, VectorUpsert, VectorDelete). The fields are the
// original's, in its order.
//
// Deliberate differences from the original:
// - JSON values in JsonCreate and JsonSet are Value trees, not msgpack bytes
//   of a serde_json value: the log stays self-describing, needs no msgpack,
//   and replay can apply path changes without re-parsing.
// - Vector metadata stays opaque optional bytes (as the original's), since
//   this library never interprets it.

#ifndef STRATA_DURABILITY_MVCC_WAL_ENTRY_H_
#define STRATA_DURABILITY_MVCC_WAL_ENTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "strata/durability/mvcc/entity_ref.h"
#include "strata/durability/mvcc/json_path.h"
#include "strata/durability/mvcc/key.h"
#include "strata/durability/mvcc/value.h"
#include "strata/durability/uuid.h"

namespace strata::durability::mvcc {

// The kind of an entry. Each value is the entry's type byte on disk, the
// original's type bytes.
enum class WalEntryKind : uint8_t {
  kBeginTxn = 0x01,
  kWrite = 0x02,
  kDelete = 0x03,
  kCommitTxn = 0x04,
  kAbortTxn = 0x05,
  kCheckpoint = 0x06,
  kJsonCreate = 0x20,
  kJsonSet = 0x21,
  kJsonDelete = 0x22,
  kJsonDestroy = 0x23,
  kVectorCollectionCreate = 0x70,
  kVectorCollectionDelete = 0x71,
  kVectorUpsert = 0x72,
  kVectorDelete = 0x73,
};
inline constexpr int kWalEntryKindCount = 14;
// The kind with this type byte; nullopt for an unknown byte.
std::optional<WalEntryKind> wal_entry_kind_from_byte(uint8_t type_byte);
// The seed's names: "BeginTxn", "Write", ..., "VectorDelete".
std::string_view wal_entry_kind_name(WalEntryKind kind);

// How a vector collection measures distance. The values are the original's
// metric byte.
enum class DistanceMetric : uint8_t {
  kCosine = 0,
  kEuclidean = 1,
  kDotProduct = 2,
};
std::optional<DistanceMetric> distance_metric_from_byte(uint8_t b);
std::string_view distance_metric_name(DistanceMetric metric);

// Timestamps are microseconds since the Unix epoch, as the original's.
struct BeginTxn {
  uint64_t txn_id = 0;
  RunId run_id;
  uint64_t timestamp = 0;
  friend bool operator==(const BeginTxn&, const BeginTxn&) = default;
};
struct Write {
  RunId run_id;
  Key key;
  Value value;
  uint64_t version = 0;
  friend bool operator==(const Write&, const Write&) = default;
};
struct Delete {
  RunId run_id;
  Key key;
  uint64_t version = 0;
  friend bool operator==(const Delete&, const Delete&) = default;
};
struct CommitTxn {
  uint64_t txn_id = 0;
  RunId run_id;
  friend bool operator==(const CommitTxn&, const CommitTxn&) = default;
};
struct AbortTxn {
  uint64_t txn_id = 0;
  RunId run_id;
  friend bool operator==(const AbortTxn&, const AbortTxn&) = default;
};
struct Checkpoint {
  Uuid snapshot_id;
  uint64_t version = 0;
  std::vector<RunId> active_runs;
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};
struct JsonCreate {
  RunId run_id;
  std::string doc_id;
  Value value;  // the whole document
  uint64_t version = 0;
  uint64_t timestamp = 0;
  friend bool operator==(const JsonCreate&, const JsonCreate&) = default;
};
struct JsonSet {
  RunId run_id;
  std::string doc_id;
  JsonPath path;
  Value value;
  uint64_t version = 0;
  friend bool operator==(const JsonSet&, const JsonSet&) = default;
};
struct JsonDelete {
  RunId run_id;
  std::string doc_id;
  JsonPath path;
  uint64_t version = 0;
  friend bool operator==(const JsonDelete&, const JsonDelete&) = default;
};
struct JsonDestroy {
  RunId run_id;
  std::string doc_id;
  friend bool operator==(const JsonDestroy&, const JsonDestroy&) = default;
};
struct VectorCollectionCreate {
  RunId run_id;
  std::string collection;
  uint64_t dimension = 0;
  DistanceMetric metric = DistanceMetric::kCosine;
  uint64_t version = 0;
  friend bool operator==(const VectorCollectionCreate&,
                         const VectorCollectionCreate&) = default;
};
struct VectorCollectionDelete {
  RunId run_id;
  std::string collection;
  uint64_t version = 0;
  friend bool operator==(const VectorCollectionDelete&,
                         const VectorCollectionDelete&) = default;
};
struct VectorUpsert {
  RunId run_id;
  std::string collection;
  std::string key;
  uint64_t vector_id = 0;
  std::vector<float> embedding;
  std::optional<std::string> metadata;  // opaque bytes
  uint64_t version = 0;
  std::optional<EntityRef> source_ref;
  friend bool operator==(const VectorUpsert&, const VectorUpsert&) = default;
};
struct VectorDelete {
  RunId run_id;
  std::string collection;
  std::string key;
  uint64_t vector_id = 0;
  uint64_t version = 0;
  friend bool operator==(const VectorDelete&, const VectorDelete&) = default;
};

class WALEntry {
 public:
  // The alternatives in the original's variant order.
  using Variant =
      std::variant<BeginTxn, Write, Delete, CommitTxn, AbortTxn, Checkpoint,
                   JsonCreate, JsonSet, JsonDelete, JsonDestroy,
                   VectorCollectionCreate, VectorCollectionDelete, VectorUpsert,
                   VectorDelete>;

  // A default entry is an empty BeginTxn (for containers).
  WALEntry() = default;
  // Implicit from any of the fourteen structs: `WALEntry e = Write{...};`.
  template <typename T, typename = std::enable_if_t<
                            std::is_constructible_v<Variant, T&&> &&
                            !std::is_same_v<std::decay_t<T>, WALEntry>>>
  WALEntry(T&& entry)  // NOLINT(google-explicit-constructor)
      : v_(std::forward<T>(entry)) {}

  WalEntryKind kind() const;
  std::string_view type_name() const { return wal_entry_kind_name(kind()); }

  const Variant& variant() const { return v_; }
  Variant& variant() { return v_; }
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }
  template <typename T>
  T* get_if() {
    return std::get_if<T>(&v_);
  }
  template <typename T>
  bool is() const {
    return std::holds_alternative<T>(v_);
  }

  // The run the entry belongs to; nullopt only for Checkpoint.
  std::optional<RunId> run_id() const;
  // The transaction id; only BeginTxn, CommitTxn and AbortTxn carry one.
  std::optional<uint64_t> txn_id() const;
  // The MVCC version: Write, Delete, Checkpoint, JsonCreate, JsonSet,
  // JsonDelete and all four vector entries. JsonDestroy and the framing
  // entries have none.
  std::optional<uint64_t> version() const;
  // BeginTxn, CommitTxn or AbortTxn.
  bool is_txn_boundary() const;
  bool is_checkpoint() const { return is<Checkpoint>(); }
  // A data entry is one that joins a transaction during replay: Write,
  // Delete, the Json and the Vector entries.
  bool is_data() const { return !is_txn_boundary() && !is_checkpoint(); }

  // One line for messages and tools, e.g.
  // "Write run=0190... key=default/default/default/.../KV/\"a\" value=1 v=3".
  std::string to_string() const;

  friend bool operator==(const WALEntry&, const WALEntry&) = default;

 private:
  Variant v_;
};

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_WAL_ENTRY_H_
