// The writer's published progress: what a process other than the writer's
// may read to learn how far a live log is durable (docs/format.md, "The
// PROGRESS file").
//
// The LogWriter rewrites the PROGRESS file in the log directory after every
// write group and every sync, and at open and close. Reading it takes no
// lock, so tailers, shippers and tools can follow a log another process
// writes.

#ifndef STRATA_DURABILITY_LOG_PROGRESS_H_
#define STRATA_DURABILITY_LOG_PROGRESS_H_

#include <array>
#include <cstdint>
#include <string>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"

namespace strata::durability::log {

struct PublishedProgress {
  // The log's identity (as in START and every segment header). A reader
  // must check it against the segments it reads: a directory whose log was
  // replaced keeps a stale PROGRESS until its new writer opens.
  std::array<uint8_t, 16> log_id{};
  // Every record below this LSN was durable when it was published; what a
  // power cut can undo lies at or above it. Never ahead of the truth, so it
  // may lag behind the writer's own durable_lsn().
  Lsn durable_lsn = 0;
  // Every record below this LSN had been written (to the OS) when it was
  // published. Not durable: a power cut may undo the part above
  // durable_lsn.
  Lsn end_lsn = 0;
  // A writer held the log when this was published: false after a clean
  // close. True with no writer left means the writer died (its successor
  // rewrites the file at open).
  bool writer_open = false;
  // The writer's process id, and how many times that writer published.
  uint32_t writer_pid = 0;
  uint64_t sequence = 0;
};

// Reads `dir`/PROGRESS. NotFound when the file does not exist (a log whose
// writer never opened with this version); Corruption when it does not
// decode, which a torn rewrite can cause for an instant (retry) and a power
// cut can leave until the next writer opens.
Result<PublishedProgress> read_published_progress(Env* env,
                                                  const std::string& dir);

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_PROGRESS_H_
