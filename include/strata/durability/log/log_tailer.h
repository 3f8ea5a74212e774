// LogTailer: follows a live log, delivering each record once and in LSN
// order as the writer adds it, across segment rotation and retirement.
//
// By default it delivers only records that are durable under the writer's
// mode, so a consumer never sees what a power cut could undo. It learns
// how far that is from the in-process LogWriter when given one, and
// otherwise from the PROGRESS file the writer publishes
// (strata/durability/log/progress.h), so it works from another process and
// never takes the directory's lock. A record the writer is in the middle of
// is "not yet"; damage below the durable LSN is Corruption. A start LSN
// whose segment was retired is a NotFound "gap" error naming the oldest LSN
// still held, never an empty stream.

#ifndef STRATA_DURABILITY_LOG_LOG_TAILER_H_
#define STRATA_DURABILITY_LOG_LOG_TAILER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::log {

struct LogTailerOptions {
  Env* env = nullptr;  // nullptr means Env::posix()
  // Deliver records from the first one at or after this LSN. With
  // from_oldest, start at the oldest record the log still holds instead.
  Lsn start_lsn = 0;
  bool from_oldest = false;
  // The writer, when it lives in this process: its durable LSN is read
  // directly and appends wake the tailer at once. Must outlive the tailer.
  LogWriter* writer = nullptr;
  // Deliver records as soon as they are written (to the OS), before they
  // are durable. A power cut may then undo delivered records. (Ignored
  // with an in-process writer that does not publish progress: its durable
  // LSN is all it tells.)
  bool deliver_unsynced = false;
  // A replication slot (strata/durability/log/slot.h): when set, the tailer
  // starts at the slot's restart LSN (start_lsn and from_oldest are
  // ignored), and ack() moves the slot. A slot the writer dropped is an
  // error at the next call.
  std::string slot;
  // How often to look at PROGRESS while waiting without an in-process
  // writer.
  std::chrono::milliseconds poll_interval{10};
  // When the log publishes no PROGRESS (publication off, or a log written
  // before it existed), deliver whatever validates instead of waiting for
  // one. Off by default: a missing PROGRESS then means "nothing durable
  // is known yet".
  bool trust_unpublished = false;
  std::size_t max_record_size = kDefaultMaxRecordSize;
  // When set, a log of another kind is InvalidArgument.
  bool check_kind = false;
  LogKind expected_kind = LogKind::kRaw;
};

// One delivered record.
struct TailedRecord {
  Lsn lsn = 0;
  std::string payload;
  bool last_in_batch = true;
  // Where to start again to get the records after this one.
  Lsn next_lsn = 0;
};

// Where a transaction tailer stands. Transactions written entry by entry
// may interleave, so it takes two LSNs: reading restarts at restart_lsn
// (the first record of the oldest transaction still open), and only
// transactions whose commit record is at or after next_commit_lsn are
// delivered, so a restart neither loses nor repeats one.
struct TxnTailPosition {
  Lsn restart_lsn = 0;
  Lsn next_commit_lsn = 0;
};

class LogTailer {
 public:
  LogTailer(const LogTailer&) = delete;
  LogTailer& operator=(const LogTailer&) = delete;
  ~LogTailer();

  // Checks that the log exists and the start LSN is still held. NotFound
  // for a missing log, a missing slot, or a gap.
  static Result<std::unique_ptr<LogTailer>> open(
      const std::string& dir, const LogTailerOptions& options = {});

  // Waits up to `timeout` for the next record. true: `*record` holds it.
  // false: none came in time, or cancel() was called (see cancelled()).
  // Errors: NotFound for a gap (the tailer's position was retired) or a
  // dropped slot; Corruption for damage below the durable LSN.
  Result<bool> next(TailedRecord* record, std::chrono::milliseconds timeout);
  // The same, waiting until `deadline`: for a caller that may call it several
  // times (skipping records) within one wait of its own.
  Result<bool> next_until(TailedRecord* record,
                          std::chrono::steady_clock::time_point deadline);

  // Makes a waiting next() return false now, and every later one at once.
  // Callable from any thread.
  void cancel();
  bool cancelled() const;

  // The LSN the next delivered record will be at or after.
  Lsn position() const;
  // The limit the tailer last saw: records below it may be delivered.
  Lsn visible_lsn() const;
  // Records the consumer has finished with everything below `lsn` (at most
  // position()): moves the slot durably. InvalidArgument without a slot.
  Status ack(Lsn lsn);
  // Bytes of segment files read so far.
  uint64_t bytes_read() const;

  class Impl;

 private:
  explicit LogTailer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_LOG_TAILER_H_
