// The Batched syncer on a manual clock (testing::ManualClockEnv): an idle
// log becomes durable exactly when the interval since its oldest unsynced
// append has passed, and not before; a full batch syncs without waiting
// for the clock; an idle writer with nothing pending does not sync. The
// clock makes each case deterministic: advance() returns only once the
// syncer has done what the move called for and gone back to sleep.

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "strata/durability/env.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/testing/manual_clock_env.h"

namespace strata::durability {
namespace {

using log::LogWriter;
using testing::ManualClockEnv;

class BatchedSyncerTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogWriter> open_writer(uint64_t interval_ms,
                                         std::size_t batch_size) {
    log::LogWriterOptions o;
    o.env = &clock_;
    o.mode = DurabilityMode::batched(interval_ms, batch_size);
    auto w = LogWriter::open("/log", o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(*w) : nullptr;
  }

  std::unique_ptr<Env> base_ = new_mem_env();
  ManualClockEnv clock_{base_.get()};
};

TEST_F(BatchedSyncerTest, IdleLogBecomesDurableExactlyWhenTheIntervalPasses) {
  auto w = open_writer(50, 1000);
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(clock_.sleepers(), 1u);
  ASSERT_TRUE(w->append("first").ok());
  const log::Lsn end = w->end_lsn();
  clock_.advance_ms(49);
  EXPECT_LT(w->durable_lsn(), end) << "synced before the interval passed";
  EXPECT_EQ(w->stats().syncs, 0u);
  clock_.advance_ms(1);
  EXPECT_EQ(w->durable_lsn(), end) << "not durable once the interval passed";
  EXPECT_EQ(w->stats().syncs, 1u);
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(clock_.sleepers(), 0u);
}

TEST_F(BatchedSyncerTest, IntervalCountsFromTheOldestUnsyncedAppend) {
  auto w = open_writer(50, 1000);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->append("a").ok());
  clock_.advance_ms(30);
  ASSERT_TRUE(w->append("b").ok());  // does not restart the interval
  const log::Lsn end = w->end_lsn();
  clock_.advance_ms(19);
  EXPECT_LT(w->durable_lsn(), end);
  clock_.advance_ms(1);
  EXPECT_EQ(w->durable_lsn(), end) << "one sync covers both appends";
  EXPECT_EQ(w->stats().syncs, 1u);
  // The next append starts a new interval from its own time.
  ASSERT_TRUE(w->append("c").ok());
  clock_.advance_ms(49);
  EXPECT_EQ(w->stats().syncs, 1u);
  clock_.advance_ms(1);
  EXPECT_EQ(w->durable_lsn(), w->end_lsn());
  EXPECT_EQ(w->stats().syncs, 2u);
  ASSERT_TRUE(w->close().ok());
}

TEST_F(BatchedSyncerTest, IdleWriterWithNothingPendingNeverSyncs) {
  auto w = open_writer(10, 1000);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->append("a").ok());
  clock_.advance_ms(10);
  ASSERT_EQ(w->stats().syncs, 1u);
  for (int i = 0; i < 20; ++i) clock_.advance_ms(10);
  EXPECT_EQ(w->stats().syncs, 1u);
  ASSERT_TRUE(w->close().ok());
}

TEST_F(BatchedSyncerTest, FullBatchSyncsWithoutWaitingForTheClock) {
  auto w = open_writer(1000, 3);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->append("a").ok());
  ASSERT_TRUE(w->append("b").ok());
  clock_.wait_until_quiet();
  EXPECT_EQ(w->stats().syncs, 0u);
  ASSERT_TRUE(w->append("c").ok());
  clock_.wait_until_quiet();  // the syncer ran and sleeps again
  EXPECT_EQ(w->durable_lsn(), w->end_lsn());
  EXPECT_EQ(w->stats().syncs, 1u);
  ASSERT_TRUE(w->close().ok());
}

TEST(ManualClockEnvTest, SleeperWakesAtItsDeadlineOrOnWake) {
  auto base = new_mem_env();
  ManualClockEnv clock(base.get());
  EXPECT_EQ(clock.monotonic_nanos(), 0u);
  const uint64_t wall = clock.now_micros();
  std::mutex mu;
  int wakeups = 0;
  bool stop = false;
  auto sleeper = clock.new_sleeper();
  std::thread t([&] {
    std::unique_lock<std::mutex> l(mu);
    while (!stop) {
      sleeper->sleep_until(l, 1000);  // a deadline at 1 us
      if (clock.monotonic_nanos() >= 1000 && !stop) {
        ++wakeups;
        sleeper->sleep_until(l, Sleeper::kNoDeadline);
      }
    }
  });
  clock.advance(999);
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(wakeups, 0);
  }
  clock.advance(1);
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(wakeups, 1);
    stop = true;
    sleeper->wake();
  }
  t.join();
  sleeper.reset();
  EXPECT_EQ(clock.sleepers(), 0u);
  EXPECT_EQ(clock.monotonic_nanos(), 1000u);
  EXPECT_EQ(clock.now_micros(), wall + 1);
}

}  // namespace
}  // namespace strata::durability
