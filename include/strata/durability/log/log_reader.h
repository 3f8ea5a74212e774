// LogReader: reads the records of a log directory in LSN order, across
// segments, validating each one and classifying every problem it meets.
//
// It takes no lock and writes nothing, so tools can read beside a live
// writer (the bytes the writer is in the middle of then show up as a torn
// tail). What a problem does to the read is chosen by the RecoveryMode.
// Records of a batch are returned only once the whole batch has validated.

#ifndef STRATA_DURABILITY_LOG_LOG_READER_H_
#define STRATA_DURABILITY_LOG_LOG_READER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::log {

struct LogReaderOptions {
  Env* env = nullptr;  // nullptr means Env::posix()
  // Start at the first record whose LSN is >= start_lsn.
  Lsn start_lsn = 0;
  RecoveryMode recovery_mode = RecoveryMode::kTolerateCorruptedTail;
  // Records longer than this are reported as corruption.
  std::size_t max_record_size = kDefaultMaxRecordSize;
  // When set, segments of another kind are a bad_header problem.
  bool check_kind = false;
  LogKind expected_kind = LogKind::kRaw;
};

// One record. `payload` stays valid until the next call to next() or
// next_batch().
struct LogRecord {
  Lsn lsn = 0;
  std::string_view payload;
  uint64_t segment = 0;       // segment number
  uint64_t offset = 0;        // offset of the record's header in the file
  bool last_in_batch = true;  // the batch's final record
};

// A summary of one segment file, from its header.
struct SegmentInfo {
  uint64_t number = 0;
  std::string file;
  uint64_t file_size = 0;
  Lsn first_lsn = 0;
  LogKind kind = LogKind::kRaw;
  uint16_t format_version = 0;
  bool sealed = false;  // known once the reader has passed the segment
};

class LogReader {
 public:
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;
  ~LogReader();

  // Opens the log in `dir`. NotFound when the directory does not exist or
  // holds no segment. Problems with segment headers or the segment sequence
  // are found here already; whether they fail open() depends on the mode.
  static Result<std::unique_ptr<LogReader>> open(
      const std::string& dir, const LogReaderOptions& options = {});

  // Reads the next record into `*record`. Returns true when one was read,
  // false at the end of the log. An error means the recovery mode does not
  // allow going past a problem (problems() holds it as well).
  Result<bool> next(LogRecord* record);

  // The rest of the current batch at once (a whole batch, unless next()
  // has already taken some of it): the same records next() would return
  // one by one, without a call per record. The records and their payloads
  // are views into the reader's read buffer and stay valid until the next
  // call to next() or next_batch(). False at the end of the log; errors as
  // next().
  Result<bool> next_batch(std::span<const LogRecord>* records);

  // Every problem met so far, in log order.
  const std::vector<LogProblem>& problems() const;
  // Problems other than a torn tail.
  uint64_t corruption_count() const;
  // The LSN just past the last valid record read so far.
  Lsn end_lsn() const;
  // Bytes of segment files read so far.
  uint64_t bytes_read() const;
  // The segments found, in order.
  const std::vector<SegmentInfo>& segments() const;
  // The log's kind and identity (from the first segment header).
  LogKind kind() const;
  const std::array<uint8_t, 16>& log_id() const;
  // The LSN of the first record the log still holds (after retirement).
  Lsn start_lsn() const;

  class Impl;

 private:
  explicit LogReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads only the header of a segment file and tells which kind of log it
// belongs to. For tools that must tell the two logs apart.
Result<SegmentInfo> read_segment_header(Env* env, const std::string& path);

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_LOG_READER_H_
