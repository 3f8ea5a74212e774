// Tells what a directory holds before any command reads it: whether it is a
// log at all (exit 2 when not) and which kind, from the segment headers.

#ifndef STRATA_TOOLS_STRATA_WAL_LOG_DETECT_H_
#define STRATA_TOOLS_STRATA_WAL_LOG_DETECT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/durability/log/log_types.h"

namespace strata_wal {

struct LogDir {
  std::string dir;
  // From the first segment whose header decodes; nullopt when none does
  // (every segment has a bad header, which the reader then reports).
  std::optional<strata::durability::log::LogKind> kind;
  std::vector<std::string> segment_files;  // paths of the *.seg files, sorted
  uint64_t total_bytes = 0;                // their sizes added up
};

// Inspects `dir` without writing anything. On an input that is not a log
// (missing, not a directory, unreadable, no *.seg file) returns nullopt and
// sets `*error` to a one-line message naming the path.
std::optional<LogDir> detect_log(const std::string& dir, std::string* error);

// Whether `dir` is missing or an empty directory (write creates a log
// there). Sets `*error` and returns nullopt when it is not a directory.
std::optional<bool> dir_is_missing_or_empty(const std::string& dir,
                                            std::string* error);

// Whether `dir` holds nothing but files a log makes before its first
// segment (LOCK, START, *.tmp): what a writer killed while creating the log
// leaves. write may create the log there.
bool holds_only_creation_leftovers(const std::string& dir);

// "mvcc", "txlog" or "raw".
std::string log_kind_arg(strata::durability::log::LogKind kind);

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_LOG_DETECT_H_
