// repair_log: makes a damaged log writable again without deleting anything.
//
// Every byte it removes (a torn tail, or in PointInTime mode everything
// from the first problem on) is first copied to a quarantine file in the
// log directory. In SkipAnyCorrupted mode each damaged span in the middle
// of a segment is kept in a quarantine file and then overwritten by a
// padding record of exactly its length, so no LSN moves and every reader,
// whatever its mode, skips it from then on.

#ifndef STRATA_DURABILITY_LOG_LOG_REPAIR_H_
#define STRATA_DURABILITY_LOG_LOG_REPAIR_H_

#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/result.h"

namespace strata::durability::log {

struct RepairOptions {
  Env* env = nullptr;  // nullptr means Env::posix()
  RecoveryMode recovery_mode = RecoveryMode::kTolerateCorruptedTail;
  std::size_t max_record_size = kDefaultMaxRecordSize;
};

struct RepairReport {
  LogKind kind = LogKind::kRaw;
  // What opening the log for writing found and did (truncations,
  // quarantined files, a finished rotation), after any padding.
  OpenReport open;
  uint64_t padded_spans = 0;  // damaged spans overwritten by padding
  uint64_t padded_bytes = 0;
  // Problems left that this mode cannot repair (e.g. a bad header in
  // skip mode); the log stays readable in SkipAnyCorrupted mode.
  std::vector<LogProblem> remaining;
  // True when a writer can open the log in the default mode afterwards.
  bool writable = false;
};

// Takes the directory's lock for the duration; Busy if a writer holds it.
Result<RepairReport> repair_log(const std::string& dir,
                                const RepairOptions& options);

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_LOG_REPAIR_H_
