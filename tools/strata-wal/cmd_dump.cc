// `strata-wal dump DIR [--json] [--from-lsn L] [--run UUID] [--type NAME]...
// [--committed]`: prints the entries of a log, as text or JSON Lines. The
// filters apply to what is printed after transactions are grouped, never to
// the grouping itself. Problems go to stderr; damage makes the exit code 1.

#include <cstdio>
#include <set>
#include <string>

#include <fmt/core.h>

#include "strata/durability/txlog/wal_entry_type.h"
#include "strata/durability/uuid.h"
#include "cli_util.h"
#include "commands.h"
#include "json_out.h"
#include "log_detect.h"
#include "log_scan.h"
#include "txn_group.h"

namespace strata_wal {

namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;

namespace {

// The type names of a log kind, for checking --type.
std::set<std::string> type_names(sd::log::LogKind kind) {
  std::set<std::string> names;
  if (kind == sd::log::LogKind::kMvcc) {
    for (int b = 0; b < 256; ++b) {
      if (auto k = mv::wal_entry_kind_from_byte(static_cast<uint8_t>(b))) {
        names.emplace(mv::wal_entry_kind_name(*k));
      }
    }
  } else if (kind == sd::log::LogKind::kTxLog) {
    for (auto t : tx::kAllWalEntryTypes) names.emplace(tx::name(t));
  }
  return names;
}

struct Filter {
  std::optional<uint64_t> from_lsn;
  std::optional<sd::Uuid> run;
  std::set<std::string> types;

  bool pass(sd::log::Lsn lsn, std::string_view type,
            const std::optional<sd::Uuid>& run_id) const {
    if (from_lsn && lsn < *from_lsn) return false;
    if (run && run_id != run) return false;
    if (!types.empty() && types.count(std::string(type)) == 0) return false;
    return true;
  }
};

}  // namespace

int run_dump(const DumpArgs& args) {
  std::string error;
  auto log = detect_log(args.dir, &error);
  if (!log) {
    print_error("dump", error);
    return kExitUsage;
  }
  Filter filter;
  filter.from_lsn = args.from_lsn;
  if (!args.run.empty()) {
    auto run = sd::Uuid::parse(args.run);
    if (!run.ok()) {
      print_error("dump", "--run: '" + args.run + "' is not a UUID");
      return kExitUsage;
    }
    filter.run = *run;
  }
  if (!args.types.empty()) {
    const auto known = type_names(log->kind.value_or(sd::log::LogKind::kRaw));
    for (const std::string& t : args.types) {
      if (known.count(t) == 0) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        print_error("dump", "--type: '" + t + "' is not an entry type of " +
                                args.dir + " (one of: " + list + ")");
        return kExitUsage;
      }
      filter.types.insert(t);
    }
  }

  const bool json = args.json;
  MvccGrouper mvcc_groups([&](MvccGrouper::Txn&& txn) {
    for (const auto& [lsn, e] : txn.entries) {
      if (!filter.pass(lsn, e.type_name(), txn.run_id)) continue;
      if (json) {
        Json j = mvcc_entry_json(lsn, e);
        j["txn_id"] = txn.txn_id;
        j["run_id"] = txn.run_id.to_string();
        j["commit_lsn"] = txn.commit_lsn;
        fmt::print("{}\n", json_line(j));
      } else {
        fmt::print("{:>12}  txn={} {}\n", lsn, txn.txn_id, e.to_string());
      }
    }
  });
  TxlogGrouper txlog_groups([&](TxlogGrouper::Txn&& txn) {
    for (const auto& [lsn, e] : txn.entries) {
      if (!filter.pass(lsn, tx::name(e.entry_type), e.run_id)) continue;
      if (json) {
        Json j = txlog_entry_json(lsn, e);
        j["txn_id"] = txn.tx_id.to_string();
        if (txn.commit_version) j["version"] = *txn.commit_version;
        j["commit_lsn"] = txn.commit_lsn;
        fmt::print("{}\n", json_line(j));
      } else {
        fmt::print("{:>12}  {}\n", lsn, tx::describe(e));
      }
    }
  });

  auto on_mvcc = [&](sd::log::Lsn lsn, mv::WALEntry&& e) {
    if (args.committed) {
      mvcc_groups.add(lsn, std::move(e));
      return;
    }
    if (!filter.pass(lsn, e.type_name(), e.run_id())) return;
    if (json) {
      fmt::print("{}\n", json_line(mvcc_entry_json(lsn, e)));
    } else {
      fmt::print("{:>12}  {}\n", lsn, e.to_string());
    }
  };
  auto on_txlog = [&](sd::log::Lsn lsn, tx::WalEntry&& e) {
    if (args.committed) {
      txlog_groups.add(lsn, std::move(e));
      return;
    }
    if (!filter.pass(lsn, tx::name(e.entry_type), e.run_id)) return;
    if (json) {
      fmt::print("{}\n", json_line(txlog_entry_json(lsn, e)));
    } else {
      fmt::print("{:>12}  {}\n", lsn, tx::describe(e));
    }
  };
  auto scan = scan_log(*log, args.quiet, on_mvcc, on_txlog);
  std::fflush(stdout);
  if (!scan.ok()) {
    print_error("dump", scan.status().to_string());
    return exit_code_for(scan.status());
  }
  for (const auto& p : scan->problems) print_note("dump", p.to_string());
  return scan->has_damage() ? kExitLogProblem : kExitOk;
}

}  // namespace strata_wal
