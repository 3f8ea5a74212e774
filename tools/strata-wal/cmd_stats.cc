// `strata-wal stats DIR [--json]`: segments, bytes, records, first and last
// LSN, committed / aborted / unfinished transactions, counts per entry type,
// from one read-only pass.

#include <cstdio>
#include <map>
#include <string>

#include <fmt/core.h>

#include "strata/durability/txlog/wal_entry_type.h"
#include "cli_util.h"
#include "commands.h"
#include "json_out.h"
#include "log_detect.h"
#include "log_scan.h"
#include "txn_group.h"

namespace strata_wal {

namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;

int run_stats(const StatsArgs& args) {
  std::string error;
  auto log = detect_log(args.dir, &error);
  if (!log) {
    print_error("stats", error);
    return kExitUsage;
  }
  std::map<std::string, uint64_t> per_type;
  MvccGrouper mvcc_groups(nullptr);
  TxlogGrouper txlog_groups(nullptr);
  auto scan = scan_log(
      *log, args.quiet,
      [&](sd::log::Lsn lsn, mv::WALEntry&& e) {
        ++per_type[std::string(e.type_name())];
        mvcc_groups.add(lsn, std::move(e));
      },
      [&](sd::log::Lsn lsn, tx::WalEntry&& e) {
        ++per_type[std::string(tx::name(e.entry_type))];
        txlog_groups.add(lsn, std::move(e));
      });
  if (!scan.ok()) {
    print_error("stats", scan.status().to_string());
    return exit_code_for(scan.status());
  }
  mvcc_groups.finish();
  txlog_groups.finish();
  const ScanResult& r = *scan;
  const bool is_txlog = log->kind == sd::log::LogKind::kTxLog;
  const TxnCounts& c = is_txlog ? txlog_groups.counts() : mvcc_groups.counts();
  const std::string kind = log->kind ? log_kind_arg(*log->kind) : "unknown";
  if (args.json) {
    Json types = Json::object();
    for (const auto& [name, n] : per_type) types[name] = n;
    Json problems = Json::array();
    for (const auto& p : r.problems) problems.push_back(problem_json(p));
    Json out{{"log", kind},
             {"segments", r.segments},
             {"bytes", r.bytes},
             {"records", r.records},
             {"first_lsn", r.any_record ? Json(r.first_lsn) : Json(nullptr)},
             {"last_lsn", r.any_record ? Json(r.last_lsn) : Json(nullptr)},
             {"end_lsn", r.end_lsn},
             {"committed", c.committed},
             {"aborted", c.aborted},
             {"unfinished", c.unfinished},
             {"incomplete", c.incomplete},
             {"orphaned_entries", c.orphaned_entries},
             {"orphaned_markers", c.orphaned_markers},
             {"entry_types", std::move(types)},
             {"status", scan_status(r)},
             {"problems", std::move(problems)}};
    if (is_txlog) out["non_transactional"] = txlog_groups.non_transactional();
    fmt::print("{}\n", json_line(out));
  } else {
    fmt::print("log:          {} ({})\n", args.dir, kind);
    fmt::print("segments:     {}\nbytes:        {}\nrecords:      {}\n",
               r.segments, r.bytes, r.records);
    if (r.any_record) {
      fmt::print("first LSN:    {}\nlast LSN:     {}\n", r.first_lsn,
                 r.last_lsn);
    } else {
      fmt::print("first LSN:    -\nlast LSN:     -\n");
    }
    fmt::print("transactions: {} committed, {} aborted, {} unfinished",
               c.committed, c.aborted, c.unfinished);
    if (c.incomplete > 0) fmt::print(", {} incomplete", c.incomplete);
    fmt::print("\n");
    if (c.orphaned_entries + c.orphaned_markers > 0) {
      fmt::print("orphaned:     {} entries, {} markers\n", c.orphaned_entries,
                 c.orphaned_markers);
    }
    fmt::print("entry types:\n");
    for (const auto& [name, n] : per_type) {
      fmt::print("  {:<24} {}\n", name, n);
    }
    for (const auto& p : r.problems) {
      fmt::print("problem:      {}\n", p.to_string());
    }
    fmt::print("status:       {}\n", scan_status(r));
  }
  std::fflush(stdout);
  return r.has_damage() ? kExitLogProblem : kExitOk;
}

}  // namespace strata_wal
