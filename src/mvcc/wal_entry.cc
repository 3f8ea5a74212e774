// WALEntry: kinds, names, accessors and printing; EntityRef helpers.

#include "strata/durability/mvcc/wal_entry.h"

#include <array>
#include <cstdio>

namespace strata::durability::mvcc {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// Indexed by the variant index of WALEntry::Variant.
constexpr std::array<WalEntryKind, kWalEntryKindCount> kKindByIndex = {
    WalEntryKind::kBeginTxn,
    WalEntryKind::kWrite,
    WalEntryKind::kDelete,
    WalEntryKind::kCommitTxn,
    WalEntryKind::kAbortTxn,
    WalEntryKind::kCheckpoint,
    WalEntryKind::kJsonCreate,
    WalEntryKind::kJsonSet,
    WalEntryKind::kJsonDelete,
    WalEntryKind::kJsonDestroy,
    WalEntryKind::kVectorCollectionCreate,
    WalEntryKind::kVectorCollectionDelete,
    WalEntryKind::kVectorUpsert,
    WalEntryKind::kVectorDelete,
};
constexpr std::array<std::string_view, kWalEntryKindCount> kNameByIndex = {
    "BeginTxn",
    "Write",
    "Delete",
    "CommitTxn",
    "AbortTxn",
    "Checkpoint",
    "JsonCreate",
    "JsonSet",
    "JsonDelete",
    "JsonDestroy",
    "VectorCollectionCreate",
    "VectorCollectionDelete",
    "VectorUpsert",
    "VectorDelete",
};
static_assert(std::variant_size_v<WALEntry::Variant> == kWalEntryKindCount);

std::string short_bytes(std::string_view s) {
  std::string out = "\"";
  std::size_t n = 0;
  for (char c : s) {
    if (++n > 64) {
      out.append("...");
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out.append(buf);
    }
  }
  out.push_back('"');
  return out;
}

std::string short_value(const Value& v) {
  std::string s = v.to_string();
  if (s.size() > 120) {
    s.resize(117);
    s.append("...");
  }
  return s;
}

}  // namespace

std::optional<WalEntryKind> wal_entry_kind_from_byte(uint8_t type_byte) {
  for (WalEntryKind k : kKindByIndex) {
    if (static_cast<uint8_t>(k) == type_byte) return k;
  }
  return std::nullopt;
}

std::string_view wal_entry_kind_name(WalEntryKind kind) {
  for (std::size_t i = 0; i < kKindByIndex.size(); ++i) {
    if (kKindByIndex[i] == kind) return kNameByIndex[i];
  }
  return "Unknown";
}

std::optional<DistanceMetric> distance_metric_from_byte(uint8_t b) {
  if (b > 2) return std::nullopt;
  return static_cast<DistanceMetric>(b);
}

std::string_view distance_metric_name(DistanceMetric metric) {
  switch (metric) {
    case DistanceMetric::kCosine:
      return "cosine";
    case DistanceMetric::kEuclidean:
      return "euclidean";
    case DistanceMetric::kDotProduct:
      return "dot_product";
  }
  return "unknown";
}

const RunId& entity_ref_run_id(const EntityRef& ref) {
  return std::visit([](const auto& r) -> const RunId& { return r.run_id; },
                    ref);
}

const char* entity_ref_kind_name(const EntityRef& ref) {
  static constexpr const char* kNames[] = {"Kv",  "Event", "State",
                                           "Run", "Json",  "Vector"};
  return kNames[ref.index()];
}

WalEntryKind WALEntry::kind() const { return kKindByIndex[v_.index()]; }

std::optional<RunId> WALEntry::run_id() const {
  return std::visit(Overloaded{[](const Checkpoint&) -> std::optional<RunId> {
                                 return std::nullopt;
                               },
                               [](const auto& e) -> std::optional<RunId> {
                                 return e.run_id;
                               }},
                    v_);
}

std::optional<uint64_t> WALEntry::txn_id() const {
  return std::visit(
      Overloaded{
          [](const BeginTxn& e) -> std::optional<uint64_t> { return e.txn_id; },
          [](const CommitTxn& e) -> std::optional<uint64_t> {
            return e.txn_id;
          },
          [](const AbortTxn& e) -> std::optional<uint64_t> { return e.txn_id; },
          [](const auto&) -> std::optional<uint64_t> { return std::nullopt; }},
      v_);
}

std::optional<uint64_t> WALEntry::version() const {
  return std::visit(
      Overloaded{
          [](const BeginTxn&) -> std::optional<uint64_t> {
            return std::nullopt;
          },
          [](const CommitTxn&) -> std::optional<uint64_t> {
            return std::nullopt;
          },
          [](const AbortTxn&) -> std::optional<uint64_t> {
            return std::nullopt;
          },
          [](const JsonDestroy&) -> std::optional<uint64_t> {
            return std::nullopt;
          },
          [](const auto& e) -> std::optional<uint64_t> { return e.version; }},
      v_);
}

bool WALEntry::is_txn_boundary() const {
  return is<BeginTxn>() || is<CommitTxn>() || is<AbortTxn>();
}

std::string WALEntry::to_string() const {
  std::string out(type_name());
  auto run = [&](const RunId& r) { out += " run=" + r.to_string(); };
  auto ver = [&](uint64_t v) { out += " v=" + std::to_string(v); };
  std::visit(
      Overloaded{
          [&](const BeginTxn& e) {
            out += " txn=" + std::to_string(e.txn_id);
            run(e.run_id);
            out += " ts=" + std::to_string(e.timestamp);
          },
          [&](const Write& e) {
            run(e.run_id);
            out += " key=" + e.key.to_string();
            out += " value=" + short_value(e.value);
            ver(e.version);
          },
          [&](const Delete& e) {
            run(e.run_id);
            out += " key=" + e.key.to_string();
            ver(e.version);
          },
          [&](const CommitTxn& e) {
            out += " txn=" + std::to_string(e.txn_id);
            run(e.run_id);
          },
          [&](const AbortTxn& e) {
            out += " txn=" + std::to_string(e.txn_id);
            run(e.run_id);
          },
          [&](const Checkpoint& e) {
            out += " snapshot=" + e.snapshot_id.to_string();
            ver(e.version);
            out += " active_runs=" + std::to_string(e.active_runs.size());
          },
          [&](const JsonCreate& e) {
            run(e.run_id);
            out += " doc=" + short_bytes(e.doc_id);
            out += " value=" + short_value(e.value);
            ver(e.version);
            out += " ts=" + std::to_string(e.timestamp);
          },
          [&](const JsonSet& e) {
            run(e.run_id);
            out += " doc=" + short_bytes(e.doc_id);
            out += " path=" + short_bytes(e.path.to_string());
            out += " value=" + short_value(e.value);
            ver(e.version);
          },
          [&](const JsonDelete& e) {
            run(e.run_id);
            out += " doc=" + short_bytes(e.doc_id);
            out += " path=" + short_bytes(e.path.to_string());
            ver(e.version);
          },
          [&](const JsonDestroy& e) {
            run(e.run_id);
            out += " doc=" + short_bytes(e.doc_id);
          },
          [&](const VectorCollectionCreate& e) {
            run(e.run_id);
            out += " collection=" + short_bytes(e.collection);
            out += " dimension=" + std::to_string(e.dimension);
            out += " metric=";
            out += distance_metric_name(e.metric);
            ver(e.version);
          },
          [&](const VectorCollectionDelete& e) {
            run(e.run_id);
            out += " collection=" + short_bytes(e.collection);
            ver(e.version);
          },
          [&](const VectorUpsert& e) {
            run(e.run_id);
            out += " collection=" + short_bytes(e.collection);
            out += " key=" + short_bytes(e.key);
            out += " id=" + std::to_string(e.vector_id);
            out += " dims=" + std::to_string(e.embedding.size());
            if (e.metadata) {
              out += " metadata=" + std::to_string(e.metadata->size()) + "B";
            }
            ver(e.version);
            if (e.source_ref) {
              out += " source=";
              out += entity_ref_kind_name(*e.source_ref);
            }
          },
          [&](const VectorDelete& e) {
            run(e.run_id);
            out += " collection=" + short_bytes(e.collection);
            out += " key=" + short_bytes(e.key);
            out += " id=" + std::to_string(e.vector_id);
            ver(e.version);
          }},
      v_);
  return out;
}

}  // namespace strata::durability::mvcc
