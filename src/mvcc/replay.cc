// replay_wal: streams an MVCC log, groups entries into transactions and
// applies the committed ones to a ReplayHandler (see replay.h).

#include "strata/durability/mvcc/replay.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mvcc/entry_stream.h"
#include "util/status_macros.h"

namespace strata::durability::mvcc {
namespace {

struct OpenTxn {
  uint64_t txn_id = 0;
  RunId run_id;
  uint64_t timestamp = 0;
  log::Lsn begin_lsn = 0;
  std::vector<WALEntry> entries;
  std::optional<uint64_t> max_version;  // over its entries
};

class Replayer {
 public:
  Replayer(ReplayHandler* handler, const ReplayOptions& options,
           ReplayStats* stats)
      : handler_(handler), options_(options), stats_(stats) {}

  void set_stream(internal::EntryStream* stream) { stream_ = stream; }

  Status process(log::Lsn lsn, WALEntry&& entry) {
    ++stats_->entries_read;
    if (auto v = entry.version()) {
      stats_->final_version = std::max(stats_->final_version, *v);
    }
    if (auto t = entry.txn_id()) {
      stats_->max_txn_id = std::max(stats_->max_txn_id, *t);
    }
    if (const auto* b = entry.get_if<BeginTxn>()) {
      auto txn = std::make_unique<OpenTxn>();
      txn->txn_id = b->txn_id;
      txn->run_id = b->run_id;
      txn->timestamp = b->timestamp;
      txn->begin_lsn = lsn;
      open_[b->run_id].push_back(std::move(txn));
      return Status::ok_status();
    }
    if (const auto* c = entry.get_if<CommitTxn>()) {
      auto txn = take(c->run_id, c->txn_id);
      if (!txn) {
        ++stats_->orphaned_markers;
        return Status::ok_status();
      }
      return finish_committed(std::move(txn), lsn);
    }
    if (const auto* a = entry.get_if<AbortTxn>()) {
      auto txn = take(a->run_id, a->txn_id);
      if (!txn) {
        ++stats_->orphaned_markers;
        return Status::ok_status();
      }
      ++stats_->aborted_txns;
      report(*txn, TxnOutcome::kAborted, lsn);
      return Status::ok_status();
    }
    if (const auto* cp = entry.get_if<Checkpoint>()) {
      ++stats_->checkpoints;
      return handler_->on_checkpoint(*cp, lsn);
    }
    // A data entry joins the most recently begun open transaction of its
    // run.
    auto it = open_.find(*entry.run_id());
    if (it == open_.end() || it->second.empty()) {
      ++stats_->orphaned_entries;
      return Status::ok_status();
    }
    OpenTxn& txn = *it->second.back();
    if (auto v = entry.version()) {
      txn.max_version = std::max(txn.max_version.value_or(0), *v);
    }
    txn.entries.push_back(std::move(entry));
    return Status::ok_status();
  }

  // Transactions still open at the end of the log are incomplete; they are
  // reported in the order they began.
  void finish() {
    std::vector<std::unique_ptr<OpenTxn>> left;
    for (auto& [run, txns] : open_) {
      for (auto& t : txns) left.push_back(std::move(t));
    }
    open_.clear();
    std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) {
      return a->begin_lsn < b->begin_lsn;
    });
    for (const auto& t : left) {
      ++stats_->incomplete_txns;
      report(*t, TxnOutcome::kIncomplete, 0);
    }
  }

 private:
  // Removes and returns the most recently begun open transaction of `run`
  // with `txn_id`, or null.
  std::unique_ptr<OpenTxn> take(const RunId& run, uint64_t txn_id) {
    auto it = open_.find(run);
    if (it == open_.end()) return nullptr;
    auto& txns = it->second;
    for (auto t = txns.rbegin(); t != txns.rend(); ++t) {
      if ((*t)->txn_id == txn_id) {
        std::unique_ptr<OpenTxn> out = std::move(*t);
        txns.erase(std::next(t).base());
        if (txns.empty()) open_.erase(it);
        return out;
      }
    }
    return nullptr;
  }

  Status finish_committed(std::unique_ptr<OpenTxn> txn, log::Lsn commit_lsn) {
    const bool other_run =
        options_.filter_run_id && *options_.filter_run_id != txn->run_id;
    const bool too_new = options_.stop_at_version && txn->max_version &&
                         *txn->max_version > *options_.stop_at_version;
    if (other_run || too_new) {
      ++stats_->txns_filtered;
      report(*txn, TxnOutcome::kFiltered, commit_lsn);
      return Status::ok_status();
    }
    TxnInfo info{txn->txn_id,    txn->run_id, txn->timestamp,
                 txn->begin_lsn, commit_lsn,  txn->entries.size()};
    auto context = [&](const char* what) {
      return std::string("replay: ") + what + " of txn " +
             std::to_string(txn->txn_id) + " (run " + txn->run_id.to_string() +
             ", commit LSN " + std::to_string(commit_lsn) + ")";
    };
    Status s = handler_->on_transaction_begin(info);
    if (!s.ok()) return s.with_context(context("on_transaction_begin"));
    for (const WALEntry& e : txn->entries) {
      auto r = apply_data_entry(handler_, e);
      if (!r.ok()) {
        return r.status().with_context(context(e.type_name().data()));
      }
      if (*r == ApplyOutcome::kSkipped) {
        ++stats_->entries_skipped;
        continue;
      }
      count_applied(e);
      if (auto v = e.version()) {
        current_version_ = std::max(current_version_, *v);
      }
    }
    s = handler_->on_transaction_commit(info);
    if (!s.ok()) return s.with_context(context("on_transaction_commit"));
    ++stats_->txns_applied;
    report(*txn, TxnOutcome::kApplied, commit_lsn);
    return Status::ok_status();
  }

  void count_applied(const WALEntry& e) {
    switch (e.kind()) {
      case WalEntryKind::kWrite:
        ++stats_->writes_applied;
        break;
      case WalEntryKind::kDelete:
        ++stats_->deletes_applied;
        break;
      case WalEntryKind::kJsonCreate:
        ++stats_->json_creates_applied;
        break;
      case WalEntryKind::kJsonSet:
        ++stats_->json_sets_applied;
        break;
      case WalEntryKind::kJsonDelete:
        ++stats_->json_deletes_applied;
        break;
      case WalEntryKind::kJsonDestroy:
        ++stats_->json_destroys_applied;
        break;
      case WalEntryKind::kVectorCollectionCreate:
        ++stats_->vector_collection_creates_applied;
        break;
      case WalEntryKind::kVectorCollectionDelete:
        ++stats_->vector_collection_deletes_applied;
        break;
      case WalEntryKind::kVectorUpsert:
        ++stats_->vector_upserts_applied;
        break;
      case WalEntryKind::kVectorDelete:
        ++stats_->vector_deletes_applied;
        break;
      default:
        break;
    }
  }

  void report(const OpenTxn& txn, TxnOutcome outcome, log::Lsn lsn) {
    ++txns_found_;
    if (!options_.progress) return;
    ReplayProgress p;
    p.txn_id = txn.txn_id;
    p.run_id = txn.run_id;
    p.outcome = outcome;
    p.was_applied = outcome == TxnOutcome::kApplied;
    p.txns_found = txns_found_;
    p.txns_applied = stats_->txns_applied;
    p.current_version = current_version_;
    p.bytes_read = stream_ != nullptr ? stream_->bytes_read() : 0;
    p.lsn = lsn;
    options_.progress(p);
  }

  ReplayHandler* handler_;
  const ReplayOptions& options_;
  ReplayStats* stats_;
  internal::EntryStream* stream_ = nullptr;
  std::unordered_map<RunId, std::vector<std::unique_ptr<OpenTxn>>> open_;
  uint64_t txns_found_ = 0;
  uint64_t current_version_ = 0;
};

}  // namespace

std::string_view txn_outcome_name(TxnOutcome outcome) {
  switch (outcome) {
    case TxnOutcome::kApplied:
      return "applied";
    case TxnOutcome::kFiltered:
      return "filtered";
    case TxnOutcome::kAborted:
      return "aborted";
    case TxnOutcome::kIncomplete:
      return "incomplete";
  }
  return "unknown";
}

Result<ReplayStats> replay_wal(const std::string& dir, ReplayHandler* handler,
                               const ReplayOptions& options) {
  if (handler == nullptr) {
    return Status::invalid_argument("replay_wal: handler is null");
  }
  Env* env = options.env != nullptr ? options.env : Env::posix();
  ReplayStats stats;
  log::Lsn start = options.start_lsn;
  if (options.from_last_checkpoint) {
    auto cp = find_last_checkpoint(dir, env);
    if (!cp.ok()) return std::move(cp).status().with_context("replay " + dir);
    if (cp->has_value()) {
      start = (*cp)->lsn;
      stats.start_checkpoint = std::move(*cp);
    }
  }
  stats.start_lsn = start;

  internal::EntryStreamOptions so;
  so.env = env;
  so.start_lsn = start;
  so.mode = options.recovery_mode;
  so.max_record_size = options.max_record_size;
  if (options.stop_at_lsn && *options.stop_at_lsn != UINT64_MAX) {
    so.limit = *options.stop_at_lsn + 1;
  }
  auto stream = internal::EntryStream::open(dir, so);
  if (!stream.ok())
    return std::move(stream).status().with_context("replay " + dir);

  Replayer replayer(handler, options, &stats);
  replayer.set_stream(stream->get());
  std::vector<internal::StreamEntry> batch;
  while (true) {
    auto more = (*stream)->next_batch(&batch);
    if (!more.ok())
      return std::move(more).status().with_context("replay " + dir);
    if (!*more) break;
    for (auto& e : batch) {
      STRATA_RETURN_IF_ERROR(replayer.process(e.lsn, std::move(e.entry)));
    }
  }
  replayer.finish();
  stats.problems = (*stream)->problems();
  stats.corrupted_entries = (*stream)->corrupted_entries();
  stats.bytes_read = (*stream)->bytes_read();
  stats.end_lsn = (*stream)->end_lsn();
  return stats;
}

}  // namespace strata::durability::mvcc
