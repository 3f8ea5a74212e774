// WalEntryType: the one-byte type of a Transaction Log entry, laid out in
// ranges of sixteen, one range per primitive, with the original's values.
//
//   0x00-0x0F  core     TransactionCommit, TransactionAbort, SnapshotMarker
//   0x10-0x1F  KV       KvPut, KvDelete
//   0x20-0x2F  JSON     JsonCreate, JsonSet, JsonDelete, JsonDestroy, JsonPatch
//   0x30-0x3F  Event    EventAppend
//   0x40-0x4F  State    StateInit, StateSet, StateTransition
//   0x50-0x5F  reserved (was "Trace" in the original's older docs)
//   0x60-0x6F  Run      RunCreate, RunUpdate, RunEnd, RunBegin
//   0x70-0x7F  Vector   CollectionCreate, CollectionDelete, Upsert, Delete
//   0x80-0xFF  reserved for the future
//
// Every byte falls into exactly one of three classes (classify_entry_type):
//   known      a value this version defines;
//   unknown    an unused value inside a primitive's range (0x03-0x0F,
//              0x12-0x1F, ..., 0x74-0x7F). A later version may define it
//              without changing the entry format version, so a reader of
//              this version reports NotSupported and, in skip mode, skips it;
//   reserved   a value in a range that belongs to no primitive (0x50-0x5F,
//              0x80-0xFF). Assigning such a range needs a new entry format
//              version, so inside a version-1 entry it can only be damage:
//              Corruption.
// The original disagreed with itself here (its is_reserved said v >= 0x74,
// its table also reserved 0x50-0x5F, and 0x74-0x7F was both "reserved" and
// inside the Vector range). We use the single rule above: reserved is a
// property of a whole range, never of a slot inside a primitive's range.

#ifndef STRATA_DURABILITY_TXLOG_WAL_ENTRY_TYPE_H_
#define STRATA_DURABILITY_TXLOG_WAL_ENTRY_TYPE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "strata/durability/result.h"

namespace strata::durability::txlog {

enum class WalEntryType : uint8_t {
  // Core: transaction framing and markers.
  kTransactionCommit = 0x00,
  kTransactionAbort = 0x01,
  kSnapshotMarker = 0x02,
  // KV.
  kKvPut = 0x10,
  kKvDelete = 0x11,
  // JSON.
  kJsonCreate = 0x20,
  kJsonSet = 0x21,
  kJsonDelete = 0x22,
  kJsonDestroy = 0x23,
  kJsonPatch = 0x24,  // an RFC 6902 patch document as the value
  // Event.
  kEventAppend = 0x30,
  // State.
  kStateInit = 0x40,
  kStateSet = 0x41,
  kStateTransition = 0x42,
  // Run. (RunBegin came after RunEnd in the original, hence the order.)
  kRunCreate = 0x60,
  kRunUpdate = 0x61,
  kRunEnd = 0x62,
  kRunBegin = 0x63,
  // Vector.
  kVectorCollectionCreate = 0x70,
  kVectorCollectionDelete = 0x71,
  kVectorUpsert = 0x72,
  kVectorDelete = 0x73,
};

// Which primitive (range) a type belongs to.
enum class PrimitiveKind : uint8_t {
  kCore,
  kKv,
  kJson,
  kEvent,
  kState,
  kRun,
  kVector,
};

enum class EntryTypeClass : uint8_t {
  kKnown,           // defined by this version
  kUnknownInRange,  // unused value inside a primitive's range
  kReserved,        // in a range that belongs to no primitive
};

// Every defined type, in byte order.
inline constexpr WalEntryType kAllWalEntryTypes[] = {
    WalEntryType::kTransactionCommit,
    WalEntryType::kTransactionAbort,
    WalEntryType::kSnapshotMarker,
    WalEntryType::kKvPut,
    WalEntryType::kKvDelete,
    WalEntryType::kJsonCreate,
    WalEntryType::kJsonSet,
    WalEntryType::kJsonDelete,
    WalEntryType::kJsonDestroy,
    WalEntryType::kJsonPatch,
    WalEntryType::kEventAppend,
    WalEntryType::kStateInit,
    WalEntryType::kStateSet,
    WalEntryType::kStateTransition,
    WalEntryType::kRunCreate,
    WalEntryType::kRunUpdate,
    WalEntryType::kRunEnd,
    WalEntryType::kRunBegin,
    WalEntryType::kVectorCollectionCreate,
    WalEntryType::kVectorCollectionDelete,
    WalEntryType::kVectorUpsert,
    WalEntryType::kVectorDelete,
};

constexpr uint8_t to_byte(WalEntryType type) {
  return static_cast<uint8_t>(type);
}

// The class of any byte (see the top of this file).
EntryTypeClass classify_entry_type(uint8_t value);
// True for 0x50-0x5F and 0x80-0xFF, and nothing else.
bool is_reserved(uint8_t value);
// True when this version defines `value`.
bool is_known(uint8_t value);

// The type a byte names. NotSupported "unknown entry type 0x17 in the KV
// range" for an unused value inside a primitive's range; Corruption
// "reserved entry type 0x55 (range 0x50-0x5F)" for a reserved one.
Result<WalEntryType> entry_type_from_byte(uint8_t value);

// Commit, abort and snapshot markers: entries that carry no primitive data.
bool is_control(WalEntryType type);
// Commit and abort: the entries that end a transaction.
bool is_transaction_boundary(WalEntryType type);
PrimitiveKind primitive_kind(WalEntryType type);
// The primitive of any byte's range; nullopt for a reserved range.
std::optional<PrimitiveKind> primitive_kind_of_byte(uint8_t value);

// "Core", "KV", "JSON", "Event", "State", "Run" or "Vector".
std::string_view range_name(WalEntryType type);
// As range_name, and "Reserved" for a reserved byte.
std::string_view range_name_of_byte(uint8_t value);
std::string_view primitive_kind_name(PrimitiveKind kind);
// The type's name as the original printed it: "KvPut",
// "TransactionCommit", "VectorUpsert", ...
std::string_view name(WalEntryType type);
// One sentence for people: "Put a key-value pair".
std::string_view description(WalEntryType type);

}  // namespace strata::durability::txlog

#endif  // STRATA_DURABILITY_TXLOG_WAL_ENTRY_TYPE_H_
