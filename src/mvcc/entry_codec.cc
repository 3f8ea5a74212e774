// The MVCC entry encoding: encode_entry and decode_entry.
// docs/format.md (section 6) describes every byte; keep the two in step.

#include "strata/durability/mvcc/entry_codec.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "util/coding.h"

namespace strata::durability::mvcc {
namespace {

// ------------------------------------------------------------------ encode

template <class Out>
void put_uuid(Out* out, const Uuid& id) {
  out->append(id.raw());
}

template <class Out>
void put_value(Out* out, const Value& v) {
  put_u8(out, static_cast<uint8_t>(v.kind()));
  switch (v.kind()) {
    case Value::Kind::kNull:
      return;
    case Value::Kind::kBool:
      put_u8(out, v.as_bool() ? 1 : 0);
      return;
    case Value::Kind::kInt:
      put_varint_signed64(out, v.as_int());
      return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      put_fixed64(out, bits);
      return;
    }
    case Value::Kind::kString:
      put_length_prefixed(out, v.as_string());
      return;
    case Value::Kind::kBytes:
      put_length_prefixed(out, v.as_bytes());
      return;
    case Value::Kind::kArray:
      put_varint64(out, v.as_array().size());
      for (const auto& e : v.as_array()) put_value(out, e);
      return;
    case Value::Kind::kObject:
      put_varint64(out, v.as_object().size());
      // std::map iterates in ascending bytewise key order: deterministic.
      for (const auto& [k, e] : v.as_object()) {
        put_length_prefixed(out, k);
        put_value(out, e);
      }
      return;
  }
}

// Whether `v` nests deeper than `limit` (without recursing past the limit,
// so that a pathological in-memory tree cannot blow the stack here).
bool deeper_than(const Value& v, int limit) {
  if (v.is_array()) {
    if (limit <= 0) return true;
    for (const auto& e : v.as_array()) {
      if (deeper_than(e, limit - 1)) return true;
    }
  } else if (v.is_object()) {
    if (limit <= 0) return true;
    for (const auto& [k, e] : v.as_object()) {
      if (deeper_than(e, limit - 1)) return true;
    }
  }
  return false;
}

template <class Out>
void put_key(Out* out, const Key& key) {
  put_length_prefixed(out, key.ns.tenant);
  put_length_prefixed(out, key.ns.app);
  put_length_prefixed(out, key.ns.agent);
  put_uuid(out, key.ns.run_id);
  put_u8(out, type_tag_index(key.type_tag));
  put_length_prefixed(out, key.user_key);
}

template <class Out>
void put_path(Out* out, const JsonPath& path) {
  put_varint64(out, path.segments.size());
  for (const auto& seg : path.segments) {
    if (seg.is_key()) {
      put_u8(out, 0);
      put_length_prefixed(out, seg.as_key());
    } else {
      put_u8(out, 1);
      put_varint64(out, seg.as_index());
    }
  }
}

template <class Out>
void put_entity_ref(Out* out, const EntityRef& ref) {
  put_u8(out, static_cast<uint8_t>(ref.index()));
  put_uuid(out, entity_ref_run_id(ref));
  if (const auto* kv = std::get_if<KvRef>(&ref)) {
    put_length_prefixed(out, kv->key);
  } else if (const auto* ev = std::get_if<EventRef>(&ref)) {
    put_varint64(out, ev->sequence);
  } else if (const auto* st = std::get_if<StateRef>(&ref)) {
    put_length_prefixed(out, st->name);
  } else if (const auto* js = std::get_if<JsonRef>(&ref)) {
    put_length_prefixed(out, js->doc_id);
  } else if (const auto* vr = std::get_if<VectorRef>(&ref)) {
    put_length_prefixed(out, vr->collection);
    put_length_prefixed(out, vr->key);
  }
  // RunRef: the run id alone.
}

// Out: std::string, ByteCounter or ByteWriter (util/coding.h).
template <class Out>
struct FieldEncoder {
  Out* out;

  void operator()(const BeginTxn& e) const {
    put_varint64(out, e.txn_id);
    put_uuid(out, e.run_id);
    put_varint64(out, e.timestamp);
  }
  void operator()(const Write& e) const {
    put_uuid(out, e.run_id);
    put_key(out, e.key);
    put_value(out, e.value);
    put_varint64(out, e.version);
  }
  void operator()(const Delete& e) const {
    put_uuid(out, e.run_id);
    put_key(out, e.key);
    put_varint64(out, e.version);
  }
  void operator()(const CommitTxn& e) const {
    put_varint64(out, e.txn_id);
    put_uuid(out, e.run_id);
  }
  void operator()(const AbortTxn& e) const {
    put_varint64(out, e.txn_id);
    put_uuid(out, e.run_id);
  }
  void operator()(const Checkpoint& e) const {
    put_uuid(out, e.snapshot_id);
    put_varint64(out, e.version);
    put_varint64(out, e.active_runs.size());
    for (const auto& r : e.active_runs) put_uuid(out, r);
  }
  void operator()(const JsonCreate& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.doc_id);
    put_value(out, e.value);
    put_varint64(out, e.version);
    put_varint64(out, e.timestamp);
  }
  void operator()(const JsonSet& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.doc_id);
    put_path(out, e.path);
    put_value(out, e.value);
    put_varint64(out, e.version);
  }
  void operator()(const JsonDelete& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.doc_id);
    put_path(out, e.path);
    put_varint64(out, e.version);
  }
  void operator()(const JsonDestroy& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.doc_id);
  }
  void operator()(const VectorCollectionCreate& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.collection);
    put_varint64(out, e.dimension);
    put_u8(out, static_cast<uint8_t>(e.metric));
    put_varint64(out, e.version);
  }
  void operator()(const VectorCollectionDelete& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.collection);
    put_varint64(out, e.version);
  }
  void operator()(const VectorUpsert& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.collection);
    put_length_prefixed(out, e.key);
    put_varint64(out, e.vector_id);
    put_varint64(out, e.embedding.size());
    for (float f : e.embedding) {
      uint32_t bits = 0;
      std::memcpy(&bits, &f, sizeof bits);
      put_fixed32(out, bits);
    }
    if (e.metadata) {
      put_u8(out, 1);
      put_length_prefixed(out, *e.metadata);
    } else {
      put_u8(out, 0);
    }
    put_varint64(out, e.version);
    if (e.source_ref) {
      put_u8(out, 1);
      put_entity_ref(out, *e.source_ref);
    } else {
      put_u8(out, 0);
    }
  }
  void operator()(const VectorDelete& e) const {
    put_uuid(out, e.run_id);
    put_length_prefixed(out, e.collection);
    put_length_prefixed(out, e.key);
    put_varint64(out, e.vector_id);
    put_varint64(out, e.version);
  }
};

// ------------------------------------------------------------------ decode

// Reads fields from the front of an entry's bytes. Every read names its
// field, so that an error can say what was being read and where.
class EntryReader {
 public:
  explicit EntryReader(std::string_view in) : in_(in), rest_(in) {}

  void set_entry_name(std::string_view name) { entry_ = name; }
  std::size_t offset() const { return in_.size() - rest_.size(); }
  std::size_t remaining() const { return rest_.size(); }

  // Errors are rare: kept out of line, so that the readers' common paths
  // stay small enough to inline.
  [[gnu::noinline, gnu::cold]] Status fail(std::string_view field,
                                           std::string_view what,
                                           std::size_t at) const {
    std::string msg = "mvcc entry: ";
    if (!entry_.empty()) {
      msg.append(entry_);
      msg.push_back('.');
    }
    msg.append(field);
    msg.append(": ");
    msg.append(what);
    msg.append(" at byte ");
    msg.append(std::to_string(at));
    msg.append(" of ");
    msg.append(std::to_string(in_.size()));
    return Status::corruption(msg);
  }
  [[gnu::noinline, gnu::cold]] Status truncated(std::string_view field,
                                                std::size_t at) const {
    return fail(field, "truncated", at);
  }

  [[gnu::always_inline]] Status u8(std::string_view field, uint8_t* v) {
    if (rest_.empty()) return truncated(field, offset());
    *v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return Status::ok_status();
  }

  // A 0/1 byte.
  Status flag(std::string_view field, bool* v) {
    std::size_t at = offset();
    uint8_t b = 0;
    if (Status s = u8(field, &b); !s.ok()) return s;
    if (b > 1) {
      return fail(field, "byte " + std::to_string(b) + " is not 0 or 1", at);
    }
    *v = b == 1;
    return Status::ok_status();
  }

  [[gnu::always_inline]] Status varint(std::string_view field, uint64_t* v) {
    // Most varints (lengths, small ids) are one byte, always canonical.
    if (!rest_.empty() && static_cast<uint8_t>(rest_[0]) < 0x80) {
      *v = static_cast<uint8_t>(rest_[0]);
      rest_.remove_prefix(1);
      return Status::ok_status();
    }
    return long_varint(field, v);
  }

  [[gnu::noinline]] Status long_varint(std::string_view field, uint64_t* v) {
    const std::size_t at = offset();
    uint64_t result = 0;
    for (std::size_t i = 0; i < 10; ++i) {
      if (i >= rest_.size()) return truncated(field, at);
      auto byte = static_cast<uint8_t>(rest_[i]);
      if (i == 9 && byte > 1) {
        return fail(field, "varint longer than 64 bits", at);
      }
      result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        // Canonical form only: a longer encoding than needed is damage.
        if (varint_length(result) != i + 1) {
          return fail(field, "varint not in its shortest form", at);
        }
        *v = result;
        rest_.remove_prefix(i + 1);
        return Status::ok_status();
      }
    }
    return fail(field, "varint longer than 64 bits", at);
  }

  Status svarint(std::string_view field, int64_t* v) {
    uint64_t u = 0;
    if (Status s = varint(field, &u); !s.ok()) return s;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return Status::ok_status();
  }

  Status fixed32(std::string_view field, uint32_t* v) {
    if (rest_.size() < 4) return truncated(field, offset());
    *v = decode_fixed32(rest_.data());
    rest_.remove_prefix(4);
    return Status::ok_status();
  }

  Status fixed64(std::string_view field, uint64_t* v) {
    if (rest_.size() < 8) return truncated(field, offset());
    *v = decode_fixed64(rest_.data());
    rest_.remove_prefix(8);
    return Status::ok_status();
  }

  [[gnu::always_inline]] Status uuid(std::string_view field, Uuid* id) {
    if (rest_.size() < 16) return truncated(field, offset());
    Uuid::Bytes b;
    std::memcpy(b.data(), rest_.data(), 16);
    *id = Uuid(b);
    rest_.remove_prefix(16);
    return Status::ok_status();
  }

  // A varint length and that many bytes.
  [[gnu::always_inline]] Status bytes(std::string_view field,
                                      std::string* out) {
    const std::size_t at = offset();
    uint64_t n = 0;
    if (Status s = varint(field, &n); !s.ok()) return s;
    if (n > rest_.size()) {
      return fail(field,
                  "length " + std::to_string(n) + " runs past the end (" +
                      std::to_string(rest_.size()) + " bytes left)",
                  at);
    }
    if (out->size() == n) {
      // Decoding into a reused entry: the same length as last time is the
      // common case (namespaces, fixed-size values); skip assign()'s
      // general path.
      if (n != 0) std::memcpy(out->data(), rest_.data(), n);
    } else {
      out->assign(rest_.data(), static_cast<std::size_t>(n));
    }
    rest_.remove_prefix(static_cast<std::size_t>(n));
    return Status::ok_status();
  }

  // A varint element count, checked against the bytes left: each element
  // takes at least `min_size` bytes, so a count the input cannot hold is
  // damage, found before anything is allocated.
  Status count(std::string_view field, std::size_t min_size, uint64_t* n) {
    const std::size_t at = offset();
    if (Status s = varint(field, n); !s.ok()) return s;
    if (*n > rest_.size() / min_size) {
      return fail(field,
                  "count " + std::to_string(*n) + " cannot fit in the " +
                      std::to_string(rest_.size()) + " bytes left",
                  at);
    }
    return Status::ok_status();
  }

 private:
  std::string_view in_;
  std::string_view rest_;
  std::string_view entry_;
};

// Reserve at most this many elements up front; beyond it, containers grow
// only as elements actually decode.
constexpr std::size_t kMaxReserve = 1024;

#define RETURN_IF_ERROR_(expr)          \
  do {                                  \
    if (Status s_ = (expr); !s_.ok()) { \
      return s_;                        \
    }                                   \
  } while (0)

Status read_value(EntryReader* r, std::string_view field, int level,
                  Value* out) {
  const std::size_t at = r->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR_(r->u8(field, &tag));
  switch (tag) {
    case 0:
      *out = Value::null();
      return Status::ok_status();
    case 1: {
      bool b = false;
      RETURN_IF_ERROR_(r->flag(field, &b));
      *out = Value::boolean(b);
      return Status::ok_status();
    }
    case 2: {
      int64_t i = 0;
      RETURN_IF_ERROR_(r->svarint(field, &i));
      *out = Value::integer(i);
      return Status::ok_status();
    }
    case 3: {
      uint64_t bits = 0;
      RETURN_IF_ERROR_(r->fixed64(field, &bits));
      double d;
      std::memcpy(&d, &bits, sizeof d);
      *out = Value::floating(d);
      return Status::ok_status();
    }
    case 4:
    case 5: {
      // Into the string already there, if any, so that its storage is
      // reused (decode_entry_into).
      const auto kind = tag == 4 ? Value::Kind::kString : Value::Kind::kBytes;
      if (out->kind() != kind) {
        *out = tag == 4 ? Value::string({}) : Value::bytes({});
      }
      return r->bytes(
          field, tag == 4 ? &out->mutable_string() : &out->mutable_bytes());
    }
    case 6:
    case 7: {
      if (level >= kMaxValueDepth) {
        return r->fail(field,
                       "values nest deeper than " +
                           std::to_string(kMaxValueDepth) + " levels",
                       at);
      }
      uint64_t n = 0;
      if (tag == 6) {
        // Each element is at least its tag byte.
        RETURN_IF_ERROR_(r->count(field, 1, &n));
        Value::Array arr;
        arr.reserve(std::min<uint64_t>(n, kMaxReserve));
        for (uint64_t i = 0; i < n; ++i) {
          arr.emplace_back();
          RETURN_IF_ERROR_(read_value(r, field, level + 1, &arr.back()));
        }
        *out = Value::array(std::move(arr));
      } else {
        // Each member is at least a key length byte and a value tag byte.
        RETURN_IF_ERROR_(r->count(field, 2, &n));
        Value::Object obj;
        const std::string* prev = nullptr;
        for (uint64_t i = 0; i < n; ++i) {
          const std::size_t key_at = r->offset();
          std::string key;
          RETURN_IF_ERROR_(r->bytes(field, &key));
          // Sorted, no duplicates: the only encoding an Object has.
          if (prev != nullptr && !(*prev < key)) {
            return r->fail(field, "object keys not in strictly ascending order",
                           key_at);
          }
          auto it = obj.emplace_hint(obj.end(), std::move(key), Value());
          RETURN_IF_ERROR_(read_value(r, field, level + 1, &it->second));
          prev = &it->first;
        }
        *out = Value::object(std::move(obj));
      }
      return Status::ok_status();
    }
    default:
      return r->fail(field, "unknown value tag " + std::to_string(tag), at);
  }
}

Status read_key(EntryReader* r, Key* key) {
  RETURN_IF_ERROR_(r->bytes("key.tenant", &key->ns.tenant));
  RETURN_IF_ERROR_(r->bytes("key.app", &key->ns.app));
  RETURN_IF_ERROR_(r->bytes("key.agent", &key->ns.agent));
  RETURN_IF_ERROR_(r->uuid("key.run_id", &key->ns.run_id));
  const std::size_t at = r->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR_(r->u8("key.type_tag", &tag));
  auto t = type_tag_from_index(tag);
  if (!t) {
    return r->fail("key.type_tag", "unknown type tag " + std::to_string(tag),
                   at);
  }
  key->type_tag = *t;
  return r->bytes("key.user_key", &key->user_key);
}

Status read_path(EntryReader* r, JsonPath* path) {
  uint64_t n = 0;
  // Each segment is at least a tag byte and one more byte.
  RETURN_IF_ERROR_(r->count("path", 2, &n));
  path->segments.reserve(std::min<uint64_t>(n, kMaxReserve));
  for (uint64_t i = 0; i < n; ++i) {
    const std::size_t at = r->offset();
    uint8_t tag = 0;
    RETURN_IF_ERROR_(r->u8("path.segment", &tag));
    if (tag == 0) {
      std::string k;
      RETURN_IF_ERROR_(r->bytes("path.key", &k));
      path->segments.push_back(PathSegment::key(std::move(k)));
    } else if (tag == 1) {
      uint64_t idx = 0;
      RETURN_IF_ERROR_(r->varint("path.index", &idx));
      path->segments.push_back(PathSegment::index(idx));
    } else {
      return r->fail("path.segment",
                     "unknown segment tag " + std::to_string(tag), at);
    }
  }
  return Status::ok_status();
}

Status read_entity_ref(EntryReader* r, EntityRef* ref) {
  const std::size_t at = r->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR_(r->u8("source_ref", &tag));
  RunId run;
  if (tag <= 5) RETURN_IF_ERROR_(r->uuid("source_ref.run_id", &run));
  switch (tag) {
    case 0: {
      KvRef k{run, {}};
      RETURN_IF_ERROR_(r->bytes("source_ref.key", &k.key));
      *ref = std::move(k);
      return Status::ok_status();
    }
    case 1: {
      EventRef e{run, 0};
      RETURN_IF_ERROR_(r->varint("source_ref.sequence", &e.sequence));
      *ref = e;
      return Status::ok_status();
    }
    case 2: {
      StateRef s{run, {}};
      RETURN_IF_ERROR_(r->bytes("source_ref.name", &s.name));
      *ref = std::move(s);
      return Status::ok_status();
    }
    case 3:
      *ref = RunRef{run};
      return Status::ok_status();
    case 4: {
      JsonRef j{run, {}};
      RETURN_IF_ERROR_(r->bytes("source_ref.doc_id", &j.doc_id));
      *ref = std::move(j);
      return Status::ok_status();
    }
    case 5: {
      VectorRef v{run, {}, {}};
      RETURN_IF_ERROR_(r->bytes("source_ref.collection", &v.collection));
      RETURN_IF_ERROR_(r->bytes("source_ref.key", &v.key));
      *ref = std::move(v);
      return Status::ok_status();
    }
    default:
      return r->fail("source_ref",
                     "unknown entity ref tag " + std::to_string(tag), at);
  }
}

// The entry of type T in *out: the one already there, or a new one.
template <typename T>
T& reuse(WALEntry* out) {
  if (T* e = out->get_if<T>()) return *e;
  return out->variant().emplace<T>();
}

Status read_fields(EntryReader* r, WalEntryKind kind, WALEntry* out) {
  switch (kind) {
    case WalEntryKind::kBeginTxn: {
      BeginTxn e;
      RETURN_IF_ERROR_(r->varint("txn_id", &e.txn_id));
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->varint("timestamp", &e.timestamp));
      *out = e;
      return Status::ok_status();
    }
    case WalEntryKind::kWrite: {
      // Every field is overwritten, so the entry already there is reused.
      Write& e = reuse<Write>(out);
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(read_key(r, &e.key));
      RETURN_IF_ERROR_(read_value(r, "value", 0, &e.value));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      return Status::ok_status();
    }
    case WalEntryKind::kDelete: {
      Delete& e = reuse<Delete>(out);
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(read_key(r, &e.key));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      return Status::ok_status();
    }
    case WalEntryKind::kCommitTxn: {
      CommitTxn e;
      RETURN_IF_ERROR_(r->varint("txn_id", &e.txn_id));
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      *out = e;
      return Status::ok_status();
    }
    case WalEntryKind::kAbortTxn: {
      AbortTxn e;
      RETURN_IF_ERROR_(r->varint("txn_id", &e.txn_id));
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      *out = e;
      return Status::ok_status();
    }
    case WalEntryKind::kCheckpoint: {
      Checkpoint e;
      RETURN_IF_ERROR_(r->uuid("snapshot_id", &e.snapshot_id));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      uint64_t n = 0;
      RETURN_IF_ERROR_(r->count("active_runs", 16, &n));
      e.active_runs.resize(static_cast<std::size_t>(n));
      for (auto& run : e.active_runs) {
        RETURN_IF_ERROR_(r->uuid("active_runs", &run));
      }
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kJsonCreate: {
      JsonCreate e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("doc_id", &e.doc_id));
      RETURN_IF_ERROR_(read_value(r, "value", 0, &e.value));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      RETURN_IF_ERROR_(r->varint("timestamp", &e.timestamp));
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kJsonSet: {
      JsonSet e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("doc_id", &e.doc_id));
      RETURN_IF_ERROR_(read_path(r, &e.path));
      RETURN_IF_ERROR_(read_value(r, "value", 0, &e.value));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kJsonDelete: {
      JsonDelete e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("doc_id", &e.doc_id));
      RETURN_IF_ERROR_(read_path(r, &e.path));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kJsonDestroy: {
      JsonDestroy e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("doc_id", &e.doc_id));
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kVectorCollectionCreate: {
      VectorCollectionCreate e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("collection", &e.collection));
      RETURN_IF_ERROR_(r->varint("dimension", &e.dimension));
      const std::size_t at = r->offset();
      uint8_t m = 0;
      RETURN_IF_ERROR_(r->u8("metric", &m));
      auto metric = distance_metric_from_byte(m);
      if (!metric) {
        return r->fail("metric", "unknown metric " + std::to_string(m), at);
      }
      e.metric = *metric;
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kVectorCollectionDelete: {
      VectorCollectionDelete e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("collection", &e.collection));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kVectorUpsert: {
      VectorUpsert e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("collection", &e.collection));
      RETURN_IF_ERROR_(r->bytes("key", &e.key));
      RETURN_IF_ERROR_(r->varint("vector_id", &e.vector_id));
      uint64_t n = 0;
      RETURN_IF_ERROR_(r->count("embedding", 4, &n));
      e.embedding.resize(static_cast<std::size_t>(n));
      for (float& f : e.embedding) {
        uint32_t bits = 0;
        RETURN_IF_ERROR_(r->fixed32("embedding", &bits));
        std::memcpy(&f, &bits, sizeof f);
      }
      bool has = false;
      RETURN_IF_ERROR_(r->flag("metadata", &has));
      if (has) {
        e.metadata.emplace();
        RETURN_IF_ERROR_(r->bytes("metadata", &*e.metadata));
      }
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      RETURN_IF_ERROR_(r->flag("source_ref", &has));
      if (has) {
        EntityRef ref;
        RETURN_IF_ERROR_(read_entity_ref(r, &ref));
        e.source_ref = std::move(ref);
      }
      *out = std::move(e);
      return Status::ok_status();
    }
    case WalEntryKind::kVectorDelete: {
      VectorDelete e;
      RETURN_IF_ERROR_(r->uuid("run_id", &e.run_id));
      RETURN_IF_ERROR_(r->bytes("collection", &e.collection));
      RETURN_IF_ERROR_(r->bytes("key", &e.key));
      RETURN_IF_ERROR_(r->varint("vector_id", &e.vector_id));
      RETURN_IF_ERROR_(r->varint("version", &e.version));
      *out = std::move(e);
      return Status::ok_status();
    }
  }
  return r->fail("type", "unhandled entry kind", 1);
}

// Refuses what no reader would accept: a Value nested too deeply.
Status check_encodable(const WALEntry& entry) {
  const Value* v = nullptr;
  if (const auto* w = entry.get_if<Write>()) v = &w->value;
  if (const auto* j = entry.get_if<JsonCreate>()) v = &j->value;
  if (const auto* j = entry.get_if<JsonSet>()) v = &j->value;
  if (v != nullptr && deeper_than(*v, kMaxValueDepth)) {
    return Status::invalid_argument(
        std::string("mvcc entry: ") + std::string(entry.type_name()) +
        " value nests deeper than " + std::to_string(kMaxValueDepth) +
        " levels, which no reader would accept");
  }
  return Status::ok_status();
}

template <class Out>
void put_entry(Out* out, const WALEntry& entry) {
  put_u8(out, kEntryEncodingVersion);
  put_u8(out, static_cast<uint8_t>(entry.kind()));
  std::visit(FieldEncoder<Out>{out}, entry.variant());
}

}  // namespace

Status encode_entry(const WALEntry& entry, std::string* out) {
  if (Status s = check_encodable(entry); !s.ok()) return s;
  put_entry(out, entry);
  return Status::ok_status();
}

Result<std::size_t> encoded_entry_size(const WALEntry& entry) {
  if (Status s = check_encodable(entry); !s.ok()) return s;
  ByteCounter counter;
  put_entry(&counter, entry);
  return counter.size();
}

char* encode_entry_to(const WALEntry& entry, char* out) {
  ByteWriter writer(out);
  put_entry(&writer, entry);
  return writer.position();
}

Result<WALEntry> decode_entry(std::string_view bytes) {
  WALEntry entry;
  RETURN_IF_ERROR_(decode_entry_into(bytes, &entry));
  return entry;
}

Status decode_entry_into(std::string_view bytes, WALEntry* out) {
  EntryReader r(bytes);
  uint8_t version = 0;
  RETURN_IF_ERROR_(r.u8("encoding_version", &version));
  if (version == 0) {
    return r.fail("encoding_version", "version 0 is not a valid version", 0);
  }
  if (version > kEntryEncodingVersion) {
    return Status::not_supported(
        "mvcc entry: encoding version " + std::to_string(version) +
        " is newer than the newest this library reads (" +
        std::to_string(kEntryEncodingVersion) + ")");
  }
  uint8_t type_byte = 0;
  RETURN_IF_ERROR_(r.u8("type", &type_byte));
  auto kind = wal_entry_kind_from_byte(type_byte);
  if (!kind) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", type_byte);
    return r.fail("type", std::string("unknown entry type byte ") + buf, 1);
  }
  r.set_entry_name(wal_entry_kind_name(*kind));
  RETURN_IF_ERROR_(read_fields(&r, *kind, out));
  if (r.remaining() != 0) {
    return r.fail("end",
                  std::to_string(r.remaining()) +
                      " trailing bytes after the "
                      "last field",
                  r.offset());
  }
  return Status::ok_status();
}

}  // namespace strata::durability::mvcc
