// libFuzzer target: LogReader over a whole log directory of arbitrary
// files. The input is split into an optional START file and 1-4 segment
// files in a MemEnv (layout in fuzz_util.h); the log is then read in every
// RecoveryMode, and optionally opened by a LogWriter in PointInTime mode,
// which must leave a log that the default reader reads cleanly.
//
// Invariants checked, besides "never crashes, never hangs":
//   - LSNs of the records returned grow strictly;
//   - a failed next() has recorded a problem, and keeps failing;
//   - AbsoluteConsistency fails on any problem; TolerateCorruptedTail
//     succeeds only when every problem is a torn tail;
//   - AbsoluteConsistency and TolerateCorruptedTail return the same
//     records (they stop at the first problem), a prefix of PointInTime's
//     (equal unless START is bad, which PointInTime reads past), which is
//     a prefix of SkipAnyCorrupted's;
//   - after a successful PointInTime LogWriter::open and one synced
//     append, the default reader reads the log without error, ending with
//     that record, and keeps every record PointInTime had read.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_writer.h"
#include "fuzz_util.h"
#include "log/format.h"

namespace {

using namespace strata::durability;  // NOLINT(google-build-using-namespace)
using namespace strata::durability::
    log;  // NOLINT(google-build-using-namespace)
using strata::durability::fuzz::split_files;

constexpr const char* kDir = "/log";
constexpr std::string_view kAfterRepair = "fuzz: appended after repair";

struct Read {
  bool opened = false;
  bool failed = false;  // next() returned an error
  std::vector<std::pair<Lsn, std::string>> records;
  std::vector<LogProblem> problems;
  LogKind kind = LogKind::kRaw;
};

Read read_log(Env* env, RecoveryMode mode, Lsn start, std::size_t max_steps) {
  Read out;
  LogReaderOptions o;
  o.env = env;
  o.recovery_mode = mode;
  o.start_lsn = start;
  auto reader = LogReader::open(kDir, o);
  if (!reader.ok()) return out;
  out.opened = true;
  LogRecord rec;
  std::size_t steps = 0;
  while (true) {
    FUZZ_CHECK(++steps <= max_steps);  // more records than bytes: a hang
    auto more = (*reader)->next(&rec);
    if (!more.ok()) {
      out.failed = true;
      FUZZ_CHECK(!(*reader)->problems().empty());
      FUZZ_CHECK(!(*reader)->next(&rec).ok());
      break;
    }
    if (!*more) break;
    FUZZ_CHECK(rec.lsn >= start);
    if (!out.records.empty()) FUZZ_CHECK(rec.lsn > out.records.back().first);
    out.records.emplace_back(rec.lsn, std::string(rec.payload));
  }
  out.problems = (*reader)->problems();
  out.kind = (*reader)->kind();
  (void)(*reader)->segments();
  (void)(*reader)->end_lsn();
  return out;
}

bool is_prefix(const Read& a, const Read& b) {
  if (a.records.size() > b.records.size()) return false;
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    if (a.records[i] != b.records[i]) return false;
  }
  return true;
}

void write_file(Env* env, const std::string& path, std::string_view bytes) {
  auto f = env->new_writable_file(path);
  FUZZ_CHECK(f.ok());
  FUZZ_CHECK((*f)->append(bytes).ok());
  FUZZ_CHECK((*f)->close().ok());
}

void check_writer_repair(Env* env, const Read& before) {
  LogWriterOptions o;
  o.env = env;
  o.mode = DurabilityMode::none();
  o.kind = before.kind;
  o.create_if_missing = false;
  o.segment_size = 4096;
  o.recovery_mode = RecoveryMode::kPointInTime;
  auto writer = LogWriter::open(kDir, o);
  if (!writer.ok()) return;
  AppendOptions sync;
  sync.sync = true;
  auto appended = (*writer)->append(kAfterRepair, sync);
  Status closed = (*writer)->close();
  if (!appended.ok() || !closed.ok()) return;
  Read after = read_log(env, RecoveryMode::kTolerateCorruptedTail, 0, 1u << 20);
  FUZZ_CHECK(after.opened);
  FUZZ_CHECK(!after.failed);
  FUZZ_CHECK(!after.records.empty());
  FUZZ_CHECK(after.records.back().second == kAfterRepair);
  FUZZ_CHECK(after.records.back().first == appended->first_lsn);
  // PointInTime keeps what came before the first problem.
  after.records.pop_back();
  FUZZ_CHECK(is_prefix(before, after));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> parts = split_files(rest);
  const bool has_start = (control & 0x04) != 0;
  const std::size_t segments = (control & 0x03) + 1u;
  const uint64_t first_number = ((control >> 3) & 0x03) + 1u;
  const bool open_writer = (control & 0x20) != 0;
  static constexpr Lsn kStarts[4] = {0, 1, 1000, Lsn{1} << 62};
  const Lsn start_lsn = kStarts[control >> 6];

  std::unique_ptr<Env> env = new_mem_env();
  FUZZ_CHECK(env->create_dir(kDir).ok());
  std::size_t next_part = 0;
  if (has_start && next_part < parts.size()) {
    write_file(env.get(), join_path(kDir, kStartFileName), parts[next_part++]);
  }
  for (std::size_t i = 0; i < segments && next_part < parts.size(); ++i) {
    write_file(env.get(), join_path(kDir, segment_file_name(first_number + i)),
               parts[next_part++]);
  }

  // A record takes at least 9 bytes: more steps than that is a loop.
  const std::size_t max_steps = size / kRecordHeaderSize + 16;
  Read absolute = read_log(env.get(), RecoveryMode::kAbsoluteConsistency,
                           start_lsn, max_steps);
  Read tolerate = read_log(env.get(), RecoveryMode::kTolerateCorruptedTail,
                           start_lsn, max_steps);
  Read pit =
      read_log(env.get(), RecoveryMode::kPointInTime, start_lsn, max_steps);
  Read skip = read_log(env.get(), RecoveryMode::kSkipAnyCorrupted, start_lsn,
                       max_steps);
  FUZZ_CHECK(absolute.opened == pit.opened && tolerate.opened == pit.opened &&
             skip.opened == pit.opened);
  if (pit.opened) {
    FUZZ_CHECK(!pit.failed);
    FUZZ_CHECK(absolute.failed == !absolute.problems.empty());
    bool only_torn = true;
    for (const LogProblem& p : tolerate.problems) {
      only_torn = only_torn && p.kind == ProblemKind::kTornTail;
    }
    FUZZ_CHECK(tolerate.failed == !only_torn);
    FUZZ_CHECK(absolute.records == tolerate.records);
    FUZZ_CHECK(is_prefix(absolute, pit));
    FUZZ_CHECK(is_prefix(pit, skip));
    // PointInTime reads past a bad START (it can be rebuilt from the
    // segment headers); otherwise it stops where the strict modes do.
    bool start_problem = false;
    for (const LogProblem& p : pit.problems) {
      start_problem =
          start_problem || p.file == join_path(kDir, kStartFileName);
    }
    if (!start_problem) FUZZ_CHECK(absolute.records == pit.records);
  }

  if (open_writer) {
    Read before =
        start_lsn == 0
            ? pit
            : read_log(env.get(), RecoveryMode::kPointInTime, 0, max_steps);
    check_writer_repair(env.get(), before);
  }
  return 0;
}
