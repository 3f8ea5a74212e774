// `strata-wal verify DIR [--json]`: checks every segment and record (and
// that each record decodes as an entry of the log's kind). Exit 0 when the
// log is clean or only has a torn tail, 1 on any other problem.

#include <cstdio>

#include <fmt/core.h>

#include "cli_util.h"
#include "commands.h"
#include "json_out.h"
#include "log_detect.h"
#include "log_scan.h"

namespace strata_wal {

int run_verify(const VerifyArgs& args) {
  std::string error;
  auto log = detect_log(args.dir, &error);
  if (!log) {
    print_error("verify", error);
    return kExitUsage;
  }
  auto scan = scan_log(*log, args.quiet, {}, {});
  if (!scan.ok()) {
    print_error("verify", scan.status().to_string());
    return exit_code_for(scan.status());
  }
  const ScanResult& r = *scan;
  const char* status = scan_status(r);
  if (args.json) {
    Json problems = Json::array();
    for (const auto& p : r.problems) problems.push_back(problem_json(p));
    Json out{{"status", status},
             {"log", log->kind ? log_kind_arg(*log->kind) : "unknown"},
             {"segments", r.segments},
             {"records", r.records},
             {"bytes", r.bytes},
             {"problems", std::move(problems)}};
    fmt::print("{}\n", json_line(out));
  } else {
    fmt::print("log:      {} ({})\n", args.dir,
               log->kind ? log_kind_arg(*log->kind) : "unknown kind");
    fmt::print("segments: {}\nrecords:  {}\nbytes:    {}\n", r.segments,
               r.records, r.bytes);
    for (const auto& p : r.problems)
      fmt::print("problem:  {}\n", p.to_string());
    fmt::print("status:   {}\n", status);
  }
  std::fflush(stdout);
  return r.has_damage() ? kExitLogProblem : kExitOk;
}

}  // namespace strata_wal
