// strata-wal: the command-line tool for strata-durability's logs. This file
// defines the command line (the interface of issue 6, a contract scripts
// depend on) and dispatches to the cmd_*.cc files. CLI11 reports parse
// errors by exception; they are caught here and turned into one line on
// stderr and exit code 2.

#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli_util.h"
#include "commands.h"

namespace strata_wal {
namespace {

// A u64 option given in decimal; anything else is a usage error.
template <typename Target>
CLI::Option* add_u64(CLI::App* app, const std::string& name, Target* target,
                     const std::string& help) {
  auto* opt = app->add_option_function<std::string>(
      name,
      [target, name](const std::string& text) {
        auto v = parse_u64(text);
        if (!v) {
          throw CLI::ValidationError(
              name, "'" + text + "' is not a decimal number 0..2^64-1");
        }
        *target = *v;
      },
      help);
  opt->type_name("N");
  return opt;
}

const CLI::IsMember& mode_names() {
  static const CLI::IsMember kModes(
      {"tolerate-tail", "absolute", "point-in-time", "skip-corrupt"});
  return kModes;
}

int run(int argc, char** argv) {
  CLI::App app{
      "strata-wal: inspect, verify, recover and repair strata-durability "
      "logs (MVCC WAL and Transaction Log).\n"
      "Exit codes: 0 success, 1 problems found in the log, 2 usage error or "
      "not a log.",
      "strata-wal"};
  app.set_version_flag("--version",
                       std::string("strata-wal ") + STRATA_WAL_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  DemoArgs demo;
  auto* c_demo = app.add_subcommand(
      "demo",
      "Write a realistic workload to both logs in DIR/mvcc and DIR/txlog, "
      "kill a writer with SIGKILL mid-transaction, recover, and report. Exit "
      "0 only if what was recovered matches what was acknowledged.");
  c_demo->add_option("--dir", demo.dir,
                     "where to write (default: a new temporary directory, "
                     "kept and printed)");
  add_u64(c_demo, "--seed", &demo.seed, "seed of the workload (default 42)");
  c_demo->add_flag("--quiet,-q", demo.quiet, "no progress output");

  WriteArgs write;
  auto* c_write = app.add_subcommand(
      "write",
      "Workload generator: append --txns transactions of --entries writes of "
      "--value-size bytes to the log in DIR (created if DIR is missing or "
      "empty). With --ack-file, one line '<txn_id> <lsn>' is appended after "
      "each commit returns.");
  c_write->add_option("DIR", write.dir, "log directory")->required();
  c_write->add_option("--log", write.log, "which log: mvcc or txlog")
      ->required()
      ->check(CLI::IsMember({"mvcc", "txlog"}));
  c_write
      ->add_option("--mode", write.mode,
                   "durability mode: strict (default), batched or none")
      ->check(CLI::IsMember({"strict", "batched", "none"}));
  add_u64(c_write, "--interval-ms", &write.interval_ms,
          "batched mode: sync interval in ms (default 100)");
  add_u64(c_write, "--batch-size", &write.batch_size,
          "batched mode: appends that start a sync (default 1000)");
  add_u64(c_write, "--threads", &write.threads, "writer threads (default 1)");
  add_u64(c_write, "--txns", &write.txns,
          "transactions in total, across all threads (default 1000)");
  add_u64(c_write, "--entries", &write.entries,
          "writes per transaction (default 4)");
  add_u64(c_write, "--value-size", &write.value_size,
          "bytes per written value (default 100)");
  c_write->add_option("--run", write.run,
                      "run id (UUID) of every transaction (default: new)");
  c_write->add_option("--ack-file", write.ack_file,
                      "append '<txn_id> <lsn>' per acknowledged commit");
  add_u64(c_write, "--seed", &write.seed,
          "seed of the value contents (default 1)");
  add_u64(c_write, "--segment-size", &write.segment_size,
          "advanced: target segment size in bytes for a new or reopened "
          "log (default 64 MiB; small values make many segments, for tests)");
  c_write->add_flag("--no-preallocate", write.no_preallocate,
                    "advanced: let segments grow with each append instead "
                    "of zero-filling the next one ahead of use");
  c_write->add_flag("--quiet,-q", write.quiet, "no progress bar");

  DumpArgs dump;
  auto* c_dump = app.add_subcommand(
      "dump",
      "Print the entries of the log in DIR. Filters apply after transactions "
      "are grouped.");
  c_dump->add_option("DIR", dump.dir, "log directory")->required();
  c_dump->add_flag("--json", dump.json, "JSON Lines, one object per entry");
  add_u64(c_dump, "--from-lsn", &dump.from_lsn,
          "only entries whose LSN is >= this");
  c_dump->add_option("--run", dump.run, "only entries of this run (UUID)");
  c_dump->add_option("--type", dump.types,
                     "only entries of this type (repeatable), e.g. Write, "
                     "KvPut");
  c_dump->add_flag("--committed", dump.committed,
                   "only the data entries of committed transactions, in "
                   "commit order, as recovery sees them");
  c_dump->add_flag("--quiet,-q", dump.quiet, "no progress bar");

  TailArgs tail;
  auto* c_tail = app.add_subcommand(
      "tail",
      "Print the entries of the log in DIR as they become durable, in the "
      "format of dump. Takes no lock: runs beside a live writer.");
  c_tail->add_option("DIR", tail.dir, "log directory")->required();
  add_u64(c_tail, "--from-lsn", &tail.from_lsn,
          "start at the first entry whose LSN is >= this (default: the "
          "oldest entry the log holds)");
  c_tail->add_flag("--follow,-f", tail.follow,
                   "keep waiting for new entries until SIGINT or SIGTERM");
  c_tail->add_flag("--json", tail.json, "JSON Lines, one object per entry");
  c_tail->add_option("--slot", tail.slot,
                     "a replication slot: start where it stands (created "
                     "at the start when missing), move it as entries are "
                     "printed, and hold the log's retirement back for it");
  c_tail->add_flag("--unsynced", tail.unsynced,
                   "print entries as soon as they are written, before they "
                   "are durable (a power cut may undo them)");

  SlotsArgs slots;
  auto* c_slots = app.add_subcommand(
      "slots",
      "List the replication slots of the log in DIR (each holds back the "
      "retirement of the segments from its restart LSN on), or drop one.");
  c_slots->add_option("DIR", slots.dir, "log directory")->required();
  c_slots->add_option("--drop", slots.drop, "drop this slot");
  c_slots->add_flag("--json", slots.json, "JSON Lines, one object per slot");

  VerifyArgs verify;
  auto* c_verify = app.add_subcommand(
      "verify",
      "Check every segment and record. Exit 0 when clean or only a torn "
      "tail, 1 on corruption, a missing segment or a bad header.");
  c_verify->add_option("DIR", verify.dir, "log directory")->required();
  c_verify->add_flag("--json", verify.json,
                     "one object: status, segments, records, bytes, problems");
  c_verify->add_flag("--quiet,-q", verify.quiet, "no progress bar");

  RecoverArgs recover;
  auto* c_recover = app.add_subcommand(
      "recover",
      "Replay the log read-only (MVCC: into the reference store; Transaction "
      "Log: the committed transactions) and print the statistics. Never "
      "changes DIR.");
  c_recover->add_option("DIR", recover.dir, "log directory")->required();
  c_recover
      ->add_option("--mode", recover.mode,
                   "tolerate-tail (default), absolute, point-in-time or "
                   "skip-corrupt")
      ->check(mode_names());
  c_recover->add_option("--run", recover.run,
                        "apply only transactions of this run (UUID)");
  add_u64(c_recover, "--stop-at-version", &recover.stop_at_version,
          "the state as of this version (MVCC versions; commit versions in "
          "the Transaction Log)");
  add_u64(c_recover, "--stop-at-lsn", &recover.stop_at_lsn,
          "apply only transactions whose commit record's LSN is <= this");
  c_recover->add_flag("--json", recover.json,
                      "the replay statistics as one JSON object");
  c_recover->add_flag("--quiet,-q", recover.quiet, "no progress bar");

  RepairArgs repair;
  auto* c_repair = app.add_subcommand(
      "repair",
      "Make the log writable again. Every removed byte is first copied to a "
      "quarantine file in DIR; skip-corrupt overwrites damaged spans with "
      "padding of the same length. Exit 0 when writable afterwards.");
  c_repair->add_option("DIR", repair.dir, "log directory")->required();
  c_repair
      ->add_option("--mode", repair.mode,
                   "tolerate-tail (default), absolute, point-in-time or "
                   "skip-corrupt")
      ->check(mode_names());
  c_repair->add_flag("--json", repair.json, "the repair report as JSON");

  StatsArgs stats;
  auto* c_stats = app.add_subcommand(
      "stats",
      "Segments, bytes, records, first and last LSN, committed, aborted and "
      "unfinished transactions, counts per entry type.");
  c_stats->add_option("DIR", stats.dir, "log directory")->required();
  c_stats->add_flag("--json", stats.json, "one JSON object");
  c_stats->add_flag("--quiet,-q", stats.quiet, "no progress bar");

  BenchArgs bench;
  auto* c_bench = app.add_subcommand(
      "bench",
      "Measure commits/s, entries/s, MB/s and p50/p99/p999 commit latency "
      "of one workload on a new log in DIR (missing or empty; default a new "
      "directory under /var/tmp, removed afterwards), beside the raw "
      "ceilings measured in the same run on the same file system: a "
      "write+fdatasync loop into a preallocated file, and (unless strict) a "
      "plain write() loop. Each ceiling operation writes one commit's "
      "payload, so the ratios apply to every rate.");
  c_bench->add_option("DIR", bench.dir, "where to write");
  c_bench->add_option("--log", bench.log, "raw, mvcc (default) or txlog")
      ->check(CLI::IsMember({"raw", "mvcc", "txlog"}));
  c_bench
      ->add_option("--mode", bench.mode,
                   "durability mode: strict (default), batched or none")
      ->check(CLI::IsMember({"strict", "batched", "none"}));
  add_u64(c_bench, "--interval-ms", &bench.interval_ms,
          "batched mode: sync interval in ms (default 100)");
  add_u64(c_bench, "--batch-size", &bench.batch_size,
          "batched mode: appends that start a sync (default 1000)");
  add_u64(c_bench, "--threads", &bench.threads,
          "writer threads sharing the log (default 1)");
  auto* o_txns = c_bench->add_option_function<std::string>(
      "--txns",
      [&bench](const std::string& text) {
        auto v = parse_u64(text);
        if (!v) {
          throw CLI::ValidationError(
              "--txns", "'" + text + "' is not a decimal number 0..2^64-1");
        }
        bench.txns = *v;
      },
      "commits in total, across all threads (default: run for --duration)");
  o_txns->type_name("N");
  auto* o_duration = c_bench->add_option_function<double>(
      "--duration", [&bench](const double& s) { bench.duration = s; },
      "seconds to run (default 2) instead of a number of commits");
  o_duration->type_name("SECONDS");
  o_txns->excludes(o_duration);
  add_u64(c_bench, "--entries", &bench.entries,
          "entries (records, writes) per commit (default 1)");
  add_u64(c_bench, "--value-size", &bench.value_size,
          "bytes per entry's value (default 128)");
  add_u64(c_bench, "--ceiling-ms", &bench.ceiling_ms,
          "how long each ceiling loop runs (default 1000; 0: none)");
  add_u64(c_bench, "--segment-size", &bench.segment_size,
          "advanced: target segment size in bytes (default 64 MiB)");
  c_bench->add_flag("--no-preallocate", bench.no_preallocate,
                    "let segments grow with each append instead of "
                    "zero-filling the next one ahead of use");
  add_u64(c_bench, "--async", &bench.async_depth,
          "commit asynchronously with up to N commits in flight per thread "
          "(latency: call to callback)");
  c_bench->add_flag("--keep", bench.keep,
                    "keep the log (DIR/log) for inspection");
  c_bench->add_flag("--json", bench.json, "one JSON object");

  ShipArgs ship;
  auto* c_ship = app.add_subcommand(
      "ship",
      "Keep DST a byte-identical, verified replica of the log in SRC: copy "
      "what SRC's writer has made durable, validating every record first, "
      "and resume where the last run stopped. DST (created if missing) can "
      "be verified, recovered and opened like any log. Refuses a DST that "
      "is another log or holds bytes SRC does not. With --follow, ships "
      "every --interval-ms until SIGINT or SIGTERM (exit 0).");
  c_ship->add_option("SRC", ship.src, "the primary's log directory")
      ->required();
  c_ship->add_option("DST", ship.dst, "the replica's directory")->required();
  c_ship->add_flag("--follow", ship.follow, "keep shipping until interrupted");
  add_u64(c_ship, "--interval-ms", &ship.interval_ms,
          "--follow: pause between passes in ms (default 200)");
  c_ship->add_flag("--mirror-retirement", ship.mirror_retirement,
                   "remove segments from DST once SRC has retired them");
  c_ship->add_option(
      "--slot", ship.slot,
      "a replication slot on SRC (created at DST's resume LSN when "
      "missing): SRC's writer keeps every segment DST still needs, up to "
      "its max_slot_retained_bytes; the slot moves only once DST holds the "
      "shipped data durably");
  c_ship->add_flag("--json", ship.json,
                   "JSON Lines: a 'resumed' object, with --follow one "
                   "'shipped' object per pass that shipped, and a final "
                   "'done' object");
  c_ship->add_flag("--quiet,-q", ship.quiet, "print nothing but errors");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    app.exit(e);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e);
      return kExitOk;
    }
    print_error("", std::string(e.what()) + " (see strata-wal --help)");
    return kExitUsage;
  }

  if (c_demo->parsed()) return run_demo(demo);
  if (c_write->parsed()) return run_write(write);
  if (c_dump->parsed()) return run_dump(dump);
  if (c_tail->parsed()) return run_tail(tail);
  if (c_slots->parsed()) return run_slots(slots);
  if (c_verify->parsed()) return run_verify(verify);
  if (c_recover->parsed()) return run_recover(recover);
  if (c_repair->parsed()) return run_repair(repair);
  if (c_stats->parsed()) return run_stats(stats);
  if (c_bench->parsed()) return run_bench(bench);
  if (c_ship->parsed()) return run_ship(ship);
  print_error("", "no command given (see strata-wal --help)");
  return kExitUsage;
}

}  // namespace
}  // namespace strata_wal

int main(int argc, char** argv) {
  // Nothing below is expected to throw; this is the last line of defence so
  // that no input ever ends in a stack trace or abort message.
  try {
    return strata_wal::run(argc, argv);
  } catch (const std::exception& e) {
    strata_wal::print_error("", std::string("internal error: ") + e.what());
  } catch (...) {
    strata_wal::print_error("", "internal error");
  }
  return strata_wal::kExitLogProblem;
}
