// `strata-wal ship SRC DST [--follow] [--interval-ms N] [--slot NAME]
// [--json]`: keeps DST a verified, byte-identical replica of the log in SRC
// (LogShipper, docs/replication.md), optionally holding SRC's retirement
// back with a replication slot. One pass, or with --follow a pass every
// interval until SIGINT or SIGTERM, which end it cleanly (exit 0).

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/core.h>

#include "strata/durability/log/log_shipper.h"
#include "cli_util.h"
#include "commands.h"
#include "json_out.h"

namespace strata_wal {
namespace {

namespace sl = sd::log;

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a sleep ends early
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

struct Totals {
  uint64_t passes = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t segments_created = 0;
  uint64_t segments_retired = 0;
};

Json report_json(const char* event, const sl::ShipReport& r,
                 const std::string& slot) {
  Json out{{"event", event},
           {"records", r.records},
           {"bytes", r.bytes},
           {"segments_created", r.segments_created},
           {"segments_retired", r.segments_retired},
           {"shipped_lsn", r.shipped_lsn},
           {"source_durable_lsn", r.source_durable_lsn},
           {"source_writer_open", r.source_writer_open},
           {"source_progress_ok", r.source_progress_ok},
           {"first_segment", r.first_segment},
           {"last_segment", r.last_segment}};
  if (!slot.empty()) {
    out["slot"] = slot;
    out["slot_lsn"] = r.slot_lsn;
  }
  return out;
}

}  // namespace

int run_ship(const ShipArgs& args) {
  sl::LogShipperOptions options;
  options.mirror_retirement = args.mirror_retirement;
  options.slot = args.slot;
  sl::ShipResumeReport resumed;
  auto shipper = sl::LogShipper::open(args.src, args.dst, options, &resumed);
  if (!shipper.ok()) {
    print_error("ship", shipper.status().to_string());
    return exit_code_for(shipper.status());
  }
  if (args.json) {
    Json out{{"event", "resumed"},
             {"created", resumed.created},
             {"resume_lsn", resumed.resume_lsn},
             {"segments", resumed.segments},
             {"truncated_bytes", resumed.truncated_bytes}};
    if (!args.slot.empty()) {
      out["slot"] = args.slot;
      out["slot_created"] = resumed.slot_created;
      out["slot_found_lsn"] = resumed.slot_found_lsn;
    }
    fmt::print("{}\n", out.dump());
  } else if (!args.quiet) {
    if (resumed.created) {
      fmt::print("replica:  {} (new)\n", args.dst);
    } else {
      fmt::print("replica:  {} (resumed at LSN {}, {} segments", args.dst,
                 resumed.resume_lsn, resumed.segments);
      if (resumed.truncated_bytes > 0) {
        fmt::print(", cut {} unsynced bytes", resumed.truncated_bytes);
      }
      fmt::print(")\n");
    }
    if (!args.slot.empty()) {
      if (resumed.slot_created) {
        fmt::print("slot:     '{}' created on {} at LSN {}\n", args.slot,
                   args.src, resumed.resume_lsn);
      } else if (resumed.slot_found_lsn == resumed.resume_lsn) {
        fmt::print("slot:     '{}' on {} at LSN {}\n", args.slot, args.src,
                   resumed.resume_lsn);
      } else {
        fmt::print("slot:     '{}' on {} found at LSN {}, moved to LSN {}\n",
                   args.slot, args.src, resumed.slot_found_lsn,
                   resumed.resume_lsn);
      }
    }
  }
  std::fflush(stdout);

  if (args.follow) install_stop_handlers();
  Totals totals;
  sl::ShipReport last;
  bool warned_progress = false;
  while (true) {
    auto r = (*shipper)->ship_once();
    if (!r.ok()) {
      print_error("ship", r.status().to_string());
      return exit_code_for(r.status());
    }
    last = *r;
    ++totals.passes;
    totals.records += r->records;
    totals.bytes += r->bytes;
    totals.segments_created += r->segments_created;
    totals.segments_retired += r->segments_retired;
    if (!r->source_progress_ok && !warned_progress) {
      print_note("ship",
                 "the source has no usable PROGRESS file (no writer of this "
                 "version has opened it, or it names another log): nothing "
                 "is known to be durable there yet");
      warned_progress = true;
    }
    if (args.follow && r->records + r->segments_retired > 0) {
      if (args.json) {
        fmt::print("{}\n", report_json("shipped", *r, args.slot).dump());
      } else if (!args.quiet) {
        fmt::print(
            "shipped:  {} records, {} bytes, {} new segments, up to "
            "LSN {}\n",
            r->records, r->bytes, r->segments_created, r->shipped_lsn);
      }
      std::fflush(stdout);
    }
    if (!args.follow || g_stop) break;
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(args.interval_ms);
    while (!g_stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min<uint64_t>(args.interval_ms, 20)));
    }
    if (g_stop) {
      // One last pass, so what was durable when asked to stop is shipped.
      g_stop = 0;
      auto final_pass = (*shipper)->ship_once();
      if (!final_pass.ok()) {
        print_error("ship", final_pass.status().to_string());
        return exit_code_for(final_pass.status());
      }
      last = *final_pass;
      ++totals.passes;
      totals.records += final_pass->records;
      totals.bytes += final_pass->bytes;
      totals.segments_created += final_pass->segments_created;
      totals.segments_retired += final_pass->segments_retired;
      break;
    }
  }
  sd::Status closed = (*shipper)->close();
  if (!closed.ok()) {
    print_error("ship", closed.to_string());
    return exit_code_for(closed);
  }
  sl::ShipReport sum = last;
  sum.records = totals.records;
  sum.bytes = totals.bytes;
  sum.segments_created = totals.segments_created;
  sum.segments_retired = totals.segments_retired;
  if (args.json) {
    Json out = report_json("done", sum, args.slot);
    out["passes"] = totals.passes;
    fmt::print("{}\n", out.dump());
  } else if (!args.quiet) {
    fmt::print("shipped:  {} records, {} bytes, {} new segments", sum.records,
               sum.bytes, sum.segments_created);
    if (sum.segments_retired > 0) {
      fmt::print(", {} retired", sum.segments_retired);
    }
    fmt::print("\nreplica:  segments {}..{}, every record below LSN {}\n",
               sum.first_segment, sum.last_segment, sum.shipped_lsn);
    fmt::print("source:   durable below LSN {}{}\n", sum.source_durable_lsn,
               sum.source_writer_open ? " (a writer has it open)" : "");
    if (!args.slot.empty()) {
      fmt::print("slot:     '{}' holds the source from LSN {}\n", args.slot,
                 sum.slot_lsn);
    }
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace strata_wal
