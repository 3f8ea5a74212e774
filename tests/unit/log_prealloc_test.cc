// Preallocated segments (docs/format.md, "Preallocated segments"): the
// zero-tail rule of the reader, the writer's background preparer, rotation
// into a prepared file and reopening a log whose last segment is one.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "log/progress_file.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::must_read;
using testutil::must_write;
using testutil::payload_for;
using testutil::read_all;
using testutil::segment_path;

constexpr uint64_t kSegment = 4096;
constexpr std::size_t kPayload = 100;
constexpr std::size_t kRecord = kRecordHeaderSize + kPayload;

// Holds the preparer's new_writable_file until open() is called, so that a
// rotation finds it not ready, deterministically.
class GatedEnv : public EnvWrapper {
 public:
  explicit GatedEnv(Env* base) : EnvWrapper(base) {}
  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) override {
    if (path.ends_with(kPreparedSuffix)) {
      std::unique_lock<std::mutex> l(mu_);
      ++blocked_;
      cv_.notify_all();
      cv_.wait(l, [this] { return open_; });
    }
    return EnvWrapper::new_writable_file(path);
  }
  void open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait_blocked() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return blocked_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int blocked_ = 0;
};

// Runs a hook (once) before the second read of a file object on `path`:
// a writer appending while a reader is between two reads of a segment.
class RacingEnv : public EnvWrapper {
 public:
  RacingEnv(Env* base, std::string path, std::function<void()> hook)
      : EnvWrapper(base), path_(std::move(path)), hook_(std::move(hook)) {}
  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override {
    auto f = EnvWrapper::new_random_access_file(path);
    if (!f.ok() || path != path_) return f;
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<File>(std::move(*f), this));
  }

 private:
  class File : public RandomAccessFile {
   public:
    File(std::unique_ptr<RandomAccessFile> f, RacingEnv* env)
        : f_(std::move(f)), env_(env) {}
    Result<std::size_t> read(uint64_t offset,
                             std::span<char> out) const override {
      if (++reads_ == 2 && env_->hook_) std::exchange(env_->hook_, nullptr)();
      return f_->read(offset, out);
    }
    Result<uint64_t> size() const override { return f_->size(); }
    const std::string& path() const override { return f_->path(); }

   private:
    std::unique_ptr<RandomAccessFile> f_;
    RacingEnv* env_;
    mutable int reads_ = 0;
  };
  std::string path_;
  std::function<void()> hook_;
};

class LogPreallocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = new_mem_env();
    ASSERT_TRUE(env_->create_dir("/db").ok());
  }

  LogWriterOptions options(Env* env = nullptr) {
    LogWriterOptions o;
    o.env = env != nullptr ? env : env_.get();
    o.mode = DurabilityMode::strict();
    o.segment_size = kSegment;
    return o;
  }

  std::unique_ptr<LogWriter> open_writer(const LogWriterOptions& o,
                                         OpenReport* report = nullptr) {
    auto w = LogWriter::open(dir_, o, report);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(*w) : nullptr;
  }

  // Appends records until the writer's current segment is `segment`, and
  // `extra` more after that.
  void write_into(LogWriter* w, uint64_t segment, int extra) {
    while (segment_count() < segment) append(w);
    for (int i = 0; i < extra; ++i) append(w);
  }
  void append(LogWriter* w) {
    written_.push_back(
        payload_for(static_cast<int>(written_.size()), kPayload));
    auto r = w->append(written_.back());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }
  // Appends enough that the current segment passes an eighth of its size,
  // which asks the preparer for its successor.
  void trigger_preparer(LogWriter* w) {
    for (std::size_t i = 0; i * kRecord < kSegment / 8; ++i) append(w);
  }

  uint64_t segment_count() {
    uint64_t n = 0;
    const auto names = env_->list_dir(dir_);
    for (const auto& name : *names) {
      if (parse_segment_file_name(name)) ++n;
    }
    return n;
  }
  std::vector<std::string> prepared_files() {
    std::vector<std::string> out;
    const auto names = env_->list_dir(dir_);
    for (const auto& name : *names) {
      if (is_prepared_segment_file_name(name)) out.push_back(name);
    }
    return out;
  }
  uint64_t size_of(uint64_t segment) {
    return *env_->file_size(segment_path(dir_, segment));
  }
  // Writes into a third segment with `o` and checks that nothing was
  // preallocated: no prepared file, no rotation into one, no zero tails.
  void expect_segments_grow(const LogWriterOptions& o) {
    auto w = open_writer(o);
    write_into(w.get(), 3, 1);
    EXPECT_TRUE(prepared_files().empty());
    EXPECT_EQ(w->stats().preallocated_segments, 0U);
    EXPECT_EQ(w->stats().preallocation_misses, 0U);
    ASSERT_TRUE(w->close().ok());
    EXPECT_LT(size_of(2), kSegment);
    EXPECT_LT(size_of(3), kSegment);
    expect_log_holds_what_was_written();
  }
  void expect_log_holds_what_was_written() {
    auto all = read_all(env_.get(), dir_, RecoveryMode::kAbsoluteConsistency);
    ASSERT_TRUE(all.status.ok()) << all.status.to_string();
    EXPECT_TRUE(all.problems.empty());
    ASSERT_EQ(all.payloads.size(), written_.size());
    EXPECT_TRUE(all.payloads == written_);
  }

  std::unique_ptr<Env> env_;
  std::string dir_ = "/db/log";
  std::vector<std::string> written_;
};

// ------------------------------------------------------------ the reader

class ZeroTailTest : public LogPreallocTest {
 protected:
  // The single segment of a log of n records, without preallocation.
  std::string one_segment(int n) {
    LogWriterOptions o = options();
    o.preallocate_segments = false;
    auto w = open_writer(o);
    for (int i = 0; i < n; ++i) append(w.get());
    EXPECT_TRUE(w->close().ok());
    return must_read(env_.get(), segment_path(dir_, 1));
  }
  void put_segment(uint64_t number, std::string_view bytes) {
    must_write(env_.get(), segment_path(dir_, number), bytes);
  }
};

TEST_F(ZeroTailTest, ZeroTailOfAPreallocatedSegmentIsACleanEnd) {
  std::string seg = one_segment(3);
  put_segment(1, seg + std::string(kSegment - seg.size(), '\0'));
  expect_log_holds_what_was_written();
  LogReaderOptions ro;
  ro.env = env_.get();
  auto r = LogReader::open(dir_, ro);
  ASSERT_TRUE(r.ok());
  LogRecord rec;
  while (*(*r)->next(&rec)) {
  }
  EXPECT_EQ((*r)->end_lsn(), seg.size() - kSegmentHeaderSize);
}

TEST_F(ZeroTailTest, ZerosFollowedByAValidRecordAreCorruption) {
  std::string seg = one_segment(3);
  // The middle record zeroed: the third still validates after it.
  std::string damaged = seg;
  std::fill(damaged.begin() + kSegmentHeaderSize + kRecord,
            damaged.begin() + kSegmentHeaderSize + 2 * kRecord, '\0');
  put_segment(1, damaged + std::string(1000, '\0'));
  auto all = read_all(env_.get(), dir_);
  EXPECT_TRUE(all.status.is_corruption());
  ASSERT_EQ(all.problems.size(), 1U);
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kCorruption);
  EXPECT_EQ(all.problems[0].offset, kSegmentHeaderSize + kRecord);
}

TEST_F(ZeroTailTest, TornRecordFollowedByZerosIsATornTail) {
  std::string seg = one_segment(3);
  const std::size_t cut = kSegmentHeaderSize + 2 * kRecord + 15;
  put_segment(1, seg.substr(0, cut) + std::string(kSegment - cut, '\0'));
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(all.payloads.size(), 2U);
  ASSERT_EQ(all.problems.size(), 1U);
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kTornTail);
  EXPECT_EQ(all.problems[0].offset, kSegmentHeaderSize + 2 * kRecord);
}

TEST_F(ZeroTailTest, OnlyZerosMayFollowASeal) {
  LogWriterOptions o = options();
  o.preallocate_segments = false;
  auto w = open_writer(o);
  write_into(w.get(), 2, 1);
  ASSERT_TRUE(w->close().ok());
  const std::string sealed = must_read(env_.get(), segment_path(dir_, 1));
  put_segment(1, sealed + std::string(500, '\0'));
  expect_log_holds_what_was_written();
  put_segment(1, sealed + std::string(500, '\0') + "x");
  auto all = read_all(env_.get(), dir_);
  EXPECT_TRUE(all.status.is_corruption());
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].reason, "bytes after the segment's seal");
}

// ------------------------------------------------------------ the writer

TEST_F(LogPreallocTest, RotationUsesThePreparedFile) {
  auto w = open_writer(options());
  trigger_preparer(w.get());
  WriterAccess::wait_preparer_idle(w.get());
  ASSERT_EQ(prepared_files().size(), 1U);
  write_into(w.get(), 2, 3);
  const LogWriterStats st = w->stats();
  EXPECT_EQ(st.rotations, 1U);
  EXPECT_EQ(st.preallocated_segments, 1U);
  EXPECT_EQ(st.preallocation_misses, 0U);
  // Records go over the zeros: the file is full size from the start.
  EXPECT_EQ(size_of(2), kSegment);
  ASSERT_TRUE(w->close().ok());
  EXPECT_TRUE(prepared_files().empty());
  EXPECT_EQ(size_of(2), kSegment);
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, PreparerMissFallsBackToAGrowingSegment) {
  GatedEnv gated(env_.get());
  auto w = open_writer(options(&gated));
  trigger_preparer(w.get());
  gated.wait_blocked();
  write_into(w.get(), 2, 2);
  const LogWriterStats st = w->stats();
  EXPECT_EQ(st.rotations, 1U);
  EXPECT_EQ(st.preallocated_segments, 0U);
  EXPECT_EQ(st.preallocation_misses, 1U);
  EXPECT_LT(size_of(2), kSegment);
  gated.open();
  ASSERT_TRUE(w->close().ok());
  EXPECT_TRUE(prepared_files().empty());
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, CloseStopsAPreparationInProgress) {
  GatedEnv gated(env_.get());
  LogWriterOptions o = options(&gated);
  o.segment_size = 64 << 20;
  auto w = open_writer(o);
  // Past an eighth of the segment in three large batches.
  const std::vector<std::string> batch(4096, std::string(1000, 'b'));
  const std::vector<std::string_view> views(batch.begin(), batch.end());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->append(views).ok());
  gated.wait_blocked();
  std::thread closer([&] { EXPECT_TRUE(w->close().ok()); });
  gated.open();
  closer.join();
  EXPECT_TRUE(prepared_files().empty());
  EXPECT_EQ(segment_count(), 1U);
}

TEST_F(LogPreallocTest, ReopenKeepsThePreallocationAndContinuesAtTheRightLsn) {
  Lsn end = 0;
  {
    auto w = open_writer(options());
    trigger_preparer(w.get());
    WriterAccess::wait_preparer_idle(w.get());
    write_into(w.get(), 2, 3);
    ASSERT_EQ(w->stats().preallocated_segments, 1U);
    end = w->end_lsn();
    ASSERT_TRUE(w->close().ok());
  }
  OpenReport report;
  auto w = open_writer(options(), &report);
  EXPECT_EQ(report.truncated_bytes, 0U);
  EXPECT_TRUE(report.quarantine_files.empty());
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.end_lsn, end);
  EXPECT_EQ(size_of(2), kSegment);
  written_.push_back("after reopen");
  auto r = w->append(written_.back());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_lsn, end);
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(size_of(2), kSegment);
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, GarbageAfterTheLastRecordIsStillCutOnReopen) {
  {
    auto w = open_writer(options());
    trigger_preparer(w.get());
    WriterAccess::wait_preparer_idle(w.get());
    write_into(w.get(), 2, 2);
    ASSERT_TRUE(w->close().ok());
  }
  std::string seg2 = must_read(env_.get(), segment_path(dir_, 2));
  // Three records: the one that rotated and two more.
  const std::size_t end = kSegmentHeaderSize + 3 * kRecord;
  ASSERT_EQ(seg2.find_last_not_of('\0') + 1, end);
  seg2[end + 3] = 'x';
  must_write(env_.get(), segment_path(dir_, 2), seg2);
  OpenReport report;
  auto w = open_writer(options(), &report);
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].kind, ProblemKind::kTornTail);
  EXPECT_EQ(report.quarantine_files.size(), 1U);
  EXPECT_EQ(size_of(2), end);
  ASSERT_TRUE(w->close().ok());
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, ReaderBesideAWriterEndsWhereTheZerosWere) {
  // A 2 MiB preallocated segment 2 with a few records: a reader loads the
  // first 512 KiB and sees zeros after them; before it checks the rest,
  // the writer appends a record that reaches past what it loaded. The
  // read ends cleanly where the zeros were, not with damage.
  LogWriterOptions o = options();
  o.segment_size = 2 << 20;
  auto w = open_writer(o);
  const std::string big(100 << 10, 'b');
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->append(big).ok());
  WriterAccess::wait_preparer_idle(w.get());
  while (segment_count() < 2) ASSERT_TRUE(w->append(big).ok());
  ASSERT_EQ(w->stats().preallocated_segments, 1U);
  ASSERT_TRUE(w->append("small").ok());
  const Lsn before = w->end_lsn();
  const std::string huge(600 << 10, 'h');
  RacingEnv racing(env_.get(), segment_path(dir_, 2),
                   [&] { ASSERT_TRUE(w->append(huge).ok()); });
  auto all = read_all(&racing, dir_, RecoveryMode::kAbsoluteConsistency);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_TRUE(all.problems.empty());
  ASSERT_FALSE(all.payloads.empty());
  EXPECT_EQ(all.payloads.back(), "small");
  EXPECT_EQ(all.lsns.back() + kRecordHeaderSize + 5, before);
  ASSERT_TRUE(w->close().ok());
  // Read again, the record is there.
  auto again = read_all(env_.get(), dir_, RecoveryMode::kAbsoluteConsistency);
  ASSERT_TRUE(again.status.ok());
  EXPECT_EQ(again.payloads.back(), huge);
}

TEST_F(LogPreallocTest, LeftoverPreparedFilesAreRemovedOnOpen) {
  {
    auto w = open_writer(options());
    append(w.get());
    ASSERT_TRUE(w->close().ok());
  }
  must_write(env_.get(), join_path(dir_, prepared_segment_file_name(2)),
             std::string(kSegment, '\0'));
  auto w = open_writer(options());
  EXPECT_TRUE(prepared_files().empty());
  ASSERT_TRUE(w->close().ok());
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, NewLogIsZeroFilledAtCreationOnlyWhenAsked) {
  {
    auto w = open_writer(options());
    append(w.get());
    ASSERT_TRUE(w->close().ok());
  }
  // By default a new log's first segment grows with its records.
  EXPECT_EQ(size_of(1), kSegmentHeaderSize + kRecord);
  dir_ = "/db/log2";
  written_.clear();

  LogWriterOptions o = options();
  o.preallocate_new_log = true;
  Lsn end = 0;
  {
    auto w = open_writer(o);
    EXPECT_EQ(size_of(1), kSegment);  // before the first append
    EXPECT_TRUE(prepared_files().empty());
    append(w.get());
    append(w.get());
    end = w->end_lsn();
    ASSERT_TRUE(w->close().ok());
  }
  EXPECT_EQ(size_of(1), kSegment);
  EXPECT_EQ(end, 2 * kRecord);
  expect_log_holds_what_was_written();
  // Reopened, it goes on over the zeros at the right LSN.
  OpenReport report;
  auto w = open_writer(o, &report);
  EXPECT_EQ(report.end_lsn, end);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.truncated_bytes, 0U);
  append(w.get());
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(size_of(1), kSegment);
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, NoneModeIgnoresPreallocateNewLog) {
  LogWriterOptions o = options();
  o.mode = DurabilityMode::none();
  o.preallocate_new_log = true;
  auto w = open_writer(o);
  append(w.get());
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(size_of(1), kSegmentHeaderSize + kRecord);
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, BatchedModePreallocatesOnlyWhenAsked) {
  LogWriterOptions o = options();
  o.mode = DurabilityMode::batched(60000, 1000);
  expect_segments_grow(o);

  dir_ = "/db/log2";
  written_.clear();
  o.preallocate_segments = true;
  auto w = open_writer(o);
  trigger_preparer(w.get());
  WriterAccess::wait_preparer_idle(w.get());
  write_into(w.get(), 2, 1);
  EXPECT_EQ(w->stats().preallocated_segments, 1U);
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(size_of(2), kSegment);
  expect_log_holds_what_was_written();
}

TEST_F(LogPreallocTest, NoneModeDoesNotPreallocate) {
  LogWriterOptions o = options();
  o.mode = DurabilityMode::none();
  expect_segments_grow(o);
}

TEST_F(LogPreallocTest, ManyRotationsReadBackWhole) {
  auto w = open_writer(options());
  for (uint64_t s = 2; s <= 6; ++s) {
    trigger_preparer(w.get());
    WriterAccess::wait_preparer_idle(w.get());
    write_into(w.get(), s, 1);
  }
  EXPECT_EQ(w->stats().rotations, 5U);
  EXPECT_EQ(w->stats().preallocated_segments + w->stats().preallocation_misses,
            5U);
  EXPECT_EQ(w->stats().preallocated_segments, 5U);
  ASSERT_TRUE(w->close().ok());
  expect_log_holds_what_was_written();
}

}  // namespace
}  // namespace strata::durability::log
