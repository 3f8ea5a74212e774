// LogTailer: takes the records below the visible limit (the writer's
// durable LSN, or its written end with deliver_unsynced); between reads it
// waits on the in-process writer's publisher or polls PROGRESS.
//
// Two ways to read. A LogReader opened at the tailer's position validates
// everything (segment order, seals, damage) but loads the whole current
// segment, so it is used to start, to cross a segment boundary and when
// anything looks unusual. In between, the tailer reads only the bytes
// appended to the current segment since its last read and parses whole
// records and batches from them; whatever it does not recognise (a seal,
// a torn or foreign record) sends it back to the LogReader.

#include "strata/durability/log/log_tailer.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <span>
#include <vector>

#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/progress.h"
#include "strata/durability/log/slot.h"
#include "log/format.h"
#include "log/progress_file.h"
#include "log/slot_file.h"
#include "util/status_macros.h"

namespace strata::durability::log {

namespace {
// Reads that stop short of a limit the writer published are retried this
// many times before the shortfall is called corruption: a reader can race
// with a retirement or a rotation once, not repeatedly at one position.
constexpr int kMaxShortReads = 3;
// One read buffers at most this much before handing records out.
constexpr std::size_t kMaxBufferedBytes = 4U << 20;
constexpr std::size_t kMaxBufferedRecords = 4096;
constexpr Lsn kUnbounded = std::numeric_limits<Lsn>::max();
constexpr auto kSlotCheckInterval = std::chrono::milliseconds(20);
}  // namespace

class LogTailer::Impl {
 public:
  Impl(std::string dir, const LogTailerOptions& options)
      : env_(options.env != nullptr ? options.env : Env::posix()),
        dir_(std::move(dir)),
        opt_(options) {
    if (opt_.writer != nullptr) pub_ = WriterAccess::progress(opt_.writer);
  }

  Status open();
  Result<bool> next(TailedRecord* record,
                    std::chrono::steady_clock::time_point deadline);
  void cancel();
  Status ack(Lsn lsn);

 private:
  // LogTailer's accessors read the state below directly.
  friend class LogTailer;

  std::atomic<bool> cancelled_{false};
  std::atomic<Lsn> pos_{0};
  std::atomic<Lsn> visible_{0};
  std::atomic<uint64_t> bytes_read_{0};

  Result<Lsn> read_limit();
  Status read_from_log(Lsn limit);
  // The incremental read. kFallBack when it could not go on (the caller
  // then reads with a LogReader).
  enum class Appended { kDelivered, kNothingNew, kFallBack };
  Appended read_appended(Lsn limit);
  void remember_position();
  Status gap_error(Lsn oldest) const;
  Status check_slot() const;
  Result<std::unique_ptr<LogReader>> open_reader(Lsn start) const;
  void wait(uint64_t seen_version,
            std::chrono::steady_clock::time_point deadline);

  Env* env_;
  std::string dir_;
  LogTailerOptions opt_;
  ProgressPublisher* pub_ = nullptr;
  LogId log_id_{};
  std::deque<TailedRecord> buffer_;
  int short_reads_ = 0;
  // A LogReader read found nothing to deliver below this limit (the
  // position is one past the last record's LSN, so the limit stays above
  // it): no need to read again until the limit moves.
  Lsn clean_below_ = 0;
  std::chrono::steady_clock::time_point last_slot_check_{};
  // The incremental read's state: the segment it reads and the file
  // offset of the next unit (valid only with `appended_valid_`).
  bool appended_valid_ = false;
  // Where the LogReader's last delivered record ended.
  uint64_t last_segment_ = 0;
  uint64_t last_end_offset_ = 0;
  uint64_t appended_segment_ = 0;
  uint64_t appended_offset_ = 0;
  std::unique_ptr<RandomAccessFile> appended_file_;
  SegmentHeader appended_header_;
  uint32_t appended_seed_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
};

Result<std::unique_ptr<LogReader>> LogTailer::Impl::open_reader(
    Lsn start) const {
  LogReaderOptions ro;
  ro.env = env_;
  ro.start_lsn = start;
  ro.recovery_mode = RecoveryMode::kTolerateCorruptedTail;
  ro.max_record_size = opt_.max_record_size;
  ro.check_kind = opt_.check_kind;
  ro.expected_kind = opt_.expected_kind;
  return LogReader::open(dir_, ro);
}

Status LogTailer::Impl::gap_error(Lsn oldest) const {
  return Status::not_found("gap: LSN " + std::to_string(pos_.load()) +
                           " is no longer in the log at " + dir_ +
                           " (its segment was retired); the oldest LSN "
                           "available is " +
                           std::to_string(oldest));
}

Status LogTailer::Impl::check_slot() const {
  if (opt_.slot.empty()) return Status();
  STRATA_ASSIGN_OR_RETURN(SlotState s, read_slot(env_, dir_, opt_.slot));
  if (s.dropped) return slot_dropped_error(dir_, s);
  return Status();
}

Status LogTailer::Impl::open() {
  Lsn start = opt_.start_lsn;
  if (!opt_.slot.empty()) {
    STRATA_ASSIGN_OR_RETURN(SlotState s, read_slot(env_, dir_, opt_.slot));
    if (s.dropped) return slot_dropped_error(dir_, s);
    start = s.restart_lsn;
  }
  auto reader = open_reader(0);
  if (!reader.ok()) return reader.status();
  log_id_ = (*reader)->log_id();
  Lsn oldest = (*reader)->start_lsn();
  if (opt_.from_oldest && opt_.slot.empty()) start = oldest;
  pos_ = start;
  if (start < oldest) return gap_error(oldest);
  return Status();
}

Result<Lsn> LogTailer::Impl::read_limit() {
  if (opt_.writer != nullptr) {
    if (pub_ != nullptr) {
      return opt_.deliver_unsynced ? pub_->end_lsn() : pub_->durable_lsn();
    }
    return opt_.writer->durable_lsn();
  }
  auto p = read_published_progress(env_, dir_);
  if (p.ok()) {
    // A PROGRESS left by an earlier log in this directory says nothing
    // about this one.
    if (p->log_id != log_id_) return visible_.load();
    return opt_.deliver_unsynced ? p->end_lsn : p->durable_lsn;
  }
  if (p.status().is_not_found()) {
    return opt_.trust_unpublished ? kUnbounded : visible_.load();
  }
  // A rewrite in progress can be read torn: keep the last value.
  if (p.status().is_corruption()) return visible_.load();
  return p.status();
}

Status LogTailer::Impl::read_from_log(Lsn limit) {
  const Lsn pos = pos_.load();
  auto reader = open_reader(pos);
  if (!reader.ok()) {
    auto any = open_reader(0);
    if (any.ok() && (*any)->start_lsn() > pos)
      return gap_error((*any)->start_lsn());
    if (++short_reads_ >= kMaxShortReads) return reader.status();
    return Status();
  }
  LogReader& r = **reader;
  if (r.log_id() != log_id_) {
    return Status::invalid_argument(
        "the log at " + dir_ +
        " was replaced by another log (its log id changed) while tailing");
  }
  if (r.start_lsn() > pos) return gap_error(r.start_lsn());

  LogRecord rec;
  std::size_t bytes = 0;
  bool capped = false;
  last_segment_ = 0;
  Status read_error;
  while (true) {
    auto more = r.next(&rec);
    if (!more.ok()) {
      read_error = more.status();
      break;
    }
    if (!*more || rec.lsn >= limit) break;
    TailedRecord t;
    t.lsn = rec.lsn;
    t.payload.assign(rec.payload);
    last_segment_ = rec.segment;
    last_end_offset_ = rec.offset + kRecordHeaderSize + rec.payload.size();
    t.last_in_batch = rec.last_in_batch;
    t.next_lsn = rec.lsn + 1;
    bytes += t.payload.size();
    buffer_.push_back(std::move(t));
    if (rec.last_in_batch &&
        (bytes >= kMaxBufferedBytes || buffer_.size() >= kMaxBufferedRecords)) {
      capped = true;
      break;
    }
  }
  bytes_read_ += r.bytes_read();
  if (limit == kUnbounded) {
    visible_ = std::max(visible_.load(), r.end_lsn());
    return read_error;
  }
  if (capped || r.end_lsn() >= limit) {
    short_reads_ = 0;
    if (buffer_.empty()) clean_below_ = limit;
    return Status();
  }
  // The reader stopped below a limit the writer published as written.
  if (!buffer_.empty()) {
    short_reads_ = 0;
    return Status();
  }
  if (++short_reads_ < kMaxShortReads) return Status();
  // Maybe retired under us: that is a gap, not damage.
  auto any = open_reader(0);
  if (any.ok() && (*any)->start_lsn() > pos)
    return gap_error((*any)->start_lsn());
  std::string what = read_error.ok() ? std::string("the valid log ends")
                                     : read_error.to_string();
  for (const LogProblem& p : r.problems()) what += "; " + p.to_string();
  return Status::corruption(
      "cannot read the log at " + dir_ + " from LSN " + std::to_string(pos) +
      " up to LSN " + std::to_string(limit) +
      ", which the writer published as " +
      (opt_.deliver_unsynced ? "written" : "durable") + ": " + what +
      " at LSN " + std::to_string(r.end_lsn()));
}

void LogTailer::Impl::remember_position() {
  if (buffer_.empty() || !buffer_.back().last_in_batch || last_segment_ == 0) {
    return;
  }
  if (appended_segment_ != last_segment_) appended_file_.reset();
  appended_segment_ = last_segment_;
  appended_offset_ = last_end_offset_;
  appended_valid_ = true;
}

LogTailer::Impl::Appended LogTailer::Impl::read_appended(Lsn limit) {
  if (!appended_file_) {
    auto f = env_->new_random_access_file(
        join_path(dir_, segment_file_name(appended_segment_)));
    if (!f.ok()) return Appended::kFallBack;
    std::string prefix(kSegmentHeaderSize, '\0');
    auto n = (*f)->read(0, std::span<char>(prefix.data(), prefix.size()));
    if (!n.ok() || *n != kSegmentHeaderSize) return Appended::kFallBack;
    auto h = decode_segment_header(prefix);
    if (!h.ok() || h->number != appended_segment_ || h->log_id != log_id_) {
      return Appended::kFallBack;
    }
    appended_header_ = *h;
    appended_seed_ = segment_seed(h->log_id, h->number, h->salt);
    appended_file_ = std::move(*f);
  }
  auto size = appended_file_->size();
  if (!size.ok()) return Appended::kFallBack;
  // Nothing appended here since the last read (a rotation would have
  // appended a seal first).
  if (*size <= appended_offset_) return Appended::kNothingNew;
  uint64_t want =
      std::min<uint64_t>(*size - appended_offset_, kMaxBufferedBytes);
  // A preallocated segment is already full size, with zeros where nothing
  // is written yet: read no further than the limit the writer published
  // (what lies past it is not to be delivered yet anyway), and at least a
  // record header, so that a seal just past the limit is seen.
  if (limit != kUnbounded) {
    const Lsn at = lsn_at(appended_header_, appended_offset_);
    const uint64_t upto =
        limit > at ? limit - at + kSealRecordSize : kRecordHeaderSize;
    want = std::min(want, upto);
  }
  std::string data(want, '\0');
  auto got = appended_file_->read(appended_offset_,
                                  std::span<char>(data.data(), data.size()));
  if (!got.ok()) return Appended::kFallBack;
  data.resize(*got);
  bytes_read_ += *got;

  const std::string_view bytes(data);
  std::size_t p = 0;
  std::vector<TailedRecord> unit;
  bool delivered = false;
  bool beyond_limit = false;
  while (p < bytes.size()) {
    // One unit: a FULL record, a FIRST..LAST batch, or padding.
    unit.clear();
    std::size_t q = p;
    bool complete = false;
    bool stop = false;
    while (!complete) {
      ParsedRecord rec;
      if (parse_record(bytes.substr(q), appended_seed_, opt_.max_record_size,
                       &rec, nullptr) != ParseResult::kValid) {
        stop = true;  // not written yet, or not ours to judge
        break;
      }
      const auto type = static_cast<RecordType>(rec.type);
      const bool first = unit.empty();
      if (first && (rec.type & kIgnorableBit) != 0) {
        q += rec.total_size;
        complete = true;
        break;
      }
      if ((first && type != RecordType::kFull && type != RecordType::kFirst) ||
          (!first && type != RecordType::kMiddle &&
           type != RecordType::kLast)) {
        stop = true;  // a seal, or something the LogReader must judge
        break;
      }
      TailedRecord t;
      t.lsn = lsn_at(appended_header_, appended_offset_ + q);
      t.payload.assign(rec.payload);
      t.next_lsn = t.lsn + 1;
      t.last_in_batch = type == RecordType::kFull || type == RecordType::kLast;
      unit.push_back(std::move(t));
      q += rec.total_size;
      complete = unit.back().last_in_batch;
    }
    if (stop) break;
    if (!unit.empty()) {
      const Lsn unit_end = lsn_at(appended_header_, appended_offset_ + q);
      if (unit_end > limit) {
        beyond_limit = true;
        break;
      }
      if (unit.front().lsn < pos_) return Appended::kFallBack;
      for (TailedRecord& t : unit) buffer_.push_back(std::move(t));
      delivered = true;
    }
    p = q;
  }
  appended_offset_ += p;
  if (limit == kUnbounded) {
    visible_ =
        std::max(visible_.load(), lsn_at(appended_header_, appended_offset_));
  }
  if (delivered) return Appended::kDelivered;
  // Unbounded, stopped at zeros: the unwritten rest of a preallocated
  // segment, where the next record will go. (Zeros below a published limit
  // go to the LogReader, which judges them.)
  if (limit == kUnbounded && p < bytes.size() &&
      bytes.find_first_not_of('\0', p) == std::string_view::npos) {
    return Appended::kNothingNew;
  }
  // Stopped at the limit (at the next unit, or at bytes still being
  // written): not yet.
  if (beyond_limit || lsn_at(appended_header_, appended_offset_) >= limit) {
    return Appended::kNothingNew;
  }
  return Appended::kFallBack;
}

void LogTailer::Impl::wait(uint64_t seen_version,
                           std::chrono::steady_clock::time_point deadline) {
  auto now = std::chrono::steady_clock::now();
  if (pub_ != nullptr) {
    // Bounded, so a wake() that races with the wait costs at most this.
    pub_->wait(seen_version,
               std::min(deadline, now + std::chrono::milliseconds(50)));
    return;
  }
  auto step = opt_.writer != nullptr ? std::chrono::milliseconds(1)
                                     : opt_.poll_interval;
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_until(l, std::min(deadline, now + step),
                 [this] { return cancelled_.load(); });
}

Result<bool> LogTailer::Impl::next(
    TailedRecord* record, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    if (cancelled_) return false;
    if (!buffer_.empty()) {
      *record = std::move(buffer_.front());
      buffer_.pop_front();
      pos_ = record->next_lsn;
      return true;
    }
    uint64_t seen = pub_ != nullptr ? pub_->version() : 0;
    STRATA_ASSIGN_OR_RETURN(Lsn limit, read_limit());
    if (limit != kUnbounded && limit > visible_) visible_ = limit;
    if (limit > pos_ && limit > clean_below_) {
      // A dropped slot is reported at the next read (its file is looked at
      // every few milliseconds at most while reading appended bytes).
      const auto now = std::chrono::steady_clock::now();
      if (now - last_slot_check_ >= kSlotCheckInterval) {
        STRATA_RETURN_IF_ERROR(check_slot());
        last_slot_check_ = now;
      }
      const Appended a =
          appended_valid_ ? read_appended(limit) : Appended::kFallBack;
      if (a == Appended::kFallBack) {
        STRATA_RETURN_IF_ERROR(check_slot());
        appended_valid_ = false;
        STRATA_RETURN_IF_ERROR(read_from_log(limit));
        remember_position();
      }
      if (!buffer_.empty()) continue;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    wait(seen, deadline);
  }
}

void LogTailer::Impl::cancel() {
  {
    std::lock_guard<std::mutex> l(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  if (pub_ != nullptr) pub_->wake();
}

Status LogTailer::Impl::ack(Lsn lsn) {
  if (opt_.slot.empty()) {
    return Status::invalid_argument("ack on a tailer of " + dir_ +
                                    " without a slot");
  }
  if (lsn > pos_) {
    return Status::invalid_argument(
        "ack of LSN " + std::to_string(lsn) + " on slot '" + opt_.slot +
        "' is past the tailer's position " + std::to_string(pos_.load()));
  }
  return advance_slot(env_, dir_, opt_.slot, lsn);
}

LogTailer::LogTailer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogTailer::~LogTailer() = default;

Result<std::unique_ptr<LogTailer>> LogTailer::open(
    const std::string& dir, const LogTailerOptions& options) {
  auto impl = std::make_unique<Impl>(dir, options);
  STRATA_RETURN_IF_ERROR(impl->open());
  return std::unique_ptr<LogTailer>(new LogTailer(std::move(impl)));
}

Result<bool> LogTailer::next(TailedRecord* record,
                             std::chrono::milliseconds timeout) {
  return impl_->next(record, std::chrono::steady_clock::now() + timeout);
}
Result<bool> LogTailer::next_until(
    TailedRecord* record, std::chrono::steady_clock::time_point deadline) {
  return impl_->next(record, deadline);
}
void LogTailer::cancel() { impl_->cancel(); }
bool LogTailer::cancelled() const { return impl_->cancelled_; }
Lsn LogTailer::position() const { return impl_->pos_; }
Lsn LogTailer::visible_lsn() const { return impl_->visible_; }
Status LogTailer::ack(Lsn lsn) { return impl_->ack(lsn); }
uint64_t LogTailer::bytes_read() const { return impl_->bytes_read_; }

}  // namespace strata::durability::log
