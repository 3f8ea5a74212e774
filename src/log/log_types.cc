// Names and printing for the log core's vocabulary.

#include "strata/durability/log/log_types.h"

namespace strata::durability::log {

std::string_view log_kind_name(LogKind kind) {
  switch (kind) {
    case LogKind::kRaw:
      return "raw";
    case LogKind::kMvcc:
      return "mvcc";
    case LogKind::kTxLog:
      return "txlog";
  }
  return "unknown";
}

std::string_view recovery_mode_name(RecoveryMode mode) {
  switch (mode) {
    case RecoveryMode::kTolerateCorruptedTail:
      return "tolerate-tail";
    case RecoveryMode::kAbsoluteConsistency:
      return "absolute";
    case RecoveryMode::kPointInTime:
      return "point-in-time";
    case RecoveryMode::kSkipAnyCorrupted:
      return "skip-corrupt";
  }
  return "unknown";
}

std::string_view problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kTornTail:
      return "torn_tail";
    case ProblemKind::kCorruption:
      return "corruption";
    case ProblemKind::kMissingSegment:
      return "missing_segment";
    case ProblemKind::kBadHeader:
      return "bad_header";
  }
  return "unknown";
}

std::string LogProblem::to_string() const {
  std::string out(problem_kind_name(kind));
  out += " in ";
  out += file.empty() ? "(no file)" : file;
  out += " (segment " + std::to_string(segment) + ") at offset " +
         std::to_string(offset);
  if (length > 0) out += ", " + std::to_string(length) + " bytes";
  out += ", LSN " + std::to_string(lsn);
  out += ": " + reason;
  return out;
}

}  // namespace strata::durability::log
