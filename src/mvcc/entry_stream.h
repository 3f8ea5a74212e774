// EntryStream: reads an MVCC log directory batch by batch through the core
// LogReader and decodes each record as a WALEntry. Internal; shared by
// WAL::read_entries*, find_last_checkpoint and replay_wal.
//
// A record that passes the core's checks but does not decode poisons its
// whole batch (a transaction is one batch, so dropping part of it would
// break atomicity): the recovery mode decides whether that is an error,
// the end of the log (kPointInTime) or a skipped batch (kSkipAnyCorrupted).

#ifndef STRATA_DURABILITY_SRC_MVCC_ENTRY_STREAM_H_
#define STRATA_DURABILITY_SRC_MVCC_ENTRY_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/mvcc/entry_view.h"
#include "strata/durability/mvcc/wal.h"

namespace strata::durability::mvcc::internal {

struct EntryStreamOptions {
  Env* env = nullptr;
  log::Lsn start_lsn = 0;
  log::RecoveryMode mode = log::RecoveryMode::kTolerateCorruptedTail;
  std::size_t max_record_size = log::kDefaultMaxRecordSize;
  // Stop before the first record whose LSN is >= limit; problems found at
  // or past it are not reported (they belong to bytes not yet written when
  // the caller took its limit, or to a part of the log it asked not to
  // read).
  std::optional<log::Lsn> limit;
  // Decode only Checkpoint records; others are returned with `entry` left
  // default and `skipped_decode` set. For scans that look for checkpoints.
  bool checkpoints_only = false;
  // Decode Writes and Deletes as views into the reader's buffer
  // (StreamEntry::is_view), valid until the next call to next_batch.
  bool views = false;
};

struct StreamEntry {
  log::Lsn lsn = 0;
  log::Lsn next_lsn = 0;  // just past the record
  WALEntry entry;
  bool skipped_decode = false;
  // With EntryStreamOptions::views, a Write or Delete is decoded here
  // instead of into `entry` (which then holds whatever it held before).
  bool is_view = false;
  EntryView view;
};

// The entries of one batch, in slots that outlive the batch: the next
// batch decodes into the same slots (decode_entry_into), so that reading a
// log allocates only while its batches grow, not per entry. A caller may
// swap an entry out for another of its own (the replayer does, to keep a
// transaction's entries without copying them); moving it out is fine too,
// it only costs that slot its storage.
class EntryBatch {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  StreamEntry& operator[](std::size_t i) { return slots_[i]; }
  StreamEntry* begin() { return slots_.data(); }
  StreamEntry* end() { return slots_.data() + size_; }
  // Forgets the entries; the slots keep their storage.
  void clear() { size_ = 0; }
  // The next slot, holding whatever entry it held before.
  StreamEntry& add() {
    if (size_ == slots_.size()) slots_.emplace_back();
    return slots_[size_++];
  }

 private:
  std::vector<StreamEntry> slots_;
  std::size_t size_ = 0;
};

class EntryStream {
 public:
  static Result<std::unique_ptr<EntryStream>> open(
      const std::string& dir, const EntryStreamOptions& options);

  // The next batch of entries (a whole batch, or the part of it below the
  // limit). False at the end of the log.
  Result<bool> next_batch(EntryBatch* batch);
  // The same, into a vector (its entries are moved out of an EntryBatch).
  Result<bool> next_batch(std::vector<StreamEntry>* batch);

  // Every problem found so far, in LSN order: the reader's and the
  // undecodable records'.
  std::vector<log::LogProblem> problems() const;
  uint64_t corrupted_entries() const;
  uint64_t bytes_read() const { return reader_->bytes_read(); }
  log::Lsn end_lsn() const { return end_lsn_; }
  log::Lsn log_start_lsn() const { return reader_->start_lsn(); }

 private:
  EntryStream(std::unique_ptr<log::LogReader> reader,
              const EntryStreamOptions& options)
      : reader_(std::move(reader)), options_(options) {}
  bool past_limit(log::Lsn lsn) const {
    return options_.limit.has_value() && lsn >= *options_.limit;
  }
  std::string segment_file(uint64_t segment) const;

  std::unique_ptr<log::LogReader> reader_;
  EntryStreamOptions options_;
  std::vector<log::LogProblem> decode_problems_;
  EntryBatch scratch_;       // for next_batch(std::vector*)
  WALEntry poisoned_entry_;  // decodes the rest of a poisoned batch
  log::Lsn end_lsn_ = 0;
  bool done_ = false;
};

}  // namespace strata::durability::mvcc::internal

#endif  // STRATA_DURABILITY_SRC_MVCC_ENTRY_STREAM_H_
