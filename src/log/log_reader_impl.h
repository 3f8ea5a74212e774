// LogReader::Impl, shared with LogWriter::open, which runs the same scan
// and then needs to know exactly where the valid log ends.

#ifndef STRATA_DURABILITY_SRC_LOG_LOG_READER_IMPL_H_
#define STRATA_DURABILITY_SRC_LOG_LOG_READER_IMPL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/durability/log/log_reader.h"
#include "log/format.h"

namespace strata::durability::log {

// One segment file as the reader found it.
struct SegmentEntry {
  uint64_t number = 0;  // from the file name
  std::string path;
  uint64_t file_size = 0;
  Status header_status;  // OK when the header decoded
  SegmentHeader header;
  bool sealed = false;
  std::optional<SealPayload> seal;
};

class LogReader::Impl {
 public:
  Impl(Env* env, std::string dir, const LogReaderOptions& options);

  Status open();
  Result<bool> next(LogRecord* record);

  // Where the valid log ends: the segment index and file offset after the
  // last valid unit (or of the first problem that stopped the read).
  std::size_t stop_index() const { return stop_index_; }
  uint64_t stop_offset() const { return stop_offset_; }
  bool finished() const { return done_; }
  std::vector<SegmentEntry>& entries() { return segs_; }
  const std::optional<StartRecord>& start_record() const { return start_; }
  // The START file's problem, when it exists but does not decode.
  const std::optional<LogProblem>& start_problem() const {
    return start_problem_;
  }

  // Public accessors' state.
  std::vector<LogProblem> problems_;
  std::vector<SegmentInfo> infos_;
  Lsn end_lsn_ = 0;
  uint64_t bytes_read_ = 0;
  LogKind kind_ = LogKind::kRaw;
  LogId log_id_{};
  Lsn log_start_lsn_ = 0;

 private:
  // What a problem does to the read, by the recovery mode.
  enum class Next { kContinue, kStop };
  Next raise(LogProblem problem);
  LogProblem make_problem(ProblemKind kind, std::size_t index, uint64_t offset,
                          uint64_t length, std::string reason) const;
  void stop_at(std::size_t index, uint64_t offset);

  Status enter_segment();  // loads segs_[idx_] and checks it follows on
  void step();             // consumes one unit at pos_
  void end_of_segment();
  void handle_damage(uint64_t offset, const std::string& reason);
  // Offset of the next record at or after `from` that validates and may
  // start a unit, or 0 if none in the loaded segment.
  uint64_t find_next_unit(uint64_t from) const;
  bool later_segments_hold_data(std::size_t after) const;
  bool segment_is_empty(std::size_t index) const;
  // Adds segment `number` if it has appeared since open(); false if not.
  bool discover_successor(uint64_t number);
  void deliver(uint64_t offset, const ParsedRecord& rec, bool last);

  Env* env_;
  std::string dir_;
  LogReaderOptions options_;
  std::optional<StartRecord> start_;
  std::vector<SegmentEntry> segs_;
  std::vector<LogProblem> pending_open_problems_;
  std::optional<LogProblem> start_problem_;
  bool entered_any_ = false;  // a segment's records have been reached

  std::size_t idx_ = 0;        // current segment
  bool loaded_ = false;        // data_ holds segs_[idx_]
  bool follows_seal_ = false;  // segs_[idx_] must match the previous seal
  std::string data_;           // the whole current segment file
  uint64_t pos_ = 0;           // file offset of the next unit
  uint32_t seed_ = 0;

  std::vector<LogRecord> pending_;  // records ready to hand out
  std::size_t pending_pos_ = 0;

  bool done_ = false;
  Status error_;
  std::size_t stop_index_ = 0;
  uint64_t stop_offset_ = kSegmentHeaderSize;
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_SRC_LOG_LOG_READER_IMPL_H_
