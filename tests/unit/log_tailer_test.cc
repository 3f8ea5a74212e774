// Following a live log: the writer's published progress (PROGRESS), the
// LogTailer, replication slots, and the typed tailers of both logs.

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "strata/durability/log/log_tailer.h"
#include "strata/durability/log/progress.h"
#include "strata/durability/log/slot.h"
#include "strata/durability/testing/fault_injection_env.h"
#include "log/progress_file.h"
#include "support/log_test_util.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace strata::durability::log {
namespace {

using testutil::payload_for;
using testutil::read_all;
using testutil::ReadAll;

class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = new_mem_env();
    ASSERT_TRUE(env_->create_dir("/db").ok());
  }

  LogWriterOptions options(DurabilityMode mode = DurabilityMode::strict()) {
    LogWriterOptions o;
    o.env = env_.get();
    o.mode = mode;
    o.segment_size = 1024;
    return o;
  }

  PublishedProgress progress() {
    auto p = read_published_progress(env_.get(), dir_);
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    return p.ok() ? *p : PublishedProgress{};
  }

  std::unique_ptr<Env> env_;
  std::string dir_ = "/db/log";
};

TEST_F(ProgressTest, StrictWriterPublishesEveryAppendAsDurable) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  PublishedProgress p = progress();
  EXPECT_TRUE(p.writer_open);
  EXPECT_EQ(p.log_id, (*w)->log_id());
  EXPECT_EQ(p.durable_lsn, 0u);
  Lsn end = 0;
  for (int i = 0; i < 100; ++i) {  // several rotations at 1 KiB
    auto r = (*w)->append(payload_for(i, 40));
    ASSERT_TRUE(r.ok());
    end = r->end_lsn;
    p = progress();
    EXPECT_EQ(p.durable_lsn, end);
    EXPECT_EQ(p.end_lsn, end);
  }
  EXPECT_GT((*w)->stats().rotations, 0u);
  ASSERT_TRUE((*w)->close().ok());
  p = progress();
  EXPECT_FALSE(p.writer_open);
  EXPECT_EQ(p.durable_lsn, end);
}

TEST_F(ProgressTest, BatchedWriterPublishesEndAheadOfDurableUntilSync) {
  auto w = LogWriter::open(dir_, options(DurabilityMode::batched(60000, 1000)));
  ASSERT_TRUE(w.ok());
  auto r = (*w)->append("one");
  ASSERT_TRUE(r.ok());
  PublishedProgress p = progress();
  EXPECT_EQ(p.end_lsn, r->end_lsn);
  EXPECT_EQ(p.durable_lsn, 0u);
  ASSERT_TRUE((*w)->sync().ok());
  EXPECT_EQ(progress().durable_lsn, r->end_lsn);
}

TEST_F(ProgressTest, NoFileWhenPublicationIsOff) {
  LogWriterOptions o = options();
  o.publish_progress = false;
  auto w = LogWriter::open(dir_, o);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("x").ok());
  auto p = read_published_progress(env_.get(), dir_);
  EXPECT_TRUE(p.status().is_not_found()) << p.status().to_string();
}

TEST_F(ProgressTest, DamagedFileIsCorruptionNamingThePath) {
  {
    auto w = LogWriter::open(dir_, options());
    ASSERT_TRUE(w.ok());
  }
  testutil::must_write(env_.get(), dir_ + "/PROGRESS",
                       std::string(kProgressFileSize, 'x'));
  auto p = read_published_progress(env_.get(), dir_);
  ASSERT_TRUE(p.status().is_corruption());
  EXPECT_NE(p.status().to_string().find("/db/log/PROGRESS"), std::string::npos)
      << p.status().to_string();
  // The next writer repairs it.
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(progress().writer_open);
}

// The published durable LSN never promises what a power cut then removes:
// after the cut, the log holds at least everything below any value the
// file shows.
TEST(ProgressPowerCutTest, PublishedDurableLsnSurvivesPowerCut) {
  for (int cut_after = 0; cut_after < 12; ++cut_after) {
    auto base = new_mem_env();
    testing::FaultInjectionEnv env(base.get());
    ASSERT_TRUE(env.create_dir("/db").ok());
    LogWriterOptions o;
    o.env = &env;
    o.mode = DurabilityMode::batched(60000, 1000);
    o.segment_size = 256;
    Lsn published = 0;
    {
      auto w = LogWriter::open("/db/log", o);
      ASSERT_TRUE(w.ok());
      for (int i = 0; i < cut_after; ++i) {
        ASSERT_TRUE((*w)->append(payload_for(i, 30)).ok());
        if (i % 3 == 1) {
          ASSERT_TRUE((*w)->sync().ok());
        }
      }
      auto p = read_published_progress(&env, "/db/log");
      ASSERT_TRUE(p.ok());
      published = p->durable_lsn;
      env.simulate_process_crash();
    }
    ASSERT_TRUE(env.simulate_power_cut().ok());
    auto after = read_published_progress(&env, "/db/log");
    ReadAll all = read_all(&env, "/db/log");
    ASSERT_TRUE(all.status.ok()) << all.status.to_string();
    Lsn recovered_end = 0;
    {
      auto w = LogWriter::open("/db/log", o);
      ASSERT_TRUE(w.ok()) << w.status().to_string();
      recovered_end = (*w)->end_lsn();
    }
    EXPECT_GE(recovered_end, published) << "cut_after " << cut_after;
    if (after.ok()) {
      EXPECT_LE(after->durable_lsn, recovered_end);
    }
  }
}

// A writer that reopens after a process crash makes the kept tail durable
// before it publishes it as durable.
TEST(ProgressPowerCutTest, ReopenAfterProcessCrashSyncsTheKeptTail) {
  auto base = new_mem_env();
  testing::FaultInjectionEnv env(base.get());
  ASSERT_TRUE(env.create_dir("/db").ok());
  LogWriterOptions o;
  o.env = &env;
  o.mode = DurabilityMode::batched(60000, 1000);
  {
    auto w = LogWriter::open("/db/log", o);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*w)->append("rec").ok());
    env.simulate_process_crash();
  }
  Lsn published = 0;
  {
    auto w = LogWriter::open("/db/log", o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    auto p = read_published_progress(&env, "/db/log");
    ASSERT_TRUE(p.ok());
    published = p->durable_lsn;
    EXPECT_GT(published, 0u);
    env.simulate_process_crash();
  }
  ASSERT_TRUE(env.simulate_power_cut().ok());
  ReadAll all = read_all(&env, "/db/log");
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.payloads.size(), 5u);
}

// ---------------------------------------------------------------- tailer

using std::chrono::milliseconds;

struct Drained {
  Status status;
  std::vector<std::string> payloads;
  std::vector<Lsn> lsns;
};

// Takes every record the tailer has ready now.
Drained drain(LogTailer* t, milliseconds timeout = milliseconds(0)) {
  Drained d;
  TailedRecord rec;
  while (true) {
    auto got = t->next(&rec, timeout);
    if (!got.ok()) {
      d.status = got.status();
      break;
    }
    if (!*got) break;
    d.payloads.push_back(rec.payload);
    d.lsns.push_back(rec.lsn);
  }
  return d;
}

class TailerTest : public ProgressTest {
 protected:
  std::unique_ptr<LogTailer> tailer(LogTailerOptions o = {}) {
    o.env = env_.get();
    auto t = LogTailer::open(dir_, o);
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::vector<std::string> append_n(LogWriter* w, int from, int n) {
    std::vector<std::string> out;
    for (int i = from; i < from + n; ++i) {
      out.push_back(payload_for(i, 40));
      EXPECT_TRUE(w->append(out.back()).ok());
    }
    return out;
  }
};

TEST_F(TailerTest, DeliversEveryRecordOnceInOrderAcrossRotation) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  LogTailerOptions o;
  o.writer = w->get();
  auto t = tailer(o);
  auto first = append_n(w->get(), 0, 30);
  Drained d = drain(t.get());
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  EXPECT_EQ(d.payloads, first);
  auto second = append_n(w->get(), 30, 30);
  d = drain(t.get());
  EXPECT_EQ(d.payloads, second);
  EXPECT_GT((*w)->stats().rotations, 1u);
  EXPECT_EQ(t->position(), d.lsns.back() + 1);
}

TEST_F(TailerTest, FollowsThroughTheProgressFileWithoutTheWriter) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  auto t = tailer();  // as another process would: no writer pointer
  auto recs = append_n(w->get(), 0, 40);
  Drained d = drain(t.get());
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  EXPECT_EQ(d.payloads, recs);
}

TEST_F(TailerTest, WaitsForDurabilityUnlessAskedForUnsyncedRecords) {
  auto w = LogWriter::open(dir_, options(DurabilityMode::batched(60000, 1000)));
  ASSERT_TRUE(w.ok());
  LogTailerOptions o;
  o.writer = w->get();
  auto durable_only = tailer(o);
  o.deliver_unsynced = true;
  auto eager = tailer(o);
  ASSERT_TRUE((*w)->append("one").ok());
  TailedRecord rec;
  auto got = durable_only->next(&rec, milliseconds(20));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  got = eager->next(&rec, milliseconds(0));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(*got);
  EXPECT_EQ(rec.payload, "one");
  ASSERT_TRUE((*w)->sync().ok());
  got = durable_only->next(&rec, milliseconds(1000));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(*got);
  EXPECT_EQ(rec.payload, "one");
}

TEST_F(TailerTest, NextWakesWhenTheWriterAppends) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  LogTailerOptions o;
  o.writer = w->get();
  auto t = tailer(o);
  std::thread appender([&] {
    std::this_thread::sleep_for(milliseconds(20));
    EXPECT_TRUE((*w)->append("late").ok());
  });
  TailedRecord rec;
  auto got = t->next(&rec, milliseconds(10000));
  appender.join();
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(*got);
  EXPECT_EQ(rec.payload, "late");
}

TEST_F(TailerTest, CancelFromAnotherThreadEndsAWaitingNext) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  for (bool with_writer : {true, false}) {
    LogTailerOptions o;
    if (with_writer) o.writer = w->get();
    auto t = tailer(o);
    std::thread canceller([&] {
      std::this_thread::sleep_for(milliseconds(20));
      t->cancel();
    });
    TailedRecord rec;
    auto got = t->next(&rec, milliseconds(60000));
    canceller.join();
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(*got);
    EXPECT_TRUE(t->cancelled());
  }
}

TEST_F(TailerTest, RetiredStartLsnIsAGapErrorNamingTheOldestLsn) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  append_n(w->get(), 0, 60);
  auto removed = (*w)->remove_segments_before((*w)->end_lsn());
  ASSERT_TRUE(removed.ok());
  ASSERT_GT(*removed, 0u);
  LogTailerOptions o;
  o.env = env_.get();
  o.start_lsn = 0;
  auto t = LogTailer::open(dir_, o);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(t.status().is_not_found());
  const std::string msg = t.status().to_string();
  EXPECT_NE(msg.find("gap: LSN 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("oldest LSN available"), std::string::npos) << msg;

  // from_oldest starts where the log now begins.
  o.from_oldest = true;
  auto oldest = LogTailer::open(dir_, o);
  ASSERT_TRUE(oldest.ok()) << oldest.status().to_string();
  EXPECT_GT((*oldest)->position(), 0u);
}

TEST_F(TailerTest, RetirementPassingAFollowingTailerIsAGapError) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  LogTailerOptions o;
  o.writer = w->get();
  auto t = tailer(o);
  append_n(w->get(), 0, 60);
  ASSERT_TRUE((*w)->remove_segments_before((*w)->end_lsn()).ok());
  Drained d = drain(t.get());
  EXPECT_TRUE(d.payloads.empty());
  EXPECT_TRUE(d.status.is_not_found()) << d.status.to_string();
  EXPECT_NE(d.status.to_string().find("gap"), std::string::npos);
}

TEST_F(TailerTest, PartialRecordAtTheTailIsNotYetButDamageBelowIsCorruption) {
  std::vector<std::string> recs;
  {
    auto w = LogWriter::open(dir_, options());
    ASSERT_TRUE(w.ok());
    recs = append_n(w->get(), 0, 5);
  }
  // A half-written record after the clean end: "not yet".
  auto reader = LogReader::open(dir_, LogReaderOptions{env_.get()});
  ASSERT_TRUE(reader.ok());
  const std::string last = (*reader)->segments().back().file;
  std::string bytes = testutil::must_read(env_.get(), last);
  testutil::must_write(env_.get(), last,
                       bytes + std::string("\x11\x22\x33", 3));
  LogTailerOptions o;
  o.trust_unpublished = true;
  auto t = tailer(o);
  Drained d = drain(t.get());
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  EXPECT_EQ(d.payloads, recs);

  // A flipped byte in a record below the published durable LSN.
  bytes[bytes.size() - 50] ^= 0x40;
  testutil::must_write(env_.get(), last, bytes);
  auto fresh = tailer();
  d = drain(fresh.get(), milliseconds(50));
  EXPECT_TRUE(d.status.is_corruption()) << d.status.to_string();
  EXPECT_NE(d.status.to_string().find(last), std::string::npos)
      << d.status.to_string();
}

TEST_F(TailerTest, RestartAtTheLastPositionResumesWithoutLossOrDuplicates) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  auto all = append_n(w->get(), 0, 50);
  std::vector<std::string> got;
  Lsn resume = 0;
  for (int round = 0; round < 5; ++round) {
    LogTailerOptions o;
    o.start_lsn = resume;
    auto t = tailer(o);
    TailedRecord rec;
    for (int i = 0; i < 10; ++i) {
      auto more = t->next(&rec, milliseconds(0));
      ASSERT_TRUE(more.ok());
      ASSERT_TRUE(*more);
      got.push_back(rec.payload);
      resume = rec.next_lsn;
    }
  }
  EXPECT_EQ(got, all);
}

TEST_F(TailerTest, FollowingReadsOnlyTheBytesAppendedSinceTheLastRead) {
  LogWriterOptions wo = options();
  wo.segment_size = 1 << 20;  // one segment: no rotation to re-read at
  auto w = LogWriter::open(dir_, wo);
  ASSERT_TRUE(w.ok());
  for (bool in_process : {true, false}) {
    LogTailerOptions o;
    if (in_process) o.writer = w->get();
    o.start_lsn = (*w)->end_lsn();
    auto t = tailer(o);
    const Lsn start = (*w)->end_lsn();
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE((*w)->append(payload_for(i, 100)).ok());
      Drained d = drain(t.get());
      ASSERT_TRUE(d.status.ok()) << d.status.to_string();
      ASSERT_EQ(d.payloads.size(), 1u) << i;
      EXPECT_EQ(d.payloads[0], payload_for(i, 100));
    }
    // Waiting at the end reads nothing.
    const uint64_t before_idle = t->bytes_read();
    for (int i = 0; i < 5; ++i) drain(t.get());
    EXPECT_EQ(t->bytes_read(), before_idle);
    // Re-reading the segment at every append would read ~150 times this.
    EXPECT_LT(t->bytes_read(), 4 * ((*w)->end_lsn() - start) + 4096)
        << "in_process " << in_process;
  }
}

TEST_F(TailerTest, FollowsPreallocatedSegmentsDurableAndUnsynced) {
  // Batched with a long interval: the eager tailer sees records before
  // they are durable, the other after each sync. (Batched preallocates
  // only when asked.)
  LogWriterOptions wo = options(DurabilityMode::batched(60000, 1000));
  wo.preallocate_segments = true;
  auto w = LogWriter::open(dir_, wo);
  ASSERT_TRUE(w.ok());
  LogTailerOptions o;
  o.writer = w->get();
  auto durable_only = tailer(o);
  o.deliver_unsynced = true;
  auto eager = tailer(o);
  std::vector<std::string> all;
  Drained durable_got;
  for (int round = 0; round < 8; ++round) {
    // A few records at a time; the preparer is done before the next ones,
    // so every rotation goes into a zero-filled segment.
    auto recs = append_n(w->get(), round * 6, 6);
    WriterAccess::wait_preparer_idle(w->get());
    all.insert(all.end(), recs.begin(), recs.end());
    Drained d = drain(eager.get());
    ASSERT_TRUE(d.status.ok()) << d.status.to_string();
    EXPECT_EQ(d.payloads, recs) << "round " << round;
    // Nothing durable past the last sync: the durable tailer waits at the
    // unsynced records (and the zeros after them), then gets them.
    Drained none = drain(durable_only.get());
    ASSERT_TRUE(none.status.ok()) << none.status.to_string();
    durable_got.payloads.insert(durable_got.payloads.end(),
                                none.payloads.begin(), none.payloads.end());
    ASSERT_TRUE((*w)->sync().ok());
    d = drain(durable_only.get());
    ASSERT_TRUE(d.status.ok()) << d.status.to_string();
    durable_got.payloads.insert(durable_got.payloads.end(), d.payloads.begin(),
                                d.payloads.end());
  }
  EXPECT_EQ(durable_got.payloads, all);
  const LogWriterStats st = (*w)->stats();
  EXPECT_GT(st.rotations, 1u);
  EXPECT_EQ(st.preallocated_segments, st.rotations);
  ASSERT_TRUE((*w)->close().ok());
}

TEST_F(TailerTest, ResumingAfterTheLastRecordOfAnIdleLogReadsItOnce) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  append_n(w->get(), 0, 10);
  LogTailerOptions o;
  o.start_lsn = (*w)->end_lsn() - 1;  // inside the last record: after it
  auto t = tailer(o);
  Drained d = drain(t.get());
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  EXPECT_TRUE(d.payloads.empty());
  const uint64_t once = t->bytes_read();
  EXPECT_GT(once, 0u);
  for (int i = 0; i < 5; ++i) drain(t.get());
  EXPECT_EQ(t->bytes_read(), once);
  ASSERT_TRUE((*w)->append("more").ok());
  d = drain(t.get());
  EXPECT_EQ(d.payloads, std::vector<std::string>{"more"});
}

// ---------------------------------------------------------------- slots

TEST_F(TailerTest, SlotHoldsItsSegmentsBackFromRetirement) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(create_slot(env_.get(), dir_, "replica", 0).ok());
  auto all = append_n(w->get(), 0, 60);
  RetireReport report;
  auto removed = (*w)->remove_segments_before((*w)->end_lsn(), &report);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  EXPECT_EQ(*removed, 0u);
  EXPECT_EQ(report.holding_slots, std::vector<std::string>{"replica"});

  LogTailerOptions o;
  o.slot = "replica";
  auto t = tailer(o);
  TailedRecord rec;
  for (int i = 0; i < 30; ++i) {
    auto more = t->next(&rec, milliseconds(0));
    ASSERT_TRUE(more.ok() && *more);
  }
  ASSERT_TRUE(t->ack(rec.next_lsn).ok());
  removed = (*w)->remove_segments_before((*w)->end_lsn(), &report);
  ASSERT_TRUE(removed.ok());
  EXPECT_GT(*removed, 0u);
  EXPECT_LE(report.retired_before, rec.next_lsn);

  // A new tailer on the slot resumes where the acknowledgement left it.
  auto again = tailer(o);
  Drained d = drain(again.get());
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  EXPECT_EQ(d.payloads, std::vector<std::string>(all.begin() + 30, all.end()));

  ASSERT_TRUE(drop_slot(env_.get(), dir_, "replica").ok());
  ASSERT_TRUE((*w)->remove_segments_before((*w)->end_lsn()).ok());
  auto slots = list_slots(env_.get(), dir_);
  ASSERT_TRUE(slots.ok());
  EXPECT_TRUE(slots->empty());
}

TEST_F(TailerTest, SlotOverTheSizeCapIsDroppedLoudly) {
  LogWriterOptions wo = options();
  wo.max_slot_retained_bytes = 2048;
  auto w = LogWriter::open(dir_, wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(create_slot(env_.get(), dir_, "slow", 0).ok());
  LogTailerOptions o;
  o.slot = "slow";
  auto t = tailer(o);
  append_n(w->get(), 0, 100);  // ~5 KiB over 1 KiB segments
  RetireReport report;
  auto removed = (*w)->remove_segments_before((*w)->end_lsn(), &report);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  EXPECT_GT(*removed, 0u);
  EXPECT_EQ(report.dropped_slots, std::vector<std::string>{"slow"});
  ASSERT_EQ(report.messages.size(), 1u);
  EXPECT_NE(report.messages[0].find("max_slot_retained_bytes"),
            std::string::npos);
  EXPECT_EQ((*w)->stats().slots_dropped, 1u);
  // The slot file remembers the cap, so the consumer's error can name it.
  auto state = read_slot(env_.get(), dir_, "slow");
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  EXPECT_EQ(state->dropped_cap_bytes, 2048u);
  EXPECT_GT(state->dropped_retained_bytes, 2048u);

  Drained d = drain(t.get());
  EXPECT_TRUE(d.payloads.empty());
  EXPECT_TRUE(d.status.is_not_found()) << d.status.to_string();
  EXPECT_NE(d.status.to_string().find("slot 'slow'"), std::string::npos)
      << d.status.to_string();
  EXPECT_NE(d.status.to_string().find("dropped"), std::string::npos);
  EXPECT_FALSE(advance_slot(env_.get(), dir_, "slow", 0).ok());
}

TEST_F(TailerTest, SlotDroppedWhileFollowingIsReportedAtTheNextRead) {
  LogWriterOptions wo = options();
  wo.max_slot_retained_bytes = 1024;
  auto w = LogWriter::open(dir_, wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(create_slot(env_.get(), dir_, "lagging", 0).ok());
  LogTailerOptions o;
  o.writer = w->get();
  o.slot = "lagging";
  auto t = tailer(o);
  append_n(w->get(), 0, 3);
  Drained d = drain(t.get());
  ASSERT_EQ(d.payloads.size(), 3u);  // following, never acknowledging
  append_n(w->get(), 3, 100);
  RetireReport report;
  ASSERT_TRUE((*w)->remove_segments_before((*w)->end_lsn(), &report).ok());
  ASSERT_EQ(report.dropped_slots, std::vector<std::string>{"lagging"});
  // Past the tailer's slot-check interval.
  std::this_thread::sleep_for(milliseconds(30));
  d = drain(t.get());
  EXPECT_TRUE(d.payloads.empty());
  EXPECT_TRUE(d.status.is_not_found()) << d.status.to_string();
  EXPECT_NE(d.status.to_string().find("slot 'lagging'"), std::string::npos)
      << d.status.to_string();
}

TEST_F(TailerTest, DamagedSlotFileIsCorruptionAndBlocksRetirement) {
  auto w = LogWriter::open(dir_, options());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(create_slot(env_.get(), dir_, "a", 0).ok());
  std::string path = dir_ + "/" + slot_file_name("a");
  std::string bytes = testutil::must_read(env_.get(), path);
  bytes[17] ^= 1;
  testutil::must_write(env_.get(), path, bytes);
  auto s = read_slot(env_.get(), dir_, "a");
  ASSERT_TRUE(s.status().is_corruption());
  EXPECT_NE(s.status().to_string().find(path), std::string::npos);
  append_n(w->get(), 0, 60);
  auto removed = (*w)->remove_segments_before((*w)->end_lsn());
  EXPECT_TRUE(removed.status().is_corruption());
}

TEST(SlotTest, NamesAreCheckedAndSlotsAreUnique) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/d").ok());
  EXPECT_TRUE(
      create_slot(env.get(), "/d", "bad/name", 0).is_invalid_argument());
  EXPECT_TRUE(create_slot(env.get(), "/d", "", 0).is_invalid_argument());
  ASSERT_TRUE(create_slot(env.get(), "/d", "ok_1", 7).ok());
  EXPECT_TRUE(create_slot(env.get(), "/d", "ok_1", 0).is_invalid_argument());
  auto s = read_slot(env.get(), "/d", "ok_1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->restart_lsn, 7u);
  EXPECT_FALSE(s->dropped);
  EXPECT_TRUE(read_slot(env.get(), "/d", "nope").status().is_not_found());
}

// Slot files of version 1 (36 bytes, without the drop's cap) are still
// read; a dropped one's error then says the cap without its value.
TEST(SlotTest, Version1SlotFileIsStillRead) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/d").ok());
  std::string v1(36, '\0');
  std::memcpy(v1.data(), "STRATASL", 8);
  encode_fixed16(v1.data() + 8, 1);
  v1[10] = 2;  // dropped
  encode_fixed64(v1.data() + 16, 5);
  encode_fixed64(v1.data() + 24, 9);
  encode_fixed32(v1.data() + 32, crc32c::mask(crc32c::value(v1.data(), 32)));
  testutil::must_write(env.get(), "/d/" + slot_file_name("old"), v1);
  auto s = read_slot(env.get(), "/d", "old");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_TRUE(s->dropped);
  EXPECT_EQ(s->restart_lsn, 5u);
  EXPECT_EQ(s->dropped_at_lsn, 9u);
  EXPECT_EQ(s->dropped_cap_bytes, 0u);
  Status moved = advance_slot(env.get(), "/d", "old", 6);
  EXPECT_TRUE(moved.is_not_found());
  EXPECT_NE(moved.to_string().find("max_slot_retained_bytes"),
            std::string::npos)
      << moved.to_string();
}

// Under the default setting nothing the tailer delivered is lost by a
// power cut, whether it follows the writer in-process or through PROGRESS.
TEST(TailerPowerCutTest, NeverDeliversWhatAPowerCutThenRemoves) {
  for (bool in_process : {true, false}) {
    for (int seed = 0; seed < 6; ++seed) {
      auto base = new_mem_env();
      testing::FaultInjectionEnv env(base.get());
      ASSERT_TRUE(env.create_dir("/db").ok());
      LogWriterOptions wo;
      wo.env = &env;
      wo.mode = DurabilityMode::batched(60000, 1000);
      wo.segment_size = 256;
      std::vector<std::string> delivered;
      {
        auto w = LogWriter::open("/db/log", wo);
        ASSERT_TRUE(w.ok());
        LogTailerOptions o;
        o.env = &env;
        if (in_process) o.writer = w->get();
        auto t = LogTailer::open("/db/log", o);
        ASSERT_TRUE(t.ok()) << t.status().to_string();
        for (int i = 0; i < 20; ++i) {
          ASSERT_TRUE((*w)->append(payload_for(i, 30)).ok());
          if ((i + seed) % 7 == 3) {
            ASSERT_TRUE((*w)->sync().ok());
          }
          Drained d = drain(t->get());
          ASSERT_TRUE(d.status.ok()) << d.status.to_string();
          delivered.insert(delivered.end(), d.payloads.begin(),
                           d.payloads.end());
        }
        env.simulate_process_crash();
      }
      ASSERT_TRUE(env.simulate_power_cut().ok());
      ReadAll all = read_all(&env, "/db/log");
      ASSERT_TRUE(all.status.ok()) << all.status.to_string();
      ASSERT_LE(delivered.size(), all.payloads.size())
          << "in_process " << in_process << " seed " << seed;
      for (std::size_t i = 0; i < delivered.size(); ++i) {
        EXPECT_EQ(delivered[i], all.payloads[i]);
      }
      EXPECT_FALSE(delivered.empty());
    }
  }
}

}  // namespace
}  // namespace strata::durability::log
