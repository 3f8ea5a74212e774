// The arguments and entry points of the strata-wal commands. main.cc parses
// the command line into these; each cmd_*.cc runs one command and returns
// its exit code (see cli_util.h).

#ifndef STRATA_TOOLS_STRATA_WAL_COMMANDS_H_
#define STRATA_TOOLS_STRATA_WAL_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata_wal {

struct DemoArgs {
  std::string dir;  // empty: a new temporary directory
  uint64_t seed = 42;
  bool quiet = false;
};

struct WriteArgs {
  std::string dir;
  std::string log;  // "mvcc" or "txlog"
  std::string mode = "strict";
  uint64_t interval_ms = 100;
  uint64_t batch_size = 1000;
  uint64_t threads = 1;
  uint64_t txns = 1000;
  uint64_t entries = 4;
  uint64_t value_size = 100;
  std::string run;  // UUID; empty: a new one
  std::string ack_file;
  uint64_t seed = 1;
  uint64_t segment_size = 0;  // 0: the library's default
  bool no_preallocate = false;
  bool quiet = false;
};

struct DumpArgs {
  std::string dir;
  bool json = false;
  std::optional<uint64_t> from_lsn;
  std::string run;
  std::vector<std::string> types;
  bool committed = false;
  bool quiet = false;
};

struct TailArgs {
  std::string dir;
  std::optional<uint64_t> from_lsn;  // none: the oldest entry held
  bool follow = false;
  bool json = false;
  std::string slot;
  bool unsynced = false;
};

struct SlotsArgs {
  std::string dir;
  std::string drop;  // empty: list
  bool json = false;
};

struct VerifyArgs {
  std::string dir;
  bool json = false;
  bool quiet = false;
};

struct RecoverArgs {
  std::string dir;
  std::string mode = "tolerate-tail";
  std::string run;
  std::optional<uint64_t> stop_at_version;
  std::optional<uint64_t> stop_at_lsn;
  bool json = false;
  bool quiet = false;
};

struct RepairArgs {
  std::string dir;
  std::string mode = "tolerate-tail";
  bool json = false;
};

struct StatsArgs {
  std::string dir;
  bool json = false;
  bool quiet = false;
};

struct BenchArgs {
  std::string dir;  // empty: a new directory under /var/tmp, removed after
  std::string log = "mvcc";
  std::string mode = "strict";
  uint64_t interval_ms = 100;
  uint64_t batch_size = 1000;
  uint64_t threads = 1;
  std::optional<uint64_t> txns;  // neither: --duration 2
  std::optional<double> duration;
  uint64_t entries = 1;
  uint64_t value_size = 128;
  uint64_t ceiling_ms = 1000;  // 0: no ceilings
  uint64_t segment_size = 0;
  bool no_preallocate = false;
  uint64_t async_depth = 0;  // 0: synchronous commits
  bool keep = false;
  bool json = false;
};

struct ShipArgs {
  std::string src;
  std::string dst;
  bool follow = false;
  uint64_t interval_ms = 200;
  bool mirror_retirement = false;
  std::string slot;  // empty: no replication slot
  bool json = false;
  bool quiet = false;
};

int run_demo(const DemoArgs& args);
int run_write(const WriteArgs& args);
int run_dump(const DumpArgs& args);
int run_tail(const TailArgs& args);
int run_slots(const SlotsArgs& args);
int run_verify(const VerifyArgs& args);
int run_recover(const RecoverArgs& args);
int run_repair(const RepairArgs& args);
int run_stats(const StatsArgs& args);
int run_bench(const BenchArgs& args);
int run_ship(const ShipArgs& args);

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_COMMANDS_H_
