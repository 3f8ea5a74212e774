// `strata-wal bench [DIR] ...`: runs one commit workload against a new log
// (raw core, MVCC WAL or Transaction Log) and reports commits/s, entries/s,
// MB/s and the commit latency percentiles, beside the raw ceilings measured
// in the same run on the same file system: a write+fdatasync loop into a
// preallocated file (always) and a plain write() loop (for modes that do
// not sync each commit). Each ceiling operation writes one commit's payload
// (entries x value size), so one ratio covers commits/s, entries/s and MB/s
// alike. The load loop and the ceilings are bench/harness/, shared with
// bench/compare.

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "harness/driver.h"
#include "harness/raw_ceilings.h"
#include "harness/strata_logs.h"
#include "log_detect.h"

namespace strata_wal {

namespace {

namespace fs = std::filesystem;
namespace sb = strata_bench;
using Json = nlohmann::json;

// The ceiling's preallocated file: about a thousand operations before it
// wraps to its start (wrapping costs nothing: no metadata changes).
uint64_t ceiling_file_size(uint64_t op_bytes) {
  const uint64_t want = op_bytes * 1024;
  if (want < (1ULL << 20)) return 1ULL << 20;
  if (want > (64ULL << 20)) return 64ULL << 20;
  return want;
}

struct Figures {
  uint64_t ops = 0;
  double seconds = 0;
  double ops_per_sec = 0;
  uint64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
};

Figures figures(const sb::DriveResult& r) {
  Figures f;
  f.ops = r.ops;
  f.seconds = r.seconds;
  f.ops_per_sec = r.ops_per_sec();
  f.p50_ns = r.latency.percentile(50);
  f.p99_ns = r.latency.percentile(99);
  f.p999_ns = r.latency.percentile(99.9);
  f.max_ns = r.latency.max();
  return f;
}

Json latency_json(const Figures& f) {
  return Json{{"p50", static_cast<double>(f.p50_ns) / 1e3},
              {"p99", static_cast<double>(f.p99_ns) / 1e3},
              {"p999", static_cast<double>(f.p999_ns) / 1e3},
              {"max", static_cast<double>(f.max_ns) / 1e3}};
}

// "812 ns", "1.52 ms", ...
std::string duration_text(uint64_t ns) {
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1000000)
    return fmt::format("{:.1f} us", static_cast<double>(ns) / 1e3);
  if (ns < 1000000000) {
    return fmt::format("{:.2f} ms", static_cast<double>(ns) / 1e6);
  }
  return fmt::format("{:.2f} s", static_cast<double>(ns) / 1e9);
}

// One ceiling loop for `ms` milliseconds on one thread; false with *error.
bool run_sync_ceiling(const std::string& path, uint64_t op_bytes, uint64_t ms,
                      Figures* out, std::string* error) {
  sb::RawSyncFile file;
  if (!file.open(path, op_bytes, ceiling_file_size(op_bytes), error)) {
    return false;
  }
  sb::DriveOptions o;
  o.seconds = static_cast<double>(ms) / 1e3;
  auto r = sb::drive(o, [&](unsigned, sb::Operation* op, std::string*) {
    *op = [&file](uint64_t, std::string* e) { return file.append(e); };
    return true;
  });
  if (!r.ok()) {
    *error = r.error;
    return false;
  }
  *out = figures(r);
  return true;
}

bool run_write_ceiling(const std::string& path, uint64_t op_bytes, uint64_t ms,
                       Figures* out, std::string* error) {
  sb::RawWriteFile file;
  if (!file.open(path, op_bytes, error)) return false;
  sb::DriveOptions o;
  o.seconds = static_cast<double>(ms) / 1e3;
  auto r = sb::drive(o, [&](unsigned, sb::Operation* op, std::string*) {
    *op = [&file](uint64_t, std::string* e) {
      return file.append(e) && (!file.full() || file.rewind(e));
    };
    return true;
  });
  if (!r.ok()) {
    *error = r.error;
    return false;
  }
  *out = figures(r);
  return true;
}

// Removes what the run made: the whole directory when the tool made it,
// else the ceiling files and (unless kept) the log.
void clean_up(const std::string& dir, bool made_dir, bool keep,
              const std::string& log_dir) {
  std::error_code ec;
  if (!keep && made_dir) {
    fs::remove_all(dir, ec);
    return;
  }
  fs::remove(dir + "/ceiling-sync", ec);
  fs::remove(dir + "/ceiling-write", ec);
  if (!keep) fs::remove_all(log_dir, ec);
}

}  // namespace

int run_bench(const BenchArgs& args) {
  const char* kCmd = "bench";
  auto kind = sb::parse_strata_log_kind(args.log);
  if (!kind) {
    print_error(kCmd,
                "--log must be raw, mvcc or txlog, not '" + args.log + "'");
    return kExitUsage;
  }
  if (args.threads == 0 || args.threads > 1024) {
    print_error(kCmd, "--threads must be 1..1024");
    return kExitUsage;
  }
  if (args.entries == 0 || args.entries > 100000) {
    print_error(kCmd, "--entries must be 1..100000");
    return kExitUsage;
  }
  if (args.value_size == 0 || args.value_size > (16ULL << 20)) {
    print_error(kCmd, "--value-size must be 1..16777216 bytes");
    return kExitUsage;
  }
  if (args.entries * args.value_size > (64ULL << 20)) {
    print_error(kCmd, "--entries x --value-size must be at most 64 MiB");
    return kExitUsage;
  }
  if (args.txns && args.duration) {
    print_error(kCmd, "give --txns or --duration, not both");
    return kExitUsage;
  }
  if (args.txns && *args.txns == 0) {
    print_error(kCmd, "--txns must be at least 1");
    return kExitUsage;
  }
  const double seconds = args.duration ? *args.duration : 2.0;
  if (!args.txns && !(seconds > 0 && seconds <= 3600)) {
    print_error(kCmd, "--duration must be more than 0 and at most 3600 s");
    return kExitUsage;
  }
  if (args.async_depth > 100000) {
    print_error(kCmd, "--async must be at most 100000");
    return kExitUsage;
  }
  if (args.ceiling_ms > 600000) {
    print_error(kCmd, "--ceiling-ms must be at most 600000");
    return kExitUsage;
  }
  if (args.mode == "batched" &&
      (args.interval_ms == 0 || args.batch_size == 0)) {
    print_error(kCmd, "--interval-ms and --batch-size must be at least 1");
    return kExitUsage;
  }

  sb::StrataWorkload w;
  w.kind = *kind;
  w.entries = args.entries;
  w.value_size = static_cast<std::size_t>(args.value_size);
  w.segment_size = args.segment_size;
  if (args.no_preallocate) w.preallocate_segments = false;
  w.async_depth = args.async_depth;
  if (args.mode == "strict") {
    w.mode = sd::DurabilityMode::strict();
  } else if (args.mode == "batched") {
    w.mode = sd::DurabilityMode::batched(args.interval_ms, args.batch_size);
  } else if (args.mode == "none") {
    w.mode = sd::DurabilityMode::none();
  } else {
    print_error(kCmd, "--mode must be strict, batched or none, not '" +
                          args.mode + "'");
    return kExitUsage;
  }

  // Where to run: a new directory under /var/tmp (a real disk, unlike a
  // tmpfs /tmp), or DIR if it is missing or empty.
  std::string dir = args.dir;
  bool made_dir = false;
  std::string error;
  if (dir.empty()) {
    std::string tmpl = "/var/tmp/strata-wal-bench-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      print_error(kCmd, "cannot create a directory under /var/tmp");
      return kExitUsage;
    }
    dir = tmpl;
    made_dir = true;
  } else {
    auto empty = dir_is_missing_or_empty(dir, &error);
    if (!empty) {
      print_error(kCmd, error);
      return kExitUsage;
    }
    if (!*empty) {
      print_error(kCmd, dir +
                            " is not empty; bench writes a new log and its "
                            "ceiling files only into a missing or empty "
                            "directory");
      return kExitUsage;
    }
    std::error_code ec;
    made_dir = !fs::exists(dir, ec);
    fs::create_directories(dir, ec);
    if (ec) {
      print_error(kCmd, "cannot create " + dir + ": " + ec.message());
      return kExitUsage;
    }
  }
  const std::string log_dir = dir + "/log";
  const uint64_t op_bytes = args.entries * args.value_size;

  // The durable ceiling first, then the workload, then (unless Strict) the
  // OS ceiling, all on DIR's file system.
  Figures sync_ceiling;
  const bool ceilings = args.ceiling_ms > 0;
  if (ceilings && !run_sync_ceiling(dir + "/ceiling-sync", op_bytes,
                                    args.ceiling_ms, &sync_ceiling, &error)) {
    print_error(kCmd, "ceiling: " + error);
    clean_up(dir, made_dir, false, log_dir);
    return kExitLogProblem;
  }

  auto log = sb::StrataLog::open(log_dir, w);
  if (!log.ok()) {
    print_error(kCmd, log.status().to_string());
    clean_up(dir, made_dir, false, log_dir);
    return exit_code_for(log.status());
  }
  sb::DriveOptions o;
  o.threads = static_cast<unsigned>(args.threads);
  o.ops = args.txns ? *args.txns : 0;
  o.seconds = seconds;
  auto run = sb::drive(o, [&](unsigned t, sb::Operation* op, std::string*) {
    *op = (*log)->make_operation(t);
    return true;
  });
  const auto stats = (*log)->stats();
  sd::Status closed = (*log)->close();
  if (closed.ok() && args.async_depth > 0) {
    // close() has called back every commit in flight.
    const std::string failed = (*log)->async_error();
    if (!failed.empty()) closed = sd::Status::io_error(failed);
    run.latency = (*log)->async_latency();
  }
  if (!run.ok() || !closed.ok()) {
    print_error(kCmd, "after " + std::to_string(run.ops) + " commits: " +
                          (run.ok() ? closed.to_string() : run.error));
    clean_up(dir, made_dir, args.keep, log_dir);
    return kExitLogProblem;
  }
  const Figures f = figures(run);

  Figures write_ceiling;
  const bool want_write = ceilings && !w.mode.is_strict();
  if (want_write &&
      !run_write_ceiling(dir + "/ceiling-write", op_bytes, args.ceiling_ms,
                         &write_ceiling, &error)) {
    print_error(kCmd, "ceiling: " + error);
    clean_up(dir, made_dir, args.keep, log_dir);
    return kExitLogProblem;
  }
  clean_up(dir, made_dir, args.keep, log_dir);

  const double entries_per_sec =
      f.ops_per_sec * static_cast<double>(args.entries);
  const double mb_per_sec =
      entries_per_sec * static_cast<double>(args.value_size) / 1e6;
  const double log_mb_per_sec =
      f.seconds > 0 ? static_cast<double>(stats.bytes) / f.seconds / 1e6 : 0;
  auto ratio = [&](const Figures& c) {
    return c.ops_per_sec > 0 ? f.ops_per_sec / c.ops_per_sec : 0.0;
  };
  auto ceiling_json = [&](const Figures& c) {
    return Json{
        {"op_bytes", op_bytes},
        {"ops", c.ops},
        {"seconds", c.seconds},
        {"ops_per_sec", c.ops_per_sec},
        {"mb_per_sec", c.ops_per_sec * static_cast<double>(op_bytes) / 1e6},
        {"latency_us", latency_json(c)}};
  };

  if (args.json) {
    Json j;
    j["log"] = args.log;
    j["mode"] = args.mode;
    j["mode_description"] = w.mode.description();
    j["threads"] = args.threads;
    j["async_depth"] = args.async_depth;
    j["entries"] = args.entries;
    j["value_size"] = args.value_size;
    j["dir"] = args.keep ? Json(log_dir) : Json(nullptr);
    j["commits"] = f.ops;
    j["entries_written"] = f.ops * args.entries;
    j["seconds"] = f.seconds;
    j["commits_per_sec"] = f.ops_per_sec;
    j["entries_per_sec"] = entries_per_sec;
    j["mb_per_sec"] = mb_per_sec;
    j["latency_us"] = latency_json(f);
    j["log_bytes"] = stats.bytes;
    j["log_mb_per_sec"] = log_mb_per_sec;
    j["syncs"] = stats.syncs;
    j["groups"] = stats.groups;
    // Upper bounds of the histogram buckets holding the percentiles.
    j["sync_us_p50_under"] = stats.sync_micros_percentile(50) + 1;
    j["sync_us_p99_under"] = stats.sync_micros_percentile(99) + 1;
    j["rotations"] = stats.rotations;
    j["preallocated_segments"] = stats.preallocated_segments;
    j["preallocation_misses"] = stats.preallocation_misses;
    j["ceilings"] = {
        {"write_fdatasync", ceilings ? ceiling_json(sync_ceiling) : Json()},
        {"write", want_write ? ceiling_json(write_ceiling) : Json()}};
    j["ratios"] = {
        {"write_fdatasync", ceilings ? Json(ratio(sync_ceiling)) : Json()},
        {"write", want_write ? Json(ratio(write_ceiling)) : Json()}};
    fmt::print("{}\n", j.dump());
    return kExitOk;
  }

  fmt::print("{} log, {}, {} thread{}, {} entr{} of {} B per commit, on {}\n",
             args.log, w.mode.description(), args.threads,
             args.threads == 1 ? "" : "s", args.entries,
             args.entries == 1 ? "y" : "ies", args.value_size, dir);
  fmt::print(
      "  commits   {} in {:.3f} s: {:.0f} commits/s, {:.0f} entries/s, "
      "{:.2f} MB/s\n",
      f.ops, f.seconds, f.ops_per_sec, entries_per_sec, mb_per_sec);
  fmt::print(
      "  latency   {}p50 {}, p99 {}, p999 {}, max {}\n",
      args.async_depth > 0
          ? fmt::format("(async, {} in flight per thread) ", args.async_depth)
          : std::string(),
      duration_text(f.p50_ns), duration_text(f.p99_ns),
      duration_text(f.p999_ns), duration_text(f.max_ns));
  fmt::print("  log       {} bytes ({:.2f} MB/s), {} writes, {} fdatasyncs{}\n",
             stats.bytes, log_mb_per_sec, stats.groups, stats.syncs,
             stats.syncs == 0
                 ? std::string()
                 : fmt::format(" (p50 under {} us, p99 under {} us)",
                               stats.sync_micros_percentile(50) + 1,
                               stats.sync_micros_percentile(99) + 1));
  if (stats.rotations > 0) {
    fmt::print(
        "  segments  {} rotations: {} into preallocated segments, {} "
        "preallocation misses\n",
        stats.rotations, stats.preallocated_segments,
        stats.preallocation_misses);
  }
  if (ceilings) {
    fmt::print(
        "  ceiling   write+fdatasync of {} B: {:.0f} ops/s (p50 {}); "
        "ratio {:.3f}\n",
        op_bytes, sync_ceiling.ops_per_sec, duration_text(sync_ceiling.p50_ns),
        ratio(sync_ceiling));
  }
  if (want_write) {
    fmt::print(
        "  ceiling   write() of {} B: {:.0f} ops/s (p50 {}); ratio {:.3f}\n",
        op_bytes, write_ceiling.ops_per_sec,
        duration_text(write_ceiling.p50_ns), ratio(write_ceiling));
  }
  if (args.keep) fmt::print("  kept      {}\n", log_dir);
  return kExitOk;
}

}  // namespace strata_wal
