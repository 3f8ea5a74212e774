// mvcc::TxnTailer: follows a live MVCC log and delivers each committed
// transaction once, in commit order, as it commits (and by default once it
// is durable). Aborted and unfinished transactions are never delivered.
// Built on log::LogTailer, so it works beside the writer or from another
// process, and reports gaps and damage the same way.

#ifndef STRATA_DURABILITY_MVCC_TXN_TAILER_H_
#define STRATA_DURABILITY_MVCC_TXN_TAILER_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/durability/log/log_tailer.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/result.h"

namespace strata::durability::mvcc {

struct TxnTailerOptions {
  // env, deliver_unsynced, poll_interval and trust_unpublished are used;
  // the start comes from `from`.
  log::LogTailerOptions tail;
  // Where to start; {0, 0} is the beginning of the log.
  log::TxnTailPosition from;
  // Start at the oldest record the log still holds instead of `from`.
  bool from_oldest = false;
  // The WAL, when it lives in this process. Must outlive the tailer.
  WAL* wal = nullptr;
};

struct CommittedTxn {
  uint64_t txn_id = 0;
  RunId run_id;
  log::Lsn begin_lsn = 0;
  log::Lsn commit_lsn = 0;
  // The data entries, in log order (BeginTxn and CommitTxn left out).
  std::vector<WalEntryAt> entries;
  // Where to start again to get the transactions after this one.
  log::TxnTailPosition next;
};

class TxnTailer {
 public:
  static Result<std::unique_ptr<TxnTailer>> open(
      const std::string& dir, const TxnTailerOptions& options = {});

  // Waits up to `timeout` for the next committed transaction. false: none
  // came in time, or cancel() was called. Corruption for an entry that
  // does not decode; the LogTailer's errors otherwise.
  Result<bool> next(CommittedTxn* txn, std::chrono::milliseconds timeout);
  void cancel() { tailer_->cancel(); }
  bool cancelled() const { return tailer_->cancelled(); }
  // With a slot (tail.slot): keeps the log from `next.restart_lsn` on for
  // this consumer. A restart from the slot alone may repeat transactions
  // committed after restart_lsn; keep next_commit_lsn to skip them.
  Status ack(const log::TxnTailPosition& next) {
    return tailer_->ack(next.restart_lsn);
  }

 private:
  struct Open {
    uint64_t txn_id = 0;
    log::Lsn begin_lsn = 0;
    std::vector<WalEntryAt> entries;
  };
  TxnTailer(std::string dir, std::unique_ptr<log::LogTailer> tailer,
            log::Lsn next_commit_lsn)
      : dir_(std::move(dir)),
        tailer_(std::move(tailer)),
        next_commit_lsn_(next_commit_lsn) {}
  log::Lsn restart_lsn(log::Lsn after) const;

  std::string dir_;
  std::unique_ptr<log::LogTailer> tailer_;
  log::Lsn next_commit_lsn_;
  // Open transactions by run, most recently begun last (a data entry joins
  // its run's most recent one, as replay does).
  std::map<RunId, std::vector<Open>> open_;
};

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_TXN_TAILER_H_
