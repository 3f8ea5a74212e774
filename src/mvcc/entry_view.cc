// Conversions from the entry views (entry_view.h) to owned entries.

#include "strata/durability/mvcc/entry_view.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "strata/durability/mvcc/entry_codec.h"

namespace strata::durability::mvcc {
namespace {

[[noreturn]] void wrong_kind(Value::Kind have, Value::Kind want) {
  std::fprintf(stderr, "ValueView: asked for %s of a %s view\n",
               std::string(value_kind_name(want)).c_str(),
               std::string(value_kind_name(have)).c_str());
  std::abort();
}

// Overwrites `*out` with `b`, reusing its storage when it has some.
void assign_bytes(std::string_view b, std::string* out) {
  if (out->size() == b.size()) {
    // Namespaces and fixed-size keys: the same length as last time is the
    // common case; skip assign()'s general path.
    if (!b.empty()) std::memcpy(out->data(), b.data(), b.size());
  } else {
    out->assign(b.data(), b.size());
  }
}

}  // namespace

void NamespaceView::assign_to(Namespace* out) const {
  assign_bytes(tenant, &out->tenant);
  assign_bytes(app, &out->app);
  assign_bytes(agent, &out->agent);
  out->run_id = run_id;
}

Namespace NamespaceView::to_namespace() const {
  return Namespace{std::string(tenant), std::string(app), std::string(agent),
                   run_id};
}

void KeyView::assign_to(Key* out) const {
  ns.assign_to(&out->ns);
  out->type_tag = type_tag;
  assign_bytes(user_key, &out->user_key);
}

Key KeyView::to_key() const {
  Key k;
  assign_to(&k);
  return k;
}

bool ValueView::as_bool() const {
  if (kind_ != Value::Kind::kBool) wrong_kind(kind_, Value::Kind::kBool);
  return owned_ != nullptr ? owned_->as_bool() : int_ != 0;
}

int64_t ValueView::as_int() const {
  if (kind_ != Value::Kind::kInt) wrong_kind(kind_, Value::Kind::kInt);
  return owned_ != nullptr ? owned_->as_int() : int_;
}

double ValueView::as_float() const {
  if (kind_ != Value::Kind::kFloat) wrong_kind(kind_, Value::Kind::kFloat);
  return owned_ != nullptr ? owned_->as_float() : float_;
}

void ValueView::assign_to(Value* out) const {
  if (owned_ != nullptr) {
    *out = *owned_;
    return;
  }
  switch (kind_) {
    case Value::Kind::kNull:
      *out = Value::null();
      return;
    case Value::Kind::kBool:
      *out = Value::boolean(int_ != 0);
      return;
    case Value::Kind::kInt:
      *out = Value::integer(int_);
      return;
    case Value::Kind::kFloat:
      *out = Value::floating(float_);
      return;
    case Value::Kind::kString:
      if (!out->is_string()) *out = Value::string({});
      assign_bytes(bytes_, &out->mutable_string());
      return;
    case Value::Kind::kBytes:
      if (!out->is_bytes()) *out = Value::bytes({});
      assign_bytes(bytes_, &out->mutable_bytes());
      return;
    case Value::Kind::kArray:
    case Value::Kind::kObject:
      // The decoder checked these bytes when it made the view, so decoding
      // them again cannot fail.
      if (Status s = decode_value(bytes_, out); !s.ok()) {
        std::fprintf(stderr, "ValueView: %s\n", s.to_string().c_str());
        std::abort();
      }
      return;
  }
}

Value ValueView::to_value() const {
  Value v;
  assign_to(&v);
  return v;
}

void WriteView::assign_to(Write* out) const {
  out->run_id = run_id;
  key.assign_to(&out->key);
  value.assign_to(&out->value);
  out->version = version;
}

Write WriteView::to_write() const {
  Write w;
  assign_to(&w);
  return w;
}

void DeleteView::assign_to(Delete* out) const {
  out->run_id = run_id;
  key.assign_to(&out->key);
  out->version = version;
}

Delete DeleteView::to_delete() const {
  Delete d;
  assign_to(&d);
  return d;
}

}  // namespace strata::durability::mvcc
