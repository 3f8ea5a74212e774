// JSON renderings of entries, values, keys and problems (see json_out.h).

#include "json_out.h"

#include <cmath>
#include <type_traits>
#include <variant>

#include "strata/durability/mvcc/entity_ref.h"
#include "strata/durability/txlog/wal_entry_type.h"

namespace strata_wal {

namespace sd = strata::durability;
namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    std::size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

namespace {

Json number_or_null(double d) {
  if (std::isfinite(d)) return Json(d);
  return Json(nullptr);
}

Json text_or_base64(std::string_view s) {
  if (is_utf8(s)) return Json(std::string(s));
  return Json{{"base64", base64(s)}};
}

Json entity_ref_json(const mv::EntityRef& ref) {
  Json j;
  j["kind"] = mv::entity_ref_kind_name(ref);
  j["run_id"] = mv::entity_ref_run_id(ref).to_string();
  std::visit(
      [&j](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, mv::KvRef>) {
          j["key"] = text_or_base64(r.key);
        } else if constexpr (std::is_same_v<T, mv::EventRef>) {
          j["sequence"] = r.sequence;
        } else if constexpr (std::is_same_v<T, mv::StateRef>) {
          j["name"] = text_or_base64(r.name);
        } else if constexpr (std::is_same_v<T, mv::JsonRef>) {
          j["doc_id"] = text_or_base64(r.doc_id);
        } else if constexpr (std::is_same_v<T, mv::VectorRef>) {
          j["collection"] = text_or_base64(r.collection);
          j["key"] = text_or_base64(r.key);
        }
      },
      ref);
  return j;
}

}  // namespace

Json tagged_value(const mv::Value& value) {
  using K = mv::Value::Kind;
  switch (value.kind()) {
    case K::kNull:
      return Json{{"Null", nullptr}};
    case K::kBool:
      return Json{{"Bool", value.as_bool()}};
    case K::kInt:
      return Json{{"Int", value.as_int()}};
    case K::kFloat:
      return Json{{"Float", number_or_null(value.as_float())}};
    case K::kString:
      // A String that is not UTF-8 cannot be a JSON string; keep its bytes.
      if (!is_utf8(value.as_string())) {
        return Json{{"String", Json{{"base64", base64(value.as_string())}}}};
      }
      return Json{{"String", value.as_string()}};
    case K::kBytes:
      return Json{{"Bytes", base64(value.as_bytes())}};
    case K::kArray: {
      Json arr = Json::array();
      for (const auto& v : value.as_array()) arr.push_back(tagged_value(v));
      return Json{{"Array", std::move(arr)}};
    }
    case K::kObject: {
      Json obj = Json::object();
      for (const auto& [k, v] : value.as_object()) {
        obj[is_utf8(k) ? k : "base64:" + base64(k)] = tagged_value(v);
      }
      return Json{{"Object", std::move(obj)}};
    }
  }
  return Json{{"Null", nullptr}};
}

Json key_json(const mv::Key& key) {
  Json j;
  j["tenant"] = text_or_base64(key.ns.tenant);
  j["app"] = text_or_base64(key.ns.app);
  j["agent"] = text_or_base64(key.ns.agent);
  j["run_id"] = key.ns.run_id.to_string();
  j["type_tag"] = mv::type_tag_name(key.type_tag);
  if (is_utf8(key.user_key)) {
    j["user_key"] = key.user_key;
  } else {
    j["user_key"] = base64(key.user_key);
    j["user_key_encoding"] = "base64";
  }
  return j;
}

Json problem_json(const sd::log::LogProblem& p) {
  return Json{{"kind", sd::log::problem_kind_name(p.kind)},
              {"segment", p.segment},
              {"offset", p.offset},
              {"length", p.length},
              {"lsn", p.lsn},
              {"file", p.file},
              {"reason", p.reason}};
}

Json mvcc_entry_json(sd::log::Lsn lsn, const mv::WALEntry& entry) {
  Json j;
  j["lsn"] = lsn;
  j["type"] = entry.type_name();
  if (auto t = entry.txn_id()) j["txn_id"] = *t;
  if (auto r = entry.run_id()) j["run_id"] = r->to_string();
  if (auto v = entry.version()) j["version"] = *v;
  std::visit(
      [&j](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, mv::BeginTxn>) {
          j["timestamp"] = e.timestamp;
        } else if constexpr (std::is_same_v<T, mv::Write>) {
          j["key"] = key_json(e.key);
          j["value"] = tagged_value(e.value);
        } else if constexpr (std::is_same_v<T, mv::Delete>) {
          j["key"] = key_json(e.key);
        } else if constexpr (std::is_same_v<T, mv::Checkpoint>) {
          j["snapshot_id"] = e.snapshot_id.to_string();
          Json runs = Json::array();
          for (const auto& r : e.active_runs) runs.push_back(r.to_string());
          j["active_runs"] = std::move(runs);
        } else if constexpr (std::is_same_v<T, mv::JsonCreate>) {
          j["doc_id"] = text_or_base64(e.doc_id);
          j["value"] = tagged_value(e.value);
          j["timestamp"] = e.timestamp;
        } else if constexpr (std::is_same_v<T, mv::JsonSet>) {
          j["doc_id"] = text_or_base64(e.doc_id);
          j["path"] = text_or_base64(e.path.to_string());
          j["value"] = tagged_value(e.value);
        } else if constexpr (std::is_same_v<T, mv::JsonDelete>) {
          j["doc_id"] = text_or_base64(e.doc_id);
          j["path"] = text_or_base64(e.path.to_string());
        } else if constexpr (std::is_same_v<T, mv::JsonDestroy>) {
          j["doc_id"] = text_or_base64(e.doc_id);
        } else if constexpr (std::is_same_v<T, mv::VectorCollectionCreate>) {
          j["collection"] = text_or_base64(e.collection);
          j["dimension"] = e.dimension;
          j["metric"] = mv::distance_metric_name(e.metric);
        } else if constexpr (std::is_same_v<T, mv::VectorCollectionDelete>) {
          j["collection"] = text_or_base64(e.collection);
        } else if constexpr (std::is_same_v<T, mv::VectorUpsert>) {
          j["collection"] = text_or_base64(e.collection);
          j["key"] = text_or_base64(e.key);
          j["vector_id"] = e.vector_id;
          Json emb = Json::array();
          for (float f : e.embedding) emb.push_back(number_or_null(f));
          j["embedding"] = std::move(emb);
          j["metadata"] =
              e.metadata ? Json(base64(*e.metadata)) : Json(nullptr);
          j["source_ref"] =
              e.source_ref ? entity_ref_json(*e.source_ref) : Json(nullptr);
        } else if constexpr (std::is_same_v<T, mv::VectorDelete>) {
          j["collection"] = text_or_base64(e.collection);
          j["key"] = text_or_base64(e.key);
          j["vector_id"] = e.vector_id;
        }
      },
      entry.variant());
  return j;
}

Json txlog_entry_json(sd::log::Lsn lsn, const tx::WalEntry& entry) {
  Json j;
  j["lsn"] = lsn;
  j["type"] = tx::name(entry.entry_type);
  if (!entry.tx_id.is_nil()) j["txn_id"] = entry.tx_id.to_string();
  if (entry.run_id) j["run_id"] = entry.run_id->to_string();
  if (entry.entry_type == tx::WalEntryType::kTransactionCommit) {
    auto info = entry.commit_info();
    if (info.ok()) {
      if (info->commit_version) j["version"] = *info->commit_version;
      j["commit_time_micros"] = info->commit_time_micros;
      if (info->entry_count) j["entry_count"] = *info->entry_count;
    }
  } else if (entry.entry_type == tx::WalEntryType::kSnapshotMarker) {
    auto info = entry.snapshot_info();
    if (info.ok()) {
      j["snapshot_id"] = info->snapshot_id.to_string();
      j["wal_lsn"] = info->wal_lsn;
    }
  }
  j["payload"] = base64(entry.payload);
  return j;
}

std::string json_line(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace strata_wal
