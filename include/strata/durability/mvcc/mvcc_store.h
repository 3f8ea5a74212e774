// MvccStore: an in-memory versioned store that MVCC WAL replay can fill,
// used by tests, the strata-wal tool and as a reference for users writing
// their own ReplayHandler.
//
// - Key/value cells keep every version: put and delete (a tombstone) add a
//   version; get() reads the newest, get_at(v) the newest at or below v.
//   The same version written twice keeps the later write.
// - JSON documents, per (run, doc id), are Value trees changed by path.
//   A set or delete on a document that does not exist is skipped and
//   counted, as the original's replay did.
// - Vector collections, per (run, name), have a dimension and a metric that
//   every upsert is checked against.
//
// Not thread-safe: one thread replays into it, or the caller locks.

#ifndef STRATA_DURABILITY_MVCC_MVCC_STORE_H_
#define STRATA_DURABILITY_MVCC_MVCC_STORE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/durability/mvcc/replay_handler.h"
#include "strata/durability/mvcc/wal_entry.h"

namespace strata::durability::mvcc {

// One version of a key/value cell.
struct VersionedValue {
  Value value;  // Null for a tombstone
  uint64_t version = 0;
  bool tombstone = false;  // written by a delete
};

struct JsonDocument {
  Value value;
  uint64_t version = 0;     // of the last change
  uint64_t created_at = 0;  // JsonCreate's timestamp, microseconds
};

struct VectorRecord {
  uint64_t vector_id = 0;
  std::vector<float> embedding;
  std::optional<std::string> metadata;
  std::optional<EntityRef> source_ref;
  uint64_t version = 0;
};

struct VectorCollection {
  uint64_t dimension = 0;
  DistanceMetric metric = DistanceMetric::kCosine;
  uint64_t version = 0;                         // of the create
  std::map<std::string, VectorRecord> vectors;  // by key
};

// Why operations were skipped.
struct MvccStoreCounters {
  uint64_t json_missing_document = 0;  // set/delete on an absent document
  uint64_t json_bad_path = 0;          // a path that does not fit the document
  uint64_t vector_missing_collection = 0;
  uint64_t vector_collection_exists = 0;
  uint64_t vector_dimension_mismatch = 0;
  uint64_t vector_invalid_embedding = 0;  // non-finite, or zero for cosine
  uint64_t vector_missing_key = 0;
};

class MvccStore : public ReplayHandler {
 public:
  MvccStore() = default;

  // ------------------------------------------------ key/value
  void put(const Key& key, Value value, uint64_t version);
  // Writes a tombstone at `version` (a delete of an absent key too).
  void delete_key(const Key& key, uint64_t version);
  // The newest version, unless it is a tombstone.
  std::optional<VersionedValue> get(const Key& key) const;
  // The newest version at or below `version`, unless it is a tombstone.
  std::optional<VersionedValue> get_at(const Key& key, uint64_t version) const;
  // The newest version, tombstones included.
  std::optional<VersionedValue> latest(const Key& key) const;
  // Every version, oldest first.
  std::vector<VersionedValue> history(const Key& key) const;
  // Keys whose newest version is not a tombstone.
  std::size_t live_key_count() const;
  // Keys with any version, tombstones included.
  std::size_t key_count() const { return cells_.size(); }
  // Live keys with their newest values, in key order.
  std::vector<std::pair<Key, VersionedValue>> scan() const;

  // ------------------------------------------------ JSON
  const JsonDocument* json_document(const RunId& run,
                                    const std::string& doc_id) const;
  // The value at `path` in the document, if both exist.
  std::optional<Value> json_get(const RunId& run, const std::string& doc_id,
                                const JsonPath& path) const;
  std::size_t json_document_count() const { return docs_.size(); }

  // ------------------------------------------------ vectors
  const VectorCollection* vector_collection(const RunId& run,
                                            const std::string& name) const;
  const VectorRecord* vector(const RunId& run, const std::string& collection,
                             const std::string& key) const;
  std::size_t vector_collection_count() const { return collections_.size(); }

  // ------------------------------------------------ everything
  // The highest version of any change applied.
  uint64_t max_version() const { return max_version_; }
  const MvccStoreCounters& counters() const { return counters_; }
  // Applies one data entry (see apply_data_entry).
  Result<ApplyOutcome> apply(const WALEntry& entry) {
    return apply_data_entry(this, entry);
  }
  // A deterministic text rendering of the whole state, versions included,
  // for comparing stores in tests (R1 determinism, R2 idempotence).
  std::string dump() const;
  void clear();

  // ------------------------------------------------ ReplayHandler
  Result<ApplyOutcome> on_write(const Write& entry) override;
  Result<ApplyOutcome> on_delete(const Delete& entry) override;
  // From views: the key is looked up through a reused scratch key and the
  // value built straight from the log's bytes, one copy instead of two.
  Result<ApplyOutcome> on_write_view(const WriteView& entry) override;
  Result<ApplyOutcome> on_delete_view(const DeleteView& entry) override;
  Result<ApplyOutcome> on_json_create(const JsonCreate& entry) override;
  Result<ApplyOutcome> on_json_set(const JsonSet& entry) override;
  Result<ApplyOutcome> on_json_delete(const JsonDelete& entry) override;
  Result<ApplyOutcome> on_json_destroy(const JsonDestroy& entry) override;
  Result<ApplyOutcome> on_vector_collection_create(
      const VectorCollectionCreate& entry) override;
  Result<ApplyOutcome> on_vector_collection_delete(
      const VectorCollectionDelete& entry) override;
  Result<ApplyOutcome> on_vector_upsert(const VectorUpsert& entry) override;
  Result<ApplyOutcome> on_vector_delete(const VectorDelete& entry) override;

 private:
  using DocKey = std::pair<RunId, std::string>;
  void bump(uint64_t version) {
    if (version > max_version_) max_version_ = version;
  }

  std::map<Key, std::map<uint64_t, VersionedValue>> cells_;
  std::map<DocKey, JsonDocument> docs_;
  std::map<DocKey, VectorCollection> collections_;
  uint64_t max_version_ = 0;
  MvccStoreCounters counters_;
  Key scratch_key_;  // for the view methods
};

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_MVCC_STORE_H_
