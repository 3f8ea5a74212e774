// LogWriter: appends batches of records to a log directory, with group
// commit and the durability promise of its DurabilityMode.
//
// One LogWriter per directory: open() takes the directory's lock, recovers
// the log (cutting off a torn tail durably, finishing an interrupted segment
// rotation) and positions itself after the last valid record. All methods
// are thread-safe. Concurrent append() calls are grouped: one thread writes
// every waiting batch with one write and, in Strict mode, one fdatasync.
// append_async() lets one thread keep many commits in flight: it returns
// once the batch is written and calls back once the mode's promise holds.

#ifndef STRATA_DURABILITY_LOG_LOG_WRITER_H_
#define STRATA_DURABILITY_LOG_LOG_WRITER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/durability/durability_mode.h"
#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/log/record_batch.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::log {

struct WriterAccess;

struct LogWriterOptions {
  // The file system; nullptr means Env::posix(). Must outlive the writer.
  Env* env = nullptr;
  DurabilityMode mode = DurabilityMode::batched();
  LogKind kind = LogKind::kRaw;
  // Create the directory and the log when no segment exists.
  bool create_if_missing = true;
  // A segment is sealed and a new one started once a batch would take it
  // past this size (a segment may pass it to hold one large batch).
  uint64_t segment_size = kDefaultSegmentSize;
  // The largest payload of one record, framing not counted.
  std::size_t max_record_size = kDefaultMaxRecordSize;
  // How open() treats problems in the existing log. Bytes that a mode drops
  // are first copied to a quarantine file in the directory.
  RecoveryMode recovery_mode = RecoveryMode::kTolerateCorruptedTail;
  // Rewrite the PROGRESS file (strata/durability/log/progress.h) after
  // every write group and sync, for tailers in other processes.
  bool publish_progress = true;
  // Replication slots (strata/durability/log/slot.h) hold back
  // remove_segments_before(). When keeping a slot's segments would retain
  // more than this many bytes beyond what was asked to be retired, the
  // slot is dropped instead (oldest first). 0: no cap.
  uint64_t max_slot_retained_bytes = 0;
  // Write the next segment ahead of use: a background thread fills a file
  // with real zeros up to segment_size and syncs it, and the rotation
  // renames it into place, so that appends overwrite zeros instead of
  // growing the file, and an fdatasync after them need not commit a size
  // change (on ext4, a journal commit). Unset, it is on in Strict mode,
  // where every commit waits for its fdatasync, and off in Batched mode:
  // there the fdatasyncs are off the commit path, and writing over zeros
  // while the syncer flushes the same file made each append about 2.5
  // times slower (docs/performance.md); set it to true to have the
  // syncer's fdatasyncs cheaper instead. Ignored in None mode, which never
  // syncs, so that zero-filling would only double its write traffic. The
  // preparation starts once the current segment is an eighth full, so a
  // log that stays small never pays for it (see docs/format.md,
  // "Preallocated segments").
  std::optional<bool> preallocate_segments;
  // With preallocate_segments, also zero-fill the first segment when open()
  // creates the log, before it returns: the first commits then sync at the
  // device's rate too, for the price of writing segment_size bytes and one
  // more fdatasync at creation. Off by default, so that the many small
  // logs tools and tests make do not each write 64 MiB of zeros; a
  // long-lived log gains from its first rotation on either way.
  bool preallocate_new_log = false;
};

struct AppendOptions {
  // Return only once the batch is durable, whatever the mode.
  bool sync = false;
};

// Where an appended batch landed.
struct AppendResult {
  Lsn first_lsn = 0;  // LSN of the batch's first record
  Lsn last_lsn = 0;   // LSN of its last record
  Lsn end_lsn = 0;    // the LSN just past the batch
};

// Called once an append_async() batch is durable under the mode (OK), or
// once it never will be (the writer was poisoned or closed first).
using AppendCallback = std::function<void(const Status& status)>;

// What open() found and did.
struct OpenReport {
  bool created = false;             // a new log was made
  uint64_t segments = 0;            // segment files in the log after open
  uint64_t records = 0;             // valid records found
  Lsn end_lsn = 0;                  // where the next record will go
  uint64_t truncated_bytes = 0;     // torn tail or dropped bytes cut off
  bool rotation_completed = false;  // an interrupted rotation was finished
  std::vector<std::string> quarantine_files;  // copies of removed bytes
  std::vector<LogProblem> problems;           // every problem found
};

// What remove_segments_before() did about replication slots.
struct RetireReport {
  uint64_t removed = 0;  // segments removed
  // The LSN retirement was held back to (the one asked for when no slot
  // held it back).
  Lsn retired_before = 0;
  // Slots that held retirement back, and slots dropped for the size cap,
  // with a message for each drop saying why.
  std::vector<std::string> holding_slots;
  std::vector<std::string> dropped_slots;
  std::vector<std::string> messages;
};

struct LogWriterStats {
  uint64_t appends = 0;         // append() calls that succeeded
  uint64_t records = 0;         // records written
  uint64_t bytes = 0;           // bytes written, framing included
  uint64_t groups = 0;          // write groups (one write call each)
  uint64_t syncs = 0;           // fdatasync calls
  uint64_t rotations = 0;       // segments sealed
  uint64_t max_group_size = 0;  // most appends in one group
  uint64_t slots_dropped = 0;   // slots dropped to respect the size cap
  // Rotations into a segment the preparer had zero-filled, and rotations
  // that found it not ready (or failed) and made the segment as it grows.
  uint64_t preallocated_segments = 0;
  uint64_t preallocation_misses = 0;
  // Group sizes: bucket i counts groups of [2^i, 2^(i+1)) appends.
  std::array<uint64_t, 16> group_size_histogram{};
  // Sync latency: bucket i counts syncs of [2^i, 2^(i+1)) microseconds.
  std::array<uint64_t, 24> sync_micros_histogram{};
  // The p-th percentile (0 < p <= 100) of the sync latency, in microseconds,
  // from the histogram (the upper bound of the bucket).
  uint64_t sync_micros_percentile(double p) const;
};

class LogWriter {
 public:
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  // Closes the log (see close()), ignoring errors.
  ~LogWriter();

  // Opens (or creates) the log in `dir`. Busy when another writer holds it;
  // Corruption when the log is damaged and the recovery mode does not allow
  // dropping or skipping the damage; InvalidArgument when it is a log of
  // another kind.
  static Result<std::unique_ptr<LogWriter>> open(
      const std::string& dir, const LogWriterOptions& options,
      OpenReport* report = nullptr);

  // Appends a batch: the records are written contiguously, in one segment,
  // and become durable as a unit (a reader never returns part of a batch).
  // Returns when the mode's promise holds. With `lsns` (of the batch's
  // size), each record's LSN is stored there too. An empty batch is
  // InvalidArgument; a record past max_record_size is InvalidArgument and
  // nothing is written. After a write or sync failure every append fails
  // with IOError until the log is reopened.
  Result<AppendResult> append(std::span<const std::string_view> records,
                              const AppendOptions& options = {},
                              std::span<Lsn> lsns = {});
  Result<AppendResult> append(std::string_view record,
                              const AppendOptions& options = {});
  // The same, with payloads the writer encodes into its write buffer (see
  // record_batch.h): a payload is copied once, by `batch.encode`, instead
  // of being encoded by the caller and copied again by the writer. The
  // size check and errors are append()'s, from batch.sizes, before
  // anything is encoded.
  Result<AppendResult> append(const RecordBatch& batch,
                              const AppendOptions& options = {},
                              std::span<Lsn> lsns = {});

  // The asynchronous append: writes the batch like append() (its records
  // may be reused once it returns, and its LSNs are in the result) but does
  // not wait for the mode's promise; `done` is called when it holds:
  //   - Strict, or options.sync: once an fdatasync covers the batch. A
  //     background thread syncs as soon as a batch is waiting, so while it
  //     syncs, the next appends queue up and share the next fdatasync.
  //   - Batched and None: once the bytes are in the OS, which is already
  //     true on return (Batched's own syncs still come on its timer).
  // The contract:
  //   - When append_async returns an error, nothing was written and `done`
  //     is never called. Otherwise `done` is called exactly once.
  //   - Callbacks run in LSN order, one at a time, never under the writer's
  //     lock: on the appending thread (possibly before append_async
  //     returns), the background syncer, or a thread in sync() or close().
  //     Keep them short; they may call append_async but not close().
  //   - A write or sync failure poisons the writer: every pending callback
  //     gets the poisoning error (its code and errno included).
  //   - close() (and the destructor) syncs, so pending batches become
  //     durable and are called back with OK, or with the error if the sync
  //     fails, before close() returns.
  Result<AppendResult> append_async(std::span<const std::string_view> records,
                                    AppendCallback done,
                                    const AppendOptions& options = {},
                                    std::span<Lsn> lsns = {});
  // append_async() of a RecordBatch: `batch.encode` has run by the time it
  // returns, so the data it reads may be reused then.
  Result<AppendResult> append_async(const RecordBatch& batch,
                                    AppendCallback done,
                                    const AppendOptions& options = {},
                                    std::span<Lsn> lsns = {});

  // Makes everything appended so far durable.
  Status sync();
  // Everything below this LSN is durable.
  Lsn durable_lsn() const;
  // Returns once every record below `lsn` is durable, syncing if needed.
  Status wait_durable(Lsn lsn);
  // The LSN the next record will get.
  Lsn end_lsn() const;

  // Retires (deletes) every segment whose records all lie below `lsn`; the
  // segment being written is never retired. The new start of the log is
  // recorded durably before any file is removed. Returns the number of
  // segments removed. Replication slots hold it back (see
  // max_slot_retained_bytes); `report` says how.
  Result<uint64_t> remove_segments_before(Lsn lsn,
                                          RetireReport* report = nullptr);

  // Syncs (unless the mode is None), stops the background syncer and
  // releases the lock. Later calls fail. Idempotent.
  Status close();

  LogWriterStats stats() const;
  const std::string& dir() const;
  const LogWriterOptions& options() const;
  // The log's identity, from its segment headers.
  const std::array<uint8_t, 16>& log_id() const;
  // The first error that poisoned the writer, or OK.
  Status poisoned() const;

  class Impl;

 private:
  friend struct WriterAccess;  // the tailer's in-process wake-ups
  explicit LogWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_LOG_WRITER_H_
