// txlog::TxnTailer: follows a live Transaction Log and delivers each
// committed transaction once, in commit order, as it commits (and by
// default once it is durable), optionally only those of one run. Aborted,
// unfinished and incomplete transactions are never delivered, as recovery
// never applies them. Built on log::LogTailer.

#ifndef STRATA_DURABILITY_TXLOG_TXN_TAILER_H_
#define STRATA_DURABILITY_TXLOG_TXN_TAILER_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/durability/log/log_tailer.h"
#include "strata/durability/result.h"
#include "strata/durability/txlog/wal_entry.h"
#include "strata/durability/txlog/wal_writer.h"

namespace strata::durability::txlog {

struct TxnTailerOptions {
  // env, deliver_unsynced, poll_interval and trust_unpublished are used;
  // the start comes from `from`.
  log::LogTailerOptions tail;
  log::TxnTailPosition from;
  bool from_oldest = false;
  // Deliver only the transactions of this run (by their first entry).
  std::optional<RunId> run;
  // The writer, when it lives in this process. Must outlive the tailer.
  WalWriter* writer = nullptr;
};

struct TailedEntry {
  log::Lsn lsn = 0;
  WalEntry entry;
};

struct CommittedTransaction {
  TxId tx_id;
  std::optional<RunId> run_id;  // of its first entry
  log::Lsn commit_lsn = 0;
  CommitInfo commit;
  std::vector<TailedEntry> entries;  // the data entries, in log order
  // Where to start again to get the transactions after this one.
  log::TxnTailPosition next;
};

class TxnTailer {
 public:
  static Result<std::unique_ptr<TxnTailer>> open(
      const std::string& dir, const TxnTailerOptions& options = {});

  // Waits up to `timeout` for the next committed transaction (of the run,
  // with a filter). false: none came in time, or cancel() was called.
  Result<bool> next(CommittedTransaction* txn,
                    std::chrono::milliseconds timeout);
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
    log::Lsn first_lsn = 0;
    std::optional<RunId> run_id;
    std::vector<TailedEntry> entries;
  };
  TxnTailer(std::string dir, std::unique_ptr<log::LogTailer> tailer,
            const TxnTailerOptions& options)
      : dir_(std::move(dir)),
        tailer_(std::move(tailer)),
        run_(options.run),
        next_commit_lsn_(options.from.next_commit_lsn) {}
  log::Lsn restart_lsn(log::Lsn after) const;

  std::string dir_;
  std::unique_ptr<log::LogTailer> tailer_;
  std::optional<RunId> run_;
  log::Lsn next_commit_lsn_;
  std::unordered_map<TxId, Open> open_;
};

}  // namespace strata::durability::txlog

#endif  // STRATA_DURABILITY_TXLOG_TXN_TAILER_H_
