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

// A transaction whose commit marker has not been read yet. Its entries are
// slots: entries[0, size) are the transaction's; the slots beyond keep the
// storage of earlier transactions' entries, to be swapped with the next
// decoded ones (see EntryBatch), so that a replay does not allocate per
// entry once its buffers have grown.
struct OpenTxn {
  uint64_t txn_id = 0;
  RunId run_id;
  uint64_t timestamp = 0;
  log::Lsn begin_lsn = 0;
  std::vector<WALEntry> entries;
  std::size_t size = 0;
  std::optional<uint64_t> max_version;  // over its entries

  // Takes `entry`'s contents; `entry` gets a spent slot's in exchange.
  void add(WALEntry* entry) {
    if (size == entries.size()) entries.emplace_back();
    std::swap(entries[size++], *entry);
  }
};

// Finished transactions kept for reuse; a few cover the transactions open
// at once in any ordinary log, and the cap bounds what they hold.
constexpr std::size_t kMaxSpareTxns = 16;
// A spare holding more entry slots than this gives them back, so that one
// huge transaction does not pin its memory for the rest of the replay.
constexpr std::size_t kMaxSpareSlots = 4096;

class Replayer {
 public:
  Replayer(ReplayHandler* handler, const ReplayOptions& options,
           ReplayStats* stats)
      : handler_(handler), options_(options), stats_(stats) {}

  void set_stream(internal::EntryStream* stream) { stream_ = stream; }

  // One batch of the log. A batch that is exactly one transaction of one
  // run (BeginTxn, that run's data entries, the matching CommitTxn: what
  // WAL::append_transaction writes) is applied straight from the batch;
  // any other goes entry by entry.
  Status process_batch(internal::EntryBatch* batch) {
    if (is_one_transaction(*batch)) return apply_one_transaction(batch);
    for (auto& e : *batch) {
      // Kept past this batch, maybe: views become owned entries first.
      if (e.is_view) own(&e);
      STRATA_RETURN_IF_ERROR(process(e.lsn, &e.entry));
    }
    return Status::ok_status();
  }

  // Takes `*entry`'s contents (it gets a spent entry's in exchange).
  Status process(log::Lsn lsn, WALEntry* entry_slot) {
    WALEntry& entry = *entry_slot;
    ++stats_->entries_read;
    if (auto v = version_of(entry)) {
      stats_->final_version = std::max(stats_->final_version, *v);
    }
    if (auto t = entry.txn_id()) {
      stats_->max_txn_id = std::max(stats_->max_txn_id, *t);
    }
    if (const auto* b = entry.get_if<BeginTxn>()) {
      auto txn = new_txn();
      txn->txn_id = b->txn_id;
      txn->run_id = b->run_id;
      txn->timestamp = b->timestamp;
      txn->begin_lsn = lsn;
      open_txns_of(b->run_id).push_back(std::move(txn));
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
      recycle(std::move(txn));
      return Status::ok_status();
    }
    if (const auto* cp = entry.get_if<Checkpoint>()) {
      ++stats_->checkpoints;
      return handler_->on_checkpoint(*cp, lsn);
    }
    // A data entry joins the most recently begun open transaction of its
    // run.
    auto* txns = find_open_txns(*entry.run_id());
    if (txns == nullptr || txns->empty()) {
      ++stats_->orphaned_entries;
      return Status::ok_status();
    }
    OpenTxn& txn = *txns->back();
    if (auto v = version_of(entry)) {
      txn.max_version = std::max(txn.max_version.value_or(0), *v);
    }
    txn.add(&entry);
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
    cached_txns_ = nullptr;
    std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) {
      return a->begin_lsn < b->begin_lsn;
    });
    for (const auto& t : left) {
      ++stats_->incomplete_txns;
      report(*t, TxnOutcome::kIncomplete, 0);
    }
  }

 private:
  // The run of a data entry; null for the others.
  static const RunId* data_run(const WALEntry& e) {
    if (const auto* w = e.get_if<Write>()) return &w->run_id;
    if (const auto* d = e.get_if<Delete>()) return &d->run_id;
    if (!e.is_data()) return nullptr;
    return std::visit(
        [](const auto& x) -> const RunId* {
          if constexpr (requires { x.run_id; }) {
            return &x.run_id;
          } else {
            return nullptr;
          }
        },
        e.variant());
  }
  static std::optional<uint64_t> version_of(const WALEntry& e) {
    if (const auto* w = e.get_if<Write>()) return w->version;
    if (const auto* d = e.get_if<Delete>()) return d->version;
    return e.version();
  }
  static const RunId* data_run(const internal::StreamEntry& e) {
    if (!e.is_view) return data_run(e.entry);
    return e.view.kind == WalEntryKind::kWrite ? &e.view.write.run_id
                                               : &e.view.del.run_id;
  }
  static std::optional<uint64_t> version_of(const internal::StreamEntry& e) {
    if (!e.is_view) return version_of(e.entry);
    return e.view.kind == WalEntryKind::kWrite ? e.view.write.version
                                               : e.view.del.version;
  }
  // Turns a view entry into an owned one, in the slot's entry (reusing its
  // storage when it already holds an entry of that type).
  static void own(internal::StreamEntry* e) {
    if (e->view.kind == WalEntryKind::kWrite) {
      if (auto* w = e->entry.get_if<Write>()) {
        e->view.write.assign_to(w);
      } else {
        e->entry = e->view.write.to_write();
      }
    } else {
      if (auto* d = e->entry.get_if<Delete>()) {
        e->view.del.assign_to(d);
      } else {
        e->entry = e->view.del.to_delete();
      }
    }
    e->is_view = false;
  }

  static bool is_one_transaction(internal::EntryBatch& batch) {
    const std::size_t n = batch.size();
    if (n < 2) return false;
    // A view slot's `entry` is stale: look only at decoded entries.
    const auto* b =
        batch[0].is_view ? nullptr : batch[0].entry.get_if<BeginTxn>();
    const auto* c =
        batch[n - 1].is_view ? nullptr : batch[n - 1].entry.get_if<CommitTxn>();
    if (b == nullptr || c == nullptr || b->txn_id != c->txn_id ||
        b->run_id != c->run_id) {
      return false;
    }
    for (std::size_t i = 1; i + 1 < n; ++i) {
      const RunId* run = data_run(batch[i]);
      if (run == nullptr || *run != b->run_id) return false;
    }
    return true;
  }

  // What process() does for each entry of such a batch, in the same order:
  // the BeginTxn opens a transaction that becomes its run's most recent,
  // so every data entry joins it and the CommitTxn closes it.
  Status apply_one_transaction(internal::EntryBatch* batch) {
    const std::size_t n = batch->size();
    const auto& b = *(*batch)[0].entry.get_if<BeginTxn>();
    OpenTxn& txn = whole_;
    txn.txn_id = b.txn_id;
    txn.run_id = b.run_id;
    txn.timestamp = b.timestamp;
    txn.begin_lsn = (*batch)[0].lsn;
    txn.max_version.reset();
    stats_->entries_read += n;
    stats_->max_txn_id = std::max(stats_->max_txn_id, b.txn_id);
    for (std::size_t i = 1; i + 1 < n; ++i) {
      if (auto v = version_of((*batch)[i])) {
        stats_->final_version = std::max(stats_->final_version, *v);
        txn.max_version = std::max(txn.max_version.value_or(0), *v);
      }
    }
    return apply_committed(
        txn, n - 2,
        [&](std::size_t i) -> const internal::StreamEntry& {
          return (*batch)[i + 1];
        },
        (*batch)[n - 1].lsn);
  }

  // Removes and returns the most recently begun open transaction of `run`
  // with `txn_id`, or null.
  std::unique_ptr<OpenTxn> take(const RunId& run, uint64_t txn_id) {
    auto* txns = find_open_txns(run);
    if (txns == nullptr) return nullptr;
    for (auto t = txns->rbegin(); t != txns->rend(); ++t) {
      if ((*t)->txn_id == txn_id) {
        std::unique_ptr<OpenTxn> out = std::move(*t);
        txns->erase(std::next(t).base());
        if (txns->empty()) {
          // Forget runs with nothing open, so that memory follows the
          // transactions open at once, not every run ever seen.
          if (cached_txns_ == txns) cached_txns_ = nullptr;
          open_.erase(run);
        }
        return out;
      }
    }
    return nullptr;
  }

  // The open transactions of `run`, or null. Consecutive entries almost
  // always belong to the same run, so the last run looked up is cached
  // (the map's elements stay put when it grows; erase() clears the cache).
  std::vector<std::unique_ptr<OpenTxn>>* find_open_txns(const RunId& run) {
    if (cached_txns_ != nullptr && cached_run_ == run) return cached_txns_;
    auto it = open_.find(run);
    if (it == open_.end()) return nullptr;
    cached_run_ = run;
    cached_txns_ = &it->second;
    return cached_txns_;
  }
  std::vector<std::unique_ptr<OpenTxn>>& open_txns_of(const RunId& run) {
    if (auto* txns = find_open_txns(run)) return *txns;
    cached_run_ = run;
    cached_txns_ = &open_[run];
    return *cached_txns_;
  }

  std::unique_ptr<OpenTxn> new_txn() {
    if (spare_.empty()) return std::make_unique<OpenTxn>();
    std::unique_ptr<OpenTxn> txn = std::move(spare_.back());
    spare_.pop_back();
    return txn;
  }
  void recycle(std::unique_ptr<OpenTxn> txn) {
    if (spare_.size() >= kMaxSpareTxns) return;
    if (txn->entries.size() > kMaxSpareSlots) {
      txn->entries.resize(kMaxSpareSlots);
      txn->entries.shrink_to_fit();
    }
    txn->size = 0;
    txn->max_version.reset();
    spare_.push_back(std::move(txn));
  }

  Status finish_committed(std::unique_ptr<OpenTxn> txn, log::Lsn commit_lsn) {
    Status s = apply_committed(
        *txn, txn->size,
        [&](std::size_t i) -> const WALEntry& { return txn->entries[i]; },
        commit_lsn);
    if (s.ok()) recycle(std::move(txn));
    return s;
  }

  // Applies a committed transaction (or counts it filtered): `txn` gives
  // its BeginTxn's fields and max_version, entry_at(i) its i-th of `count`
  // data entries.
  template <typename EntryAt>
  Status apply_committed(const OpenTxn& txn, std::size_t count,
                         const EntryAt& entry_at, log::Lsn commit_lsn) {
    const bool other_run =
        options_.filter_run_id && *options_.filter_run_id != txn.run_id;
    const bool too_new = options_.stop_at_version && txn.max_version &&
                         *txn.max_version > *options_.stop_at_version;
    if (other_run || too_new) {
      ++stats_->txns_filtered;
      report(txn, TxnOutcome::kFiltered, commit_lsn);
      return Status::ok_status();
    }
    TxnInfo info{txn.txn_id,    txn.run_id, txn.timestamp,
                 txn.begin_lsn, commit_lsn, count};
    auto context = [&](const char* what) {
      return std::string("replay: ") + what + " of txn " +
             std::to_string(txn.txn_id) + " (run " + txn.run_id.to_string() +
             ", commit LSN " + std::to_string(commit_lsn) + ")";
    };
    Status s = handler_->on_transaction_begin(info);
    if (!s.ok()) return s.with_context(context("on_transaction_begin"));
    for (std::size_t i = 0; i < count; ++i) {
      Status a = apply_entry(entry_at(i));
      if (!a.ok()) return a.with_context(context(entry_name(entry_at(i))));
    }
    s = handler_->on_transaction_commit(info);
    if (!s.ok()) return s.with_context(context("on_transaction_commit"));
    ++stats_->txns_applied;
    report(txn, TxnOutcome::kApplied, commit_lsn);
    return Status::ok_status();
  }

  static const char* entry_name(const WALEntry& e) {
    return e.type_name().data();
  }
  static const char* entry_name(const internal::StreamEntry& e) {
    if (!e.is_view) return entry_name(e.entry);
    return e.view.kind == WalEntryKind::kWrite ? "Write" : "Delete";
  }

  // Applies one data entry of a committed transaction and counts it.
  Status apply_entry(const WALEntry& e) {
    // Writes are nearly every entry: called directly, not through the
    // visit in apply_data_entry.
    const auto* w = e.get_if<Write>();
    auto r =
        w != nullptr ? handler_->on_write(*w) : apply_data_entry(handler_, e);
    if (!r.ok()) return std::move(r).status();
    if (*r == ApplyOutcome::kSkipped) {
      ++stats_->entries_skipped;
      return Status::ok_status();
    }
    if (w != nullptr) {
      ++stats_->writes_applied;
      current_version_ = std::max(current_version_, w->version);
      return Status::ok_status();
    }
    count_applied(e);
    if (auto v = version_of(e)) {
      current_version_ = std::max(current_version_, *v);
    }
    return Status::ok_status();
  }

  // The same for an entry of the batch being read: a view goes to the
  // handler's view method, copying nothing.
  Status apply_entry(const internal::StreamEntry& se) {
    if (!se.is_view) return apply_entry(se.entry);
    const bool is_write = se.view.kind == WalEntryKind::kWrite;
    auto r = is_write ? handler_->on_write_view(se.view.write)
                      : handler_->on_delete_view(se.view.del);
    if (!r.ok()) return std::move(r).status();
    if (*r == ApplyOutcome::kSkipped) {
      ++stats_->entries_skipped;
      return Status::ok_status();
    }
    if (is_write) {
      ++stats_->writes_applied;
      current_version_ = std::max(current_version_, se.view.write.version);
    } else {
      ++stats_->deletes_applied;
      current_version_ = std::max(current_version_, se.view.del.version);
    }
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
  RunId cached_run_;
  std::vector<std::unique_ptr<OpenTxn>>* cached_txns_ = nullptr;
  std::vector<std::unique_ptr<OpenTxn>> spare_;
  OpenTxn whole_;  // the transaction apply_one_transaction() applies
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
  // Writes and Deletes reach the handler as views of the read buffer.
  so.views = true;
  if (options.stop_at_lsn && *options.stop_at_lsn != UINT64_MAX) {
    so.limit = *options.stop_at_lsn + 1;
  }
  auto stream = internal::EntryStream::open(dir, so);
  if (!stream.ok())
    return std::move(stream).status().with_context("replay " + dir);

  Replayer replayer(handler, options, &stats);
  replayer.set_stream(stream->get());
  internal::EntryBatch batch;
  while (true) {
    auto more = (*stream)->next_batch(&batch);
    if (!more.ok())
      return std::move(more).status().with_context("replay " + dir);
    if (!*more) break;
    STRATA_RETURN_IF_ERROR(replayer.process_batch(&batch));
  }
  replayer.finish();
  stats.problems = (*stream)->problems();
  stats.corrupted_entries = (*stream)->corrupted_entries();
  stats.bytes_read = (*stream)->bytes_read();
  stats.end_lsn = (*stream)->end_lsn();
  return stats;
}

}  // namespace strata::durability::mvcc
