// `strata-wal tail DIR [--from-lsn LSN] [--follow] [--json] [--slot NAME]
// [--unsynced]`: prints the entries of a log as they become durable, in
// the format of `dump`, through the library's LogTailer. Takes no lock, so
// it runs beside a live writer in another process. With --follow it waits
// for new entries until SIGINT or SIGTERM, then exits 0.

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include <fmt/core.h>

#include "strata/durability/log/log_tailer.h"
#include "strata/durability/log/progress.h"
#include "strata/durability/log/slot.h"
#include "strata/durability/mvcc/entry_codec.h"
#include "strata/durability/txlog/wal_entry.h"
#include "cli_util.h"
#include "commands.h"
#include "json_out.h"
#include "log_detect.h"

namespace strata_wal {

namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;
namespace lg = strata::durability::log;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked write or sleep returns early
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Prints one record in dump's format. false when it does not decode.
bool print_record(lg::LogKind kind, const lg::TailedRecord& rec, bool json,
                  std::string* error) {
  if (kind == lg::LogKind::kMvcc) {
    auto e = mv::decode_entry(rec.payload);
    if (!e.ok()) {
      *error = e.status().to_string();
      return false;
    }
    if (json) {
      fmt::print("{}\n", json_line(mvcc_entry_json(rec.lsn, *e)));
    } else {
      fmt::print("{:>12}  {}\n", rec.lsn, e->to_string());
    }
    return true;
  }
  if (kind == lg::LogKind::kTxLog) {
    auto e = tx::decode_wal_entry(rec.payload, tx::kMaxPayloadSizeLimit);
    if (!e.ok()) {
      *error = e.status().to_string();
      return false;
    }
    if (json) {
      fmt::print("{}\n", json_line(txlog_entry_json(rec.lsn, *e)));
    } else {
      fmt::print("{:>12}  {}\n", rec.lsn, tx::describe(*e));
    }
    return true;
  }
  if (json) {
    Json j;
    j["lsn"] = rec.lsn;
    j["type"] = "raw";
    j["size"] = rec.payload.size();
    fmt::print("{}\n", json_line(j));
  } else {
    fmt::print("{:>12}  raw {} bytes\n", rec.lsn, rec.payload.size());
  }
  return true;
}

}  // namespace

int run_tail(const TailArgs& args) {
  // First, so that a signal during the setup below also ends in a clean
  // exit rather than the default action.
  install_stop_handlers();
  std::string error;
  auto log = detect_log(args.dir, &error);
  if (!log) {
    print_error("tail", error);
    return kExitUsage;
  }
  const lg::LogKind kind = log->kind.value_or(lg::LogKind::kRaw);
  sd::Env* env = sd::Env::posix();

  lg::LogTailerOptions o;
  o.env = env;
  o.deliver_unsynced = args.unsynced;
  o.poll_interval = std::chrono::milliseconds(20);
  o.max_record_size = std::max(o.max_record_size, tx::kMaxPayloadSizeLimit);
  if (args.from_lsn) {
    o.start_lsn = *args.from_lsn;
  } else {
    o.from_oldest = true;
  }
  auto progress = lg::read_published_progress(env, args.dir);
  if (progress.ok() && progress->writer_open && progress->writer_pid != 0 &&
      ::kill(static_cast<pid_t>(progress->writer_pid), 0) != 0 &&
      errno == ESRCH) {
    print_note("tail", "the writer of " + args.dir + " (pid " +
                           std::to_string(progress->writer_pid) +
                           ") ended without closing the log; entries past "
                           "LSN " +
                           std::to_string(progress->durable_lsn) +
                           " show up once the next writer opens it");
  }
  if (progress.status().is_not_found()) {
    // A log whose writer never published: what validates is all there is.
    o.trust_unpublished = true;
    if (args.follow) {
      print_note("tail", args.dir +
                             " has no PROGRESS file (its writer does not "
                             "publish); following what validates");
    }
  }
  if (!args.slot.empty()) {
    if (!lg::is_valid_slot_name(args.slot)) {
      print_error("tail", "--slot: '" + args.slot +
                              "' is not a slot name (1-64 characters of "
                              "A-Z a-z 0-9 _ -)");
      return kExitUsage;
    }
    auto existing = lg::read_slot(env, args.dir, args.slot);
    if (existing.status().is_not_found()) {
      lg::Lsn start = o.start_lsn;
      if (!args.from_lsn) {
        auto probe = lg::LogTailer::open(args.dir, o);
        if (!probe.ok()) {
          print_error("tail", probe.status().to_string());
          return exit_code_for(probe.status());
        }
        start = (*probe)->position();
      }
      sd::Status s = lg::create_slot(env, args.dir, args.slot, start);
      if (!s.ok()) {
        print_error("tail", s.to_string());
        return exit_code_for(s);
      }
    } else if (!existing.ok()) {
      print_error("tail", existing.status().to_string());
      return kExitLogProblem;
    } else if (args.from_lsn) {
      print_error("tail", "--from-lsn and --slot '" + args.slot +
                              "' (which exists) both say where to start; "
                              "give one");
      return kExitUsage;
    }
    o.slot = args.slot;
  }
  auto tailer = lg::LogTailer::open(args.dir, o);
  if (!tailer.ok()) {
    print_error("tail", tailer.status().to_string());
    // The directory is a log (checked above): NotFound is a gap or a
    // dropped slot, a problem of the log rather than of the arguments.
    return tailer.status().is_not_found() ? kExitLogProblem
                                          : exit_code_for(tailer.status());
  }
  lg::TailedRecord rec;
  lg::Lsn acked = (*tailer)->position();
  uint64_t since_ack = 0;
  auto ack = [&]() -> sd::Status {
    lg::Lsn pos = (*tailer)->position();
    if (o.slot.empty() || pos == acked) return sd::Status();
    sd::Status s = (*tailer)->ack(pos);
    if (s.ok()) acked = pos;
    since_ack = 0;
    return s;
  };
  int rc = kExitOk;
  while (g_stop == 0) {
    auto got =
        (*tailer)->next(&rec, std::chrono::milliseconds(args.follow ? 100 : 0));
    if (!got.ok()) {
      std::fflush(stdout);
      print_error("tail", got.status().to_string());
      rc = got.status().is_not_found() ? kExitLogProblem
                                       : exit_code_for(got.status());
      break;
    }
    if (!*got) {
      std::fflush(stdout);
      sd::Status s = ack();
      if (!s.ok()) {
        print_error("tail", s.to_string());
        return kExitLogProblem;
      }
      if (!args.follow) break;
      continue;
    }
    if (!print_record(kind, rec, args.json, &error)) {
      std::fflush(stdout);
      print_error("tail", "entry at LSN " + std::to_string(rec.lsn) + " in " +
                              args.dir + " does not decode: " + error);
      rc = kExitLogProblem;
      break;
    }
    // Entries reach a pipe as they come, a batch at a time.
    if (rec.last_in_batch) std::fflush(stdout);
    if (rec.last_in_batch && ++since_ack >= 1000) {
      sd::Status s = ack();
      if (!s.ok()) {
        print_error("tail", s.to_string());
        return kExitLogProblem;
      }
    }
  }
  std::fflush(stdout);
  if (rc == kExitOk) {
    sd::Status s = ack();
    if (!s.ok()) {
      print_error("tail", s.to_string());
      return kExitLogProblem;
    }
  }
  return rc;
}

}  // namespace strata_wal
