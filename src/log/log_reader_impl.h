// LogReader::Impl, shared with LogWriter::open, which runs the same scan
// and then needs to know exactly where the valid log ends.

#ifndef STRATA_DURABILITY_SRC_LOG_LOG_READER_IMPL_H_
#define STRATA_DURABILITY_SRC_LOG_LOG_READER_IMPL_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "strata/durability/log/log_reader.h"
#include "log/format.h"

namespace strata::durability::log {

// One segment file as the reader found it.
struct SegmentEntry {
  uint64_t number = 0;  // from the file name
  std::string path;
  // The segment's size; for a segment whose rest is zero (preallocated,
  // not yet written: docs/format.md), where those zeros begin once the
  // read has reached them.
  uint64_t file_size = 0;
  // The file's real size when it ends in such a zero tail, else 0.
  uint64_t preallocated_size = 0;
  Status header_status;  // OK when the header decoded
  SegmentHeader header;
  bool sealed = false;
  std::optional<SealPayload> seal;
};

// Whether every byte of the file at `path` from `offset` to its end is zero
// (true when it ends at or before `offset`): the unwritten part of a
// preallocated segment.
Result<bool> file_is_zero_from(Env* env, const std::string& path,
                               uint64_t offset);

class LogReader::Impl {
 public:
  Impl(Env* env, std::string dir, const LogReaderOptions& options);

  Status open();
  Result<bool> next(LogRecord* record);
  Result<bool> next_batch(std::span<const LogRecord>* records);

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

  const std::vector<LogProblem>& problems() const { return problems_; }
  const std::vector<SegmentInfo>& infos() const { return infos_; }
  Lsn end_lsn() const { return end_lsn_; }
  uint64_t bytes_read() const { return bytes_read_; }
  LogKind kind() const { return kind_; }
  const LogId& log_id() const { return log_id_; }
  Lsn log_start_lsn() const { return log_start_lsn_; }

 private:
  // Public accessors' state.
  std::vector<LogProblem> problems_;
  std::vector<SegmentInfo> infos_;
  Lsn end_lsn_ = 0;
  uint64_t bytes_read_ = 0;
  LogKind kind_ = LogKind::kRaw;
  LogId log_id_{};
  Lsn log_start_lsn_ = 0;

  // What a problem does to the read, by the recovery mode.
  enum class Next { kContinue, kStop };
  Next raise(LogProblem raised);
  LogProblem make_problem(ProblemKind kind, std::size_t index, uint64_t offset,
                          uint64_t length, std::string reason) const;
  void stop_at(std::size_t index, uint64_t offset);

  Status enter_segment();  // loads segs_[idx_] and checks it follows on
  void step();             // consumes one unit at pos_
  void end_of_segment();
  void handle_damage(uint64_t offset, const std::string& reason);
  // Offset of the next record at or after `from` that validates and may
  // start a unit, or 0 if none in the rest of the segment (which it loads).
  uint64_t find_next_unit(uint64_t from);
  bool later_segments_hold_data(std::size_t after) const;
  // Whether every byte of the current segment from `from` to its end is
  // zero (false after a read error, in read_error_).
  bool zero_to_end(uint64_t from);
  // The current segment's bytes end at `at`; zeros follow to the file's
  // end: the unwritten part of a preallocated segment.
  void end_at_zero_tail(uint64_t at);
  // Whether the record header at `at`, zero in `seen` (the window's bytes
  // from there), holds something now: a writer appended there meanwhile.
  bool written_since(uint64_t at, std::string_view seen);
  bool segment_is_empty(std::size_t index) const;
  // Whether segment `number` exists now (it may have appeared since open).
  bool successor_exists(uint64_t number) const;
  void deliver(uint64_t offset, const ParsedRecord& rec, bool last);
  // Reads on until records are pending; false at the end of the log.
  Result<bool> refill();
  // Points pending record i's payload into the window.
  void place_payload(std::size_t i) {
    const uint64_t at = pending_payload_at_[i];
    pending_[i].payload = std::string_view(buf_.data() + (at - win_begin_),
                                           pending_[i].payload.size());
  }

  // The current segment is read in windows rather than whole: buf_ holds
  // its bytes [win_begin_, win_end_), read kReadChunk or more at a time, so
  // that memory stays at a chunk (plus the largest batch) whatever the
  // segment size, and the bytes are still in cache when they are parsed.
  // Makes the window reach `need_end` (or the segment's end), keeping the
  // bytes from `keep_from` on; false after a read error (in read_error_).
  bool ensure(uint64_t keep_from, uint64_t need_end);
  // The window's bytes from file offset `offset` on, with the whole record
  // at `offset` in it when the segment holds it all (its header names its
  // length), keeping the bytes from `keep_from` on.
  std::string_view record_at(uint64_t keep_from, uint64_t offset);
  std::string_view window_from(uint64_t offset) const {
    return std::string_view(buf_.data() + (offset - win_begin_),
                            win_end_ - offset);
  }
  Env* env_;
  std::string dir_;
  LogReaderOptions options_;
  std::optional<StartRecord> start_;
  std::vector<SegmentEntry> segs_;
  std::vector<LogProblem> pending_open_problems_;
  std::optional<LogProblem> start_problem_;
  bool entered_any_ = false;  // a segment's records have been reached

  std::size_t idx_ = 0;        // current segment
  bool loaded_ = false;        // file_ is segs_[idx_], open for reading
  bool follows_seal_ = false;  // segs_[idx_] must match the previous seal
  std::unique_ptr<RandomAccessFile> file_;
  std::string buf_;         // the window (see ensure())
  std::string zero_scan_;   // zero_to_end()'s chunk, past the window
  uint64_t win_begin_ = 0;  // file offsets of the window's bytes
  uint64_t win_end_ = 0;
  uint64_t seg_end_ = 0;  // the segment's size when entered
  Status read_error_;     // a failed read of the current segment
  uint64_t pos_ = 0;      // file offset of the next unit
  uint32_t seed_ = 0;

  // Records ready to hand out (the batch just validated), with their
  // payloads' file offsets: the payload views are made as they are handed
  // out, from the window, which holds the whole batch until it is drained.
  std::vector<LogRecord> pending_;
  std::vector<uint64_t> pending_payload_at_;
  std::size_t pending_pos_ = 0;

  bool done_ = false;
  Status error_;
  std::size_t stop_index_ = 0;
  uint64_t stop_offset_ = kSegmentHeaderSize;
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_SRC_LOG_LOG_READER_IMPL_H_
