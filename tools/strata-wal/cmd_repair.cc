// `strata-wal repair DIR [--mode M] [--json]`: makes a damaged log writable
// again with log::repair_log, which copies every byte it removes to a
// quarantine file in DIR first (and in skip-corrupt mode pads damaged spans
// in place). Prints what it did; exit 0 when the log is writable afterwards.

#include <cstdio>
#include <set>
#include <string>

#include <fmt/core.h>

#include "strata/durability/env.h"
#include "strata/durability/log/log_repair.h"
#include "cli_util.h"
#include "commands.h"
#include "json_out.h"
#include "log_detect.h"
#include "log_scan.h"

namespace strata_wal {

namespace {

// The quarantine files in `dir` (repair reports the ones it adds).
std::set<std::string> quarantine_files(const std::string& dir) {
  std::set<std::string> out;
  auto names = sd::Env::posix()->list_dir(dir);
  if (!names.ok()) return out;
  for (const std::string& n : *names) {
    if (n.find("quarantine") != std::string::npos) {
      out.insert(sd::join_path(dir, n));
    }
  }
  return out;
}

}  // namespace

int run_repair(const RepairArgs& args) {
  std::string error;
  auto log = detect_log(args.dir, &error);
  if (!log) {
    print_error("repair", error);
    return kExitUsage;
  }
  const auto mode = parse_recovery_mode(args.mode);
  if (!mode) {
    print_error("repair", "--mode: unknown mode '" + args.mode + "'");
    return kExitUsage;
  }
  sd::log::RepairOptions options;
  options.recovery_mode = *mode;
  options.max_record_size = sd::log::kMaxRecordSizeLimit;
  // What is wrong before the repair, read-only: repair_log's report holds
  // what its final open found, which no longer shows padded spans.
  auto before = scan_log(*log, /*quiet=*/true, {}, {});
  const auto quarantined_before = quarantine_files(args.dir);
  auto repaired = sd::log::repair_log(args.dir, options);
  if (!repaired.ok()) {
    // Busy (a writer holds the log), damage the mode cannot repair, or an
    // I/O error: in every case the log is not known to be writable.
    print_error("repair", repaired.status().to_string());
    return exit_code_for(repaired.status()) == kExitUsage ? kExitUsage
                                                          : kExitLogProblem;
  }
  const sd::log::RepairReport& r = *repaired;
  const sd::log::OpenReport& o = r.open;
  std::vector<sd::log::LogProblem> found;
  if (before.ok()) found = before->problems;
  std::vector<std::string> added;
  for (const auto& f : quarantine_files(args.dir)) {
    if (quarantined_before.count(f) == 0) added.push_back(f);
  }
  if (args.json) {
    Json found_json = Json::array();
    for (const auto& p : found) found_json.push_back(problem_json(p));
    Json remaining = Json::array();
    for (const auto& p : r.remaining) remaining.push_back(problem_json(p));
    Json j{{"log", log_kind_arg(r.kind)},
           {"mode", recovery_mode_arg(*mode)},
           {"writable", r.writable},
           {"segments", o.segments},
           {"records", o.records},
           {"end_lsn", o.end_lsn},
           {"truncated_bytes", o.truncated_bytes},
           {"rotation_completed", o.rotation_completed},
           {"padded_spans", r.padded_spans},
           {"padded_bytes", r.padded_bytes},
           {"quarantine_files", added},
           {"problems", std::move(found_json)},
           {"remaining", std::move(remaining)}};
    fmt::print("{}\n", json_line(j));
  } else {
    fmt::print("log:              {} ({}), mode {}\n", args.dir,
               log_kind_arg(r.kind), recovery_mode_arg(*mode));
    for (const auto& p : found) {
      fmt::print("found:            {}\n", p.to_string());
    }
    fmt::print("truncated:        {} bytes\n", o.truncated_bytes);
    fmt::print("padded:           {} spans, {} bytes\n", r.padded_spans,
               r.padded_bytes);
    if (o.rotation_completed) {
      fmt::print(
          "rotation:         an interrupted segment rotation was "
          "finished\n");
    }
    for (const auto& f : added) {
      fmt::print("quarantined to:   {}\n", f);
    }
    for (const auto& p : r.remaining) {
      fmt::print("not repaired:     {}\n", p.to_string());
    }
    fmt::print("now:              {} segments, {} records, next LSN {}\n",
               o.segments, o.records, o.end_lsn);
    fmt::print("writable:         {}\n", r.writable ? "yes" : "no");
  }
  std::fflush(stdout);
  return r.writable ? kExitOk : kExitLogProblem;
}

}  // namespace strata_wal
