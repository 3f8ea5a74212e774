// RunId, Namespace, TypeTag and Key: names, helpers and printing.

#include "strata/durability/mvcc/key.h"

#include <array>
#include <cstdio>

namespace strata::durability::mvcc {
namespace {

struct TagInfo {
  TypeTag tag;
  std::string_view name;
};
// In position-index order: the index into this table is the on-disk value.
constexpr std::array<TagInfo, kTypeTagCount> kTags = {{
    {TypeTag::kKv, "KV"},
    {TypeTag::kEvent, "Event"},
    {TypeTag::kState, "State"},
    {TypeTag::kTrace, "Trace"},
    {TypeTag::kRun, "Run"},
    {TypeTag::kVector, "Vector"},
    {TypeTag::kJson, "Json"},
    {TypeTag::kVectorConfig, "VectorConfig"},
}};

// Printable bytes as they are, anything else as \xNN.
void append_escaped(std::string* out, std::string_view bytes) {
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\' && c != '"') {
      out->push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out->append(buf);
    }
  }
}

}  // namespace

Namespace Namespace::for_run(const RunId& run) {
  return Namespace{"default", "default", "default", run};
}

std::string_view type_tag_name(TypeTag tag) {
  for (const auto& info : kTags) {
    if (info.tag == tag) return info.name;
  }
  return "Unknown";
}

uint8_t type_tag_index(TypeTag tag) {
  for (std::size_t i = 0; i < kTags.size(); ++i) {
    if (kTags[i].tag == tag) return static_cast<uint8_t>(i);
  }
  return 0xff;  // unreachable for a valid TypeTag
}

std::optional<TypeTag> type_tag_from_index(uint8_t index) {
  if (index >= kTags.size()) return std::nullopt;
  return kTags[index].tag;
}

std::optional<TypeTag> type_tag_from_repr(uint8_t repr) {
  for (const auto& info : kTags) {
    if (static_cast<uint8_t>(info.tag) == repr) return info.tag;
  }
  return std::nullopt;
}

Key Key::new_kv(const Namespace& ns, std::string_view user_key) {
  return Key{ns, TypeTag::kKv, std::string(user_key)};
}

Key Key::new_event(const Namespace& ns, uint64_t sequence) {
  std::string k(8, '\0');
  for (int i = 0; i < 8; ++i) {
    k[static_cast<std::size_t>(i)] =
        static_cast<char>((sequence >> (56 - 8 * i)) & 0xff);
  }
  return Key{ns, TypeTag::kEvent, std::move(k)};
}

Key Key::new_state(const Namespace& ns, std::string_view name) {
  return Key{ns, TypeTag::kState, std::string(name)};
}

Key Key::new_run(const Namespace& ns, std::string_view run_key) {
  return Key{ns, TypeTag::kRun, std::string(run_key)};
}

Key Key::new_json(const Namespace& ns, std::string_view doc_id) {
  return Key{ns, TypeTag::kJson, std::string(doc_id)};
}

Key Key::new_vector(const Namespace& ns, std::string_view collection,
                    std::string_view key) {
  std::string k;
  k.reserve(collection.size() + 1 + key.size());
  k.append(collection).append("/").append(key);
  return Key{ns, TypeTag::kVector, std::move(k)};
}

Key Key::new_vector_config(const Namespace& ns, std::string_view collection) {
  return Key{ns, TypeTag::kVectorConfig, std::string(collection)};
}

std::optional<uint64_t> Key::event_sequence() const {
  if (type_tag != TypeTag::kEvent || user_key.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : user_key) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

std::string Key::to_string() const {
  std::string out;
  append_escaped(&out, ns.tenant);
  out.push_back('/');
  append_escaped(&out, ns.app);
  out.push_back('/');
  append_escaped(&out, ns.agent);
  out.push_back('/');
  out.append(ns.run_id.to_string());
  out.push_back('/');
  out.append(type_tag_name(type_tag));
  out.append("/\"");
  append_escaped(&out, user_key);
  out.push_back('"');
  return out;
}

}  // namespace strata::durability::mvcc
