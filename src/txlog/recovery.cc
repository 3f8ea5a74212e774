// RecoveryEngine: grouping of Transaction Log entries into committed
// transactions, with run filter, point-in-time stops, progress reports and
// counts.

#include "strata/durability/txlog/recovery.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "util/status_macros.h"

namespace strata::durability::txlog {

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfLog:
      return "end_of_log";
    case StopReason::kStopLsn:
      return "stop_lsn";
    case StopReason::kAfterTransaction:
      return "after_transaction";
    case StopReason::kCommitTime:
      return "commit_time";
    case StopReason::kCommitVersion:
      return "commit_version";
  }
  return "unknown";
}

RecoveryOptions RecoveryOptions::strict() {
  RecoveryOptions o;
  o.max_corrupt_entries = 0;
  o.recovery_mode = log::RecoveryMode::kAbsoluteConsistency;
  return o;
}

RecoveryOptions RecoveryOptions::permissive() {
  RecoveryOptions o;
  o.max_corrupt_entries = 100;
  o.recovery_mode = log::RecoveryMode::kSkipAnyCorrupted;
  return o;
}

RecoveryOptions RecoveryOptions::fast() {
  RecoveryOptions o;
  o.max_corrupt_entries = 10;
  o.recovery_mode = log::RecoveryMode::kPointInTime;
  return o;
}

bool ReplayResult::has_issues() const {
  return orphaned_transactions > 0 || incomplete_transactions > 0 ||
         corrupt_entries > 0 || skipped_entries > 0 || !problems.empty();
}

std::string ReplayResult::summary() const {
  std::string s =
      "replayed " + std::to_string(entries_replayed) + " entries (" +
      std::to_string(bytes) + " bytes) in " + std::to_string(elapsed_micros) +
      " us: " + std::to_string(transactions_recovered) + " recovered, " +
      std::to_string(aborted_transactions) + " aborted, " +
      std::to_string(orphaned_transactions) + " orphaned, " +
      std::to_string(empty_transactions) + " empty, " +
      std::to_string(filtered_transactions) + " filtered, " +
      std::to_string(incomplete_transactions) + " incomplete, " +
      std::to_string(corrupt_entries) + " corrupt, " +
      std::to_string(skipped_entries) + " skipped; stopped at " +
      std::string(stop_reason_name(stop_reason));
  if (!problems.empty()) {
    s += "; " + std::to_string(problems.size()) +
         " problem(s), first: " + problems.front().to_string();
  }
  return s;
}

namespace {

uint64_t now_nanos(Env* env) { return env->monotonic_nanos(); }

struct Group {
  std::vector<WalEntry> entries;
  log::Lsn first_lsn = 0;
  uint64_t filtered = 0;
  uint64_t skipped = 0;
};

}  // namespace

Result<ReplayOutput> RecoveryEngine::replay(WalReader& reader,
                                            const RecoveryOptions& options) {
  Env* env = options.env != nullptr ? options.env : Env::posix();
  const uint64_t start_ns = now_nanos(env);
  ReplayOutput out;
  ReplayResult& r = out.result;
  r.start_lsn = std::max(reader.end_lsn(), reader.options().start_lsn);

  std::unordered_map<TxId, Group> open;
  std::vector<log::LogProblem> incomplete_problems;
  auto all_problems = [&]() {
    std::vector<log::LogProblem> all = reader.problems();
    all.insert(all.end(), incomplete_problems.begin(),
               incomplete_problems.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const log::LogProblem& a, const log::LogProblem& b) {
                       return a.lsn < b.lsn;
                     });
    return all;
  };
  std::size_t skipped_seen = reader.skipped_entries();
  const uint64_t interval =
      options.progress_interval == 0 ? 1 : options.progress_interval;
  log::Lsn last_lsn = r.start_lsn;

  auto progress = [&](bool final) {
    if (!options.on_progress) return;
    ReplayProgress p;
    p.entries = r.entries_replayed;
    p.bytes = reader.bytes_read();
    p.lsn = last_lsn;
    p.elapsed_micros = (now_nanos(env) - start_ns) / 1000;
    p.final = final;
    options.on_progress(p);
  };
  auto check_corruption = [&]() -> Status {
    r.corrupt_entries = reader.corruption_count();
    if (r.corrupt_entries > options.max_corrupt_entries) {
      return Status::corruption(
          "too many corrupt entries: " + std::to_string(r.corrupt_entries) +
          " found, at most " + std::to_string(options.max_corrupt_entries) +
          " allowed");
    }
    return Status::ok_status();
  };
  // Attributes entries the reader skipped to their transactions.
  auto note_skipped = [&]() {
    const auto& skipped = reader.skipped();
    for (; skipped_seen < skipped.size(); ++skipped_seen) {
      const SkippedEntry& s = skipped[skipped_seen];
      if (s.tx_id) ++open[*s.tx_id].skipped;
    }
  };
  // The group of the last data entry: a transaction's entries come
  // together, so most lookups are of the same tx id as the one before.
  // (The map's elements stay put when it grows; the cache is dropped when
  // its group leaves the map.)
  Group* cached_group = nullptr;
  TxId cached_tx_id;
  auto group_of = [&](const TxId& id) -> Group& {
    if (cached_group == nullptr || cached_tx_id != id) {
      cached_group = &open[id];
      cached_tx_id = id;
    }
    return *cached_group;
  };
  auto forget = [&](const TxId& id) {
    if (cached_group != nullptr && cached_tx_id == id) cached_group = nullptr;
  };

  WalEntry e;
  log::Lsn lsn = 0;
  while (true) {
    auto more = reader.next_entry(&e, &lsn);
    note_skipped();
    if (!more.ok()) {
      r.problems = all_problems();
      return more.status();
    }
    if (!*more) break;
    if (options.stop_at_lsn && lsn >= *options.stop_at_lsn) {
      r.stop_reason = StopReason::kStopLsn;
      break;
    }
    // A commit marker past a time or version stop is not processed.
    if (e.entry_type == WalEntryType::kTransactionCommit &&
        (options.stop_at_time_micros || options.stop_at_commit_version)) {
      STRATA_ASSIGN_OR_RETURN(CommitInfo info, e.commit_info());
      if (options.stop_at_time_micros &&
          info.commit_time_micros > *options.stop_at_time_micros) {
        r.stop_reason = StopReason::kCommitTime;
        break;
      }
      if (options.stop_at_commit_version && info.commit_version &&
          *info.commit_version > *options.stop_at_commit_version) {
        r.stop_reason = StopReason::kCommitVersion;
        break;
      }
    }

    ++r.entries_replayed;
    last_lsn = lsn;
    r.end_lsn = reader.end_lsn();
    STRATA_RETURN_IF_ERROR(check_corruption());
    if (r.entries_replayed % interval == 0) progress(false);

    const WalEntryType type = e.entry_type;
    const TxId tx_id = e.tx_id;
    if (tx_id.is_nil()) {
      // Snapshot and run markers: part of no transaction.
      ++r.non_transactional_entries;
      if (type == WalEntryType::kSnapshotMarker) {
        auto info = e.snapshot_info();
        if (info.ok()) {
          r.last_snapshot = *info;
          r.last_snapshot_lsn = lsn;
        }
      }
      continue;
    }

    if (type == WalEntryType::kTransactionCommit) {
      forget(tx_id);
      auto node = open.extract(tx_id);
      Group g;
      if (!node.empty()) g = std::move(node.mapped());
      CommitInfo info = e.commit_info().value_or(CommitInfo{});
      uint64_t seen = g.entries.size() + g.filtered + g.skipped;
      if (info.entry_count && seen != *info.entry_count) {
        ++r.incomplete_transactions;
        log::LogProblem p;
        p.kind = log::ProblemKind::kCorruption;
        p.lsn = lsn;
        p.reason = "transaction " + tx_id.to_string() + " committed with " +
                   std::to_string(*info.entry_count) + " entries but " +
                   std::to_string(seen) +
                   " were read; not recovered (incomplete)";
        incomplete_problems.push_back(std::move(p));
      } else if (!g.entries.empty() || g.skipped > 0) {
        // A transaction whose only entries were skipped is still returned,
        // empty and with its skipped count, so that the loss is visible.
        CommittedTransaction tx;
        tx.tx_id = tx_id;
        if (!g.entries.empty()) tx.run_id = g.entries.front().run_id;
        tx.first_lsn = g.first_lsn;
        tx.commit_lsn = lsn;
        tx.commit = info;
        tx.skipped_entries = g.skipped;
        tx.entries = std::move(g.entries);
        ++r.transactions_recovered;
        if (options.on_transaction) {
          Status s = options.on_transaction(std::move(tx));
          if (!s.ok()) {
            r.problems = all_problems();
            return s.with_context("recovered transaction " + tx_id.to_string() +
                                  " (commit LSN " + std::to_string(lsn) + ")");
          }
        } else {
          out.transactions.push_back(std::move(tx));
        }
      } else if (g.filtered > 0) {
        ++r.filtered_transactions;
      } else {
        ++r.empty_transactions;
      }
    } else if (type == WalEntryType::kTransactionAbort) {
      forget(tx_id);
      open.erase(tx_id);
      ++r.aborted_transactions;
    } else {
      Group& g = group_of(tx_id);
      if (options.filter_run_id && e.run_id != options.filter_run_id) {
        ++g.filtered;
        ++r.filtered_entries;
      } else {
        if (g.entries.empty()) g.first_lsn = lsn;
        g.entries.push_back(std::move(e));
      }
    }

    if (options.stop_after_tx && is_transaction_boundary(type) &&
        tx_id == *options.stop_after_tx) {
      r.stop_reason = StopReason::kAfterTransaction;
      break;
    }
  }

  r.orphaned_transactions = open.size();
  r.skipped_entries = reader.skipped_entries();
  r.bytes = reader.bytes_read();
  r.problems = all_problems();
  if (r.end_lsn == 0) r.end_lsn = r.start_lsn;
  STRATA_RETURN_IF_ERROR(check_corruption());
  r.elapsed_micros = (now_nanos(env) - start_ns) / 1000;
  progress(true);
  return out;
}

Result<ReplayOutput> RecoveryEngine::replay_wal_committed(
    const std::string& dir, log::Lsn from_lsn, const RecoveryOptions& options) {
  WalReaderOptions ro;
  ro.env = options.env;
  ro.start_lsn = from_lsn;
  ro.recovery_mode = options.recovery_mode;
  ro.max_payload_size = options.max_payload_size;
  STRATA_ASSIGN_OR_RETURN(auto reader, WalReader::open(dir, ro));
  auto out = replay(*reader, options);
  if (!out.ok()) {
    return out.status().with_context("txlog replay of " + dir);
  }
  return out;
}

}  // namespace strata::durability::txlog
