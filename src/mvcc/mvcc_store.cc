// MvccStore: the in-memory versioned reference store.

#include "strata/durability/mvcc/mvcc_store.h"

#include <cmath>
#include <cstdio>

namespace strata::durability::mvcc {
namespace {

// A new empty container for the segment that will be looked up in it.
Value container_for(const PathSegment& next) {
  return next.is_key() ? Value::object() : Value::array();
}

// Sets `value` at `path` under `root`, creating missing objects and arrays
// on the way (an index may be one past the end, which appends). False when
// the path does not fit the document (a key into a non-object, an index
// into a non-array or past its end).
bool json_set_path(Value* root, const JsonPath& path, const Value& value) {
  Value* cur = root;
  const auto& segs = path.segments;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    if (segs[i].is_key()) {
      if (!cur->is_object()) return false;
      auto& obj = cur->mutable_object();
      auto it = obj.find(segs[i].as_key());
      if (it == obj.end()) {
        it = obj.emplace(segs[i].as_key(),
                         last ? Value() : container_for(segs[i + 1]))
                 .first;
      }
      cur = &it->second;
    } else {
      if (!cur->is_array()) return false;
      auto& arr = cur->mutable_array();
      uint64_t idx = segs[i].as_index();
      if (idx > arr.size()) return false;
      if (idx == arr.size()) {
        arr.push_back(last ? Value() : container_for(segs[i + 1]));
      }
      cur = &arr[static_cast<std::size_t>(idx)];
    }
  }
  *cur = value;
  return true;
}

// Removes the value at `path` (not the root). A path that does not exist
// leaves the document as it is.
void json_delete_path(Value* root, const JsonPath& path) {
  Value* cur = root;
  const auto& segs = path.segments;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    if (segs[i].is_key()) {
      if (!cur->is_object()) return;
      auto& obj = cur->mutable_object();
      auto it = obj.find(segs[i].as_key());
      if (it == obj.end()) return;
      if (last) {
        obj.erase(it);
        return;
      }
      cur = &it->second;
    } else {
      if (!cur->is_array()) return;
      auto& arr = cur->mutable_array();
      uint64_t idx = segs[i].as_index();
      if (idx >= arr.size()) return;
      if (last) {
        arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(idx));
        return;
      }
      cur = &arr[static_cast<std::size_t>(idx)];
    }
  }
}

const Value* json_find(const Value& root, const JsonPath& path) {
  const Value* cur = &root;
  for (const auto& seg : path.segments) {
    if (seg.is_key()) {
      if (!cur->is_object()) return nullptr;
      auto it = cur->as_object().find(seg.as_key());
      if (it == cur->as_object().end()) return nullptr;
      cur = &it->second;
    } else {
      if (!cur->is_array() || seg.as_index() >= cur->as_array().size()) {
        return nullptr;
      }
      cur = &cur->as_array()[static_cast<std::size_t>(seg.as_index())];
    }
  }
  return cur;
}

std::string quoted(std::string_view s) {
  return Value::string(std::string(s)).to_string();
}

}  // namespace

// ------------------------------------------------------------ key/value

void MvccStore::put(const Key& key, Value value, uint64_t version) {
  cells_[key][version] = VersionedValue{std::move(value), version, false};
  bump(version);
}

void MvccStore::delete_key(const Key& key, uint64_t version) {
  cells_[key][version] = VersionedValue{Value(), version, true};
  bump(version);
}

std::optional<VersionedValue> MvccStore::latest(const Key& key) const {
  auto it = cells_.find(key);
  if (it == cells_.end() || it->second.empty()) return std::nullopt;
  return it->second.rbegin()->second;
}

std::optional<VersionedValue> MvccStore::get(const Key& key) const {
  auto v = latest(key);
  if (!v || v->tombstone) return std::nullopt;
  return v;
}

std::optional<VersionedValue> MvccStore::get_at(const Key& key,
                                                uint64_t version) const {
  auto it = cells_.find(key);
  if (it == cells_.end()) return std::nullopt;
  auto v = it->second.upper_bound(version);  // first version > `version`
  if (v == it->second.begin()) return std::nullopt;
  --v;
  if (v->second.tombstone) return std::nullopt;
  return v->second;
}

std::vector<VersionedValue> MvccStore::history(const Key& key) const {
  std::vector<VersionedValue> out;
  auto it = cells_.find(key);
  if (it == cells_.end()) return out;
  for (const auto& [ver, v] : it->second) out.push_back(v);
  return out;
}

std::size_t MvccStore::live_key_count() const {
  std::size_t n = 0;
  for (const auto& [key, versions] : cells_) {
    if (!versions.empty() && !versions.rbegin()->second.tombstone) ++n;
  }
  return n;
}

std::vector<std::pair<Key, VersionedValue>> MvccStore::scan() const {
  std::vector<std::pair<Key, VersionedValue>> out;
  for (const auto& [key, versions] : cells_) {
    if (!versions.empty() && !versions.rbegin()->second.tombstone) {
      out.emplace_back(key, versions.rbegin()->second);
    }
  }
  return out;
}

Result<ApplyOutcome> MvccStore::on_write(const Write& e) {
  put(e.key, e.value, e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_delete(const Delete& e) {
  delete_key(e.key, e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_write_view(const WriteView& e) {
  e.key.assign_to(&scratch_key_);
  VersionedValue& slot = cells_[scratch_key_][e.version];
  e.value.assign_to(&slot.value);
  slot.version = e.version;
  slot.tombstone = false;
  bump(e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_delete_view(const DeleteView& e) {
  e.key.assign_to(&scratch_key_);
  cells_[scratch_key_][e.version] = VersionedValue{Value(), e.version, true};
  bump(e.version);
  return ApplyOutcome::kApplied;
}

// ------------------------------------------------------------ JSON

const JsonDocument* MvccStore::json_document(const RunId& run,
                                             const std::string& doc_id) const {
  auto it = docs_.find(DocKey(run, doc_id));
  return it == docs_.end() ? nullptr : &it->second;
}

std::optional<Value> MvccStore::json_get(const RunId& run,
                                         const std::string& doc_id,
                                         const JsonPath& path) const {
  const JsonDocument* doc = json_document(run, doc_id);
  if (doc == nullptr) return std::nullopt;
  const Value* v = json_find(doc->value, path);
  if (v == nullptr) return std::nullopt;
  return *v;
}

Result<ApplyOutcome> MvccStore::on_json_create(const JsonCreate& e) {
  // A create over an existing document replaces it, as the original's
  // replay did (it rebuilt the document record).
  docs_[DocKey(e.run_id, e.doc_id)] =
      JsonDocument{e.value, e.version, e.timestamp};
  bump(e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_json_set(const JsonSet& e) {
  auto it = docs_.find(DocKey(e.run_id, e.doc_id));
  if (it == docs_.end()) {
    ++counters_.json_missing_document;
    return ApplyOutcome::kSkipped;
  }
  // Work on a copy so that a path that does not fit changes nothing.
  Value updated = it->second.value;
  if (!json_set_path(&updated, e.path, e.value)) {
    ++counters_.json_bad_path;
    return ApplyOutcome::kSkipped;
  }
  it->second.value = std::move(updated);
  it->second.version = e.version;
  bump(e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_json_delete(const JsonDelete& e) {
  auto it = docs_.find(DocKey(e.run_id, e.doc_id));
  if (it == docs_.end()) {
    ++counters_.json_missing_document;
    return ApplyOutcome::kSkipped;
  }
  if (e.path.is_root()) {
    // Deleting the whole document is JsonDestroy's job.
    ++counters_.json_bad_path;
    return ApplyOutcome::kSkipped;
  }
  json_delete_path(&it->second.value, e.path);
  it->second.version = e.version;
  bump(e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_json_destroy(const JsonDestroy& e) {
  // Counts as applied even when the document is absent, as the original's.
  docs_.erase(DocKey(e.run_id, e.doc_id));
  return ApplyOutcome::kApplied;
}

// ------------------------------------------------------------ vectors

const VectorCollection* MvccStore::vector_collection(
    const RunId& run, const std::string& name) const {
  auto it = collections_.find(DocKey(run, name));
  return it == collections_.end() ? nullptr : &it->second;
}

const VectorRecord* MvccStore::vector(const RunId& run,
                                      const std::string& collection,
                                      const std::string& key) const {
  const VectorCollection* c = vector_collection(run, collection);
  if (c == nullptr) return nullptr;
  auto it = c->vectors.find(key);
  return it == c->vectors.end() ? nullptr : &it->second;
}

Result<ApplyOutcome> MvccStore::on_vector_collection_create(
    const VectorCollectionCreate& e) {
  DocKey k(e.run_id, e.collection);
  if (collections_.count(k) != 0) {
    ++counters_.vector_collection_exists;
    return ApplyOutcome::kSkipped;
  }
  collections_[k] = VectorCollection{e.dimension, e.metric, e.version, {}};
  bump(e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_vector_collection_delete(
    const VectorCollectionDelete& e) {
  if (collections_.erase(DocKey(e.run_id, e.collection)) == 0) {
    ++counters_.vector_missing_collection;
    return ApplyOutcome::kSkipped;
  }
  bump(e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_vector_upsert(const VectorUpsert& e) {
  auto it = collections_.find(DocKey(e.run_id, e.collection));
  if (it == collections_.end()) {
    ++counters_.vector_missing_collection;
    return ApplyOutcome::kSkipped;
  }
  VectorCollection& c = it->second;
  if (e.embedding.size() != c.dimension) {
    ++counters_.vector_dimension_mismatch;
    return ApplyOutcome::kSkipped;
  }
  double norm2 = 0;
  for (float f : e.embedding) {
    if (!std::isfinite(f)) {
      ++counters_.vector_invalid_embedding;
      return ApplyOutcome::kSkipped;
    }
    norm2 += static_cast<double>(f) * f;
  }
  // Cosine similarity is undefined for a zero vector.
  if (c.metric == DistanceMetric::kCosine && norm2 == 0) {
    ++counters_.vector_invalid_embedding;
    return ApplyOutcome::kSkipped;
  }
  c.vectors[e.key] = VectorRecord{e.vector_id, e.embedding, e.metadata,
                                  e.source_ref, e.version};
  bump(e.version);
  return ApplyOutcome::kApplied;
}

Result<ApplyOutcome> MvccStore::on_vector_delete(const VectorDelete& e) {
  auto it = collections_.find(DocKey(e.run_id, e.collection));
  if (it == collections_.end()) {
    ++counters_.vector_missing_collection;
    return ApplyOutcome::kSkipped;
  }
  if (it->second.vectors.erase(e.key) == 0) {
    ++counters_.vector_missing_key;
    return ApplyOutcome::kSkipped;
  }
  bump(e.version);
  return ApplyOutcome::kApplied;
}

// ------------------------------------------------------------ everything

std::string MvccStore::dump() const {
  std::string out;
  for (const auto& [key, versions] : cells_) {
    out += "kv " + key.to_string() + "\n";
    for (const auto& [ver, v] : versions) {
      out += "  @" + std::to_string(ver) + " " +
             (v.tombstone ? std::string("<deleted>") : v.value.to_string()) +
             "\n";
    }
  }
  for (const auto& [k, doc] : docs_) {
    out += "json " + k.first.to_string() + " " + quoted(k.second) + " @" +
           std::to_string(doc.version) + " created " +
           std::to_string(doc.created_at) + " " + doc.value.to_string() + "\n";
  }
  for (const auto& [k, c] : collections_) {
    out += "vectors " + k.first.to_string() + " " + quoted(k.second) + " dim " +
           std::to_string(c.dimension) + " " +
           std::string(distance_metric_name(c.metric)) + " @" +
           std::to_string(c.version) + "\n";
    for (const auto& [vk, rec] : c.vectors) {
      out += "  " + quoted(vk) + " id " + std::to_string(rec.vector_id) + " @" +
             std::to_string(rec.version) + " [";
      for (std::size_t i = 0; i < rec.embedding.size(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.9g", i ? "," : "",
                      static_cast<double>(rec.embedding[i]));
        out += buf;
      }
      out += "]";
      if (rec.metadata) out += " meta " + quoted(*rec.metadata);
      if (rec.source_ref) {
        out += " source ";
        out += entity_ref_kind_name(*rec.source_ref);
      }
      out += "\n";
    }
  }
  out += "max_version " + std::to_string(max_version_) + "\n";
  return out;
}

void MvccStore::clear() {
  cells_.clear();
  docs_.clear();
  collections_.clear();
  max_version_ = 0;
  counters_ = MvccStoreCounters{};
}

}  // namespace strata::durability::mvcc
