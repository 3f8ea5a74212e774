// RecoveryEngine: replays a Transaction Log and returns its committed
// transactions, with filters, point-in-time stops, progress reports and
// honest counts.
//
// Grouping: data entries are buffered by tx id; a commit marker moves its
// group to the output (in commit-marker order), an abort marker drops it.
// A commit marker counts its transaction's entries; a group with fewer
// (some lost to damage the mode skipped, or before the start LSN) is
// reported as incomplete and not returned, so a transaction comes back
// whole or not at all.
// Groups still open when replay ends are "orphaned" (a crash, or a stop,
// came before their commit). Entries with a nil tx id (snapshot and run
// markers) belong to no transaction and are counted apart; the original
// lumped them into one "orphaned" group.
//
// Point-in-time stops, each with one meaning (the original's
// stop_at_version was really a byte offset, and replay_wal's a version
// filter):
//   stop_at_lsn             replay only entries whose LSN is below it: the
//                           log as it was when position() returned it;
//   stop_after_tx           stop right after the commit or abort marker of
//                           that transaction (it is included if committed);
//   stop_at_time_micros     stop at the first commit marker stamped later
//                           than this wall-clock time; that transaction and
//                           everything after it are left out;
//   stop_at_commit_version  stop at the first commit marker whose commit
//                           version is greater; markers without a version
//                           never stop replay.
// Several may be set; replay stops at whichever comes first. Groups open at
// a stop count as orphaned.

#ifndef STRATA_DURABILITY_TXLOG_RECOVERY_H_
#define STRATA_DURABILITY_TXLOG_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"
#include "strata/durability/txlog/wal_entry.h"
#include "strata/durability/txlog/wal_reader.h"

namespace strata::durability::txlog {

// Passed to the progress callback.
struct ReplayProgress {
  uint64_t entries = 0;         // entries replayed so far
  uint64_t bytes = 0;           // segment bytes read so far
  log::Lsn lsn = 0;             // LSN of the last entry replayed
  uint64_t elapsed_micros = 0;  // since replay started
  bool final = false;           // the call made once at the end
};

enum class StopReason : uint8_t {
  kEndOfLog,          // read to the end (or, kPointInTime, to a problem)
  kStopLsn,           // stop_at_lsn reached
  kAfterTransaction,  // stop_after_tx's marker processed
  kCommitTime,        // a commit later than stop_at_time_micros
  kCommitVersion,     // a commit version above stop_at_commit_version
};
std::string_view stop_reason_name(StopReason reason);

struct RecoveryOptions {
  Env* env = nullptr;  // nullptr means Env::posix()
  // More corrupt entries than this fail replay with Corruption.
  uint64_t max_corrupt_entries = 10;
  log::RecoveryMode recovery_mode = log::RecoveryMode::kTolerateCorruptedTail;
  std::size_t max_payload_size = kDefaultMaxPayloadSize;

  // Keep only data entries of this run; commit and abort markers always
  // pass, so a transaction of another run ends as "filtered".
  std::optional<RunId> filter_run_id;

  std::optional<log::Lsn> stop_at_lsn;
  std::optional<TxId> stop_after_tx;
  std::optional<uint64_t> stop_at_time_micros;
  std::optional<uint64_t> stop_at_commit_version;

  // Called every `progress_interval` entries and once at the end.
  std::function<void(const ReplayProgress&)> on_progress;
  uint64_t progress_interval = 1000;

  // When set, each recovered transaction is handed here as its commit
  // marker is read, instead of being collected in
  // ReplayOutput::transactions (which stays empty): memory then follows
  // the transactions open at once, not the size of the log. An error
  // stops replay and is returned, with the transaction named.
  std::function<Status(CommittedTransaction&&)> on_transaction;

  // Presets, after the original's:
  //   default      10 corrupt entries, kTolerateCorruptedTail
  //   strict       0, kAbsoluteConsistency: any problem fails
  //   permissive   100, kSkipAnyCorrupted: skip damage and go on
  //   fast         10, kPointInTime: stop at the first problem and keep the
  //                prefix (no scan past damage; the right mode after a
  //                power cut in Batched or None mode). The original's
  //                "fast" only skipped an index rebuild it never did.
  static RecoveryOptions default_options() { return RecoveryOptions(); }
  static RecoveryOptions strict();
  static RecoveryOptions permissive();
  static RecoveryOptions fast();
};

struct ReplayResult {
  uint64_t entries_replayed = 0;        // entries read and processed
  uint64_t transactions_recovered = 0;  // committed, non-empty, returned
  uint64_t orphaned_transactions = 0;   // open when replay ended
  uint64_t aborted_transactions = 0;    // abort markers read
  // Committed with no entries at all (the original hid these).
  uint64_t empty_transactions = 0;
  // Committed, but every entry was of another run (the original hid these).
  uint64_t filtered_transactions = 0;
  // Committed, but fewer entries were read than its commit marker counts
  // (an entry lost in a skipped damaged span, or written before the replay's
  // start LSN). Not returned; each is also a problem in `problems`.
  uint64_t incomplete_transactions = 0;
  uint64_t filtered_entries = 0;           // data entries of other runs
  uint64_t non_transactional_entries = 0;  // nil tx id: markers
  uint64_t corrupt_entries = 0;  // core corruption + undecodable entries
  uint64_t skipped_entries = 0;  // entries skipped (kSkipAnyCorrupted)
  uint64_t bytes = 0;            // segment bytes read
  uint64_t elapsed_micros = 0;
  log::Lsn start_lsn = 0;  // where replay began
  log::Lsn end_lsn = 0;    // just past the last entry processed
  StopReason stop_reason = StopReason::kEndOfLog;
  // The last snapshot marker read, and its LSN.
  std::optional<SnapshotInfo> last_snapshot;
  log::Lsn last_snapshot_lsn = 0;
  std::vector<log::LogProblem> problems;

  // Whether anything other than clean committed transactions was found.
  bool has_issues() const;
  // One line for people.
  std::string summary() const;
};

struct ReplayOutput {
  std::vector<CommittedTransaction> transactions;  // in commit order
  ReplayResult result;
};

class RecoveryEngine {
 public:
  // Replays the log in `dir` from `from_lsn` (0 = the start).
  static Result<ReplayOutput> replay_wal_committed(
      const std::string& dir, log::Lsn from_lsn,
      const RecoveryOptions& options = {});

  // The same over an open reader, from its current position.
  static Result<ReplayOutput> replay(WalReader& reader,
                                     const RecoveryOptions& options);
};

}  // namespace strata::durability::txlog

#endif  // STRATA_DURABILITY_TXLOG_RECOVERY_H_
