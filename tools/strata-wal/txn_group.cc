// Transaction grouping with LSNs, as recovery groups (see txn_group.h).

#include "txn_group.h"

namespace strata_wal {

namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;

void MvccGrouper::add(sd::log::Lsn lsn, mv::WALEntry&& entry) {
  if (const auto* b = entry.get_if<mv::BeginTxn>()) {
    auto txn = std::make_unique<Txn>();
    txn->txn_id = b->txn_id;
    txn->run_id = b->run_id;
    txn->begin_lsn = lsn;
    open_[b->run_id].push_back(std::move(txn));
    return;
  }
  if (const auto* c = entry.get_if<mv::CommitTxn>()) {
    auto txn = take(c->run_id, c->txn_id);
    if (!txn) {
      ++counts_.orphaned_markers;
      return;
    }
    ++counts_.committed;
    txn->commit_lsn = lsn;
    if (on_commit_) on_commit_(std::move(*txn));
    return;
  }
  if (const auto* a = entry.get_if<mv::AbortTxn>()) {
    if (take(a->run_id, a->txn_id)) {
      ++counts_.aborted;
    } else {
      ++counts_.orphaned_markers;
    }
    return;
  }
  if (entry.is_checkpoint()) return;
  auto it = open_.find(*entry.run_id());
  if (it == open_.end() || it->second.empty()) {
    ++counts_.orphaned_entries;
    return;
  }
  it->second.back()->entries.emplace_back(lsn, std::move(entry));
}

std::unique_ptr<MvccGrouper::Txn> MvccGrouper::take(const mv::RunId& run,
                                                    uint64_t txn_id) {
  auto it = open_.find(run);
  if (it == open_.end()) return nullptr;
  auto& txns = it->second;
  for (auto t = txns.rbegin(); t != txns.rend(); ++t) {
    if ((*t)->txn_id == txn_id) {
      std::unique_ptr<Txn> out = std::move(*t);
      txns.erase(std::next(t).base());
      if (txns.empty()) open_.erase(it);
      return out;
    }
  }
  return nullptr;
}

void MvccGrouper::finish() {
  for (const auto& [run, txns] : open_) counts_.unfinished += txns.size();
  open_.clear();
}

void TxlogGrouper::add(sd::log::Lsn lsn, tx::WalEntry&& entry) {
  if (!entry.is_transactional()) {
    ++non_transactional_;
    return;
  }
  if (entry.entry_type == tx::WalEntryType::kTransactionAbort) {
    if (open_.erase(entry.tx_id) > 0) {
      ++counts_.aborted;
    } else {
      ++counts_.orphaned_markers;
    }
    return;
  }
  if (entry.entry_type == tx::WalEntryType::kTransactionCommit) {
    Txn txn;
    auto it = open_.find(entry.tx_id);
    if (it != open_.end()) {
      txn = std::move(it->second);
      open_.erase(it);
    }
    txn.tx_id = entry.tx_id;
    txn.commit_lsn = lsn;
    auto info = entry.commit_info();
    if (info.ok()) {
      txn.commit_version = info->commit_version;
      if (info->entry_count && *info->entry_count != txn.entries.size()) {
        // Recovery returns a transaction whole or not at all.
        ++counts_.incomplete;
        return;
      }
    }
    ++counts_.committed;
    if (on_commit_) on_commit_(std::move(txn));
    return;
  }
  Txn& txn = open_[entry.tx_id];
  if (txn.entries.empty()) {
    txn.tx_id = entry.tx_id;
    txn.run_id = entry.run_id;
  }
  txn.entries.emplace_back(lsn, std::move(entry));
}

void TxlogGrouper::finish() {
  counts_.unfinished += open_.size();
  open_.clear();
}

}  // namespace strata_wal
