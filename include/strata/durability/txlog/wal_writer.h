// WalWriter: writes Transaction Log entries to a log directory through the
// shared log core (LogKind::kTxLog), with the durability promise of its
// DurabilityMode.
//
// Two ways to write a transaction:
//   - commit_atomic(tx) / write_transaction(...): the data entries and the
//     commit marker go to the log core as ONE batch, so a reader sees all
//     of them or none, and in Strict mode one fdatasync covers them all;
//   - begin_transaction, write_tx_entry..., commit_transaction or
//     abort_transaction: entry by entry, interleavable with other
//     transactions; recovery keeps the entries only if it reads the commit.
//
// Every write returns the LSN of the record it wrote (for a multi-entry
// write, the LSN of the commit marker) once the mode's promise holds. All
// methods are thread-safe; concurrent commits are grouped by the core.

#ifndef STRATA_DURABILITY_TXLOG_WAL_WRITER_H_
#define STRATA_DURABILITY_TXLOG_WAL_WRITER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "strata/durability/durability_mode.h"
#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"
#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_entry.h"

namespace strata::durability::txlog {

struct WalWriterOptions {
  // The file system; nullptr means Env::posix(). Must outlive the writer.
  Env* env = nullptr;
  DurabilityMode mode = DurabilityMode::batched();
  bool create_if_missing = true;
  uint64_t segment_size = log::kDefaultSegmentSize;
  // Zero-fill the next segment ahead of use, and with preallocate_new_log
  // a new log's first segment at creation (log::LogWriterOptions).
  std::optional<bool> preallocate_segments;
  bool preallocate_new_log = false;
  // The largest entry payload; larger writes fail with InvalidArgument and
  // write nothing. At most kMaxPayloadSizeLimit.
  std::size_t max_payload_size = kDefaultMaxPayloadSize;
  // How open() treats damage in the existing log (see log_writer.h).
  log::RecoveryMode recovery_mode =
      log::RecoveryMode::kTolerateCorruptedTail;  // Replication slots hold back
                                                  // truncate_before; past this
                                                  // many retained
  // bytes a slot is dropped instead (log::LogWriterOptions). 0: no cap.
  uint64_t max_slot_retained_bytes = 0;
};

// Where a multi-entry write landed.
struct TransactionWriteResult {
  TxId tx_id;
  log::Lsn first_lsn = 0;   // the first data entry (or the commit)
  log::Lsn commit_lsn = 0;  // the commit marker
};

class WalWriter {
 public:
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;
  // Closes the log, ignoring errors (call close() to see them).
  ~WalWriter();

  // Opens or creates the Transaction Log in `dir`. Busy when another writer
  // holds it; InvalidArgument when `dir` holds another kind of log.
  static Result<std::unique_ptr<WalWriter>> open(
      const std::string& dir, const WalWriterOptions& options = {},
      log::OpenReport* report = nullptr);

  // A fresh UUIDv7 transaction id. Nothing is written.
  TxId begin_transaction();

  // Writes one data entry of transaction `tx_id`. InvalidArgument for a nil
  // tx id, a control type (use commit_transaction, abort_transaction or
  // write_snapshot_marker) or a payload past the limit.
  Result<log::Lsn> write_tx_entry(const TxId& tx_id,
                                  const std::optional<RunId>& run_id,
                                  WalEntryType type, std::string_view payload);
  Result<log::Lsn> write_tx_entry_for_run(const TxId& tx_id,
                                          const RunId& run_id,
                                          WalEntryType type,
                                          std::string_view payload);
  // Writes the commit marker, stamped with the Env's wall clock, the
  // optional commit version and the number of entries this writer wrote
  // for `tx_id` (tracked in memory: commit an entry-by-entry transaction
  // with the WalWriter that wrote its entries, else recovery will report it
  // incomplete).
  Result<log::Lsn> commit_transaction(
      const TxId& tx_id, std::optional<uint64_t> commit_version = {});
  Result<log::Lsn> abort_transaction(const TxId& tx_id);

  // Writes `entries` under a fresh tx id plus the commit marker, as one
  // batch. Like commit_atomic, an empty list writes nothing (commit_lsn is
  // then position()).
  Result<TransactionWriteResult> write_transaction(
      const std::optional<RunId>& run_id,
      std::span<const std::pair<WalEntryType, std::string>> entries,
      std::optional<uint64_t> commit_version = {});

  // Writes the whole transaction and its commit marker as one batch, and
  // returns the commit marker's LSN. An empty transaction writes nothing
  // and returns position(), as the original did.
  Result<log::Lsn> commit_atomic(const Transaction& tx,
                                 std::optional<uint64_t> commit_version = {});

  // The asynchronous commit (log::LogWriter::append_async has the whole
  // contract): returns the commit marker's LSN once the transaction is
  // written and calls `done` once the mode's promise holds (Strict: once
  // synced), so that one thread can keep many commits in flight. On an
  // error return nothing was written and `done` is never called; otherwise
  // it is called exactly once, in LSN order with the other callbacks, with
  // the poisoning error if a write or sync fails first. An empty
  // transaction writes nothing: `done` is called with OK before returning.
  Result<log::Lsn> commit_atomic_async(
      const Transaction& tx, log::AppendCallback done,
      std::optional<uint64_t> commit_version = {});

  // A snapshot marker: the snapshot `snapshot_id` holds the state of every
  // entry below `wal_lsn`. Always synced, whatever the mode (as the
  // original did).
  Result<log::Lsn> write_snapshot_marker(const Uuid& snapshot_id,
                                         log::Lsn wal_lsn);
  // Run lifecycle markers (nil tx id), stamped with the Env's wall clock.
  Result<log::Lsn> write_run_begin(const RunId& run_id);
  Result<log::Lsn> write_run_end(const RunId& run_id, uint64_t event_count);
  // Writes any entry as it is, after encode_wal_entry's checks.
  Result<log::Lsn> write_entry(const WalEntry& entry);

  // The core's appends are unbuffered (the bytes are in the OS when an
  // append returns), so flush has nothing to push and returns OK. Kept for
  // the original's API.
  Status flush();
  // Makes everything written so far durable.
  Status sync();
  // The LSN the next record will get.
  log::Lsn position() const;

  // Retires the log's prefix up to a snapshot. `snapshot_marker_lsn` must
  // be the LSN of a SnapshotMarker entry, else InvalidArgument. Whole
  // segments whose records all lie below both that LSN and the marker's
  // wal_lsn are removed (never part of a segment, so no record is cut, as
  // the original's truncate_to could). Returns the number of segments
  // removed (0 when the marker is in the first segment).
  Result<uint64_t> truncate_before(log::Lsn snapshot_marker_lsn);

  // Syncs (unless the mode is None) and releases the log. Idempotent.
  Status close();

  const WalWriterOptions& options() const { return options_; }
  const std::string& dir() const { return log_->dir(); }
  // The underlying core writer (stats, durable_lsn, ...).
  log::LogWriter& log() { return *log_; }

 private:
  WalWriter(const WalWriterOptions& options, Env* env,
            std::unique_ptr<log::LogWriter> log)
      : options_(options), env_(env), log_(std::move(log)) {}

  // Encodes and appends `entries` as one batch; returns the batch's result.
  // With `done`, asynchronously (append_async).
  Result<log::AppendResult> append_entries(std::span<const WalEntry> entries,
                                           bool force_sync,
                                           log::AppendCallback* done = nullptr);
  Result<log::Lsn> commit(const Transaction& tx,
                          std::optional<uint64_t> commit_version,
                          log::AppendCallback* done);

  // Removes and returns the number of entries written for `tx_id`.
  uint32_t take_entry_count(const TxId& tx_id);

  WalWriterOptions options_;
  Env* env_;
  std::unique_ptr<log::LogWriter> log_;
  // Entries written so far per open entry-by-entry transaction.
  std::mutex counts_mu_;
  std::unordered_map<TxId, uint32_t> entry_counts_;
};

}  // namespace strata::durability::txlog

#endif  // STRATA_DURABILITY_TXLOG_WAL_WRITER_H_
