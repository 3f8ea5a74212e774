// Transaction: a builder for one atomic transaction across primitives (KV,
// JSON, Event, State, Run), and TxEntry, one operation of it, which turns
// into a WalEntry payload and back.
//
// Payload layouts are the original's (docs/format.md, section 7):
//   put-like (KvPut, JsonCreate, JsonSet, JsonPatch, StateInit, StateSet):
//       u32 key_len | key | value (the value runs to the end)
//   StateTransition: u32 key_len | key | u32 from_len | from | to
//   raw (KvDelete, JsonDelete, JsonDestroy, EventAppend, Run*): the bytes
// Control and Vector types have no TxEntry.
//
//   auto tx = Transaction::for_run(run);
//   tx.kv_put("user:1", "alice").event_append("signed-up");
//   writer->commit_atomic(tx);

#ifndef STRATA_DURABILITY_TXLOG_TRANSACTION_H_
#define STRATA_DURABILITY_TXLOG_TRANSACTION_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "strata/durability/result.h"
#include "strata/durability/txlog/wal_entry.h"
#include "strata/durability/txlog/wal_entry_type.h"

namespace strata::durability::txlog {

// One struct per operation. `key` is a KV key, a JSON document id or a
// state cell name; the other fields are opaque bytes to this library.
struct KvPutOp {
  std::string key, value;
  friend bool operator==(const KvPutOp&, const KvPutOp&) = default;
};
struct KvDeleteOp {
  std::string key;
  friend bool operator==(const KvDeleteOp&, const KvDeleteOp&) = default;
};
struct JsonCreateOp {
  std::string key, value;
  friend bool operator==(const JsonCreateOp&, const JsonCreateOp&) = default;
};
struct JsonSetOp {
  std::string key, value;
  friend bool operator==(const JsonSetOp&, const JsonSetOp&) = default;
};
// Raw bytes, as the original: the caller encodes document id and path.
struct JsonDeleteOp {
  std::string data;
  friend bool operator==(const JsonDeleteOp&, const JsonDeleteOp&) = default;
};
struct JsonDestroyOp {
  std::string key;
  friend bool operator==(const JsonDestroyOp&, const JsonDestroyOp&) = default;
};
struct JsonPatchOp {
  std::string key, patch;
  friend bool operator==(const JsonPatchOp&, const JsonPatchOp&) = default;
};
struct EventAppendOp {
  std::string payload;
  friend bool operator==(const EventAppendOp&, const EventAppendOp&) = default;
};
struct StateInitOp {
  std::string key, value;
  friend bool operator==(const StateInitOp&, const StateInitOp&) = default;
};
struct StateSetOp {
  std::string key, value;
  friend bool operator==(const StateSetOp&, const StateSetOp&) = default;
};
struct StateTransitionOp {
  std::string key, from, to;
  friend bool operator==(const StateTransitionOp&,
                         const StateTransitionOp&) = default;
};
struct RunCreateOp {
  std::string data;
  friend bool operator==(const RunCreateOp&, const RunCreateOp&) = default;
};
struct RunUpdateOp {
  std::string data;
  friend bool operator==(const RunUpdateOp&, const RunUpdateOp&) = default;
};
struct RunBeginOp {
  std::string data;
  friend bool operator==(const RunBeginOp&, const RunBeginOp&) = default;
};
struct RunEndOp {
  std::string data;
  friend bool operator==(const RunEndOp&, const RunEndOp&) = default;
};

class TxEntry {
 public:
  using Op =
      std::variant<KvPutOp, KvDeleteOp, JsonCreateOp, JsonSetOp, JsonDeleteOp,
                   JsonDestroyOp, JsonPatchOp, EventAppendOp, StateInitOp,
                   StateSetOp, StateTransitionOp, RunCreateOp, RunUpdateOp,
                   RunBeginOp, RunEndOp>;

  template <typename T,
            typename = std::enable_if_t<std::is_constructible_v<Op, T&&> &&
                                        !std::is_same_v<std::decay_t<T>,
                                                        TxEntry>>>
  TxEntry(T&& op)  // NOLINT(google-explicit-constructor)
      : op_(std::forward<T>(op)) {}

  const Op& op() const { return op_; }
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&op_);
  }

  WalEntryType entry_type() const;
  // The payload bytes in the original's layout.
  std::string to_wal_payload() const;
  // The same, appended to `*out` (no string of its own).
  void append_wal_payload(std::string* out) const;
  // The same in two steps, for a log that encodes into its write buffer:
  // the payload's size, then the payload written at `out` (exactly that
  // many bytes); returns its end.
  std::size_t wal_payload_size() const;
  char* write_wal_payload(char* out) const;

  // Whether a type has a TxEntry (false for control and Vector types).
  static bool has_tx_entry(WalEntryType type);
  // Parses a payload of `type`. InvalidArgument for a type without a
  // TxEntry; Corruption, naming the field and offset, when a length field
  // points past the end.
  static Result<TxEntry> from_wal_payload(WalEntryType type,
                                          std::string_view payload);
  // The same for a whole entry.
  static Result<TxEntry> from_wal_entry(const WalEntry& entry);

  friend bool operator==(const TxEntry&, const TxEntry&) = default;

 private:
  Op op_;
};

class Transaction {
 public:
  // The original's `new()`: a fresh UUIDv7 id and no run.
  static Transaction create();
  static Transaction for_run(const RunId& run_id);
  static Transaction with_id(const TxId& tx_id);
  static Transaction with_id_and_run(const TxId& tx_id, const RunId& run_id);

  const TxId& id() const { return id_; }
  const std::optional<RunId>& run_id() const { return run_id_; }
  const std::vector<TxEntry>& entries() const { return entries_; }
  std::size_t len() const { return entries_.size(); }
  bool is_empty() const { return entries_.empty(); }

  // Operations, chainable. Each appends one entry.
  Transaction& kv_put(std::string_view key, std::string_view value);
  Transaction& kv_delete(std::string_view key);
  Transaction& json_create(std::string_view doc_id, std::string_view value);
  Transaction& json_set(std::string_view doc_id, std::string_view value);
  Transaction& json_delete(std::string_view data);
  Transaction& json_destroy(std::string_view doc_id);
  Transaction& json_patch(std::string_view doc_id, std::string_view patch);
  Transaction& event_append(std::string_view payload);
  Transaction& state_init(std::string_view key, std::string_view value);
  Transaction& state_set(std::string_view key, std::string_view value);
  Transaction& state_transition(std::string_view key, std::string_view from,
                                std::string_view to);
  Transaction& run_create(std::string_view data);
  Transaction& run_update(std::string_view data);
  Transaction& run_begin(std::string_view data);
  Transaction& run_end(std::string_view data);
  // Any operation.
  Transaction& add(TxEntry entry);

  // One WalEntry per operation, all with this transaction's id and run id,
  // in order, without a commit marker.
  std::vector<WalEntry> to_wal_entries() const;

 private:
  Transaction(const TxId& id, std::optional<RunId> run_id)
      : id_(id), run_id_(run_id) {}

  TxId id_;
  std::optional<RunId> run_id_;
  std::vector<TxEntry> entries_;
};

// Decodes the operations of recovered entries, in order. Control entries
// are an error (recovery never hands them out inside a transaction).
Result<std::vector<TxEntry>> entries_to_tx_entries(
    std::span<const WalEntry> entries);
// Rebuilds a Transaction from its recovered entries. The run id is taken
// from the first entry.
Result<Transaction> rebuild_transaction(const TxId& tx_id,
                                        std::span<const WalEntry> entries);

}  // namespace strata::durability::txlog

#endif  // STRATA_DURABILITY_TXLOG_TRANSACTION_H_
