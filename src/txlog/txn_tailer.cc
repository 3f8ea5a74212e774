// txlog::TxnTailer: groups the records a LogTailer delivers into
// transactions with the recovery engine's rules
// (strata/durability/txlog/recovery.h).

#include "strata/durability/txlog/txn_tailer.h"

#include <algorithm>

#include "util/status_macros.h"

namespace strata::durability::txlog {

Result<std::unique_ptr<TxnTailer>> TxnTailer::open(
    const std::string& dir, const TxnTailerOptions& options) {
  log::LogTailerOptions o = options.tail;
  o.start_lsn = options.from.restart_lsn;
  o.from_oldest = options.from_oldest;
  o.check_kind = true;
  o.expected_kind = log::LogKind::kTxLog;
  o.max_record_size = std::max(o.max_record_size, kMaxPayloadSizeLimit);
  if (options.writer != nullptr) o.writer = &options.writer->log();
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<log::LogTailer> t,
                          log::LogTailer::open(dir, o));
  return std::unique_ptr<TxnTailer>(new TxnTailer(dir, std::move(t), options));
}

log::Lsn TxnTailer::restart_lsn(log::Lsn after) const {
  log::Lsn out = after;
  for (const auto& [id, t] : open_) out = std::min(out, t.first_lsn);
  return out;
}

Result<bool> TxnTailer::next(CommittedTransaction* txn,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  log::TailedRecord rec;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(bool got, tailer_->next_until(&rec, deadline));
    if (!got) return false;
    auto decoded = decode_wal_entry(rec.payload, kMaxPayloadSizeLimit);
    if (!decoded.ok()) {
      return Status::corruption(
          "Transaction Log entry at LSN " + std::to_string(rec.lsn) + " in " +
          dir_ + " does not decode: " + decoded.status().to_string());
    }
    WalEntry e = std::move(decoded).value();
    if (!e.is_transactional()) continue;
    if (e.entry_type == WalEntryType::kTransactionAbort) {
      open_.erase(e.tx_id);
      continue;
    }
    if (e.entry_type != WalEntryType::kTransactionCommit) {
      auto [it, fresh] = open_.try_emplace(e.tx_id);
      if (fresh) {
        it->second.first_lsn = rec.lsn;
        it->second.run_id = e.run_id;
      }
      it->second.entries.push_back(TailedEntry{rec.lsn, std::move(e)});
      continue;
    }
    Open done;
    if (auto it = open_.find(e.tx_id); it != open_.end()) {
      done = std::move(it->second);
      open_.erase(it);
    }
    auto info = e.commit_info();
    if (!info.ok()) {
      return Status::corruption("commit marker at LSN " +
                                std::to_string(rec.lsn) + " in " + dir_ + ": " +
                                info.status().to_string());
    }
    if (rec.lsn < next_commit_lsn_) continue;
    next_commit_lsn_ = rec.lsn + 1;
    // Recovery applies a transaction whole or not at all.
    if (info->entry_count && *info->entry_count != done.entries.size()) {
      continue;
    }
    if (run_ && done.run_id != run_) continue;
    txn->tx_id = e.tx_id;
    txn->run_id = done.run_id;
    txn->commit_lsn = rec.lsn;
    txn->commit = *info;
    txn->entries = std::move(done.entries);
    txn->next =
        log::TxnTailPosition{restart_lsn(rec.next_lsn), next_commit_lsn_};
    return true;
  }
}

}  // namespace strata::durability::txlog
