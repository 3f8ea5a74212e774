// Transaction builder and TxEntry payload codecs.

#include "strata/durability/txlog/transaction.h"

#include <type_traits>
#include <utility>

#include "util/coding.h"

namespace strata::durability::txlog {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

template <class Out>
void put_prefixed(Out* out, std::string_view bytes) {
  // A key past 4 GiB cannot reach here: the entry's payload limit is at
  // most 1 GiB, and encode_wal_entry refuses anything larger.
  put_fixed32(out, static_cast<uint32_t>(bytes.size()));
  out->append(bytes);
}

// Reads `u32 len | bytes` at the front of `*in`; `field` and `base` (the
// offset of *in inside the payload) go into the error.
Status get_prefixed(std::string_view* in, std::size_t base,
                    std::string_view field, WalEntryType type,
                    std::string* out) {
  auto where = [&]() {
    return std::string(name(type)) + " payload: " + std::string(field);
  };
  if (in->size() < 4) {
    return Status::corruption(
        where() + " length at offset " + std::to_string(base) + " truncated (" +
        std::to_string(in->size()) + " bytes left, want 4)");
  }
  uint32_t n = decode_fixed32(in->data());
  if (n > in->size() - 4) {
    return Status::corruption(where() + " at offset " +
                              std::to_string(base + 4) + " claims " +
                              std::to_string(n) + " bytes but only " +
                              std::to_string(in->size() - 4) + " remain");
  }
  out->assign(in->substr(4, n));
  in->remove_prefix(4 + static_cast<std::size_t>(n));
  return Status::ok_status();
}

// Decodes a put-like payload into `key` and `value`.
template <typename Op>
Result<TxEntry> decode_put_like(WalEntryType type, std::string_view payload,
                                std::string_view key_field) {
  Op op;
  std::string_view in = payload;
  Status s = get_prefixed(&in, 0, key_field, type, &op.key);
  if (!s.ok()) return s;
  if constexpr (std::is_same_v<Op, JsonPatchOp>) {
    op.patch.assign(in);
  } else {
    op.value.assign(in);
  }
  return TxEntry(std::move(op));
}

}  // namespace

WalEntryType TxEntry::entry_type() const {
  return std::visit(
      Overloaded{
          [](const KvPutOp&) { return WalEntryType::kKvPut; },
          [](const KvDeleteOp&) { return WalEntryType::kKvDelete; },
          [](const JsonCreateOp&) { return WalEntryType::kJsonCreate; },
          [](const JsonSetOp&) { return WalEntryType::kJsonSet; },
          [](const JsonDeleteOp&) { return WalEntryType::kJsonDelete; },
          [](const JsonDestroyOp&) { return WalEntryType::kJsonDestroy; },
          [](const JsonPatchOp&) { return WalEntryType::kJsonPatch; },
          [](const EventAppendOp&) { return WalEntryType::kEventAppend; },
          [](const StateInitOp&) { return WalEntryType::kStateInit; },
          [](const StateSetOp&) { return WalEntryType::kStateSet; },
          [](const StateTransitionOp&) {
            return WalEntryType::kStateTransition;
          },
          [](const RunCreateOp&) { return WalEntryType::kRunCreate; },
          [](const RunUpdateOp&) { return WalEntryType::kRunUpdate; },
          [](const RunBeginOp&) { return WalEntryType::kRunBegin; },
          [](const RunEndOp&) { return WalEntryType::kRunEnd; },
      },
      op_);
}

std::string TxEntry::to_wal_payload() const {
  std::string out;
  append_wal_payload(&out);
  return out;
}

namespace {

// The payload layout of every operation, onto any byte sink (util/coding.h).
template <class Out>
void put_payload(Out* out, const TxEntry::Op& op) {
  auto put_like_to = [out](std::string_view key, std::string_view value) {
    if constexpr (std::is_same_v<Out, std::string>) {
      out->reserve(out->size() + 4 + key.size() + value.size());
    }
    put_prefixed(out, key);
    out->append(value);
  };
  std::visit(Overloaded{
                 [&](const KvPutOp& o) { put_like_to(o.key, o.value); },
                 [&](const KvDeleteOp& o) { out->append(o.key); },
                 [&](const JsonCreateOp& o) { put_like_to(o.key, o.value); },
                 [&](const JsonSetOp& o) { put_like_to(o.key, o.value); },
                 [&](const JsonDeleteOp& o) { out->append(o.data); },
                 [&](const JsonDestroyOp& o) { out->append(o.key); },
                 [&](const JsonPatchOp& o) { put_like_to(o.key, o.patch); },
                 [&](const EventAppendOp& o) { out->append(o.payload); },
                 [&](const StateInitOp& o) { put_like_to(o.key, o.value); },
                 [&](const StateSetOp& o) { put_like_to(o.key, o.value); },
                 [&](const StateTransitionOp& o) {
                   put_prefixed(out, o.key);
                   put_prefixed(out, o.from);
                   out->append(o.to);
                 },
                 [&](const RunCreateOp& o) { out->append(o.data); },
                 [&](const RunUpdateOp& o) { out->append(o.data); },
                 [&](const RunBeginOp& o) { out->append(o.data); },
                 [&](const RunEndOp& o) { out->append(o.data); },
             },
             op);
}

}  // namespace

void TxEntry::append_wal_payload(std::string* out) const {
  put_payload(out, op_);
}

std::size_t TxEntry::wal_payload_size() const {
  ByteCounter counter;
  put_payload(&counter, op_);
  return counter.size();
}

char* TxEntry::write_wal_payload(char* out) const {
  ByteWriter writer(out);
  put_payload(&writer, op_);
  return writer.position();
}

bool TxEntry::has_tx_entry(WalEntryType type) {
  return !is_control(type) && primitive_kind(type) != PrimitiveKind::kVector;
}

Result<TxEntry> TxEntry::from_wal_payload(WalEntryType type,
                                          std::string_view payload) {
  std::string raw(payload);
  switch (type) {
    case WalEntryType::kKvPut:
      return decode_put_like<KvPutOp>(type, payload, "key");
    case WalEntryType::kKvDelete:
      return TxEntry(KvDeleteOp{std::move(raw)});
    case WalEntryType::kJsonCreate:
      return decode_put_like<JsonCreateOp>(type, payload, "document id");
    case WalEntryType::kJsonSet:
      return decode_put_like<JsonSetOp>(type, payload, "document id");
    case WalEntryType::kJsonDelete:
      return TxEntry(JsonDeleteOp{std::move(raw)});
    case WalEntryType::kJsonDestroy:
      return TxEntry(JsonDestroyOp{std::move(raw)});
    case WalEntryType::kJsonPatch:
      return decode_put_like<JsonPatchOp>(type, payload, "document id");
    case WalEntryType::kEventAppend:
      return TxEntry(EventAppendOp{std::move(raw)});
    case WalEntryType::kStateInit:
      return decode_put_like<StateInitOp>(type, payload, "key");
    case WalEntryType::kStateSet:
      return decode_put_like<StateSetOp>(type, payload, "key");
    case WalEntryType::kStateTransition: {
      StateTransitionOp op;
      std::string_view in = payload;
      Status s = get_prefixed(&in, 0, "key", type, &op.key);
      if (!s.ok()) return s;
      s = get_prefixed(&in, payload.size() - in.size(), "from", type, &op.from);
      if (!s.ok()) return s;
      op.to.assign(in);
      return TxEntry(std::move(op));
    }
    case WalEntryType::kRunCreate:
      return TxEntry(RunCreateOp{std::move(raw)});
    case WalEntryType::kRunUpdate:
      return TxEntry(RunUpdateOp{std::move(raw)});
    case WalEntryType::kRunBegin:
      return TxEntry(RunBeginOp{std::move(raw)});
    case WalEntryType::kRunEnd:
      return TxEntry(RunEndOp{std::move(raw)});
    default:
      break;
  }
  return Status::invalid_argument(std::string(name(type)) +
                                  " entries have no TxEntry (control and "
                                  "Vector types are not builder operations)");
}

Result<TxEntry> TxEntry::from_wal_entry(const WalEntry& entry) {
  return from_wal_payload(entry.entry_type, entry.payload);
}

Transaction Transaction::create() {
  return Transaction(TxId::new_v7(), std::nullopt);
}
Transaction Transaction::for_run(const RunId& run_id) {
  return Transaction(TxId::new_v7(), run_id);
}
Transaction Transaction::with_id(const TxId& tx_id) {
  return Transaction(tx_id, std::nullopt);
}
Transaction Transaction::with_id_and_run(const TxId& tx_id,
                                         const RunId& run_id) {
  return Transaction(tx_id, run_id);
}

Transaction& Transaction::add(TxEntry entry) {
  entries_.push_back(std::move(entry));
  return *this;
}

Transaction& Transaction::kv_put(std::string_view key, std::string_view value) {
  return add(KvPutOp{std::string(key), std::string(value)});
}
Transaction& Transaction::kv_delete(std::string_view key) {
  return add(KvDeleteOp{std::string(key)});
}
Transaction& Transaction::json_create(std::string_view doc_id,
                                      std::string_view value) {
  return add(JsonCreateOp{std::string(doc_id), std::string(value)});
}
Transaction& Transaction::json_set(std::string_view doc_id,
                                   std::string_view value) {
  return add(JsonSetOp{std::string(doc_id), std::string(value)});
}
Transaction& Transaction::json_delete(std::string_view data) {
  return add(JsonDeleteOp{std::string(data)});
}
Transaction& Transaction::json_destroy(std::string_view doc_id) {
  return add(JsonDestroyOp{std::string(doc_id)});
}
Transaction& Transaction::json_patch(std::string_view doc_id,
                                     std::string_view patch) {
  return add(JsonPatchOp{std::string(doc_id), std::string(patch)});
}
Transaction& Transaction::event_append(std::string_view payload) {
  return add(EventAppendOp{std::string(payload)});
}
Transaction& Transaction::state_init(std::string_view key,
                                     std::string_view value) {
  return add(StateInitOp{std::string(key), std::string(value)});
}
Transaction& Transaction::state_set(std::string_view key,
                                    std::string_view value) {
  return add(StateSetOp{std::string(key), std::string(value)});
}
Transaction& Transaction::state_transition(std::string_view key,
                                           std::string_view from,
                                           std::string_view to) {
  return add(
      StateTransitionOp{std::string(key), std::string(from), std::string(to)});
}
Transaction& Transaction::run_create(std::string_view data) {
  return add(RunCreateOp{std::string(data)});
}
Transaction& Transaction::run_update(std::string_view data) {
  return add(RunUpdateOp{std::string(data)});
}
Transaction& Transaction::run_begin(std::string_view data) {
  return add(RunBeginOp{std::string(data)});
}
Transaction& Transaction::run_end(std::string_view data) {
  return add(RunEndOp{std::string(data)});
}

std::vector<WalEntry> Transaction::to_wal_entries() const {
  std::vector<WalEntry> out;
  out.reserve(entries_.size());
  for (const TxEntry& e : entries_) {
    WalEntry w = WalEntry::make(e.entry_type(), id_, e.to_wal_payload());
    w.run_id = run_id_;
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::vector<TxEntry>> entries_to_tx_entries(
    std::span<const WalEntry> entries) {
  std::vector<TxEntry> out;
  out.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto e = TxEntry::from_wal_entry(entries[i]);
    if (!e.ok()) {
      return e.status().with_context("entry " + std::to_string(i));
    }
    out.push_back(std::move(e).value());
  }
  return out;
}

Result<Transaction> rebuild_transaction(const TxId& tx_id,
                                        std::span<const WalEntry> entries) {
  std::optional<RunId> run;
  if (!entries.empty()) run = entries.front().run_id;
  Transaction tx = run ? Transaction::with_id_and_run(tx_id, *run)
                       : Transaction::with_id(tx_id);
  auto ops = entries_to_tx_entries(entries);
  if (!ops.ok()) return ops.status();
  for (TxEntry& op : *ops) tx.add(std::move(op));
  return tx;
}

}  // namespace strata::durability::txlog
