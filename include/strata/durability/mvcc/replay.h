// replay_wal: rebuilds state from an MVCC WAL directory by applying its
// committed transactions, in commit order, to a ReplayHandler.
//
// Grouping follows the original:
// - Each BeginTxn opens a transaction of its run. A data entry (Write,
//   Delete, Json*, Vector*) carries no txn id: it joins the most recently
//   begun transaction of its run that is still open; with none open it is
//   an orphaned entry, counted and dropped.
// - CommitTxn and AbortTxn close the most recently begun open transaction
//   with the same (run_id, txn_id). Each BeginTxn starts a fresh group, so
//   a txn id reused after a restart still works. A commit or abort that
//   matches nothing is an orphaned marker, counted and ignored.
// - Only committed transactions apply, with their versions as written.
//   Aborted ones and those still open at the end (incomplete) are counted
//   and dropped. An empty committed transaction counts as applied.
//
// Deliberate differences from the original:
// - Transactions apply at their CommitTxn, in commit order (the original
//   applied them in BeginTxn order after reading the whole file), so memory
//   is bounded by the transactions open at once, not the size of the log.
// - Damage is never hidden: corruption in the middle is an error, or with
//   kSkipAnyCorrupted / kPointInTime it is skipped / ends the log, and is
//   always reported in stats.problems and counted in corrupted_entries (the
//   original's corrupted_entries was never set).
// - stop_at_lsn cuts the log by position; stop_at_version is a version
//   filter as documented below (in System 2 the same name was a byte
//   offset).
//
// It takes no lock and writes nothing, so it can run beside a live writer
// (the writer's unfinished bytes then show up as a torn tail).

#ifndef STRATA_DURABILITY_MVCC_REPLAY_H_
#define STRATA_DURABILITY_MVCC_REPLAY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/mvcc/replay_handler.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/result.h"

namespace strata::durability::mvcc {

// What happened to a transaction.
enum class TxnOutcome : uint8_t {
  kApplied = 0,   // committed and applied
  kFiltered = 1,  // committed, left out by filter_run_id / stop_at_version
  kAborted = 2,
  kIncomplete = 3,  // no CommitTxn or AbortTxn before the end of the log
};
std::string_view txn_outcome_name(TxnOutcome outcome);

// Reported once per transaction, when its outcome is known.
struct ReplayProgress {
  uint64_t txn_id = 0;
  RunId run_id;
  TxnOutcome outcome = TxnOutcome::kApplied;
  bool was_applied = false;      // outcome == kApplied
  uint64_t txns_found = 0;       // transactions whose outcome is known so far
  uint64_t txns_applied = 0;     // of which applied
  uint64_t current_version = 0;  // highest version applied so far
  uint64_t bytes_read = 0;       // of segment files so far
  log::Lsn lsn = 0;              // of the CommitTxn / AbortTxn (0: incomplete)
};

struct ReplayOptions {
  Env* env = nullptr;  // nullptr means Env::posix()
  // Apply only committed transactions of this run; the others count in
  // txns_filtered.
  std::optional<RunId> filter_run_id;
  // The state as of version V: a committed transaction applies only if none
  // of its entries' versions exceeds V; otherwise it counts in
  // txns_filtered. A filter, not a cut-off: a later transaction whose
  // versions are all <= V still applies, and one without versioned entries
  // always does.
  std::optional<uint64_t> stop_at_version;
  // Read only records whose LSN is <= stop_at_lsn, so exactly the
  // transactions whose CommitTxn's LSN is <= it can apply; those still open
  // at that point count as incomplete.
  std::optional<log::Lsn> stop_at_lsn;
  // Called once per transaction (see ReplayProgress).
  std::function<void(const ReplayProgress&)> progress;
  // What a problem in the log does (see log::RecoveryMode). The default
  // ends the log at a torn tail and fails on anything else. A record that
  // validates but does not decode counts as corruption: an error, the end
  // of the log (kPointInTime) or skipped (kSkipAnyCorrupted).
  log::RecoveryMode recovery_mode = log::RecoveryMode::kTolerateCorruptedTail;
  // Start at the last Checkpoint (see find_last_checkpoint) instead of the
  // start of the log: the handler is expected to hold that snapshot's state.
  bool from_last_checkpoint = false;
  // Start at the first record whose LSN is >= start_lsn (ignored when
  // from_last_checkpoint finds a checkpoint).
  log::Lsn start_lsn = 0;
  std::size_t max_record_size = log::kDefaultMaxRecordSize;
};

struct ReplayStats {
  uint64_t txns_applied = 0;
  uint64_t writes_applied = 0;
  uint64_t deletes_applied = 0;
  uint64_t json_creates_applied = 0;
  uint64_t json_sets_applied = 0;
  uint64_t json_deletes_applied = 0;
  uint64_t json_destroys_applied = 0;
  uint64_t vector_collection_creates_applied = 0;
  uint64_t vector_collection_deletes_applied = 0;
  uint64_t vector_upserts_applied = 0;
  uint64_t vector_deletes_applied = 0;
  // Entries of applied transactions that the handler skipped (e.g. a
  // JsonSet on a missing document).
  uint64_t entries_skipped = 0;

  // The highest version and txn id of any entry read, committed or not, so
  // that the caller can continue numbering (next txn id = max_txn_id + 1).
  uint64_t final_version = 0;
  uint64_t max_txn_id = 0;

  uint64_t incomplete_txns = 0;
  uint64_t aborted_txns = 0;
  uint64_t txns_filtered = 0;
  uint64_t orphaned_entries = 0;  // data entries outside any transaction
  uint64_t orphaned_markers = 0;  // commits/aborts that matched no BeginTxn
  uint64_t checkpoints = 0;       // Checkpoint entries passed

  uint64_t entries_read = 0;
  // Damaged spans the reader reported as corruption, plus records that
  // validated but did not decode as entries.
  uint64_t corrupted_entries = 0;
  uint64_t bytes_read = 0;
  log::Lsn start_lsn = 0;  // where replay started
  log::Lsn end_lsn = 0;    // just past the last record read
  // The checkpoint replay started from, with from_last_checkpoint.
  std::optional<CheckpointInfo> start_checkpoint;
  // Every problem found (see WalReadResult::problems).
  std::vector<log::LogProblem> problems;
};

// Replays the MVCC WAL in `dir` into `handler` (which must not be null).
// On an error (damage the recovery mode does not allow, or an error from
// the handler) the handler may already have received the transactions
// before it.
Result<ReplayStats> replay_wal(const std::string& dir, ReplayHandler* handler,
                               const ReplayOptions& options = {});

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_REPLAY_H_
