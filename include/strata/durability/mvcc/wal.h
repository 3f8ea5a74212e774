// WAL: the MVCC write-ahead log handle (System 1), on the shared log core.
//
// Each WALEntry is one record of a LogKind::kMvcc log. append() writes one
// entry as a batch of one record; append_transaction() writes a whole
// BeginTxn ... CommitTxn transaction as one batch, so it is written
// contiguously (concurrent transactions never interleave), becomes durable
// as a unit and is read back whole or not at all. The DurabilityMode has the
// core's meaning (Strict: durable when append returns; Batched: in the OS
// when it returns and durable within the interval; None: in the OS).
//
// Deliberate differences from the original:
// - Positions are LSNs of the core, not byte offsets of a single file, and
//   the log is a directory of segments.
// - Opening repairs a torn tail durably (the original left garbage in place
//   and later appends became unreachable), and corruption in the middle is
//   reported rather than silently ending the log.
// - truncate_before(lsn) retires whole segments below a checkpoint (the
//   original's truncate_to cut the file's tail, and System 2's cut a prefix
//   at an unaligned offset).
//
// All methods are thread-safe.

#ifndef STRATA_DURABILITY_MVCC_WAL_H_
#define STRATA_DURABILITY_MVCC_WAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "strata/durability/durability_mode.h"
#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::mvcc {

struct WalOptions {
  // The file system; nullptr means Env::posix(). Must outlive the WAL.
  Env* env = nullptr;
  DurabilityMode mode = DurabilityMode::batched();
  bool create_if_missing = true;
  uint64_t segment_size = log::kDefaultSegmentSize;
  // Zero-fill the next segment ahead of use, and with preallocate_new_log
  // a new log's first segment at creation (log::LogWriterOptions).
  std::optional<bool> preallocate_segments;
  bool preallocate_new_log = false;
  // The largest encoded entry.
  std::size_t max_record_size = log::kDefaultMaxRecordSize;
  // How open() treats damage in the existing log (see log::RecoveryMode).
  log::RecoveryMode recovery_mode =
      log::RecoveryMode::kTolerateCorruptedTail;  // Replication slots hold back
                                                  // truncate_before; past this
                                                  // many retained
  // bytes a slot is dropped instead (log::LogWriterOptions). 0: no cap.
  uint64_t max_slot_retained_bytes = 0;
};

// An entry read back, with where it is.
struct WalEntryAt {
  log::Lsn lsn = 0;
  WALEntry entry;
};

// What a detailed read found.
struct WalReadResult {
  std::vector<WalEntryAt> entries;
  // Every problem the core reader met (torn tail, corruption, missing
  // segment, bad header) and every record that validated but did not
  // decode as an entry (kind kCorruption, reason "entry decode: ...").
  std::vector<log::LogProblem> problems;
  uint64_t corrupted_entries = 0;  // corruption spans + undecodable records
  uint64_t bytes_read = 0;
  log::Lsn end_lsn = 0;  // just past the last entry read
};

// A Checkpoint entry found in the log.
struct CheckpointInfo {
  log::Lsn lsn = 0;       // the Checkpoint record's LSN
  log::Lsn next_lsn = 0;  // the LSN just past it
  Uuid snapshot_id;
  uint64_t version = 0;
  std::vector<RunId> active_runs;
};

// Where an appended transaction landed.
struct TxnAppendResult {
  log::Lsn begin_lsn = 0;   // the BeginTxn record
  log::Lsn commit_lsn = 0;  // the CommitTxn record
  log::Lsn end_lsn = 0;     // just past the transaction
};

class WAL {
 public:
  WAL(const WAL&) = delete;
  WAL& operator=(const WAL&) = delete;
  // Closes the log, ignoring errors (call close() to see them).
  ~WAL();

  // Opens (or creates) the MVCC log in `dir`. Busy when another writer has
  // it open; InvalidArgument when `dir` holds another kind of log;
  // Corruption when it is damaged beyond what the recovery mode repairs.
  static Result<std::unique_ptr<WAL>> open(const std::string& dir,
                                           const WalOptions& options = {},
                                           log::OpenReport* report = nullptr);

  // Appends one entry (a batch of one record) and returns its LSN once the
  // mode's promise holds. InvalidArgument for an entry that cannot be
  // encoded or is larger than max_record_size.
  Result<log::Lsn> append(const WALEntry& entry);

  // Appends a whole transaction as one batch: the first entry must be a
  // BeginTxn, the last a CommitTxn with the same txn_id and run_id, and
  // every entry between them a data entry (Write, Delete, Json*, Vector*)
  // of that run. InvalidArgument (and nothing written) otherwise.
  Result<TxnAppendResult> append_transaction(std::span<const WALEntry> entries);

  // The asynchronous forms (log::LogWriter::append_async has the whole
  // contract): they return once the entries are written, with their LSNs,
  // and call `done` once the mode's promise holds (Strict: once synced), so
  // that one thread can keep many transactions in flight. On an error
  // return nothing was written and `done` is never called; otherwise it is
  // called exactly once, in LSN order with the other callbacks, with the
  // poisoning error if a write or sync fails first.
  Result<log::Lsn> append_async(const WALEntry& entry,
                                log::AppendCallback done);
  Result<TxnAppendResult> append_transaction_async(
      std::span<const WALEntry> entries, log::AppendCallback done);

  // Every entry from `from` on (the first entry whose LSN is >= from), up
  // to what was appended when the call started. A torn tail ends the read;
  // any other problem, or a record that does not decode, is an error.
  Result<std::vector<WALEntry>> read_entries(log::Lsn from = 0) const;

  // Like read_entries, with each entry's LSN and every problem found. With
  // kTolerateCorruptedTail (the default) corruption is an error; pass
  // kSkipAnyCorrupted to read past damage and have it reported, or
  // kPointInTime to stop at the first problem and keep what came before.
  Result<WalReadResult> read_entries_detailed(
      log::Lsn from = 0,
      log::RecoveryMode mode = log::RecoveryMode::kTolerateCorruptedTail) const;

  // Writes a Checkpoint entry, synced whatever the mode, and returns its
  // LSN. It says that a snapshot (`snapshot_id`) holds the state of every
  // transaction committed before it. Write it when no transaction is half
  // appended with single-entry appends (transactions written by
  // append_transaction are atomic batches and cannot straddle it).
  Result<log::Lsn> checkpoint(const Uuid& snapshot_id, uint64_t version,
                              std::vector<RunId> active_runs);

  // The last Checkpoint in the log, or nullopt when there is none. The scan
  // stops at the first damaged span (a checkpoint past damage is not
  // trusted), which is the conservative choice for truncate_before.
  Result<std::optional<CheckpointInfo>> find_last_checkpoint() const;

  // Retires every segment whose entries all lie below `lsn` (pass a
  // checkpoint's lsn so that the Checkpoint itself stays). The segment being
  // written is never retired. Returns the number of segments removed.
  Result<uint64_t> truncate_before(log::Lsn lsn);

  // Makes everything appended so far durable.
  Status sync();
  // Syncs (unless the mode is None) and releases the log. Idempotent.
  Status close();

  // The LSN the next entry will get.
  log::Lsn end_lsn() const;
  // Everything below this LSN is durable.
  log::Lsn durable_lsn() const;
  const std::string& dir() const;
  const WalOptions& options() const { return options_; }
  log::LogWriterStats stats() const;
  // The underlying core writer, for a TxnTailer in this process.
  log::LogWriter& log() { return *writer_; }

 private:
  WAL(std::string dir, const WalOptions& options,
      std::unique_ptr<log::LogWriter> writer);
  Env* env() const;
  // `done` is null for the synchronous forms.
  Result<log::Lsn> append_one(const WALEntry& entry, log::AppendCallback* done);
  Result<TxnAppendResult> append_txn(std::span<const WALEntry> entries,
                                     log::AppendCallback* done);

  std::string dir_;
  WalOptions options_;
  std::unique_ptr<log::LogWriter> writer_;
};

// Reads a log directory read-only (no lock, so it can run beside a live
// writer) and returns every entry with its LSN, as read_entries_detailed.
Result<WalReadResult> read_wal_entries(
    const std::string& dir, Env* env = nullptr, log::Lsn from = 0,
    log::RecoveryMode mode = log::RecoveryMode::kTolerateCorruptedTail);

// The last Checkpoint of a log directory, read-only (see
// WAL::find_last_checkpoint).
Result<std::optional<CheckpointInfo>> find_last_checkpoint(
    const std::string& dir, Env* env = nullptr);

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_WAL_H_
