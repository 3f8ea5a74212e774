// One streaming pass over a log for the reading commands (dump, verify,
// stats): reads every segment in skip mode, so it goes on past damage and
// reports it, decodes each record as an entry of the log's kind, and
// reports records that validate but do not decode as corruption.
// Read-only and lock-free, so it runs beside a live writer.

#ifndef STRATA_TOOLS_STRATA_WAL_LOG_SCAN_H_
#define STRATA_TOOLS_STRATA_WAL_LOG_SCAN_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "strata/durability/log/log_types.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/result.h"
#include "strata/durability/txlog/wal_entry.h"
#include "log_detect.h"

namespace strata_wal {

struct ScanResult {
  // The core reader's problems in log order, then the records that
  // validated but did not decode (each with its LSN).
  std::vector<strata::durability::log::LogProblem> problems;
  uint64_t segments = 0;
  uint64_t records = 0;  // valid records (decoded or not)
  uint64_t bytes = 0;    // bytes of segment files read
  bool any_record = false;
  strata::durability::log::Lsn first_lsn = 0;  // of the first record
  strata::durability::log::Lsn last_lsn = 0;   // of the last record
  strata::durability::log::Lsn end_lsn = 0;    // just past the last record

  bool has_torn_tail() const;
  // Any problem other than a torn tail: what makes a reading command exit 1.
  bool has_damage() const;
};

using MvccVisitor = std::function<void(strata::durability::log::Lsn,
                                       strata::durability::mvcc::WALEntry&&)>;
using TxlogVisitor = std::function<void(strata::durability::log::Lsn,
                                        strata::durability::txlog::WalEntry&&)>;

// Reads the whole log. The visitor of the log's kind sees every entry that
// decodes, in LSN order (either may be empty). An error only for a failure
// to read at all (e.g. an I/O error); damage is reported in the result.
strata::durability::Result<ScanResult> scan_log(const LogDir& log, bool quiet,
                                                const MvccVisitor& on_mvcc,
                                                const TxlogVisitor& on_txlog);

// "torn_tail", "corrupt" or "ok", the contract's verify status.
const char* scan_status(const ScanResult& result);

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_LOG_SCAN_H_
