// LogWriter: group commit over the log core's segments.
//
// Appenders queue up; the one at the front of the queue is the leader. It
// takes every waiting batch, frames them into one buffer, writes it with
// one call and, when any of them needs it, syncs once for all of them. The
// others sleep, each on a futex word of its own, until the leader marks
// them done and wakes them after releasing the writer's mutex. A lone writer
// therefore pays no added delay, and under load one fdatasync covers many
// commits. An appender that finds nobody queued and no leader at work
// skips the queue altogether (append_alone): it marks itself the leader,
// writes, and hands the lead to whoever queued meanwhile. In Batched mode
// a background thread syncs on a timer and after batch_size appends, so an
// idle log still becomes durable.
//
// append_async() goes through the same queue but never makes the leader
// sync: its callback waits in pending_ (in LSN order, since leaders append
// in turn) until durable_lsn_ covers it. A second background thread
// (started on the first asynchronous batch that needs a sync, in any mode)
// syncs as soon as one waits, so a lone thread's batches share fdatasyncs.
//
// A batch is a RecordBatch: sizes, and an encoder the leader calls to
// write each payload straight into its group buffer, where it is framed in
// place. So a payload is copied once between the caller's data and the
// file. The appender is blocked in append() (or append_async()) until the
// leader has written its batch, which keeps the encoder's data alive.
//
// With preallocate_segments, a third thread (the preparer, started once a
// segment is an eighth full) zero-fills and syncs the next segment's file
// under a .tmp name; rotate() takes it if it is ready and makes the segment
// the old way if not. The preparer never holds mu_ while writing.

#include "strata/durability/log/log_writer.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "strata/durability/uuid.h"
#include "log/format.h"
#include "log/log_reader_impl.h"
#include "log/progress_file.h"
#include "log/slot_file.h"
#include "log/write_buffer.h"
#include "util/record_sizes.h"
#include "util/status_macros.h"
#include "util/wait_word.h"

namespace strata::durability::log {

namespace {

// The most bytes one leader writes in one group.
constexpr std::size_t kMaxGroupBytes = 4U << 20;
// The preparer writes zeros this much at a time, looking for close()
// between writes.
constexpr std::size_t kZeroChunk = 1U << 20;

std::size_t bucket_of(uint64_t v, std::size_t buckets) {
  std::size_t b = v == 0 ? 0 : static_cast<std::size_t>(std::bit_width(v) - 1);
  return std::min(b, buckets - 1);
}

uint32_t random_salt() {
  uint32_t salt = 0;
  while (salt == 0) fill_random(&salt, sizeof(salt));
  return salt;
}

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

}  // namespace

uint64_t LogWriterStats::sync_micros_percentile(double p) const {
  uint64_t total = 0;
  for (uint64_t c : sync_micros_histogram) total += c;
  if (total == 0) return 0;
  auto want = static_cast<uint64_t>(static_cast<double>(total) * p / 100.0);
  if (want == 0) want = 1;
  uint64_t seen = 0;
  for (std::size_t i = 0; i < sync_micros_histogram.size(); ++i) {
    seen += sync_micros_histogram[i];
    if (seen >= want) return (uint64_t{1} << (i + 1)) - 1;
  }
  return (uint64_t{1} << sync_micros_histogram.size()) - 1;
}

// One segment being written.
struct OpenSegment {
  SegmentHeader header;
  std::string path;
  std::shared_ptr<WritableFile> file;
  uint32_t seed = 0;
  uint64_t size = 0;  // bytes in the file
};

class LogWriter::Impl {
 public:
  Impl(Env* env, std::string dir, const LogWriterOptions& options)
      : env_(env), dir_(std::move(dir)), options_(options) {}
  ~Impl() { (void)close(); }

  Status open(OpenReport* report);
  // `done` is null for append(), the callback for append_async().
  Result<AppendResult> append(const RecordBatch& batch,
                              const AppendOptions& options, std::span<Lsn> lsns,
                              AppendCallback* done);
  Status sync();
  Status wait_durable(Lsn lsn);
  Result<uint64_t> remove_segments_before(Lsn lsn, RetireReport* report);
  Result<Lsn> apply_slots(Lsn lsn, RetireReport* report);
  Result<uint64_t> retire_before(Lsn lsn);
  Status close();

  Lsn durable_lsn() const { return durable_lsn_.load(); }
  Lsn end_lsn() const {
    std::lock_guard<std::mutex> l(mu_);
    return end_lsn_;
  }
  LogWriterStats stats() const {
    std::lock_guard<std::mutex> l(mu_);
    return stats_;
  }
  Status poisoned() const {
    std::lock_guard<std::mutex> l(mu_);
    return poisoned_;
  }
  const std::string& dir() const { return dir_; }
  const LogWriterOptions& options() const { return options_; }
  const LogId& log_id() const { return log_id_; }
  ProgressPublisher* progress() const { return progress_.get(); }
  void wait_preparer_idle() {
    std::unique_lock<std::mutex> l(prep_mu_);
    prep_cv_.wait(l, [this] {
      return stop_preparer_ || prep_want_ == 0 || prep_want_ == prep_ready_;
    });
  }

 private:
  struct Waiter {
    const RecordBatch* batch = nullptr;  // the appender's, alive until done
    std::span<Lsn> lsns;
    bool sync = false;
    AppendCallback* callback = nullptr;  // set for append_async
    std::size_t bytes = 0;
    Status status;
    AppendResult result;
    // kWaiting until the leader before it makes it kDone (status and
    // result set) or hands it the lead (kLeader). Its thread sleeps on it
    // alone: a wake-up costs one futex wake and no contended mutex.
    WaitWord state{kWaiting};
  };
  static constexpr uint32_t kWaiting = 0;
  static constexpr uint32_t kDone = 1;
  static constexpr uint32_t kLeader = 2;

  Status create_log(OpenReport* report);
  Status recover(OpenReport* report);
  Status make_segment(uint64_t number, Lsn first_lsn, uint32_t salt,
                      uint32_t prev_salt);
  // Opens `path` to append at `size`; with `zero_tail`, the file may be
  // longer, holding only zeros past `size` (a preallocated segment).
  Status open_segment_for_append(const SegmentHeader& header,
                                 const std::string& path, uint64_t size,
                                 bool zero_tail = false);
  Status quarantine_tail(const std::string& path, uint64_t number,
                         uint64_t offset, std::string_view bytes,
                         OpenReport* report);
  Status write_start(uint64_t first_segment, Lsn first_lsn);

  // What a write group put in the log, for the leader to account for under
  // mu_ once it is done.
  struct GroupTotals {
    uint64_t records = 0;
    uint64_t bytes = 0;  // framing included
  };

  // The leader's work when nothing is queued and no leader is at work: its
  // own batch, written (and synced when asked) without the queue. Called
  // with leading_ set.
  Result<AppendResult> append_alone(Waiter* w);
  // Under mu_, once a leader's group (of `appends` batches, ending at
  // `end`) is in the OS, and durable when `synced`: LSNs, stats and the
  // mode's syncer.
  void note_group_locked(std::size_t appends, const GroupTotals& totals,
                         Lsn end, bool synced, uint64_t sync_micros);

  // Leader-only (not under mu_).
  Status write_group(std::span<Waiter*> group, GroupTotals* totals);
  Status flush_buffer();
  Status rotate();
  Status sync_file(const std::shared_ptr<WritableFile>& file);

  // The preparer (see the top of the file).
  bool preallocating() const {
    return options_.mode.is_strict()
               ? options_.preallocate_segments.value_or(true)
               : options_.mode.is_batched() &&
                     options_.preallocate_segments.value_or(false);
  }
  // Asks for segment `number` to be prepared; starts the thread.
  void request_prepared(uint64_t number);
  void preparer_loop();
  // Zero-fills and syncs the prepared file of segment `number`.
  Status prepare_file(uint64_t number);
  // Makes segment `number` from its prepared file, if it is ready: header
  // written and synced, renamed into place, directory synced. False when
  // not ready, or when writing its header failed (the caller makes the
  // segment itself); an error when the rename or the directory sync
  // failed, which fails the rotation as make_segment's would.
  Result<bool> take_prepared(const SegmentHeader& header);
  void stop_preparer();
  Status remove_prepared_leftovers();

  // An append_async batch waiting for its callback.
  struct PendingCallback {
    Lsn end_lsn = 0;
    bool needs_sync = false;  // else called once its predecessors are
    AppendCallback done;
  };

  Status sync_once();
  void poison_locked(const Status& s);
  void syncer_loop();
  void start_async_syncer_locked();
  void async_syncer_loop();
  void note_durable(Lsn lsn);
  // Calls back every pending batch that is ready, in LSN order, unless
  // another thread is already doing so. With `fail`, every pending batch is
  // ready and gets it. Call without mu_ held.
  void run_callbacks(const Status* fail = nullptr);

  Env* env_;
  std::string dir_;
  LogWriterOptions options_;
  LogId log_id_{};
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<ProgressPublisher> progress_;  // null unless published

  mutable std::mutex mu_;
  std::condition_variable durable_cv_;
  std::deque<Waiter*> queue_;
  // An uncontended appender leads without being in queue_ (append_alone):
  // while it writes, newcomers queue behind it and it hands the lead to the
  // front one when done. Otherwise the leader is queue_.front().
  bool leading_ = false;
  Status poisoned_;
  bool closed_ = true;
  bool closing_ = false;  // close() has begun: no new appends
  Lsn end_lsn_ = 0;       // next LSN to assign (under mu_)
  Lsn written_lsn_ = 0;   // bytes below are in the OS (under mu_)
  uint64_t unsynced_appends_ = 0;
  uint64_t oldest_unsynced_nanos_ = 0;  // on env_->monotonic_nanos()
  std::atomic<Lsn> durable_lsn_{0};
  LogWriterStats stats_;
  // Segment numbers and first LSNs of the files in the log, oldest first.
  std::vector<std::pair<uint64_t, Lsn>> segments_;
  bool stop_syncer_ = false;
  std::unique_ptr<Sleeper> syncer_sleeper_;  // Batched only, while open
  std::thread syncer_;
  // Syncs for asynchronous batches, started on the first one that needs it.
  std::thread async_syncer_;
  std::condition_variable async_cv_;
  std::deque<PendingCallback> pending_;  // LSN order
  Lsn sync_wanted_lsn_ = 0;  // the end of the last pending batch to sync
  bool running_callbacks_ = false;
  std::vector<PendingCallback> callbacks_to_run_;  // used by one at a time

  // The preparer's state, under prep_mu_ (never held during I/O).
  std::mutex prep_mu_;
  std::condition_variable prep_cv_;
  std::thread preparer_;
  std::atomic<bool> stop_preparer_{false};
  uint64_t prep_want_ = 0;       // segment number to prepare; 0: none
  uint64_t prep_ready_ = 0;      // segment whose prepared file is ready
  uint64_t prep_requested_ = 0;  // the leader's last request (leader-only)

  // Owned by the leader.
  OpenSegment seg_;
  std::shared_ptr<WritableFile> current_file_;  // read by syncers under mu_
  WriteBuffer buf_;
};

// ---------------------------------------------------------------- open

Status LogWriter::Impl::open(OpenReport* report) {
  if (options_.max_record_size == 0 ||
      options_.max_record_size > kMaxRecordSizeLimit) {
    return Status::invalid_argument("max_record_size must be in (0, 1 GiB]");
  }
  if (options_.segment_size < kSegmentHeaderSize + kSealRecordSize) {
    return Status::invalid_argument("segment_size is too small");
  }
  if (options_.mode.is_batched() &&
      (options_.mode.interval_ms() == 0 || options_.mode.batch_size() == 0)) {
    return Status::invalid_argument(
        "Batched mode needs interval_ms > 0 and batch_size > 0");
  }
  auto exists = env_->file_exists(dir_);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    if (!options_.create_if_missing) {
      return Status::not_found("no log at " + dir_);
    }
    STRATA_RETURN_IF_ERROR(env_->create_dir(dir_));
    // The new directory's own entry must survive a power cut too.
    std::size_t slash = dir_.find_last_of('/');
    std::string parent = slash == std::string::npos ? "."
                         : slash == 0               ? "/"
                                                    : dir_.substr(0, slash);
    STRATA_RETURN_IF_ERROR(env_->sync_dir(parent));
  }
  STRATA_ASSIGN_OR_RETURN(lock_,
                          env_->lock_file(join_path(dir_, kLockFileName)));

  STRATA_ASSIGN_OR_RETURN(auto names, env_->list_dir(dir_));
  bool has_segment = std::any_of(names.begin(), names.end(), [](auto& n) {
    return parse_segment_file_name(n).has_value();
  });
  OpenReport local;
  OpenReport* rep = report != nullptr ? report : &local;
  *rep = OpenReport();
  STRATA_RETURN_IF_ERROR(remove_prepared_leftovers());
  if (!has_segment) {
    if (!options_.create_if_missing) {
      return Status::not_found("no log at " + dir_ + ": it holds no segment");
    }
    STRATA_RETURN_IF_ERROR(create_log(rep));
  } else {
    STRATA_RETURN_IF_ERROR(recover(rep));
  }
  rep->end_lsn = end_lsn_;
  rep->segments = segments_.size();
  // What recovery kept may be only in the OS (a crashed process's unsynced
  // writes): make it durable before calling it so.
  STRATA_RETURN_IF_ERROR(seg_.file->sync());
  written_lsn_ = end_lsn_;
  durable_lsn_ = end_lsn_;
  if (options_.publish_progress) {
    progress_ = std::make_unique<ProgressPublisher>(env_, dir_, log_id_);
    STRATA_RETURN_IF_ERROR(progress_->open(end_lsn_));
  }
  closed_ = false;
  if (options_.mode.is_batched()) {
    syncer_sleeper_ = env_->new_sleeper();
    syncer_ = std::thread([this] { syncer_loop(); });
  }
  return Status();
}

Status LogWriter::Impl::create_log(OpenReport* report) {
  Uuid id = Uuid::new_v7();
  log_id_ = id.bytes();
  STRATA_RETURN_IF_ERROR(write_start(1, 0));
  uint32_t salt = random_salt();
  SegmentHeader h;
  h.kind = options_.kind;
  h.log_id = log_id_;
  h.number = 1;
  h.first_lsn = 0;
  h.salt = salt;
  // With preallocate_new_log the first segment is zero-filled here, before
  // open() returns, so that the first commits already sync at the device's
  // rate. A failed fill (a full disk, say) only costs the preallocation.
  bool prepared = false;
  if (preallocating() && options_.preallocate_new_log) {
    if (prepare_file(1).ok()) {
      {
        std::lock_guard<std::mutex> l(prep_mu_);
        prep_ready_ = 1;
      }
      STRATA_ASSIGN_OR_RETURN(prepared, take_prepared(h));
    } else {
      (void)env_->remove_file(join_path(dir_, prepared_segment_file_name(1)));
    }
  }
  if (!prepared) STRATA_RETURN_IF_ERROR(make_segment(1, 0, salt, 0));
  STRATA_RETURN_IF_ERROR(open_segment_for_append(
      h, join_path(dir_, segment_file_name(1)), kSegmentHeaderSize,
      /*zero_tail=*/prepared));
  segments_.emplace_back(1, 0);
  end_lsn_ = 0;
  report->created = true;
  return Status();
}

Status LogWriter::Impl::write_start(uint64_t first_segment, Lsn first_lsn) {
  StartRecord s;
  s.kind = options_.kind;
  s.log_id = log_id_;
  s.first_segment = first_segment;
  s.first_lsn = first_lsn;
  return write_file_atomically(env_, dir_, kStartFileName, encode_start(s));
}

Status LogWriter::Impl::make_segment(uint64_t number, Lsn first_lsn,
                                     uint32_t salt, uint32_t prev_salt) {
  SegmentHeader h;
  h.kind = options_.kind;
  h.log_id = log_id_;
  h.number = number;
  h.first_lsn = first_lsn;
  h.salt = salt;
  h.prev_salt = prev_salt;
  // Create, sync, rename, sync the directory: the segment exists durably,
  // header and all, before anything is written into it.
  return write_file_atomically(env_, dir_, segment_file_name(number),
                               encode_segment_header(h));
}

Status LogWriter::Impl::open_segment_for_append(const SegmentHeader& header,
                                                const std::string& path,
                                                uint64_t size, bool zero_tail) {
  STRATA_ASSIGN_OR_RETURN(auto file, env_->reopen_writable_file(path));
  if (zero_tail && file->position() > size) {
    // Keep the preallocation: write over the zeros from `size` on.
    Status s = file->seek(size);
    if (!s.ok()) return s.with_context("continuing segment " + path);
  }
  if (file->position() != size) {
    return Status::corruption("segment " + path + " is " +
                              std::to_string(file->position()) +
                              " bytes, expected " + std::to_string(size));
  }
  seg_.header = header;
  seg_.path = path;
  seg_.file = std::shared_ptr<WritableFile>(std::move(file));
  seg_.seed = segment_seed(header.log_id, header.number, header.salt);
  seg_.size = size;
  current_file_ = seg_.file;
  return Status();
}

Status LogWriter::Impl::quarantine_tail(const std::string& path,
                                        uint64_t number, uint64_t offset,
                                        std::string_view bytes,
                                        OpenReport* report) {
  (void)path;
  if (bytes.empty() || all_zero(bytes)) return Status();
  std::string name = "quarantine-" + std::to_string(number) + "-" +
                     std::to_string(offset) + ".bin";
  STRATA_RETURN_IF_ERROR(write_file_atomically(env_, dir_, name, bytes));
  report->quarantine_files.push_back(join_path(dir_, name));
  return Status();
}

Status LogWriter::Impl::recover(OpenReport* report) {
  LogReaderOptions ro;
  ro.env = env_;
  ro.recovery_mode = options_.recovery_mode;
  ro.max_record_size = options_.max_record_size;
  ro.check_kind = true;
  ro.expected_kind = options_.kind;
  LogReader::Impl scan(env_, dir_, ro);
  STRATA_RETURN_IF_ERROR(scan.open());
  LogRecord rec;
  while (true) {
    auto more = scan.next(&rec);
    if (!more.ok()) {
      report->problems = scan.problems();
      return more.status().with_context("cannot open " + dir_ + " for writing");
    }
    if (!*more) break;
    ++report->records;
  }
  report->problems = scan.problems();
  log_id_ = scan.log_id();
  auto& segs = scan.entries();
  if (scan.start_problem()) {
    // Only PointInTime and skip modes get here: rebuild START from the
    // first segment header, keeping the damaged file's bytes.
    const SegmentEntry* first = nullptr;
    for (const SegmentEntry& e : segs) {
      if (e.header_status.ok()) {
        first = &e;
        break;
      }
    }
    if (first == nullptr) {
      return Status::corruption("cannot open " + dir_ +
                                " for writing: START is damaged and no "
                                "segment header is readable");
    }
    std::string start_path = join_path(dir_, kStartFileName);
    STRATA_ASSIGN_OR_RETURN(std::string old_start, read_file(env_, start_path));
    STRATA_RETURN_IF_ERROR(
        write_file_atomically(env_, dir_, "START.quarantine", old_start));
    report->quarantine_files.push_back(join_path(dir_, "START.quarantine"));
    STRATA_RETURN_IF_ERROR(
        write_start(first->header.number, first->header.first_lsn));
  }
  std::size_t stop = scan.stop_index();
  uint64_t stop_offset = scan.stop_offset();

  // A bad header at the stop point (PointInTime or Skip at the first
  // segment): the log has nothing trustworthy to continue from.
  while (stop > 0 && !segs[stop].header_status.ok()) {
    --stop;
    stop_offset = segs[stop].file_size;
  }
  if (!segs[stop].header_status.ok()) {
    return Status::corruption("cannot open " + dir_ +
                              " for writing: no segment with a valid header "
                              "to continue from");
  }

  // Everything after the stop point: empty successors left by an
  // interrupted rotation are kept (the first one) for finishing it; in
  // PointInTime mode, files past a problem are set aside.
  std::optional<std::size_t> successor;
  for (std::size_t i = stop + 1; i < segs.size(); ++i) {
    bool empty =
        segs[i].header_status.ok() && segs[i].file_size <= kSegmentHeaderSize;
    bool zero_body = false;
    if (!empty && segs[i].header_status.ok()) {
      // A preallocated successor: its header, then only zeros.
      STRATA_ASSIGN_OR_RETURN(
          zero_body, file_is_zero_from(env_, segs[i].path, kSegmentHeaderSize));
      empty = zero_body;
    }
    if (empty && !successor && i == stop + 1 &&
        segs[i].header.number == segs[stop].number + 1 &&
        segs[i].header.prev_salt == segs[stop].header.salt) {
      successor = i;
      continue;
    }
    if (options_.recovery_mode == RecoveryMode::kSkipAnyCorrupted && !empty) {
      continue;  // skip mode read past it; leave it
    }
    std::string to = segs[i].path + ".quarantine";
    STRATA_RETURN_IF_ERROR(env_->rename_file(segs[i].path, to));
    report->quarantine_files.push_back(to);
    report->truncated_bytes += segs[i].file_size;
  }
  if (!report->quarantine_files.empty()) {
    STRATA_RETURN_IF_ERROR(env_->sync_dir(dir_));
  }

  SegmentEntry& last = segs[stop];
  // A preallocated segment's zeros after its last record are not yet
  // written, not damage: the writer goes on over them.
  bool zero_tail = last.preallocated_size != 0 && stop_offset == last.file_size;
  // Cut the tail of the stop segment back to the last valid unit, unless
  // it is all zeros.
  if (!zero_tail && (!last.sealed || stop_offset < last.file_size)) {
    STRATA_ASSIGN_OR_RETURN(auto file, env_->new_random_access_file(last.path));
    STRATA_ASSIGN_OR_RETURN(uint64_t size, file->size());
    if (size > stop_offset) {
      std::string tail(static_cast<std::size_t>(size - stop_offset), '\0');
      STRATA_ASSIGN_OR_RETURN(std::size_t got, file->read(stop_offset, tail));
      tail.resize(got);
      zero_tail = all_zero(tail);
      if (!zero_tail) {
        STRATA_RETURN_IF_ERROR(
            quarantine_tail(last.path, last.number, stop_offset, tail, report));
        STRATA_ASSIGN_OR_RETURN(auto w, env_->reopen_writable_file(last.path));
        STRATA_RETURN_IF_ERROR(w->truncate(stop_offset));
        STRATA_RETURN_IF_ERROR(w->fsync());
        STRATA_RETURN_IF_ERROR(w->close());
        report->truncated_bytes += size - stop_offset;
      }
      last.file_size = stop_offset;
    }
  }
  if (zero_tail) last.file_size = stop_offset;

  for (std::size_t i = 0; i <= stop; ++i) {
    if (segs[i].header_status.ok()) {
      segments_.emplace_back(segs[i].number, segs[i].header.first_lsn);
    }
  }
  end_lsn_ = lsn_at(last.header, last.file_size);

  if (last.sealed && last.file_size == stop_offset) {
    // The successor the seal names is missing (PointInTime or Skip got us
    // here): recreate it empty so the chain goes on.
    const SealPayload& seal = *last.seal;
    STRATA_RETURN_IF_ERROR(make_segment(seal.next_number, seal.end_lsn,
                                        seal.next_salt, last.header.salt));
    SegmentHeader h = last.header;
    h.number = seal.next_number;
    h.first_lsn = seal.end_lsn;
    h.salt = seal.next_salt;
    h.prev_salt = last.header.salt;
    segments_.emplace_back(h.number, h.first_lsn);
    end_lsn_ = h.first_lsn;
    return open_segment_for_append(
        h, join_path(dir_, segment_file_name(h.number)), kSegmentHeaderSize);
  }
  STRATA_RETURN_IF_ERROR(open_segment_for_append(last.header, last.path,
                                                 last.file_size, zero_tail));
  if (successor) {
    const SegmentEntry& next = segs[*successor];
    SealPayload seal;
    seal.next_number = next.header.number;
    seal.next_salt = next.header.salt;
    seal.end_lsn = end_lsn_ + kSealRecordSize;
    if (seal.end_lsn != next.header.first_lsn) {
      // A power cut dropped bytes the rotation had counted on, so the
      // successor's first LSN no longer fits: set it aside (it is empty)
      // and go on in this segment; the next rotation makes a new one.
      std::string to = next.path + ".quarantine";
      STRATA_RETURN_IF_ERROR(env_->rename_file(next.path, to));
      STRATA_RETURN_IF_ERROR(env_->sync_dir(dir_));
      report->quarantine_files.push_back(to);
      return Status();
    }
    // Finish the interrupted rotation: seal into the existing successor.
    std::string seal_record;
    append_record(&seal_record, seg_.seed, RecordType::kSeal,
                  encode_seal(seal));
    STRATA_RETURN_IF_ERROR(seg_.file->append(seal_record));
    STRATA_RETURN_IF_ERROR(seg_.file->sync());
    segments_.emplace_back(next.header.number, next.header.first_lsn);
    end_lsn_ = next.header.first_lsn;
    report->rotation_completed = true;
    return open_segment_for_append(next.header, next.path, kSegmentHeaderSize,
                                   /*zero_tail=*/true);
  }
  return Status();
}

// ---------------------------------------------------------------- append

Result<AppendResult> LogWriter::Impl::append(const RecordBatch& batch,
                                             const AppendOptions& options,
                                             std::span<Lsn> lsns,
                                             AppendCallback* done) {
  if (batch.sizes.empty()) {
    return Status::invalid_argument("append of an empty batch");
  }
  if (!lsns.empty() && lsns.size() != batch.sizes.size()) {
    return Status::invalid_argument("lsns must have one slot per record");
  }
  Waiter w;
  w.batch = &batch;
  w.lsns = lsns;
  w.sync = options.sync;
  w.callback = done;
  for (std::size_t size : batch.sizes) {
    if (size > options_.max_record_size) {
      return Status::invalid_argument(
          "record of " + std::to_string(size) + " bytes exceeds the limit of " +
          std::to_string(options_.max_record_size) + " bytes");
    }
    w.bytes += kRecordHeaderSize + size;
  }

  std::unique_lock<std::mutex> l(mu_);
  if (closed_ || closing_) {
    return Status::invalid_argument("append to a closed log");
  }
  if (!poisoned_.ok()) return poisoned_;
  const bool leader_at_work = leading_ || !queue_.empty();
  if (!leader_at_work && done == nullptr) {
    // Nobody to share a group with and nobody to wake us: lead without the
    // queue. (An asynchronous batch takes the queued path, which hands its
    // callback on.)
    leading_ = true;
    l.unlock();
    return append_alone(&w);
  }
  queue_.push_back(&w);
  if (leader_at_work) {
    // A leader is at work: sleep until it (or a later one) is done with
    // this batch or hands over the lead. Never under mu_.
    l.unlock();
    if (w.state.wait_while(kWaiting) == kDone) {
      if (!w.status.ok()) return w.status;
      return w.result;
    }
    l.lock();
  }

  // The leader, at the front of the queue: take every waiting batch, up to
  // a byte budget. The vector is the thread's, kept to save an allocation
  // per group; it cannot be the writer's, because once the queue is
  // released a new leader may start while this one still wakes its group.
  thread_local std::vector<Waiter*> group;
  group.clear();
  std::size_t bytes = 0;
  bool need_sync = false;
  for (Waiter* q : queue_) {
    if (!group.empty() && bytes + q->bytes > kMaxGroupBytes) break;
    group.push_back(q);
    bytes += q->bytes;
    // An asynchronous batch waits for the syncer instead.
    need_sync = need_sync || (q->callback == nullptr &&
                              (options_.mode.is_strict() || q->sync));
  }
  Status s = poisoned_;
  l.unlock();

  GroupTotals totals;
  Lsn group_end = 0;
  uint64_t sync_micros = 0;
  bool synced = false;
  if (s.ok()) s = write_group(group, &totals);
  if (s.ok()) {
    group_end = group.back()->result.end_lsn;
    if (need_sync) {
      const uint64_t t0 = env_->monotonic_nanos();
      s = seg_.file->sync();
      sync_micros = (env_->monotonic_nanos() - t0) / 1000;
      synced = s.ok();
    }
  }

  l.lock();
  if (!s.ok()) {
    poison_locked(s);
  } else {
    note_group_locked(group.size(), totals, group_end, synced, sync_micros);
    bool wake_syncer = false;
    for (Waiter* q : group) {
      if (q->callback == nullptr) continue;
      PendingCallback p;
      p.end_lsn = q->result.end_lsn;
      p.needs_sync = options_.mode.is_strict() || q->sync;
      p.done = std::move(*q->callback);
      if (p.needs_sync && !synced) {
        sync_wanted_lsn_ = std::max(sync_wanted_lsn_, p.end_lsn);
        wake_syncer = true;
      }
      pending_.push_back(std::move(p));
    }
    if (wake_syncer) {
      start_async_syncer_locked();
      async_cv_.notify_one();
    }
  }
  Status result_status = s.ok() ? Status() : poisoned_;
  for (Waiter* q : group) {
    queue_.pop_front();
    if (!result_status.ok()) q->status = result_status;
  }
  Waiter* next = queue_.empty() ? nullptr : queue_.front();
  const bool callbacks = !pending_.empty();
  const Lsn durable = durable_lsn_.load();
  l.unlock();
  // Published after end_lsn_ moved (under mu_ above), so that an LSN a
  // tailer sees is never past end_lsn(); the publisher keeps the maximum
  // when a later leader gets there first.
  if (s.ok() && progress_) progress_->publish(durable, group_end);
  // Wake outside mu_, so that no woken thread runs into it. The followers
  // first: most of them commit again at once, and the next leader, woken
  // last, then finds them queued, so each flush covers more commits
  // (waking it first halved the group at 32 writers on 2 CPUs).
  for (Waiter* q : group) {
    if (q == &w) continue;
    q->state.store(kDone);  // after this, q may be gone (its thread returns)
    WaitWord::wake(&q->state);
  }
  if (next != nullptr) {
    next->state.store(kLeader);
    WaitWord::wake(&next->state);
  }
  if (callbacks) run_callbacks();
  if (!result_status.ok()) return result_status;
  return w.result;
}

Result<AppendResult> LogWriter::Impl::append_alone(Waiter* w) {
  // The queued path's leader work for a group of one, minus what only a
  // group needs: no group vector, no queue, no one to wake but a newcomer
  // that queued meanwhile, and mu_ taken once after the write.
  GroupTotals totals;
  uint64_t sync_micros = 0;
  bool synced = false;
  Status s = write_group(std::span<Waiter*>(&w, 1), &totals);
  const Lsn end = w->result.end_lsn;
  if (s.ok() && (options_.mode.is_strict() || w->sync)) {
    const uint64_t t0 = env_->monotonic_nanos();
    s = seg_.file->sync();
    sync_micros = (env_->monotonic_nanos() - t0) / 1000;
    synced = s.ok();
  }

  std::unique_lock<std::mutex> l(mu_);
  leading_ = false;
  if (!s.ok()) {
    poison_locked(s);
    s = poisoned_;
  } else {
    note_group_locked(1, totals, end, synced, sync_micros);
  }
  Waiter* next = queue_.empty() ? nullptr : queue_.front();
  const bool callbacks = !pending_.empty();
  const Lsn durable = durable_lsn_.load();
  l.unlock();
  if (s.ok() && progress_) progress_->publish(durable, end);
  if (next != nullptr) {
    next->state.store(kLeader);
    WaitWord::wake(&next->state);
  }
  if (callbacks) run_callbacks();
  if (!s.ok()) return s;
  return w->result;
}

void LogWriter::Impl::note_group_locked(std::size_t appends,
                                        const GroupTotals& totals, Lsn end,
                                        bool synced, uint64_t sync_micros) {
  end_lsn_ = end;
  written_lsn_ = std::max(written_lsn_, end);
  stats_.records += totals.records;
  stats_.bytes += totals.bytes;
  ++stats_.groups;
  stats_.appends += appends;
  stats_.max_group_size = std::max<uint64_t>(stats_.max_group_size, appends);
  ++stats_.group_size_histogram[bucket_of(appends,
                                          stats_.group_size_histogram.size())];
  if (synced) {
    ++stats_.syncs;
    ++stats_.sync_micros_histogram[bucket_of(
        sync_micros, stats_.sync_micros_histogram.size())];
    unsynced_appends_ = 0;
    note_durable(end);
  } else if (options_.mode.is_batched()) {
    bool first = unsynced_appends_ == 0;
    if (first) oldest_unsynced_nanos_ = env_->monotonic_nanos();
    unsynced_appends_ += appends;
    // The syncer sleeps without a deadline while nothing is pending: wake
    // it to start the interval, and again once a batch is full.
    if (first || unsynced_appends_ >= options_.mode.batch_size()) {
      syncer_sleeper_->wake();
    }
  }
}

Status LogWriter::Impl::write_group(std::span<Waiter*> group,
                                    GroupTotals* totals) {
  buf_.clear();
  uint64_t bytes = 0;
  uint64_t records = 0;
  for (Waiter* w : group) {
    // A batch never spans two segments.
    uint64_t pending = seg_.size + buf_.size();
    if (pending > kSegmentHeaderSize &&
        pending + w->bytes > options_.segment_size) {
      STRATA_RETURN_IF_ERROR(flush_buffer());
      STRATA_RETURN_IF_ERROR(rotate());
    }
    // The batch's space at once, then each record encoded and framed in
    // place: the encoder's write is the payload's only copy.
    Lsn lsn = lsn_at(seg_.header, seg_.size + buf_.size());
    char* p = buf_.extend(w->bytes);
    const std::span<const std::size_t> sizes = w->batch->sizes;
    const std::size_t n = sizes.size();
    w->result.first_lsn = lsn;
    for (std::size_t i = 0; i < n; ++i) {
      RecordType type = n == 1       ? RecordType::kFull
                        : i == 0     ? RecordType::kFirst
                        : i + 1 == n ? RecordType::kLast
                                     : RecordType::kMiddle;
      w->result.last_lsn = lsn;
      if (!w->lsns.empty()) w->lsns[i] = lsn;
      w->batch->encode(i, p + kRecordHeaderSize);
      frame_record(p, seg_.seed, type, sizes[i]);
      p += kRecordHeaderSize + sizes[i];
      lsn += kRecordHeaderSize + sizes[i];
    }
    w->result.end_lsn = lsn;
    bytes += w->bytes;
    records += n;
  }
  STRATA_RETURN_IF_ERROR(flush_buffer());
  // Ready the successor once this segment is an eighth full: early enough
  // to be done long before the rotation, late enough that a log that stays
  // small never writes one.
  if (preallocating() && seg_.size >= options_.segment_size / 8 &&
      prep_requested_ != seg_.header.number + 1) {
    request_prepared(seg_.header.number + 1);
  }
  // Accounted for by the leader under mu_, together with the rest of the
  // group's bookkeeping (one lock instead of two).
  totals->records = records;
  totals->bytes = bytes;
  return Status();
}

Status LogWriter::Impl::flush_buffer() {
  if (buf_.empty()) return Status();
  Status s = seg_.file->append(buf_.view());
  if (!s.ok()) return s.with_context("append to " + seg_.path);
  seg_.size += buf_.size();
  buf_.clear();
  return Status();
}

Status LogWriter::Impl::rotate() {
  uint64_t number = seg_.header.number + 1;
  uint32_t salt = random_salt();
  Lsn seal_lsn = lsn_at(seg_.header, seg_.size);
  Lsn next_first = seal_lsn + kSealRecordSize;
  SegmentHeader h = seg_.header;
  h.number = number;
  h.first_lsn = next_first;
  h.salt = salt;
  h.prev_salt = seg_.header.salt;
  // 1. The successor exists durably before the seal names it: from the
  // prepared zero-filled file when it is ready, else made afresh.
  bool prepared = false;
  if (preallocating()) {
    STRATA_ASSIGN_OR_RETURN(prepared, take_prepared(h));
  }
  if (!prepared) {
    STRATA_RETURN_IF_ERROR(
        make_segment(number, next_first, salt, seg_.header.salt));
  }
  // 2. Seal the full segment and make all of it durable.
  SealPayload seal;
  seal.next_number = number;
  seal.next_salt = salt;
  seal.end_lsn = next_first;
  std::string rec;
  append_record(&rec, seg_.seed, RecordType::kSeal, encode_seal(seal));
  Status s = seg_.file->append(rec);
  if (s.ok()) s = seg_.file->sync();
  if (!s.ok()) return s.with_context("sealing " + seg_.path);
  seg_.size += rec.size();
  // 3. Continue in the successor (over its zeros, if prepared).
  std::string path = join_path(dir_, segment_file_name(number));
  STRATA_ASSIGN_OR_RETURN(auto file, env_->reopen_writable_file(path));
  if (file->position() > kSegmentHeaderSize) {
    Status sk = file->seek(kSegmentHeaderSize);
    if (!sk.ok()) return sk.with_context("entering segment " + path);
  }
  std::lock_guard<std::mutex> l(mu_);
  segments_.emplace_back(number, next_first);
  ++stats_.rotations;
  if (preallocating()) {
    ++(prepared ? stats_.preallocated_segments : stats_.preallocation_misses);
  }
  ++stats_.syncs;
  note_durable(next_first);
  written_lsn_ = std::max(written_lsn_, next_first);
  seg_.header = h;
  seg_.path = path;
  seg_.file = std::shared_ptr<WritableFile>(std::move(file));
  seg_.seed = segment_seed(h.log_id, h.number, h.salt);
  seg_.size = kSegmentHeaderSize;
  current_file_ = seg_.file;
  return Status();
}

// ---------------------------------------------------------------- preparer

void LogWriter::Impl::request_prepared(uint64_t number) {
  prep_requested_ = number;
  std::lock_guard<std::mutex> l(prep_mu_);
  if (stop_preparer_) return;
  prep_want_ = number;
  if (!preparer_.joinable()) {
    preparer_ = std::thread([this] { preparer_loop(); });
  }
  prep_cv_.notify_all();
}

void LogWriter::Impl::preparer_loop() {
  std::unique_lock<std::mutex> l(prep_mu_);
  while (!stop_preparer_) {
    if (prep_want_ == 0 || prep_want_ == prep_ready_) {
      prep_cv_.wait(l);
      continue;
    }
    const uint64_t number = prep_want_;
    const uint64_t stale = prep_ready_;  // prepared but never taken
    prep_ready_ = 0;
    l.unlock();
    if (stale != 0) {
      (void)env_->remove_file(
          join_path(dir_, prepared_segment_file_name(stale)));
    }
    Status s = prepare_file(number);
    l.lock();
    if (s.ok()) {
      prep_ready_ = number;
      prep_cv_.notify_all();  // wait_preparer_idle()
    } else {
      // The rotation makes the segment itself (a miss); a half-written
      // file is removed, and the preparer waits for the next request
      // rather than retrying a failing disk.
      l.unlock();
      (void)env_->remove_file(
          join_path(dir_, prepared_segment_file_name(number)));
      l.lock();
      if (prep_want_ == number) prep_want_ = 0;
      prep_cv_.notify_all();
    }
  }
}

Status LogWriter::Impl::prepare_file(uint64_t number) {
  const std::string path = join_path(dir_, prepared_segment_file_name(number));
  STRATA_ASSIGN_OR_RETURN(auto file, env_->new_writable_file(path));
  const std::string zeros(kZeroChunk, '\0');
  // Real zeros, not fallocate: unwritten extents would cost the same
  // metadata commit on first write that the preallocation is to avoid.
  for (uint64_t at = 0; at < options_.segment_size;) {
    if (stop_preparer_) return Status::io_error("closing: " + path);
    const auto len = static_cast<std::size_t>(
        std::min<uint64_t>(options_.segment_size - at, kZeroChunk));
    STRATA_RETURN_IF_ERROR(file->append(std::string_view(zeros.data(), len)));
    at += len;
  }
  STRATA_RETURN_IF_ERROR(file->sync());
  return file->close();
}

Result<bool> LogWriter::Impl::take_prepared(const SegmentHeader& header) {
  {
    std::lock_guard<std::mutex> l(prep_mu_);
    // Never wait for a preparation in progress: the writer falls back.
    if (prep_ready_ != header.number) return false;
    prep_ready_ = 0;
    if (prep_want_ == header.number) prep_want_ = 0;
  }
  const std::string tmp =
      join_path(dir_, prepared_segment_file_name(header.number));
  const std::string path = join_path(dir_, segment_file_name(header.number));
  // The same order as make_segment: the header durable in the file, then
  // the name, then the directory entry.
  Status s;
  {
    auto file = env_->reopen_writable_file(tmp);
    if (!file.ok()) return false;
    s = (*file)->seek(0);
    if (s.ok()) s = (*file)->append(encode_segment_header(header));
    if (s.ok()) s = (*file)->sync();
    Status c = (*file)->close();
    if (s.ok()) s = c;
  }
  if (!s.ok()) {
    // Only the prepared file is lost: make the segment the plain way.
    (void)env_->remove_file(tmp);
    return false;
  }
  // From here on the directory changes; a failure is the rotation's.
  s = env_->rename_file(tmp, path);
  if (s.ok()) s = env_->sync_dir(dir_);
  if (!s.ok()) return s.with_context("rotating into prepared segment " + path);
  return true;
}

void LogWriter::Impl::stop_preparer() {
  {
    std::lock_guard<std::mutex> l(prep_mu_);
    stop_preparer_ = true;
    prep_cv_.notify_all();
  }
  if (preparer_.joinable()) preparer_.join();
  uint64_t ready = 0;
  uint64_t wanted = 0;
  {
    std::lock_guard<std::mutex> l(prep_mu_);
    ready = prep_ready_;
    wanted = prep_want_;
    prep_ready_ = 0;
    prep_want_ = 0;
  }
  // A prepared file not taken is not kept (the next open would remove it),
  // nor one whose preparation close() cut short.
  for (uint64_t n : {ready, wanted}) {
    if (n != 0) {
      (void)env_->remove_file(join_path(dir_, prepared_segment_file_name(n)));
    }
  }
}

Status LogWriter::Impl::remove_prepared_leftovers() {
  STRATA_ASSIGN_OR_RETURN(auto names, env_->list_dir(dir_));
  for (const std::string& n : names) {
    if (!is_prepared_segment_file_name(n)) continue;
    Status s = env_->remove_file(join_path(dir_, n));
    if (!s.ok() && !s.is_not_found()) return s;
  }
  return Status();
}

// ---------------------------------------------------------------- sync

void LogWriter::Impl::poison_locked(const Status& s) {
  if (poisoned_.ok()) {
    // Keep the code and errno (ENOSPC and EIO call for different actions).
    poisoned_ = s.with_context("the log at " + dir_ +
                               " failed a write or sync and must be reopened");
    if (poisoned_.ok()) poisoned_ = Status::io_error("poisoned: " + dir_);
  }
  durable_cv_.notify_all();
}

void LogWriter::Impl::note_durable(Lsn lsn) {
  Lsn cur = durable_lsn_.load();
  while (cur < lsn && !durable_lsn_.compare_exchange_weak(cur, lsn)) {
  }
  durable_cv_.notify_all();
}

Status LogWriter::Impl::sync() {
  Status s = sync_once();
  run_callbacks();
  return s;
}

Status LogWriter::Impl::sync_once() {
  std::unique_lock<std::mutex> l(mu_);
  if (!poisoned_.ok()) return poisoned_;
  if (closed_) return Status::invalid_argument("sync of a closed log");
  std::shared_ptr<WritableFile> file = current_file_;
  Lsn target = written_lsn_;
  if (durable_lsn_.load() >= target) return Status();
  uint64_t appends = unsynced_appends_;
  l.unlock();
  const uint64_t t0 = env_->monotonic_nanos();
  Status s = file->sync();
  const uint64_t micros = (env_->monotonic_nanos() - t0) / 1000;
  l.lock();
  if (!s.ok()) {
    poison_locked(s.with_context("sync of " + dir_));
    return poisoned_;
  }
  ++stats_.syncs;
  ++stats_.sync_micros_histogram[bucket_of(
      micros, stats_.sync_micros_histogram.size())];
  unsynced_appends_ -= std::min(unsynced_appends_, appends);
  note_durable(target);
  l.unlock();
  if (progress_) progress_->publish(target, target);
  return Status();
}

Status LogWriter::Impl::wait_durable(Lsn lsn) {
  {
    std::unique_lock<std::mutex> l(mu_);
    if (lsn > end_lsn_) {
      return Status::invalid_argument("wait_durable(" + std::to_string(lsn) +
                                      ") is past the end of the log (" +
                                      std::to_string(end_lsn_) + ")");
    }
    if (durable_lsn_.load() >= lsn) return Status();
    if (!poisoned_.ok()) return poisoned_;
  }
  // Waiting for the Batched syncer would also do; syncing now is sooner.
  return sync();
}

void LogWriter::Impl::syncer_loop() {
  // The deadlines are on the Env's clock, so a test's manual clock decides
  // when the interval has passed.
  constexpr uint64_t kNanosPerMs = uint64_t{1000} * 1000;
  const uint64_t interval_nanos =
      options_.mode.interval_ms() > Sleeper::kNoDeadline / kNanosPerMs
          ? Sleeper::kNoDeadline
          : options_.mode.interval_ms() * kNanosPerMs;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_syncer_) {
    if (unsynced_appends_ == 0 || !poisoned_.ok()) {
      syncer_sleeper_->sleep_until(l, Sleeper::kNoDeadline);
      continue;
    }
    const uint64_t deadline =
        interval_nanos > Sleeper::kNoDeadline - oldest_unsynced_nanos_
            ? Sleeper::kNoDeadline
            : oldest_unsynced_nanos_ + interval_nanos;
    if (unsynced_appends_ < options_.mode.batch_size() &&
        env_->monotonic_nanos() < deadline) {
      syncer_sleeper_->sleep_until(l, deadline);
      continue;
    }
    l.unlock();
    (void)sync();  // a failure poisons the writer
    l.lock();
  }
}

void LogWriter::Impl::start_async_syncer_locked() {
  if (!async_syncer_.joinable() && !stop_syncer_) {
    async_syncer_ = std::thread([this] { async_syncer_loop(); });
  }
}

void LogWriter::Impl::async_syncer_loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_syncer_) {
    if (!poisoned_.ok() && !pending_.empty() && !running_callbacks_) {
      l.unlock();
      run_callbacks();  // they all fail
      l.lock();
      continue;
    }
    if (!poisoned_.ok() || sync_wanted_lsn_ <= durable_lsn_.load()) {
      async_cv_.wait(l);
      continue;
    }
    // An asynchronous batch waits: sync at once. The batches appended
    // meanwhile share the next sync.
    l.unlock();
    (void)sync();  // a failure poisons the writer; callbacks run there
    l.lock();
  }
}

void LogWriter::Impl::run_callbacks(const Status* fail) {
  std::unique_lock<std::mutex> l(mu_);
  if (running_callbacks_) return;  // that thread will see ours too
  running_callbacks_ = true;
  std::vector<PendingCallback>& batch = callbacks_to_run_;
  while (true) {
    Status status = fail != nullptr ? *fail : poisoned_;
    const Lsn durable = durable_lsn_.load();
    while (!pending_.empty() && (!status.ok() || !pending_.front().needs_sync ||
                                 pending_.front().end_lsn <= durable)) {
      batch.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    if (batch.empty()) break;
    l.unlock();
    for (PendingCallback& p : batch) {
      if (p.done) p.done(status);
    }
    batch.clear();
    l.lock();
  }
  running_callbacks_ = false;
}

// ---------------------------------------------------------------- retire

// Lowers `lsn` to the oldest slot's restart LSN, dropping the slots that
// would retain more than max_slot_retained_bytes.
Result<Lsn> LogWriter::Impl::apply_slots(Lsn lsn, RetireReport* report) {
  STRATA_ASSIGN_OR_RETURN(std::vector<SlotState> slots, list_slots(env_, dir_));
  slots.erase(std::remove_if(slots.begin(), slots.end(),
                             [&](const SlotState& s) {
                               return s.dropped || s.restart_lsn >= lsn;
                             }),
              slots.end());
  if (slots.empty()) return lsn;
  std::sort(slots.begin(), slots.end(),
            [](const SlotState& a, const SlotState& b) {
              return a.restart_lsn < b.restart_lsn;
            });
  std::vector<std::pair<uint64_t, Lsn>> segs;
  {
    std::lock_guard<std::mutex> l(mu_);
    segs = segments_;
  }
  auto keep_from = [&](Lsn l) {
    std::size_t k = 0;
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
      if (segs[i + 1].second <= l) k = i + 1;
    }
    return k;
  };
  // Bytes kept for a slot at `l` beyond what retiring below `lsn` keeps.
  auto retained = [&](Lsn l) {
    uint64_t bytes = 0;
    for (std::size_t i = keep_from(l); i < keep_from(lsn); ++i) {
      bytes += kSegmentHeaderSize + (segs[i + 1].second - segs[i].second);
    }
    return bytes;
  };
  const uint64_t cap = options_.max_slot_retained_bytes;
  std::vector<SlotState> dropped;
  Lsn effective = lsn;
  for (const SlotState& s : slots) {
    if (cap != 0 && retained(s.restart_lsn) > cap) {
      dropped.push_back(s);
      continue;
    }
    effective = s.restart_lsn;
    break;
  }
  if (report != nullptr) {
    for (const SlotState& s : slots) {
      if (s.restart_lsn >= effective &&
          std::none_of(dropped.begin(), dropped.end(),
                       [&](const SlotState& d) { return d.name == s.name; })) {
        report->holding_slots.push_back(s.name);
      }
    }
  }
  const Lsn new_start = segs.empty() ? 0 : segs[keep_from(effective)].second;
  for (SlotState s : dropped) {
    std::string msg =
        "dropped replication slot '" + s.name + "' of " + dir_ +
        ": keeping its segments from LSN " + std::to_string(s.restart_lsn) +
        " would retain " + std::to_string(retained(s.restart_lsn)) +
        " bytes, over max_slot_retained_bytes (" + std::to_string(cap) + ")";
    s.dropped = true;
    s.dropped_at_lsn = new_start;
    s.dropped_cap_bytes = cap;
    s.dropped_retained_bytes = retained(s.restart_lsn);
    // Marked before any segment goes, so its consumer is told why.
    STRATA_RETURN_IF_ERROR(write_slot(env_, dir_, s));
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.slots_dropped;
    }
    if (report != nullptr) {
      report->dropped_slots.push_back(s.name);
      report->messages.push_back(std::move(msg));
    }
  }
  return effective;
}

Result<uint64_t> LogWriter::Impl::remove_segments_before(Lsn lsn,
                                                         RetireReport* report) {
  if (report != nullptr) *report = RetireReport{};
  STRATA_ASSIGN_OR_RETURN(lsn, apply_slots(lsn, report));
  if (report != nullptr) report->retired_before = lsn;
  auto removed = retire_before(lsn);
  if (report != nullptr && removed.ok()) report->removed = *removed;
  return removed;
}

Result<uint64_t> LogWriter::Impl::retire_before(Lsn lsn) {
  std::vector<uint64_t> doomed;
  uint64_t first_kept = 0;
  Lsn first_kept_lsn = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return Status::invalid_argument("retire on a closed log");
    // Segment i may go when the next segment starts at or below lsn; the
    // last (current) segment never goes.
    std::size_t keep_from = 0;
    for (std::size_t i = 0; i + 1 < segments_.size(); ++i) {
      if (segments_[i + 1].second <= lsn) keep_from = i + 1;
    }
    if (keep_from == 0) return uint64_t{0};
    for (std::size_t i = 0; i < keep_from; ++i) {
      doomed.push_back(segments_[i].first);
    }
    first_kept = segments_[keep_from].first;
    first_kept_lsn = segments_[keep_from].second;
  }
  // START moves first, so a crash part way leaves only files a reader
  // already ignores.
  STRATA_RETURN_IF_ERROR(write_start(first_kept, first_kept_lsn));
  for (uint64_t n : doomed) {
    STRATA_RETURN_IF_ERROR(
        env_->remove_file(join_path(dir_, segment_file_name(n))));
  }
  STRATA_RETURN_IF_ERROR(env_->sync_dir(dir_));
  std::lock_guard<std::mutex> l(mu_);
  segments_.erase(
      segments_.begin(),
      segments_.begin() + static_cast<std::ptrdiff_t>(doomed.size()));
  return static_cast<uint64_t>(doomed.size());
}

// ---------------------------------------------------------------- close

Status LogWriter::Impl::close() {
  std::unique_lock<std::mutex> l(mu_);
  if (closed_ || closing_) return Status();
  closing_ = true;
  // Let queued appends (and a lone leader's) finish first.
  while (leading_ || !queue_.empty()) {
    l.unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    l.lock();
  }
  stop_syncer_ = true;
  if (syncer_sleeper_) syncer_sleeper_->wake();
  async_cv_.notify_all();
  const bool pending = !pending_.empty();
  l.unlock();
  if (syncer_.joinable()) syncer_.join();
  if (async_syncer_.joinable()) async_syncer_.join();
  stop_preparer();
  // A manual clock waits for every live sleeper to go back to sleep; this
  // one's thread is gone.
  syncer_sleeper_.reset();
  Status s;
  // Pending asynchronous batches are made durable even in None mode (one
  // may have asked for a sync).
  if (!options_.mode.is_none() || pending) s = sync();
  run_callbacks();
  l.lock();
  // Whatever a callback appends now is refused (closing_), so a batch the
  // sync did not cover can remain only after a failure: fail it. Wait for a
  // thread still running callbacks, so that none runs after close().
  const Status never =
      s.ok() ? Status::io_error("the log at " + dir_ +
                                " was closed before a batch became durable")
             : s;
  while (running_callbacks_ || !pending_.empty()) {
    const bool idle = !running_callbacks_;
    l.unlock();
    if (idle) {
      run_callbacks(&never);
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    l.lock();
  }
  closed_ = true;
  if (s.ok() && seg_.file) {
    s = poisoned_.ok() ? Status() : poisoned_;
  }
  current_file_.reset();
  Lsn durable = durable_lsn_.load();
  Lsn end = end_lsn_;
  l.unlock();
  if (progress_) {
    Status p = progress_->close(durable, end);
    if (s.ok()) s = p;
  }
  if (seg_.file) {
    Status c = seg_.file->close();
    if (s.ok()) s = c;
    seg_.file.reset();
  }
  lock_.reset();
  return s;
}

// ---------------------------------------------------------------- LogWriter

LogWriter::LogWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogWriter::~LogWriter() = default;

Result<std::unique_ptr<LogWriter>> LogWriter::open(
    const std::string& dir, const LogWriterOptions& options,
    OpenReport* report) {
  Env* env = options.env != nullptr ? options.env : Env::posix();
  auto impl = std::make_unique<Impl>(env, dir, options);
  STRATA_RETURN_IF_ERROR(impl->open(report));
  return std::unique_ptr<LogWriter>(new LogWriter(std::move(impl)));
}

namespace {

// Appends string_view records through the RecordBatch path: their bytes
// are copied once, into the write buffer.
template <class AppendFn>
Result<AppendResult> append_views(std::span<const std::string_view> records,
                                  AppendFn&& append_batch) {
  if (records.size() == 1) {
    // The usual single-record commit: no size table to set up.
    const std::string_view record = records[0];
    const std::size_t size = record.size();
    auto copy = [record](std::size_t, char* out) {
      if (!record.empty()) std::memcpy(out, record.data(), record.size());
    };
    return append_batch(
        RecordBatch{std::span<const std::size_t>(&size, 1), copy});
  }
  RecordSizes sizes(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    sizes[i] = records[i].size();
  }
  auto copy = [records](std::size_t i, char* out) {
    if (!records[i].empty()) {
      std::memcpy(out, records[i].data(), records[i].size());
    }
  };
  return append_batch(RecordBatch{sizes.span(), copy});
}

}  // namespace

Result<AppendResult> LogWriter::append(
    std::span<const std::string_view> records, const AppendOptions& options,
    std::span<Lsn> lsns) {
  return append_views(records, [&](const RecordBatch& batch) {
    return impl_->append(batch, options, lsns, nullptr);
  });
}

Result<AppendResult> LogWriter::append(std::string_view record,
                                       const AppendOptions& options) {
  return append(std::span<const std::string_view>(&record, 1), options);
}

Result<AppendResult> LogWriter::append(const RecordBatch& batch,
                                       const AppendOptions& options,
                                       std::span<Lsn> lsns) {
  return impl_->append(batch, options, lsns, nullptr);
}

Result<AppendResult> LogWriter::append_async(
    std::span<const std::string_view> records, AppendCallback done,
    const AppendOptions& options, std::span<Lsn> lsns) {
  return append_views(records, [&](const RecordBatch& batch) {
    return impl_->append(batch, options, lsns, &done);
  });
}

Result<AppendResult> LogWriter::append_async(const RecordBatch& batch,
                                             AppendCallback done,
                                             const AppendOptions& options,
                                             std::span<Lsn> lsns) {
  return impl_->append(batch, options, lsns, &done);
}

Status LogWriter::sync() { return impl_->sync(); }
Lsn LogWriter::durable_lsn() const { return impl_->durable_lsn(); }
Status LogWriter::wait_durable(Lsn lsn) { return impl_->wait_durable(lsn); }
Lsn LogWriter::end_lsn() const { return impl_->end_lsn(); }
Result<uint64_t> LogWriter::remove_segments_before(Lsn lsn,
                                                   RetireReport* report) {
  return impl_->remove_segments_before(lsn, report);
}
Status LogWriter::close() { return impl_->close(); }
LogWriterStats LogWriter::stats() const { return impl_->stats(); }
const std::string& LogWriter::dir() const { return impl_->dir(); }
const LogWriterOptions& LogWriter::options() const { return impl_->options(); }
const std::array<uint8_t, 16>& LogWriter::log_id() const {
  return impl_->log_id();
}
Status LogWriter::poisoned() const { return impl_->poisoned(); }

ProgressPublisher* WriterAccess::progress(LogWriter* writer) {
  return writer == nullptr ? nullptr : writer->impl_->progress();
}

void WriterAccess::wait_preparer_idle(LogWriter* writer) {
  writer->impl_->wait_preparer_idle();
}

}  // namespace strata::durability::log
