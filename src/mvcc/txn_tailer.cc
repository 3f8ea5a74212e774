// mvcc::TxnTailer: groups the records a LogTailer delivers into
// transactions with replay's rules (strata/durability/mvcc/replay.h).

#include "strata/durability/mvcc/txn_tailer.h"

#include <algorithm>

#include "strata/durability/mvcc/entry_codec.h"
#include "util/status_macros.h"

namespace strata::durability::mvcc {

Result<std::unique_ptr<TxnTailer>> TxnTailer::open(
    const std::string& dir, const TxnTailerOptions& options) {
  log::LogTailerOptions o = options.tail;
  o.start_lsn = options.from.restart_lsn;
  o.from_oldest = options.from_oldest;
  o.check_kind = true;
  o.expected_kind = log::LogKind::kMvcc;
  if (options.wal != nullptr) o.writer = &options.wal->log();
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<log::LogTailer> t,
                          log::LogTailer::open(dir, o));
  return std::unique_ptr<TxnTailer>(
      new TxnTailer(dir, std::move(t), options.from.next_commit_lsn));
}

log::Lsn TxnTailer::restart_lsn(log::Lsn after) const {
  log::Lsn out = after;
  for (const auto& [run, txns] : open_) {
    for (const Open& t : txns) out = std::min(out, t.begin_lsn);
  }
  return out;
}

Result<bool> TxnTailer::next(CommittedTxn* txn,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  log::TailedRecord rec;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(bool got, tailer_->next_until(&rec, deadline));
    if (!got) return false;
    auto decoded = decode_entry(rec.payload);
    if (!decoded.ok()) {
      return Status::corruption(
          "MVCC entry at LSN " + std::to_string(rec.lsn) + " in " + dir_ +
          " does not decode: " + decoded.status().to_string());
    }
    WALEntry e = std::move(decoded).value();
    if (const auto* b = e.get_if<BeginTxn>()) {
      open_[b->run_id].push_back(Open{b->txn_id, rec.lsn, {}});
      continue;
    }
    if (e.is_checkpoint()) continue;
    auto run = *e.run_id();
    auto it = open_.find(run);
    if (it == open_.end() || it->second.empty()) continue;  // orphaned
    std::vector<Open>& txns = it->second;
    const auto* c = e.get_if<CommitTxn>();
    const auto* a = e.get_if<AbortTxn>();
    if (c == nullptr && a == nullptr) {
      txns.back().entries.push_back(WalEntryAt{rec.lsn, std::move(e)});
      continue;
    }
    const uint64_t id = c != nullptr ? c->txn_id : a->txn_id;
    auto t = std::find_if(txns.rbegin(), txns.rend(),
                          [&](const Open& o) { return o.txn_id == id; });
    if (t == txns.rend()) continue;  // an orphaned marker
    Open done = std::move(*t);
    txns.erase(std::next(t).base());
    if (txns.empty()) open_.erase(it);
    if (c == nullptr || rec.lsn < next_commit_lsn_) continue;
    next_commit_lsn_ = rec.lsn + 1;
    txn->txn_id = done.txn_id;
    txn->run_id = run;
    txn->begin_lsn = done.begin_lsn;
    txn->commit_lsn = rec.lsn;
    txn->entries = std::move(done.entries);
    txn->next =
        log::TxnTailPosition{restart_lsn(rec.next_lsn), next_commit_lsn_};
    return true;
  }
}

}  // namespace strata::durability::mvcc
