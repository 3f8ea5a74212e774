// Views of Write and Delete entries: the same fields as Write and Delete,
// with every byte string a string_view into the bytes they were decoded
// from (a log reader's buffer), so that replay can hand them to a handler
// without copying a key or value. A view is valid only as long as those
// bytes; to keep an entry, convert it (to_write(), to_delete(), or
// assign_to() to reuse an entry's storage).
//
// decode_entry_view (entry_codec.h) makes them; WriteView::of() views an
// owned Write, so that one handler method can serve both.

#ifndef STRATA_DURABILITY_MVCC_ENTRY_VIEW_H_
#define STRATA_DURABILITY_MVCC_ENTRY_VIEW_H_

#include <cstdint>
#include <string_view>

#include "strata/durability/mvcc/key.h"
#include "strata/durability/mvcc/value.h"
#include "strata/durability/mvcc/wal_entry.h"

namespace strata::durability::mvcc {

struct NamespaceView {
  std::string_view tenant;
  std::string_view app;
  std::string_view agent;
  RunId run_id;

  static NamespaceView of(const Namespace& ns) {
    return {ns.tenant, ns.app, ns.agent, ns.run_id};
  }
  // Overwrites `*out` in place (its strings keep their storage).
  void assign_to(Namespace* out) const;
  Namespace to_namespace() const;
};

struct KeyView {
  NamespaceView ns;
  TypeTag type_tag = TypeTag::kKv;
  std::string_view user_key;

  static KeyView of(const Key& key) {
    return {NamespaceView::of(key.ns), key.type_tag, key.user_key};
  }
  void assign_to(Key* out) const;
  Key to_key() const;
};

// A Value without its storage. Scalars are held by value, String and
// Bytes as a view of their bytes; an Array or Object as its encoding
// (already checked when the entry decoded), which to_value() decodes.
class ValueView {
 public:
  // A view of an owned value (any kind).
  static ValueView of(const Value& v) {
    ValueView out;
    out.kind_ = v.kind();
    out.owned_ = &v;
    if (v.is_string()) out.bytes_ = v.as_string();
    if (v.is_bytes()) out.bytes_ = v.as_bytes();
    return out;
  }
  // Used by the decoder.
  static ValueView scalar(Value::Kind kind, int64_t i, double d) {
    ValueView out;
    out.kind_ = kind;
    out.int_ = i;
    out.float_ = d;
    return out;
  }
  static ValueView bytes_of(Value::Kind kind, std::string_view bytes) {
    ValueView out;
    out.kind_ = kind;
    out.bytes_ = bytes;
    return out;
  }

  Value::Kind kind() const { return kind_; }
  bool is_string() const { return kind_ == Value::Kind::kString; }
  bool is_bytes() const { return kind_ == Value::Kind::kBytes; }
  // The payload of a Bool, Int or Float view; asking a view of another
  // kind is a programming error (aborts, as Value's accessors).
  bool as_bool() const;
  int64_t as_int() const;
  double as_float() const;
  // The bytes of a String or Bytes view; empty for any other kind.
  std::string_view as_string_bytes() const { return bytes_; }

  // Overwrites `*out` (a String or Bytes value already there keeps its
  // storage).
  void assign_to(Value* out) const;
  Value to_value() const;

 private:
  Value::Kind kind_ = Value::Kind::kNull;
  int64_t int_ = 0;  // Bool (0/1) and Int
  double float_ = 0;
  // String / Bytes payload, or an Array / Object's whole encoding.
  std::string_view bytes_;
  const Value* owned_ = nullptr;  // set by of()
};

struct WriteView {
  RunId run_id;
  KeyView key;
  ValueView value;
  uint64_t version = 0;

  static WriteView of(const Write& w) {
    return {w.run_id, KeyView::of(w.key), ValueView::of(w.value), w.version};
  }
  void assign_to(Write* out) const;
  Write to_write() const;
};

struct DeleteView {
  RunId run_id;
  KeyView key;
  uint64_t version = 0;

  static DeleteView of(const Delete& d) {
    return {d.run_id, KeyView::of(d.key), d.version};
  }
  void assign_to(Delete* out) const;
  Delete to_delete() const;
};

// What decode_entry_view found: a Write or a Delete.
struct EntryView {
  WalEntryKind kind = WalEntryKind::kWrite;
  WriteView write;  // kind == kWrite
  DeleteView del;   // kind == kDelete
};

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_ENTRY_VIEW_H_
