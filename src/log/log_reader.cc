// LogReader: walks the segments of a log, validates every record, returns
// whole batches, and classifies each problem (docs/format.md, section 5).
// A segment is read in chunks of kReadChunk bytes (see Impl::ensure).

#include "strata/durability/log/log_reader.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

#include "log/log_reader_impl.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace strata::durability::log {

namespace {

// Large enough that a read() costs little per byte, small enough that the
// bytes are still in the CPU's cache when the records are checked.
constexpr std::size_t kReadChunk = 512 << 10;

Result<std::string> read_prefix(Env* env, const std::string& path,
                                std::size_t n, uint64_t* file_size) {
  STRATA_ASSIGN_OR_RETURN(auto file, env->new_random_access_file(path));
  STRATA_ASSIGN_OR_RETURN(*file_size, file->size());
  std::string buf(static_cast<std::size_t>(std::min<uint64_t>(n, *file_size)),
                  '\0');
  STRATA_ASSIGN_OR_RETURN(std::size_t got, file->read(0, buf));
  buf.resize(got);
  return buf;
}

// Whether n bytes are all zero. ORs words a block at a time (which the
// compiler vectorizes) and looks at the result once per block, so a long
// zero tail is checked at memory speed and a non-zero one is left early.
bool all_zero(const char* p, std::size_t n) {
  constexpr std::size_t kBlock = 4096;
  while (n > 0) {
    const std::size_t len = std::min(n, kBlock);
    uint64_t acc = 0;
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      acc |= w;
    }
    for (; i < len; ++i) acc |= static_cast<unsigned char>(p[i]);
    if (acc != 0) return false;
    p += len;
    n -= len;
  }
  return true;
}

}  // namespace

LogReader::Impl::Impl(Env* env, std::string dir,
                      const LogReaderOptions& options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Status LogReader::Impl::open() {
  auto names = env_->list_dir(dir_);
  if (!names.ok()) {
    if (names.status().is_not_found()) {
      return Status::not_found("no log at " + dir_ +
                               ": the directory does not exist");
    }
    return names.status();
  }
  std::vector<std::pair<uint64_t, std::string>> found;
  bool has_start = false;
  for (const std::string& name : *names) {
    if (auto n = parse_segment_file_name(name)) {
      found.emplace_back(*n, name);
    } else if (name == kStartFileName) {
      has_start = true;
    }
  }
  std::sort(found.begin(), found.end());
  if (found.empty()) {
    return Status::not_found("no log at " + dir_ + ": it holds no segment");
  }

  if (has_start) {
    auto bytes = read_file(env_, join_path(dir_, kStartFileName));
    if (!bytes.ok()) return bytes.status();
    auto start = decode_start(*bytes);
    if (start.ok()) {
      start_ = *start;
    } else {
      LogProblem p;
      p.kind = ProblemKind::kBadHeader;
      p.file = join_path(dir_, kStartFileName);
      p.length = bytes->size();
      p.reason = std::string(start.status().message());
      start_problem_ = std::move(p);
    }
  }

  // Without a readable START the retirement point is unknown: the first
  // segment file present is taken as the start.
  uint64_t first_expected =
      start_ ? start_->first_segment
             : (start_problem_ ? found.front().first : uint64_t{1});
  for (auto& [number, name] : found) {
    // Files older than START were retired; a crash left them behind.
    if (start_ && number < first_expected) continue;
    SegmentEntry e;
    e.number = number;
    e.path = join_path(dir_, name);
    auto prefix = read_prefix(env_, e.path, kSegmentHeaderSize, &e.file_size);
    if (!prefix.ok()) return prefix.status();
    bytes_read_ += prefix->size();
    auto header = decode_segment_header(*prefix);
    if (header.ok()) {
      e.header = *header;
      if (e.header.number != number) {
        e.header_status = Status::corruption(
            "file name says segment " + std::to_string(number) +
            " but its header says " + std::to_string(e.header.number));
      }
    } else {
      e.header_status = header.status();
    }
    segs_.push_back(std::move(e));
  }
  if (segs_.empty()) {
    return Status::not_found("no log at " + dir_ +
                             ": every segment predates START");
  }

  // The log's identity: START's, else the first readable header's.
  bool have_id = false;
  if (start_) {
    log_id_ = start_->log_id;
    kind_ = start_->kind;
    log_start_lsn_ = start_->first_lsn;
    have_id = true;
  }
  for (auto& e : segs_) {
    if (!e.header_status.ok()) continue;
    if (!have_id) {
      log_id_ = e.header.log_id;
      kind_ = e.header.kind;
      log_start_lsn_ = e.header.first_lsn;
      have_id = true;
    } else if (e.header.log_id != log_id_) {
      e.header_status =
          Status::corruption("segment belongs to another log (log id differs)");
    } else if (e.header.kind != kind_) {
      e.header_status = Status::corruption(
          "segment is of log kind " +
          std::string(log_kind_name(e.header.kind)) + ", the log is " +
          std::string(log_kind_name(kind_)));
    }
  }
  if (options_.check_kind && have_id && kind_ != options_.expected_kind) {
    return Status::invalid_argument(
        dir_ + " holds a " + std::string(log_kind_name(kind_)) +
        " log, not a " + std::string(log_kind_name(options_.expected_kind)) +
        " log");
  }
  for (const auto& e : segs_) {
    SegmentInfo info;
    info.number = e.number;
    info.file = e.path;
    info.file_size = e.file_size;
    info.first_lsn = e.header.first_lsn;
    info.kind = e.header.kind;
    info.format_version = e.header.format_version;
    infos_.push_back(std::move(info));
  }

  if (segs_.front().number != first_expected) {
    pending_open_problems_.push_back(make_problem(
        ProblemKind::kMissingSegment, 0, 0, 0,
        "the log should begin with segment " + std::to_string(first_expected) +
            " but the first segment file is " +
            std::to_string(segs_.front().number)));
  }

  // Seek: the last readable segment whose first LSN is <= start_lsn.
  if (options_.start_lsn != 0 && options_.start_lsn < log_start_lsn_) {
    return Status::not_found(
        "LSN " + std::to_string(options_.start_lsn) +
        " is no longer in the log at " + dir_ + ": it starts at LSN " +
        std::to_string(log_start_lsn_) + " (older segments were retired)");
  }
  idx_ = 0;
  for (std::size_t i = 0; i < segs_.size(); ++i) {
    if (segs_[i].header_status.ok() &&
        segs_[i].header.first_lsn <= options_.start_lsn) {
      idx_ = i;
    }
  }
  stop_index_ = idx_;
  end_lsn_ = segs_[idx_].header_status.ok() ? segs_[idx_].header.first_lsn : 0;
  if (start_problem_) {
    // START only names where the log begins, and can be rebuilt from the
    // segment headers; the records themselves are intact. So it stops the
    // read only in the modes that refuse every problem.
    problems_.push_back(*start_problem_);
    if (options_.recovery_mode == RecoveryMode::kTolerateCorruptedTail ||
        options_.recovery_mode == RecoveryMode::kAbsoluteConsistency) {
      done_ = true;
      error_ = Status::corruption(start_problem_->to_string());
    }
  }
  if (idx_ == 0 && !done_) {
    for (auto& p : pending_open_problems_) {
      if (raise(p) == Next::kStop) break;
    }
  }
  pending_open_problems_.clear();
  if (done_ && !error_.ok()) return Status();  // reported by next()
  return Status();
}

LogProblem LogReader::Impl::make_problem(ProblemKind kind, std::size_t index,
                                         uint64_t offset, uint64_t length,
                                         std::string reason) const {
  LogProblem p;
  p.kind = kind;
  if (index < segs_.size()) {
    const SegmentEntry& e = segs_[index];
    p.segment = e.number;
    p.file = e.path;
    if (e.header_status.ok() && offset >= kSegmentHeaderSize) {
      p.lsn = lsn_at(e.header, offset);
    }
  }
  p.offset = offset;
  p.length = length;
  p.reason = std::move(reason);
  return p;
}

LogReader::Impl::Next LogReader::Impl::raise(LogProblem raised) {
  problems_.push_back(std::move(raised));
  const LogProblem& problem = problems_.back();
  const bool torn = problem.kind == ProblemKind::kTornTail;
  switch (options_.recovery_mode) {
    case RecoveryMode::kAbsoluteConsistency:
      done_ = true;
      error_ = Status::corruption(problem.to_string());
      return Next::kStop;
    case RecoveryMode::kTolerateCorruptedTail:
      done_ = true;
      if (!torn) error_ = Status::corruption(problem.to_string());
      return Next::kStop;
    case RecoveryMode::kPointInTime:
      done_ = true;
      return Next::kStop;
    case RecoveryMode::kSkipAnyCorrupted:
      if (torn) {
        done_ = true;
        return Next::kStop;
      }
      return Next::kContinue;
  }
  return Next::kStop;
}

void LogReader::Impl::stop_at(std::size_t index, uint64_t offset) {
  stop_index_ = index;
  stop_offset_ = offset;
}

Result<bool> LogReader::Impl::refill() {
  while (pending_pos_ >= pending_.size()) {
    pending_.clear();
    pending_payload_at_.clear();
    pending_pos_ = 0;
    if (!read_error_.ok()) return read_error_;
    if (done_) {
      if (!error_.ok()) return error_;
      return false;
    }
    if (!loaded_) {
      STRATA_RETURN_IF_ERROR(enter_segment());
      continue;
    }
    step();
  }
  return true;
}

Result<bool> LogReader::Impl::next(LogRecord* record) {
  STRATA_ASSIGN_OR_RETURN(bool more, refill());
  if (!more) return false;
  place_payload(pending_pos_);
  *record = pending_[pending_pos_++];
  return true;
}

Result<bool> LogReader::Impl::next_batch(std::span<const LogRecord>* records) {
  STRATA_ASSIGN_OR_RETURN(bool more, refill());
  if (!more) return false;
  for (std::size_t i = pending_pos_; i < pending_.size(); ++i) {
    place_payload(i);
  }
  *records = std::span<const LogRecord>(pending_.data() + pending_pos_,
                                        pending_.size() - pending_pos_);
  pending_pos_ = pending_.size();
  return true;
}

Status LogReader::Impl::enter_segment() {
  SegmentEntry& e = segs_[idx_];
  bool check_seal = follows_seal_;
  follows_seal_ = false;
  if (!e.header_status.ok()) {
    auto kind = ProblemKind::kBadHeader;
    LogProblem p = make_problem(kind, idx_, 0, e.file_size,
                                std::string(e.header_status.message()));
    stop_at(idx_, 0);
    if (raise(std::move(p)) == Next::kStop) return Status();
    if (idx_ + 1 >= segs_.size()) {
      done_ = true;
      return Status();
    }
    ++idx_;
    return Status();
  }
  if (idx_ > 0 && check_seal) {
    const SegmentEntry& prev = segs_[idx_ - 1];
    const SealPayload& seal = *prev.seal;
    std::optional<LogProblem> p;
    if (e.number != seal.next_number) {
      p = make_problem(ProblemKind::kMissingSegment, idx_, 0, 0,
                       "segment " + std::to_string(seal.next_number) +
                           " is missing (segment " +
                           std::to_string(prev.number) +
                           " is sealed and names it as its successor)");
    } else if (e.header.salt != seal.next_salt ||
               e.header.prev_salt != prev.header.salt) {
      p = make_problem(ProblemKind::kBadHeader, idx_, 0, e.file_size,
                       "segment does not follow segment " +
                           std::to_string(prev.number) +
                           " (salt chain broken: replaced or copied file)");
    } else if (e.header.first_lsn != seal.end_lsn) {
      p = make_problem(ProblemKind::kMissingSegment, idx_, 0, 0,
                       "LSN gap: segment starts at LSN " +
                           std::to_string(e.header.first_lsn) +
                           " but its predecessor ends at " +
                           std::to_string(seal.end_lsn));
    }
    if (p) {
      stop_at(idx_ - 1, prev.file_size);
      if (raise(std::move(*p)) == Next::kStop) return Status();
      if (p->kind == ProblemKind::kBadHeader) {
        // Its records cannot be trusted: skip the whole file.
        if (idx_ + 1 >= segs_.size()) {
          done_ = true;
        } else {
          ++idx_;
        }
        return Status();
      }
    }
  }

  if (!check_seal && entered_any_ && e.header.first_lsn < end_lsn_) {
    // Reached without a seal to check against (after damage, in skip mode):
    // a segment that starts before the LSNs already read is out of place,
    // and its records would make LSNs go backwards.
    LogProblem p = make_problem(ProblemKind::kBadHeader, idx_, 0, e.file_size,
                                "segment starts at LSN " +
                                    std::to_string(e.header.first_lsn) +
                                    ", before LSN " + std::to_string(end_lsn_) +
                                    " already read (out of place)");
    stop_at(idx_, 0);
    if (raise(std::move(p)) == Next::kStop) return Status();
    if (idx_ + 1 >= segs_.size()) {
      done_ = true;
    } else {
      ++idx_;
    }
    return Status();
  }
  entered_any_ = true;
  STRATA_ASSIGN_OR_RETURN(file_, env_->new_random_access_file(e.path));
  STRATA_ASSIGN_OR_RETURN(uint64_t size, file_->size());
  // The header was read and checked by open(); the records follow it.
  seg_end_ = std::max<uint64_t>(size, kSegmentHeaderSize);
  win_begin_ = kSegmentHeaderSize;
  win_end_ = kSegmentHeaderSize;
  e.file_size = seg_end_;
  infos_[idx_].file_size = seg_end_;
  seed_ = segment_seed(e.header.log_id, e.header.number, e.header.salt);
  pos_ = kSegmentHeaderSize;
  loaded_ = true;
  end_lsn_ = std::max(end_lsn_, e.header.first_lsn);
  stop_at(idx_, pos_);
  return Status();
}

bool LogReader::Impl::ensure(uint64_t keep_from, uint64_t need_end) {
  need_end = std::min(need_end, seg_end_);
  if (need_end <= win_end_) return true;
  if (keep_from >= win_end_) {
    win_begin_ = keep_from;
    win_end_ = keep_from;
  } else if (keep_from > win_begin_) {
    std::memmove(buf_.data(), buf_.data() + (keep_from - win_begin_),
                 static_cast<std::size_t>(win_end_ - keep_from));
    win_begin_ = keep_from;
  }
  const uint64_t want_end =
      std::min(seg_end_, std::max<uint64_t>(need_end, keep_from + kReadChunk));
  if (buf_.size() < want_end - win_begin_) {
    buf_.resize(static_cast<std::size_t>(want_end - win_begin_));
  }
  while (win_end_ < want_end) {
    std::span<char> into(buf_.data() + (win_end_ - win_begin_),
                         static_cast<std::size_t>(want_end - win_end_));
    auto got = file_->read(win_end_, into);
    if (!got.ok()) {
      read_error_ = std::move(got).status();
      return false;
    }
    bytes_read_ += *got;
    win_end_ += *got;
    if (*got == 0) {
      // The file is shorter than when the segment was entered: it ends
      // here.
      seg_end_ = win_end_;
      segs_[idx_].file_size = seg_end_;
      infos_[idx_].file_size = seg_end_;
      break;
    }
  }
  return true;
}

std::string_view LogReader::Impl::record_at(uint64_t keep_from,
                                            uint64_t offset) {
  if (!ensure(keep_from, offset + kRecordHeaderSize)) return {};
  if (win_end_ >= offset + kRecordHeaderSize) {
    const uint32_t length =
        decode_fixed32(buf_.data() + (offset - win_begin_) + 4);
    // A longer "record" is damage, rejected without reading it.
    if (length <= kMaxRecordSizeLimit &&
        !ensure(keep_from, offset + kRecordHeaderSize + length)) {
      return {};
    }
  }
  return window_from(offset);
}

void LogReader::Impl::deliver(uint64_t offset, const ParsedRecord& rec,
                              bool last) {
  const SegmentEntry& e = segs_[idx_];
  Lsn lsn = lsn_at(e.header, offset);
  if (lsn < options_.start_lsn) return;
  LogRecord r;
  r.lsn = lsn;
  // Only its size: next() points it into the window.
  r.payload = std::string_view(nullptr, rec.payload.size());
  r.segment = e.number;
  r.offset = offset;
  r.last_in_batch = last;
  pending_.push_back(r);
  pending_payload_at_.push_back(offset + kRecordHeaderSize);
}

void LogReader::Impl::step() {
  if (pos_ >= seg_end_) {
    end_of_segment();
    return;
  }
  std::string_view rest = record_at(pos_, pos_);
  if (!read_error_.ok()) return;
  ParsedRecord rec;
  std::string reason;
  if (parse_record(rest, seed_, kMaxRecordSizeLimit, &rec, &reason) ==
      ParseResult::kInvalid) {
    // Zeros to the end are the unwritten rest of a preallocated segment:
    // the data ends here, cleanly (a record of zeros never validates).
    if (zero_to_end(pos_)) {
      end_at_zero_tail(pos_);
      end_of_segment();
      return;
    }
    if (!read_error_.ok()) return;
    if (written_since(pos_, rest)) {
      // A live writer is writing over the zeros this read saw here: the
      // read covers the log as of when it got here, so it ends here.
      end_at_zero_tail(pos_);
      end_of_segment();
      return;
    }
    handle_damage(pos_, reason);
    return;
  }
  if (rec.length > options_.max_record_size) {
    // A valid record, only larger than this reader accepts: never mistake
    // it for a torn tail (a writer would cut it off).
    LogProblem p =
        make_problem(ProblemKind::kCorruption, idx_, pos_, rec.total_size,
                     "record of " + std::to_string(rec.length) +
                         " bytes exceeds this reader's limit of " +
                         std::to_string(options_.max_record_size) + " bytes");
    stop_at(idx_, pos_);
    if (raise(std::move(p)) == Next::kStop) return;
    pos_ += rec.total_size;
    return;
  }
  auto type = static_cast<RecordType>(rec.type);
  switch (type) {
    case RecordType::kFull:
      deliver(pos_, rec, true);
      pos_ += rec.total_size;
      break;
    case RecordType::kFirst: {
      // Validate the whole batch before handing out any of it.
      uint64_t at = pos_;
      deliver(at, rec, false);
      at += rec.total_size;
      while (true) {
        // The window keeps the batch from its first record on.
        std::string_view more = record_at(pos_, at);
        if (!read_error_.ok()) {
          pending_.clear();
          pending_payload_at_.clear();
          return;
        }
        ParsedRecord part;
        std::string why;
        bool ok = parse_record(more, seed_, kMaxRecordSizeLimit, &part, &why) ==
                  ParseResult::kValid;
        if (ok && part.length > options_.max_record_size) {
          ok = false;
          why = "record of " + std::to_string(part.length) +
                " bytes exceeds this reader's limit";
        }
        if (ok && part.type != static_cast<uint8_t>(RecordType::kMiddle) &&
            part.type != static_cast<uint8_t>(RecordType::kLast)) {
          ok = false;
          why = "batch ends without its last record";
        }
        if (!ok) {
          pending_.clear();
          pending_payload_at_.clear();
          handle_damage(pos_, at >= seg_end_
                                  ? "batch cut short at the end of the data"
                                  : "inside a batch: " + why);
          return;
        }
        bool last = part.type == static_cast<uint8_t>(RecordType::kLast);
        deliver(at, part, last);
        at += part.total_size;
        if (last) break;
      }
      pos_ = at;
      break;
    }
    case RecordType::kMiddle:
    case RecordType::kLast:
      handle_damage(pos_, "batch record without the start of its batch");
      return;
    case RecordType::kSeal: {
      auto seal = decode_seal(rec.payload);
      if (!seal) {
        handle_damage(pos_, "seal record of the wrong size");
        return;
      }
      SegmentEntry& e = segs_[idx_];
      uint64_t after = pos_ + rec.total_size;
      if (seal->end_lsn != lsn_at(e.header, after)) {
        handle_damage(pos_, "seal names the wrong end LSN");
        return;
      }
      e.sealed = true;
      e.seal = *seal;
      infos_[idx_].sealed = true;
      pos_ = after;
      end_lsn_ = lsn_at(e.header, pos_);
      stop_at(idx_, pos_);
      if (pos_ < seg_end_ && zero_to_end(pos_)) {
        // A sealed preallocated segment keeps its unwritten zeros.
        end_at_zero_tail(pos_);
      }
      if (!read_error_.ok()) return;
      if (pos_ < seg_end_) {
        // Nothing may follow a seal but zeros; whatever does is damage, and
        // the successor segment holds the log's continuation.
        uint64_t len = seg_end_ - pos_;
        LogProblem p = make_problem(ProblemKind::kCorruption, idx_, pos_, len,
                                    "bytes after the segment's seal");
        if (raise(std::move(p)) == Next::kStop) return;
      }
      pos_ = seg_end_;
      end_of_segment();
      return;
    }
    default:
      // Ignorable types (padding and future ones) are skipped.
      pos_ += rec.total_size;
      break;
  }
  end_lsn_ = lsn_at(segs_[idx_].header, pos_);
  stop_at(idx_, pos_);
}

void LogReader::Impl::end_of_segment() {
  const std::size_t at = idx_;
  loaded_ = false;
  file_.reset();
  win_begin_ = 0;
  win_end_ = 0;
  if (buf_.size() > 4 * kReadChunk) {
    // A huge batch or a damage scan grew the window: give it back.
    buf_.clear();
    buf_.shrink_to_fit();
  }
  bool last = idx_ + 1 >= segs_.size();
  const SegmentEntry& e = segs_[at];
  if (e.sealed && last && successor_exists(e.seal->next_number)) {
    // A live writer sealed this segment after open() listed the directory
    // (the successor exists durably before the seal is written). The read
    // covers the log as listed at open, so it ends here, cleanly; following
    // a growing log is a tailing reader's job.
    done_ = true;
    return;
  }
  if (e.sealed) {
    if (last) {
      LogProblem p =
          make_problem(ProblemKind::kMissingSegment, idx_, e.file_size, 0,
                       "segment is sealed but its successor " +
                           std::to_string(e.seal->next_number) + " is missing");
      raise(std::move(p));
      done_ = true;
      return;
    }
    ++idx_;
    follows_seal_ = true;
    return;
  }
  if (last || !later_segments_hold_data(idx_)) {
    // The end of the log. Empty successors mean a crash came between
    // making the successor and sealing this segment; the writer finishes
    // that rotation on open.
    done_ = true;
    return;
  }
  LogProblem p = make_problem(
      ProblemKind::kCorruption, idx_, e.file_size, 0,
      "segment ends without a seal but later segments hold records");
  if (raise(std::move(p)) == Next::kStop) return;
  ++idx_;
}

bool LogReader::Impl::zero_to_end(uint64_t from) {
  if (from >= seg_end_) return true;
  // The window first: a torn record's bytes are usually there, and end the
  // check at once.
  uint64_t at = from;
  if (at >= win_begin_ && at < win_end_) {
    if (!all_zero(buf_.data() + (at - win_begin_),
                  static_cast<std::size_t>(win_end_ - at))) {
      return false;
    }
    at = win_end_;
  }
  // The rest in chunks of its own, so the window does not grow to hold a
  // long zero tail.
  while (at < seg_end_) {
    const auto len =
        static_cast<std::size_t>(std::min<uint64_t>(seg_end_ - at, kReadChunk));
    if (zero_scan_.size() < len) zero_scan_.resize(len);
    auto got = file_->read(at, std::span<char>(zero_scan_.data(), len));
    if (!got.ok()) {
      read_error_ = std::move(got).status();
      return false;
    }
    bytes_read_ += *got;
    if (*got == 0) break;  // the file shrank: it ends here
    if (!all_zero(zero_scan_.data(), *got)) return false;
    at += *got;
  }
  return true;
}

bool LogReader::Impl::written_since(uint64_t at, std::string_view seen) {
  if (seen.size() < kRecordHeaderSize ||
      !all_zero(seen.data(), kRecordHeaderSize)) {
    return false;
  }
  char now[kRecordHeaderSize];
  auto got = file_->read(at, std::span<char>(now, sizeof(now)));
  return got.ok() && *got == sizeof(now) && !all_zero(now, sizeof(now));
}

void LogReader::Impl::end_at_zero_tail(uint64_t at) {
  SegmentEntry& e = segs_[idx_];
  e.preallocated_size = seg_end_;
  e.file_size = at;
  seg_end_ = at;
  pos_ = at;
  end_lsn_ = lsn_at(e.header, at);
  stop_at(idx_, at);
}

bool LogReader::Impl::successor_exists(uint64_t number) const {
  auto exists = env_->file_exists(join_path(dir_, segment_file_name(number)));
  return exists.ok() && *exists;
}

bool LogReader::Impl::segment_is_empty(std::size_t index) const {
  const SegmentEntry& e = segs_[index];
  return e.header_status.ok() && e.file_size <= kSegmentHeaderSize;
}

bool LogReader::Impl::later_segments_hold_data(std::size_t after) const {
  for (std::size_t i = after + 1; i < segs_.size(); ++i) {
    const SegmentEntry& e = segs_[i];
    if (!e.header_status.ok()) return true;  // an unreadable file counts
    if (e.file_size <= kSegmentHeaderSize) continue;
    // A successor with bytes but no valid first record is itself torn;
    // only a valid record counts as data.
    auto file = env_->new_random_access_file(e.path);
    if (!file.ok()) return true;
    std::string buf(static_cast<std::size_t>(std::min<uint64_t>(
                        e.file_size - kSegmentHeaderSize,
                        kMaxRecordSizeLimit + kRecordHeaderSize)),
                    '\0');
    auto got = (*file)->read(kSegmentHeaderSize, buf);
    if (!got.ok()) return true;
    buf.resize(*got);
    ParsedRecord rec;
    uint32_t seed =
        segment_seed(e.header.log_id, e.header.number, e.header.salt);
    if (parse_record(buf, seed, kMaxRecordSizeLimit, &rec, nullptr) ==
        ParseResult::kValid) {
      return true;
    }
  }
  return false;
}

uint64_t LogReader::Impl::find_next_unit(uint64_t from) {
  // Damage is rare: the scan simply loads the rest of the segment.
  if (from >= seg_end_ || !ensure(from, seg_end_)) return 0;
  for (uint64_t at = from; at + kRecordHeaderSize <= win_end_; ++at) {
    auto type = static_cast<uint8_t>(buf_[at - win_begin_ + 8]);
    if (!starts_unit(type)) continue;
    std::string_view rest = window_from(at);
    ParsedRecord rec;
    if (parse_record(rest, seed_, kMaxRecordSizeLimit, &rec, nullptr) ==
        ParseResult::kValid) {
      return at;
    }
  }
  return 0;
}

void LogReader::Impl::handle_damage(uint64_t offset,
                                    const std::string& reason) {
  uint64_t next = find_next_unit(offset + 1);
  bool valid_after = next != 0 || later_segments_hold_data(idx_);
  uint64_t end = next != 0 ? next : seg_end_;
  stop_at(idx_, offset);
  end_lsn_ = lsn_at(segs_[idx_].header, offset);
  LogProblem p = make_problem(
      valid_after ? ProblemKind::kCorruption : ProblemKind::kTornTail, idx_,
      offset, end - offset, reason);
  if (raise(std::move(p)) == Next::kStop) return;
  pos_ = end;
}

Result<bool> file_is_zero_from(Env* env, const std::string& path,
                               uint64_t offset) {
  STRATA_ASSIGN_OR_RETURN(auto file, env->new_random_access_file(path));
  STRATA_ASSIGN_OR_RETURN(uint64_t size, file->size());
  std::string chunk;
  for (uint64_t at = offset; at < size;) {
    const auto len =
        static_cast<std::size_t>(std::min<uint64_t>(size - at, kReadChunk));
    chunk.resize(len);
    STRATA_ASSIGN_OR_RETURN(std::size_t got,
                            file->read(at, std::span<char>(chunk.data(), len)));
    if (got == 0) break;
    if (!all_zero(chunk.data(), got)) return false;
    at += got;
  }
  return true;
}

// ---------------------------------------------------------------- LogReader

LogReader::LogReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogReader::~LogReader() = default;

Result<std::unique_ptr<LogReader>> LogReader::open(
    const std::string& dir, const LogReaderOptions& options) {
  Env* env = options.env != nullptr ? options.env : Env::posix();
  auto impl = std::make_unique<Impl>(env, dir, options);
  STRATA_RETURN_IF_ERROR(impl->open());
  return std::unique_ptr<LogReader>(new LogReader(std::move(impl)));
}

Result<bool> LogReader::next(LogRecord* record) { return impl_->next(record); }
Result<bool> LogReader::next_batch(std::span<const LogRecord>* records) {
  return impl_->next_batch(records);
}

const std::vector<LogProblem>& LogReader::problems() const {
  return impl_->problems();
}

uint64_t LogReader::corruption_count() const {
  return static_cast<uint64_t>(std::count_if(
      impl_->problems().begin(), impl_->problems().end(),
      [](const LogProblem& p) { return p.kind != ProblemKind::kTornTail; }));
}

Lsn LogReader::end_lsn() const { return impl_->end_lsn(); }
uint64_t LogReader::bytes_read() const { return impl_->bytes_read(); }
const std::vector<SegmentInfo>& LogReader::segments() const {
  return impl_->infos();
}
LogKind LogReader::kind() const { return impl_->kind(); }
const std::array<uint8_t, 16>& LogReader::log_id() const {
  return impl_->log_id();
}
Lsn LogReader::start_lsn() const { return impl_->log_start_lsn(); }

Result<SegmentInfo> read_segment_header(Env* env, const std::string& path) {
  if (env == nullptr) env = Env::posix();
  uint64_t size = 0;
  STRATA_ASSIGN_OR_RETURN(std::string prefix,
                          read_prefix(env, path, kSegmentHeaderSize, &size));
  auto header = decode_segment_header(prefix);
  if (!header.ok()) return header.status().with_context(path);
  SegmentInfo info;
  info.number = header->number;
  info.file = path;
  info.file_size = size;
  info.first_lsn = header->first_lsn;
  info.kind = header->kind;
  info.format_version = header->format_version;
  return info;
}

}  // namespace strata::durability::log
