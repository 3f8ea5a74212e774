// `strata-wal slots DIR [--drop NAME] [--json]`: lists the replication
// slots of a log (docs/format.md, section 10) with what each holds back, or
// drops one so that its segments may be retired again.

#include <string>

#include <fmt/core.h>

#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/slot.h"
#include "cli_util.h"
#include "commands.h"
#include "json_out.h"
#include "log_detect.h"

namespace strata_wal {

namespace lg = strata::durability::log;

int run_slots(const SlotsArgs& args) {
  std::string error;
  auto log = detect_log(args.dir, &error);
  if (!log) {
    print_error("slots", error);
    return kExitUsage;
  }
  sd::Env* env = sd::Env::posix();
  if (!args.drop.empty()) {
    sd::Status s = lg::drop_slot(env, args.dir, args.drop);
    if (!s.ok()) {
      print_error("slots", s.to_string());
      return kExitUsage;
    }
    if (!args.json)
      fmt::print("dropped slot '{}' of {}\n", args.drop, args.dir);
    return kExitOk;
  }
  auto slots = lg::list_slots(env, args.dir);
  if (!slots.ok()) {
    print_error("slots", slots.status().to_string());
    return kExitLogProblem;
  }
  // Bytes of segment files from the one holding each restart LSN on.
  lg::LogReaderOptions ro;
  ro.env = env;
  auto reader = lg::LogReader::open(args.dir, ro);
  auto held_bytes = [&](lg::Lsn restart) -> uint64_t {
    if (!reader.ok()) return 0;
    const auto& segs = (*reader)->segments();
    uint64_t bytes = 0;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      const bool last = i + 1 == segs.size();
      if (last || segs[i + 1].first_lsn > restart) bytes += segs[i].file_size;
    }
    return bytes;
  };
  for (const lg::SlotState& s : *slots) {
    const char* state = s.dropped ? "dropped" : "active";
    if (args.json) {
      Json j;
      j["name"] = s.name;
      j["restart_lsn"] = s.restart_lsn;
      j["state"] = state;
      if (s.dropped) j["dropped_at_lsn"] = s.dropped_at_lsn;
      j["segment_bytes_from_restart"] = held_bytes(s.restart_lsn);
      fmt::print("{}\n", json_line(j));
    } else {
      fmt::print("{}  {}  restart_lsn={}  segment_bytes_from_restart={}\n",
                 s.name, state, s.restart_lsn, held_bytes(s.restart_lsn));
    }
  }
  return kExitOk;
}

}  // namespace strata_wal
