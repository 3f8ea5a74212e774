// The vocabulary shared by the log core's writer and reader: LSNs, the kind
// of log a directory holds, recovery modes and problem reports.

#ifndef STRATA_DURABILITY_LOG_LOG_TYPES_H_
#define STRATA_DURABILITY_LOG_LOG_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::durability::log {

// A log sequence number: the byte position of a record in the whole log,
// counting the bodies of all segments back to back (segment headers are not
// counted). It grows across segments and names exactly one record.
using Lsn = uint64_t;

// Which layer wrote a log. The core stores it in every segment header and
// checks it on open, so one layer never misreads another's log.
enum class LogKind : uint8_t {
  kRaw = 0,    // records written straight through LogWriter
  kMvcc = 1,   // System 1, strata::durability::mvcc
  kTxLog = 2,  // System 2, strata::durability::txlog
};
std::string_view log_kind_name(LogKind kind);

// What a reader does when it meets a problem, after RocksDB's
// WALRecoveryMode.
enum class RecoveryMode : uint8_t {
  // A torn tail is cut off and reported; any other problem is an error.
  // The default.
  kTolerateCorruptedTail = 0,
  // Any problem, a torn tail included, is an error.
  kAbsoluteConsistency = 1,
  // Stop at the first problem and keep what came before it. The right mode
  // after a power cut in Batched or None mode, when the OS may have written
  // pages back out of order and left a hole.
  kPointInTime = 2,
  // Skip every damaged span and go on with the next valid record, reporting
  // each span.
  kSkipAnyCorrupted = 3,
};
std::string_view recovery_mode_name(RecoveryMode mode);

enum class ProblemKind : uint8_t {
  // Invalid bytes at the end of the last segment with no valid record
  // after them: a write the crash interrupted (cut, zero-filled or garbage).
  kTornTail = 0,
  // An invalid span with valid records after it.
  kCorruption = 1,
  // A segment that should be there is not (a gap in the numbering or the
  // LSNs, a sealed last segment without its successor, a retired prefix
  // that reappeared or vanished).
  kMissingSegment = 2,
  // A segment file whose header is unreadable, of another log, of a newer
  // format version, or out of place.
  kBadHeader = 3,
};
// "torn_tail", "corruption", "missing_segment" or "bad_header".
std::string_view problem_kind_name(ProblemKind kind);

// One problem found while reading a log.
struct LogProblem {
  ProblemKind kind = ProblemKind::kCorruption;
  uint64_t segment = 0;  // segment number
  uint64_t offset = 0;   // byte offset in the segment file
  uint64_t length = 0;   // bytes affected (0 when unknown or a whole file)
  Lsn lsn = 0;           // the LSN at which the span starts
  std::string file;      // path of the segment file
  std::string reason;    // what was wrong, for a person

  // "corruption in <file> (segment 3) at offset 4096, 120 bytes: <reason>"
  std::string to_string() const;
};

// Default limits.
inline constexpr uint64_t kDefaultSegmentSize = 64ULL << 20;
inline constexpr std::size_t kDefaultMaxRecordSize = 16U << 20;
// The largest max_record_size a log may be configured with.
inline constexpr std::size_t kMaxRecordSizeLimit = 1U << 30;

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_LOG_TYPES_H_
