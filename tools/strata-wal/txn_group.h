// Groups the entries of a log into transactions the way recovery does, but
// keeping each entry's LSN, which the library's replay APIs do not hand out.
// dump --committed and stats use it; the rules mirror mvcc::replay_wal and
// txlog::RecoveryEngine (see their headers), and the tests check that the
// tool's committed set matches what `recover` applies.

#ifndef STRATA_TOOLS_STRATA_WAL_TXN_GROUP_H_
#define STRATA_TOOLS_STRATA_WAL_TXN_GROUP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "strata/durability/log/log_types.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/txlog/wal_entry.h"

namespace strata_wal {

namespace sd = strata::durability;

struct TxnCounts {
  uint64_t committed = 0;  // applied by recovery (non-empty or empty)
  uint64_t aborted = 0;
  uint64_t unfinished = 0;  // still open at the end of the log
  uint64_t incomplete = 0;  // txlog: committed but missing entries
  uint64_t orphaned_entries = 0;
  uint64_t orphaned_markers = 0;
};

// MVCC: a BeginTxn opens a transaction of its run; a data entry joins the
// most recently begun open transaction of its run; a CommitTxn or AbortTxn
// closes the most recently begun open one with the same (run, txn id).
class MvccGrouper {
 public:
  struct Txn {
    uint64_t txn_id = 0;
    sd::mvcc::RunId run_id;
    sd::log::Lsn begin_lsn = 0;
    sd::log::Lsn commit_lsn = 0;
    std::vector<std::pair<sd::log::Lsn, sd::mvcc::WALEntry>> entries;
  };
  using OnCommit = std::function<void(Txn&&)>;

  explicit MvccGrouper(OnCommit on_commit) : on_commit_(std::move(on_commit)) {}
  void add(sd::log::Lsn lsn, sd::mvcc::WALEntry&& entry);
  // Counts what is still open as unfinished.
  void finish();
  const TxnCounts& counts() const { return counts_; }

 private:
  std::unique_ptr<Txn> take(const sd::mvcc::RunId& run, uint64_t txn_id);

  OnCommit on_commit_;
  std::map<sd::mvcc::RunId, std::vector<std::unique_ptr<Txn>>> open_;
  TxnCounts counts_;
};

// Transaction Log: data entries are buffered by tx id; a commit marker
// ends its group as committed (unless it counts more entries than were
// read: incomplete), an abort marker drops it. Nil tx ids are markers.
class TxlogGrouper {
 public:
  struct Txn {
    sd::txlog::TxId tx_id;
    std::optional<sd::txlog::RunId> run_id;  // of its first entry
    sd::log::Lsn commit_lsn = 0;
    std::optional<uint64_t> commit_version;
    std::vector<std::pair<sd::log::Lsn, sd::txlog::WalEntry>> entries;
  };
  using OnCommit = std::function<void(Txn&&)>;

  explicit TxlogGrouper(OnCommit on_commit)
      : on_commit_(std::move(on_commit)) {}
  void add(sd::log::Lsn lsn, sd::txlog::WalEntry&& entry);
  void finish();
  const TxnCounts& counts() const { return counts_; }
  uint64_t non_transactional() const { return non_transactional_; }

 private:
  OnCommit on_commit_;
  std::unordered_map<sd::txlog::TxId, Txn> open_;
  TxnCounts counts_;
  uint64_t non_transactional_ = 0;
};

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_TXN_GROUP_H_
