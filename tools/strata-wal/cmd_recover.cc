// `strata-wal recover DIR [--mode M] [--run UUID] [--stop-at-version V]
// [--stop-at-lsn L] [--json]`: replays the log read-only with the library's
// own recovery (mvcc::replay_wal into the reference MvccStore, or
// txlog::RecoveryEngine) and prints its statistics. No lock, no writes.

#include <cstdio>
#include <string>

#include <fmt/core.h>

#include "strata/durability/mvcc/mvcc_store.h"
#include "strata/durability/mvcc/replay.h"
#include "strata/durability/txlog/recovery.h"
#include "cli_util.h"
#include "commands.h"
#include "json_out.h"
#include "log_detect.h"
#include "progress.h"

namespace strata_wal {

namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;

namespace {

bool has_damage(const std::vector<sd::log::LogProblem>& problems) {
  for (const auto& p : problems) {
    if (p.kind != sd::log::ProblemKind::kTornTail) return true;
  }
  return false;
}

// The replay APIs list the directory once; a live writer that seals a
// segment after that makes its successor look missing. When the log gained
// segments during a replay that found a missing segment, the replay is
// simply run again (bounded).
std::size_t segment_count(const std::string& dir) {
  std::string error;
  auto log = detect_log(dir, &error);
  return log ? log->segment_files.size() : 0;
}

bool mentions_missing(const sd::Status& status,
                      const std::vector<sd::log::LogProblem>& problems) {
  if (!status.ok() &&
      status.message().find("missing_segment") != std::string_view::npos) {
    return true;
  }
  for (const auto& p : problems) {
    if (p.kind == sd::log::ProblemKind::kMissingSegment) return true;
  }
  return false;
}

Json problems_json(const std::vector<sd::log::LogProblem>& problems) {
  Json out = Json::array();
  for (const auto& p : problems) out.push_back(problem_json(p));
  return out;
}

int recover_mvcc(const RecoverArgs& args, const LogDir& log,
                 sd::log::RecoveryMode mode,
                 const std::optional<sd::Uuid>& run) {
  mv::ReplayOptions options;
  options.recovery_mode = mode;
  options.filter_run_id = run;
  options.stop_at_version = args.stop_at_version;
  options.stop_at_lsn = args.stop_at_lsn;
  options.max_record_size = sd::log::kMaxRecordSizeLimit;
  ProgressBar bar("replaying", log.total_bytes, args.quiet);
  options.progress = [&bar](const mv::ReplayProgress& p) {
    bar.update(p.bytes_read);
  };
  mv::MvccStore store;
  auto replayed = mv::replay_wal(log.dir, &store, options);
  std::size_t seen = log.segment_files.size();
  for (int i = 0; i < 20; ++i) {
    const std::size_t now = segment_count(log.dir);
    if (!mentions_missing(replayed.status(),
                          replayed.ok() ? replayed->problems
                                        : std::vector<sd::log::LogProblem>{}) ||
        now <= seen) {
      break;
    }
    seen = now;
    store.clear();
    replayed = mv::replay_wal(log.dir, &store, options);
  }
  bar.finish();
  if (!replayed.ok()) {
    print_error("recover", replayed.status().to_string());
    return exit_code_for(replayed.status()) == kExitUsage ? kExitUsage
                                                          : kExitLogProblem;
  }
  const mv::ReplayStats& s = *replayed;
  if (args.json) {
    Json j{{"txns_applied", s.txns_applied},
           {"writes_applied", s.writes_applied},
           {"deletes_applied", s.deletes_applied},
           {"json_creates_applied", s.json_creates_applied},
           {"json_sets_applied", s.json_sets_applied},
           {"json_deletes_applied", s.json_deletes_applied},
           {"json_destroys_applied", s.json_destroys_applied},
           {"vector_collection_creates_applied",
            s.vector_collection_creates_applied},
           {"vector_collection_deletes_applied",
            s.vector_collection_deletes_applied},
           {"vector_upserts_applied", s.vector_upserts_applied},
           {"vector_deletes_applied", s.vector_deletes_applied},
           {"entries_skipped", s.entries_skipped},
           {"final_version", s.final_version},
           {"max_txn_id", s.max_txn_id},
           {"incomplete_txns", s.incomplete_txns},
           {"aborted_txns", s.aborted_txns},
           {"txns_filtered", s.txns_filtered},
           {"orphaned_entries", s.orphaned_entries},
           {"orphaned_markers", s.orphaned_markers},
           {"checkpoints", s.checkpoints},
           {"entries_read", s.entries_read},
           {"corrupted_entries", s.corrupted_entries},
           {"bytes_read", s.bytes_read},
           {"start_lsn", s.start_lsn},
           {"end_lsn", s.end_lsn},
           {"problems", problems_json(s.problems)}};
    if (s.start_checkpoint) {
      j["start_checkpoint"] = Json{{"lsn", s.start_checkpoint->lsn},
                                   {"version", s.start_checkpoint->version}};
    } else {
      j["start_checkpoint"] = nullptr;
    }
    fmt::print("{}\n", json_line(j));
  } else {
    fmt::print("log:                {} (mvcc), mode {}\n", log.dir,
               recovery_mode_arg(mode));
    fmt::print(
        "transactions:       {} applied, {} aborted, {} incomplete, "
        "{} filtered\n",
        s.txns_applied, s.aborted_txns, s.incomplete_txns, s.txns_filtered);
    fmt::print(
        "applied:            {} writes, {} deletes, {} json, {} "
        "vector ops; {} skipped\n",
        s.writes_applied, s.deletes_applied,
        s.json_creates_applied + s.json_sets_applied + s.json_deletes_applied +
            s.json_destroys_applied,
        s.vector_collection_creates_applied +
            s.vector_collection_deletes_applied + s.vector_upserts_applied +
            s.vector_deletes_applied,
        s.entries_skipped);
    fmt::print("orphaned:           {} entries, {} markers\n",
               s.orphaned_entries, s.orphaned_markers);
    fmt::print("entries read:       {} ({} bytes, LSN {}..{})\n",
               s.entries_read, s.bytes_read, s.start_lsn, s.end_lsn);
    fmt::print("final version:      {}, max txn id {}\n", s.final_version,
               s.max_txn_id);
    fmt::print(
        "store:              {} live keys, {} JSON documents, {} "
        "vector collections\n",
        store.live_key_count(), store.json_document_count(),
        store.vector_collection_count());
    fmt::print("corrupted entries:  {}\n", s.corrupted_entries);
    for (const auto& p : s.problems) {
      fmt::print("problem:            {}\n", p.to_string());
    }
  }
  std::fflush(stdout);
  return has_damage(s.problems) ? kExitLogProblem : kExitOk;
}

int recover_txlog(const RecoverArgs& args, const LogDir& log,
                  sd::log::RecoveryMode mode,
                  const std::optional<sd::Uuid>& run) {
  tx::RecoveryOptions options;
  options.recovery_mode = mode;
  // Read-only inspection reports every damaged span; the exit code says
  // whether there was damage.
  options.max_corrupt_entries = UINT64_MAX;
  options.max_payload_size = tx::kMaxPayloadSizeLimit;
  options.filter_run_id = run;
  if (args.stop_at_lsn && *args.stop_at_lsn != UINT64_MAX) {
    // RecoveryEngine stops below its LSN; the contract's L is inclusive.
    options.stop_at_lsn = *args.stop_at_lsn + 1;
  }
  options.stop_at_commit_version = args.stop_at_version;
  ProgressBar bar("replaying", log.total_bytes, args.quiet);
  options.on_progress = [&bar](const tx::ReplayProgress& p) {
    bar.update(p.bytes);
  };
  auto replayed = tx::RecoveryEngine::replay_wal_committed(log.dir, 0, options);
  std::size_t seen = log.segment_files.size();
  for (int i = 0; i < 20; ++i) {
    const std::size_t now = segment_count(log.dir);
    if (!mentions_missing(replayed.status(),
                          replayed.ok() ? replayed->result.problems
                                        : std::vector<sd::log::LogProblem>{}) ||
        now <= seen) {
      break;
    }
    seen = now;
    replayed = tx::RecoveryEngine::replay_wal_committed(log.dir, 0, options);
  }
  bar.finish();
  if (!replayed.ok()) {
    print_error("recover", replayed.status().to_string());
    return exit_code_for(replayed.status()) == kExitUsage ? kExitUsage
                                                          : kExitLogProblem;
  }
  const tx::ReplayResult& r = replayed->result;
  if (args.json) {
    Json j{{"entries_replayed", r.entries_replayed},
           {"transactions_recovered", r.transactions_recovered},
           {"orphaned_transactions", r.orphaned_transactions},
           {"aborted_transactions", r.aborted_transactions},
           {"empty_transactions", r.empty_transactions},
           {"filtered_transactions", r.filtered_transactions},
           {"incomplete_transactions", r.incomplete_transactions},
           {"filtered_entries", r.filtered_entries},
           {"non_transactional_entries", r.non_transactional_entries},
           {"corrupt_entries", r.corrupt_entries},
           {"skipped_entries", r.skipped_entries},
           {"bytes", r.bytes},
           {"elapsed_micros", r.elapsed_micros},
           {"start_lsn", r.start_lsn},
           {"end_lsn", r.end_lsn},
           {"stop_reason", tx::stop_reason_name(r.stop_reason)},
           {"last_snapshot_lsn", r.last_snapshot_lsn},
           {"problems", problems_json(r.problems)}};
    if (r.last_snapshot) {
      j["last_snapshot"] =
          Json{{"snapshot_id", r.last_snapshot->snapshot_id.to_string()},
               {"wal_lsn", r.last_snapshot->wal_lsn}};
    } else {
      j["last_snapshot"] = nullptr;
    }
    fmt::print("{}\n", json_line(j));
  } else {
    fmt::print("log:                {} (txlog), mode {}\n", log.dir,
               recovery_mode_arg(mode));
    fmt::print(
        "transactions:       {} recovered, {} aborted, {} orphaned, "
        "{} incomplete, {} empty, {} filtered\n",
        r.transactions_recovered, r.aborted_transactions,
        r.orphaned_transactions, r.incomplete_transactions,
        r.empty_transactions, r.filtered_transactions);
    fmt::print(
        "entries:            {} replayed, {} non-transactional, {} "
        "filtered, {} skipped\n",
        r.entries_replayed, r.non_transactional_entries, r.filtered_entries,
        r.skipped_entries);
    fmt::print("read:               {} bytes, LSN {}..{}, stopped: {}\n",
               r.bytes, r.start_lsn, r.end_lsn,
               tx::stop_reason_name(r.stop_reason));
    fmt::print("corrupt entries:    {}\n", r.corrupt_entries);
    fmt::print("summary:            {}\n", r.summary());
    for (const auto& p : r.problems) {
      fmt::print("problem:            {}\n", p.to_string());
    }
  }
  std::fflush(stdout);
  return has_damage(r.problems) ? kExitLogProblem : kExitOk;
}

}  // namespace

int run_recover(const RecoverArgs& args) {
  std::string error;
  auto log = detect_log(args.dir, &error);
  if (!log) {
    print_error("recover", error);
    return kExitUsage;
  }
  const auto mode = parse_recovery_mode(args.mode);
  if (!mode) {
    print_error("recover", "--mode: unknown mode '" + args.mode + "'");
    return kExitUsage;
  }
  std::optional<sd::Uuid> run;
  if (!args.run.empty()) {
    auto parsed = sd::Uuid::parse(args.run);
    if (!parsed.ok()) {
      print_error("recover", "--run: '" + args.run + "' is not a UUID");
      return kExitUsage;
    }
    run = *parsed;
  }
  if (!log->kind) {
    print_error("recover", args.dir +
                               ": no segment header is readable, so the log's "
                               "kind is unknown (see strata-wal verify)");
    return kExitLogProblem;
  }
  switch (*log->kind) {
    case sd::log::LogKind::kMvcc:
      return recover_mvcc(args, *log, *mode, run);
    case sd::log::LogKind::kTxLog:
      return recover_txlog(args, *log, *mode, run);
    case sd::log::LogKind::kRaw:
      break;
  }
  print_error("recover", args.dir +
                             " holds a raw log; recover replays only mvcc "
                             "and txlog logs");
  return kExitUsage;
}

}  // namespace strata_wal
