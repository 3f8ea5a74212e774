// WalEntryType: classification of type bytes, names and descriptions.

#include "strata/durability/txlog/wal_entry_type.h"

#include <cstdio>
#include <string>

namespace strata::durability::txlog {

namespace {

std::string hex_byte(uint8_t value) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", static_cast<unsigned>(value));
  return buf;
}

}  // namespace

bool is_known(uint8_t value) {
  for (WalEntryType t : kAllWalEntryTypes) {
    if (to_byte(t) == value) return true;
  }
  return false;
}

bool is_reserved(uint8_t value) {
  return (value >= 0x50 && value <= 0x5F) || value >= 0x80;
}

EntryTypeClass classify_entry_type(uint8_t value) {
  if (is_reserved(value)) return EntryTypeClass::kReserved;
  if (is_known(value)) return EntryTypeClass::kKnown;
  return EntryTypeClass::kUnknownInRange;
}

std::optional<PrimitiveKind> primitive_kind_of_byte(uint8_t value) {
  switch (value >> 4) {
    case 0x0:
      return PrimitiveKind::kCore;
    case 0x1:
      return PrimitiveKind::kKv;
    case 0x2:
      return PrimitiveKind::kJson;
    case 0x3:
      return PrimitiveKind::kEvent;
    case 0x4:
      return PrimitiveKind::kState;
    case 0x6:
      return PrimitiveKind::kRun;
    case 0x7:
      return PrimitiveKind::kVector;
    default:
      return std::nullopt;  // 0x5 and 0x8-0xF: reserved ranges
  }
}

Result<WalEntryType> entry_type_from_byte(uint8_t value) {
  switch (classify_entry_type(value)) {
    case EntryTypeClass::kKnown:
      return static_cast<WalEntryType>(value);
    case EntryTypeClass::kUnknownInRange:
      return Status::not_supported("unknown entry type " + hex_byte(value) +
                                   " in the " +
                                   std::string(range_name_of_byte(value)) +
                                   " range (written by a newer version?)");
    case EntryTypeClass::kReserved:
      break;
  }
  std::string range = value >= 0x80 ? "0x80-0xff" : "0x50-0x5f";
  return Status::corruption("reserved entry type " + hex_byte(value) +
                            " (range " + range + " belongs to no primitive)");
}

bool is_control(WalEntryType type) {
  return type == WalEntryType::kTransactionCommit ||
         type == WalEntryType::kTransactionAbort ||
         type == WalEntryType::kSnapshotMarker;
}

bool is_transaction_boundary(WalEntryType type) {
  return type == WalEntryType::kTransactionCommit ||
         type == WalEntryType::kTransactionAbort;
}

PrimitiveKind primitive_kind(WalEntryType type) {
  // Every defined type lies in a primitive's range.
  return primitive_kind_of_byte(to_byte(type)).value_or(PrimitiveKind::kCore);
}

std::string_view primitive_kind_name(PrimitiveKind kind) {
  switch (kind) {
    case PrimitiveKind::kCore:
      return "Core";
    case PrimitiveKind::kKv:
      return "KV";
    case PrimitiveKind::kJson:
      return "JSON";
    case PrimitiveKind::kEvent:
      return "Event";
    case PrimitiveKind::kState:
      return "State";
    case PrimitiveKind::kRun:
      return "Run";
    case PrimitiveKind::kVector:
      return "Vector";
  }
  return "Unknown";
}

std::string_view range_name(WalEntryType type) {
  return primitive_kind_name(primitive_kind(type));
}

std::string_view range_name_of_byte(uint8_t value) {
  auto kind = primitive_kind_of_byte(value);
  return kind ? primitive_kind_name(*kind) : std::string_view("Reserved");
}

std::string_view name(WalEntryType type) {
  switch (type) {
    case WalEntryType::kTransactionCommit:
      return "TransactionCommit";
    case WalEntryType::kTransactionAbort:
      return "TransactionAbort";
    case WalEntryType::kSnapshotMarker:
      return "SnapshotMarker";
    case WalEntryType::kKvPut:
      return "KvPut";
    case WalEntryType::kKvDelete:
      return "KvDelete";
    case WalEntryType::kJsonCreate:
      return "JsonCreate";
    case WalEntryType::kJsonSet:
      return "JsonSet";
    case WalEntryType::kJsonDelete:
      return "JsonDelete";
    case WalEntryType::kJsonDestroy:
      return "JsonDestroy";
    case WalEntryType::kJsonPatch:
      return "JsonPatch";
    case WalEntryType::kEventAppend:
      return "EventAppend";
    case WalEntryType::kStateInit:
      return "StateInit";
    case WalEntryType::kStateSet:
      return "StateSet";
    case WalEntryType::kStateTransition:
      return "StateTransition";
    case WalEntryType::kRunCreate:
      return "RunCreate";
    case WalEntryType::kRunUpdate:
      return "RunUpdate";
    case WalEntryType::kRunEnd:
      return "RunEnd";
    case WalEntryType::kRunBegin:
      return "RunBegin";
    case WalEntryType::kVectorCollectionCreate:
      return "VectorCollectionCreate";
    case WalEntryType::kVectorCollectionDelete:
      return "VectorCollectionDelete";
    case WalEntryType::kVectorUpsert:
      return "VectorUpsert";
    case WalEntryType::kVectorDelete:
      return "VectorDelete";
  }
  return "Unknown";
}

std::string_view description(WalEntryType type) {
  switch (type) {
    case WalEntryType::kTransactionCommit:
      return "Commit a transaction";
    case WalEntryType::kTransactionAbort:
      return "Abort a transaction";
    case WalEntryType::kSnapshotMarker:
      return "Mark a snapshot of the state up to a log position";
    case WalEntryType::kKvPut:
      return "Put a key-value pair";
    case WalEntryType::kKvDelete:
      return "Delete a key";
    case WalEntryType::kJsonCreate:
      return "Create a JSON document";
    case WalEntryType::kJsonSet:
      return "Set a value inside a JSON document";
    case WalEntryType::kJsonDelete:
      return "Delete a value inside a JSON document";
    case WalEntryType::kJsonDestroy:
      return "Destroy a whole JSON document";
    case WalEntryType::kJsonPatch:
      return "Apply an RFC 6902 patch to a JSON document";
    case WalEntryType::kEventAppend:
      return "Append an event to the event log";
    case WalEntryType::kStateInit:
      return "Initialize a state cell";
    case WalEntryType::kStateSet:
      return "Set a state cell";
    case WalEntryType::kStateTransition:
      return "Move a state cell from one value to another";
    case WalEntryType::kRunCreate:
      return "Create a run";
    case WalEntryType::kRunUpdate:
      return "Update a run's metadata";
    case WalEntryType::kRunEnd:
      return "End a run";
    case WalEntryType::kRunBegin:
      return "Begin a run";
    case WalEntryType::kVectorCollectionCreate:
      return "Create a vector collection";
    case WalEntryType::kVectorCollectionDelete:
      return "Delete a vector collection";
    case WalEntryType::kVectorUpsert:
      return "Insert or replace a vector";
    case WalEntryType::kVectorDelete:
      return "Delete a vector";
  }
  return "Unknown entry type";
}

}  // namespace strata::durability::txlog
