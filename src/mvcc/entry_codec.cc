// The MVCC entry encoding: encode_entry and decode_entry.
// docs/format.md (section 6) describes every byte; keep the two in step.

#include "strata/durability/mvcc/entry_codec.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <utility>

#include "util/coding.h"

namespace strata::durability::mvcc {
namespace {

// Version 2's key form byte (Write and Delete): the type tag's index in
// the low three bits, then two flags; the top three bits are zero.
constexpr uint8_t kKeyFormTagMask = 0x07;
constexpr uint8_t kKeyFormDefaultNames = 0x08;  // tenant/app/agent "default"
constexpr uint8_t kKeyFormSameRun = 0x10;       // key run id == entry run id
constexpr uint8_t kKeyFormReserved = 0xe0;

// ------------------------------------------------------------------ encode

// Where the encoder puts bytes. One encoder, three sinks: SizeSink counts
// (encoded_entry_size), CharSink writes into a buffer sized by it
// (encode_entry_to), so that the two can never disagree.
struct SizeSink {
  std::size_t n = 0;
  void u8(uint8_t /*v*/) { ++n; }
  void varint(uint64_t v) { n += varint_length(v); }
  void fixed32(uint32_t /*v*/) { n += 4; }
  void fixed64(uint64_t /*v*/) { n += 8; }
  void raw(std::string_view b) { n += b.size(); }
};

struct CharSink {
  char* p;
  void u8(uint8_t v) { *p++ = static_cast<char>(v); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
  }
  void fixed32(uint32_t v) {
    encode_fixed32(p, v);
    p += 4;
  }
  void fixed64(uint64_t v) {
    encode_fixed64(p, v);
    p += 8;
  }
  void raw(std::string_view b) {
    if (!b.empty()) std::memcpy(p, b.data(), b.size());
    p += b.size();
  }
};

template <typename Sink>
void put_bytes(Sink& out, std::string_view b) {
  out.varint(b.size());
  out.raw(b);
}

template <typename Sink>
void put_uuid(Sink& out, const Uuid& id) {
  out.raw(id.raw());
}

template <typename Sink>
void put_value(Sink& out, const Value& v) {
  out.u8(static_cast<uint8_t>(v.kind()));
  switch (v.kind()) {
    case Value::Kind::kNull:
      return;
    case Value::Kind::kBool:
      out.u8(v.as_bool() ? 1 : 0);
      return;
    case Value::Kind::kInt: {
      const int64_t i = v.as_int();
      out.varint((static_cast<uint64_t>(i) << 1) ^
                 static_cast<uint64_t>(i >> 63));
      return;
    }
    case Value::Kind::kFloat: {
      out.fixed64(std::bit_cast<uint64_t>(v.as_float()));
      return;
    }
    case Value::Kind::kString:
      put_bytes(out, v.as_string());
      return;
    case Value::Kind::kBytes:
      put_bytes(out, v.as_bytes());
      return;
    case Value::Kind::kArray:
      out.varint(v.as_array().size());
      for (const auto& e : v.as_array()) put_value(out, e);
      return;
    case Value::Kind::kObject:
      out.varint(v.as_object().size());
      // std::map iterates in ascending bytewise key order: deterministic.
      for (const auto& [k, e] : v.as_object()) {
        put_bytes(out, k);
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

// Version 1's key: the namespace spelled out.
template <typename Sink>
void put_key_v1(Sink& out, const Key& key) {
  put_bytes(out, key.ns.tenant);
  put_bytes(out, key.ns.app);
  put_bytes(out, key.ns.agent);
  put_uuid(out, key.ns.run_id);
  out.u8(type_tag_index(key.type_tag));
  put_bytes(out, key.user_key);
}

constexpr std::string_view kDefaultName = "default";

bool is_default_names(std::string_view tenant, std::string_view app,
                      std::string_view agent) {
  return tenant == kDefaultName && app == kDefaultName && agent == kDefaultName;
}

// Version 2's run id and key (Write and Delete): the form byte, the entry's
// run id, the namespace's names and run id only when they are not the
// defaults the form byte can say, the user key.
template <typename Sink>
void put_run_and_key_v2(Sink& out, const RunId& run, const Key& key) {
  const bool default_names =
      is_default_names(key.ns.tenant, key.ns.app, key.ns.agent);
  const bool same_run = key.ns.run_id == run;
  uint8_t form = type_tag_index(key.type_tag);
  if (default_names) form |= kKeyFormDefaultNames;
  if (same_run) form |= kKeyFormSameRun;
  out.u8(form);
  put_uuid(out, run);
  if (!default_names) {
    put_bytes(out, key.ns.tenant);
    put_bytes(out, key.ns.app);
    put_bytes(out, key.ns.agent);
  }
  if (!same_run) put_uuid(out, key.ns.run_id);
  put_bytes(out, key.user_key);
}

template <typename Sink>
void put_path(Sink& out, const JsonPath& path) {
  out.varint(path.segments.size());
  for (const auto& seg : path.segments) {
    if (seg.is_key()) {
      out.u8(0);
      put_bytes(out, seg.as_key());
    } else {
      out.u8(1);
      out.varint(seg.as_index());
    }
  }
}

template <typename Sink>
void put_entity_ref(Sink& out, const EntityRef& ref) {
  out.u8(static_cast<uint8_t>(ref.index()));
  put_uuid(out, entity_ref_run_id(ref));
  if (const auto* kv = std::get_if<KvRef>(&ref)) {
    put_bytes(out, kv->key);
  } else if (const auto* ev = std::get_if<EventRef>(&ref)) {
    out.varint(ev->sequence);
  } else if (const auto* st = std::get_if<StateRef>(&ref)) {
    put_bytes(out, st->name);
  } else if (const auto* js = std::get_if<JsonRef>(&ref)) {
    put_bytes(out, js->doc_id);
  } else if (const auto* vr = std::get_if<VectorRef>(&ref)) {
    put_bytes(out, vr->collection);
    put_bytes(out, vr->key);
  }
  // RunRef: the run id alone.
}

// The version byte an entry gets when written in `version`: only Write
// and Delete have a version-2 form.
uint8_t version_for(WalEntryKind kind, uint8_t version) {
  if (version >= 2 &&
      (kind == WalEntryKind::kWrite || kind == WalEntryKind::kDelete)) {
    return 2;
  }
  return 1;
}

template <typename Sink>
struct FieldEncoder {
  Sink& out;
  uint8_t version;  // the entry's (version_for)

  void operator()(const BeginTxn& e) const {
    out.varint(e.txn_id);
    put_uuid(out, e.run_id);
    out.varint(e.timestamp);
  }
  void operator()(const Write& e) const {
    if (version >= 2) {
      put_run_and_key_v2(out, e.run_id, e.key);
    } else {
      put_uuid(out, e.run_id);
      put_key_v1(out, e.key);
    }
    put_value(out, e.value);
    out.varint(e.version);
  }
  void operator()(const Delete& e) const {
    if (version >= 2) {
      put_run_and_key_v2(out, e.run_id, e.key);
    } else {
      put_uuid(out, e.run_id);
      put_key_v1(out, e.key);
    }
    out.varint(e.version);
  }
  void operator()(const CommitTxn& e) const {
    out.varint(e.txn_id);
    put_uuid(out, e.run_id);
  }
  void operator()(const AbortTxn& e) const {
    out.varint(e.txn_id);
    put_uuid(out, e.run_id);
  }
  void operator()(const Checkpoint& e) const {
    put_uuid(out, e.snapshot_id);
    out.varint(e.version);
    out.varint(e.active_runs.size());
    for (const auto& r : e.active_runs) put_uuid(out, r);
  }
  void operator()(const JsonCreate& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.doc_id);
    put_value(out, e.value);
    out.varint(e.version);
    out.varint(e.timestamp);
  }
  void operator()(const JsonSet& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.doc_id);
    put_path(out, e.path);
    put_value(out, e.value);
    out.varint(e.version);
  }
  void operator()(const JsonDelete& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.doc_id);
    put_path(out, e.path);
    out.varint(e.version);
  }
  void operator()(const JsonDestroy& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.doc_id);
  }
  void operator()(const VectorCollectionCreate& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.collection);
    out.varint(e.dimension);
    out.u8(static_cast<uint8_t>(e.metric));
    out.varint(e.version);
  }
  void operator()(const VectorCollectionDelete& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.collection);
    out.varint(e.version);
  }
  void operator()(const VectorUpsert& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.collection);
    put_bytes(out, e.key);
    out.varint(e.vector_id);
    out.varint(e.embedding.size());
    for (float f : e.embedding) out.fixed32(std::bit_cast<uint32_t>(f));
    if (e.metadata) {
      out.u8(1);
      put_bytes(out, *e.metadata);
    } else {
      out.u8(0);
    }
    out.varint(e.version);
    if (e.source_ref) {
      out.u8(1);
      put_entity_ref(out, *e.source_ref);
    } else {
      out.u8(0);
    }
  }
  void operator()(const VectorDelete& e) const {
    put_uuid(out, e.run_id);
    put_bytes(out, e.collection);
    put_bytes(out, e.key);
    out.varint(e.vector_id);
    out.varint(e.version);
  }
};

template <typename Sink>
void encode_with(Sink& out, const WALEntry& entry, uint8_t version) {
  const WalEntryKind kind = entry.kind();
  const uint8_t v = version_for(kind, version);
  out.u8(v);
  out.u8(static_cast<uint8_t>(kind));
  std::visit(FieldEncoder<Sink>{out, v}, entry.variant());
}

// InvalidArgument for an entry no reader would accept.
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

Status encode_version(const WALEntry& entry, uint8_t version,
                      std::string* out) {
  if (Status s = check_encodable(entry); !s.ok()) return s;
  SizeSink size;
  encode_with(size, entry, version);
  const std::size_t start = out->size();
  out->resize(start + size.n);
  CharSink sink{out->data() + start};
  encode_with(sink, entry, version);
  return Status::ok_status();
}

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

  // A varint length and that many bytes, as a view of the input.
  [[gnu::always_inline]] Status view(std::string_view field,
                                     std::string_view* out) {
    const std::size_t at = offset();
    uint64_t n = 0;
    if (Status s = varint(field, &n); !s.ok()) return s;
    if (n > rest_.size()) {
      return fail(field,
                  "length " + std::to_string(n) + " runs past the end (" +
                      std::to_string(rest_.size()) + " bytes left)",
                  at);
    }
    *out = rest_.substr(0, static_cast<std::size_t>(n));
    rest_.remove_prefix(static_cast<std::size_t>(n));
    return Status::ok_status();
  }

  // The input from byte `at` up to what has been read.
  std::string_view read_since(std::size_t at) const {
    return in_.substr(at, offset() - at);
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

// The scalar after value tag 0-3 (Null, Bool, Int, Float), shared by the
// owning and the view decoder so that they cannot disagree.
Status read_scalar(EntryReader* r, std::string_view field, uint8_t tag,
                   ValueView* out) {
  switch (tag) {
    case 0:
      *out = ValueView::scalar(Value::Kind::kNull, 0, 0);
      return Status::ok_status();
    case 1: {
      bool b = false;
      RETURN_IF_ERROR_(r->flag(field, &b));
      *out = ValueView::scalar(Value::Kind::kBool, b ? 1 : 0, 0);
      return Status::ok_status();
    }
    case 2: {
      int64_t i = 0;
      RETURN_IF_ERROR_(r->svarint(field, &i));
      *out = ValueView::scalar(Value::Kind::kInt, i, 0);
      return Status::ok_status();
    }
    default: {
      uint64_t bits = 0;
      RETURN_IF_ERROR_(r->fixed64(field, &bits));
      *out = ValueView::scalar(Value::Kind::kFloat, 0,
                               std::bit_cast<double>(bits));
      return Status::ok_status();
    }
  }
}

Status read_value(EntryReader* r, std::string_view field, int level,
                  Value* out) {
  const std::size_t at = r->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR_(r->u8(field, &tag));
  switch (tag) {
    case 0:
    case 1:
    case 2:
    case 3: {
      ValueView scalar;
      RETURN_IF_ERROR_(read_scalar(r, field, tag, &scalar));
      scalar.assign_to(out);
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

// Checks an Array or Object (its tag already read at `at`) exactly as
// read_value would, building nothing: for views, whose containers stay
// encoded until asked for.
Status skip_container(EntryReader* r, std::string_view field, int level,
                      uint8_t tag, std::size_t at);

// Checks one value as read_value would, building nothing.
Status skip_value(EntryReader* r, std::string_view field, int level) {
  const std::size_t at = r->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR_(r->u8(field, &tag));
  switch (tag) {
    case 0:
      return Status::ok_status();
    case 1: {
      bool b = false;
      return r->flag(field, &b);
    }
    case 2: {
      uint64_t u = 0;
      return r->varint(field, &u);
    }
    case 3: {
      uint64_t bits = 0;
      return r->fixed64(field, &bits);
    }
    case 4:
    case 5: {
      std::string_view b;
      return r->view(field, &b);
    }
    case 6:
    case 7:
      return skip_container(r, field, level, tag, at);
    default:
      return r->fail(field, "unknown value tag " + std::to_string(tag), at);
  }
}

Status skip_container(EntryReader* r, std::string_view field, int level,
                      uint8_t tag, std::size_t at) {
  if (level >= kMaxValueDepth) {
    return r->fail(
        field,
        "values nest deeper than " + std::to_string(kMaxValueDepth) + " levels",
        at);
  }
  uint64_t n = 0;
  if (tag == 6) {
    RETURN_IF_ERROR_(r->count(field, 1, &n));
    for (uint64_t i = 0; i < n; ++i) {
      RETURN_IF_ERROR_(skip_value(r, field, level + 1));
    }
    return Status::ok_status();
  }
  RETURN_IF_ERROR_(r->count(field, 2, &n));
  std::string_view prev;
  for (uint64_t i = 0; i < n; ++i) {
    const std::size_t key_at = r->offset();
    std::string_view key;
    RETURN_IF_ERROR_(r->view(field, &key));
    if (i > 0 && !(prev < key)) {
      return r->fail(field, "object keys not in strictly ascending order",
                     key_at);
    }
    prev = key;
    RETURN_IF_ERROR_(skip_value(r, field, level + 1));
  }
  return Status::ok_status();
}

// A value as a view: scalars by value, String / Bytes as a view of their
// bytes, an Array / Object checked and kept as its encoding.
Status read_value_view(EntryReader* r, std::string_view field, ValueView* out) {
  const std::size_t at = r->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR_(r->u8(field, &tag));
  switch (tag) {
    case 0:
    case 1:
    case 2:
    case 3:
      return read_scalar(r, field, tag, out);
    case 4:
    case 5: {
      std::string_view b;
      RETURN_IF_ERROR_(r->view(field, &b));
      *out = ValueView::bytes_of(
          tag == 4 ? Value::Kind::kString : Value::Kind::kBytes, b);
      return Status::ok_status();
    }
    case 6:
    case 7:
      RETURN_IF_ERROR_(skip_container(r, field, 0, tag, at));
      *out = ValueView::bytes_of(
          tag == 6 ? Value::Kind::kArray : Value::Kind::kObject,
          r->read_since(at));
      return Status::ok_status();
    default:
      return r->fail(field, "unknown value tag " + std::to_string(tag), at);
  }
}

Status read_type_tag(EntryReader* r, uint8_t index, std::size_t at,
                     TypeTag* out) {
  auto t = type_tag_from_index(index);
  if (!t) {
    return r->fail("key.type_tag", "unknown type tag " + std::to_string(index),
                   at);
  }
  *out = *t;
  return Status::ok_status();
}

// Version 1: the entry's run id, then the key spelled out.
Status read_run_and_key_v1(EntryReader* r, RunId* run, KeyView* key) {
  RETURN_IF_ERROR_(r->uuid("run_id", run));
  RETURN_IF_ERROR_(r->view("key.tenant", &key->ns.tenant));
  RETURN_IF_ERROR_(r->view("key.app", &key->ns.app));
  RETURN_IF_ERROR_(r->view("key.agent", &key->ns.agent));
  RETURN_IF_ERROR_(r->uuid("key.run_id", &key->ns.run_id));
  const std::size_t at = r->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR_(r->u8("key.type_tag", &tag));
  RETURN_IF_ERROR_(read_type_tag(r, tag, at, &key->type_tag));
  return r->view("key.user_key", &key->user_key);
}

// Version 2: the key form byte, the run id, what the form does not fold
// away, the user key. A field spelled out although the form byte could
// have said it is damage: the encoding stays canonical.
Status read_run_and_key_v2(EntryReader* r, RunId* run, KeyView* key) {
  const std::size_t at = r->offset();
  uint8_t form = 0;
  RETURN_IF_ERROR_(r->u8("key.form", &form));
  if ((form & kKeyFormReserved) != 0) {
    return r->fail("key.form",
                   "reserved bits set in form byte " + std::to_string(form),
                   at);
  }
  RETURN_IF_ERROR_(
      read_type_tag(r, form & kKeyFormTagMask, at, &key->type_tag));
  RETURN_IF_ERROR_(r->uuid("run_id", run));
  if ((form & kKeyFormDefaultNames) != 0) {
    key->ns.tenant = kDefaultName;
    key->ns.app = kDefaultName;
    key->ns.agent = kDefaultName;
  } else {
    const std::size_t names_at = r->offset();
    RETURN_IF_ERROR_(r->view("key.tenant", &key->ns.tenant));
    RETURN_IF_ERROR_(r->view("key.app", &key->ns.app));
    RETURN_IF_ERROR_(r->view("key.agent", &key->ns.agent));
    if (is_default_names(key->ns.tenant, key->ns.app, key->ns.agent)) {
      return r->fail("key.tenant",
                     "default namespace names spelled out (the form byte's "
                     "flag 0x08 is their only encoding)",
                     names_at);
    }
  }
  if ((form & kKeyFormSameRun) != 0) {
    key->ns.run_id = *run;
  } else {
    const std::size_t run_at = r->offset();
    RETURN_IF_ERROR_(r->uuid("key.run_id", &key->ns.run_id));
    if (key->ns.run_id == *run) {
      return r->fail("key.run_id",
                     "the entry's own run id spelled out (the form byte's "
                     "flag 0x10 is its only encoding)",
                     run_at);
    }
  }
  return r->view("key.user_key", &key->user_key);
}

Status read_run_and_key(EntryReader* r, uint8_t version, RunId* run,
                        KeyView* key) {
  return version >= 2 ? read_run_and_key_v2(r, run, key)
                      : read_run_and_key_v1(r, run, key);
}

Status read_write_view(EntryReader* r, uint8_t version, WriteView* e) {
  RETURN_IF_ERROR_(read_run_and_key(r, version, &e->run_id, &e->key));
  RETURN_IF_ERROR_(read_value_view(r, "value", &e->value));
  return r->varint("version", &e->version);
}

Status read_delete_view(EntryReader* r, uint8_t version, DeleteView* e) {
  RETURN_IF_ERROR_(read_run_and_key(r, version, &e->run_id, &e->key));
  return r->varint("version", &e->version);
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

Status read_fields(EntryReader* r, uint8_t version, WalEntryKind kind,
                   WALEntry* out) {
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
      WriteView v;
      RETURN_IF_ERROR_(read_write_view(r, version, &v));
      // Every field is overwritten, so the entry already there is reused.
      v.assign_to(&reuse<Write>(out));
      return Status::ok_status();
    }
    case WalEntryKind::kDelete: {
      DeleteView v;
      RETURN_IF_ERROR_(read_delete_view(r, version, &v));
      v.assign_to(&reuse<Delete>(out));
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

// The version and type bytes; names the entry in `r` for later errors.
Status read_header(EntryReader* r, uint8_t* version, WalEntryKind* kind) {
  RETURN_IF_ERROR_(r->u8("encoding_version", version));
  if (*version == 0) {
    return r->fail("encoding_version", "version 0 is not a valid version", 0);
  }
  if (*version > kEntryEncodingVersion) {
    return Status::not_supported(
        "mvcc entry: encoding version " + std::to_string(*version) +
        " is newer than the newest this library reads (" +
        std::to_string(kEntryEncodingVersion) + ")");
  }
  uint8_t type_byte = 0;
  RETURN_IF_ERROR_(r->u8("type", &type_byte));
  if (type_byte >= 0x01 && type_byte <= 0x06) {
    // The framing, key/value and checkpoint types are nearly every entry:
    // their kind is the byte itself and their name a table lookup, without
    // the general searches.
    static constexpr std::string_view kNames[] = {
        "",          "BeginTxn", "Write",     "Delete",
        "CommitTxn", "AbortTxn", "Checkpoint"};
    const auto fast = static_cast<WalEntryKind>(type_byte);
    r->set_entry_name(kNames[type_byte]);
    if (version_for(fast, *version) != *version) {
      return r->fail("encoding_version",
                     "version " + std::to_string(*version) + " has no " +
                         std::string(kNames[type_byte]) + " form",
                     0);
    }
    *kind = fast;
    return Status::ok_status();
  }
  auto k = wal_entry_kind_from_byte(type_byte);
  if (!k) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", type_byte);
    return r->fail("type", std::string("unknown entry type byte ") + buf, 1);
  }
  r->set_entry_name(wal_entry_kind_name(*k));
  if (version_for(*k, *version) != *version) {
    // Canonical: an entry is written in the oldest version that has its
    // fields, so a version-2 byte on any other type is damage.
    return r->fail("encoding_version",
                   "version " + std::to_string(*version) + " has no " +
                       std::string(wal_entry_kind_name(*k)) + " form",
                   0);
  }
  *kind = *k;
  return Status::ok_status();
}

Status check_end(const EntryReader& r) {
  if (r.remaining() != 0) {
    return r.fail("end",
                  std::to_string(r.remaining()) +
                      " trailing bytes after the "
                      "last field",
                  r.offset());
  }
  return Status::ok_status();
}

}  // namespace

Status encode_entry(const WALEntry& entry, std::string* out) {
  return encode_version(entry, kEntryEncodingVersion, out);
}

Status encode_entry_as(const WALEntry& entry, uint8_t encoding_version,
                       std::string* out) {
  if (encoding_version < kOldestEntryEncodingVersion ||
      encoding_version > kEntryEncodingVersion) {
    return Status::invalid_argument(
        "mvcc entry: cannot encode in version " +
        std::to_string(encoding_version) + " (this library writes " +
        std::to_string(kOldestEntryEncodingVersion) + " to " +
        std::to_string(kEntryEncodingVersion) + ")");
  }
  return encode_version(entry, encoding_version, out);
}

Result<std::size_t> encoded_entry_size(const WALEntry& entry) {
  if (Status s = check_encodable(entry); !s.ok()) return s;
  SizeSink size;
  encode_with(size, entry, kEntryEncodingVersion);
  return size.n;
}

char* encode_entry_to(const WALEntry& entry, char* dst) {
  CharSink sink{dst};
  encode_with(sink, entry, kEntryEncodingVersion);
  return sink.p;
}

Result<WALEntry> decode_entry(std::string_view bytes) {
  WALEntry entry;
  RETURN_IF_ERROR_(decode_entry_into(bytes, &entry));
  return entry;
}

Status decode_entry_into(std::string_view bytes, WALEntry* out) {
  EntryReader r(bytes);
  uint8_t version = 0;
  WalEntryKind kind{};
  RETURN_IF_ERROR_(read_header(&r, &version, &kind));
  RETURN_IF_ERROR_(read_fields(&r, version, kind, out));
  return check_end(r);
}

Result<bool> decode_entry_view(std::string_view bytes, EntryView* out) {
  // Peek first: other types go to decode_entry_into, whose errors are the
  // same.
  if (bytes.size() < 2) return false;
  const auto type = static_cast<uint8_t>(bytes[1]);
  if (type != static_cast<uint8_t>(WalEntryKind::kWrite) &&
      type != static_cast<uint8_t>(WalEntryKind::kDelete)) {
    return false;
  }
  EntryReader r(bytes);
  uint8_t version = 0;
  WalEntryKind kind{};
  RETURN_IF_ERROR_(read_header(&r, &version, &kind));
  if (kind == WalEntryKind::kWrite) {
    RETURN_IF_ERROR_(read_write_view(&r, version, &out->write));
  } else {
    RETURN_IF_ERROR_(read_delete_view(&r, version, &out->del));
  }
  RETURN_IF_ERROR_(check_end(r));
  out->kind = kind;
  return true;
}

Status decode_value(std::string_view encoding, Value* out) {
  EntryReader r(encoding);
  RETURN_IF_ERROR_(read_value(&r, "value", 0, out));
  return check_end(r);
}

}  // namespace strata::durability::mvcc
