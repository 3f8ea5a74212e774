// Following a live log: the writer's published progress (PROGRESS), the
// LogTailer, replication slots, and the typed tailers of both logs.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/durability/log/progress.h"
#include "strata/durability/testing/fault_injection_env.h"
#include "log/progress_file.h"
#include "support/log_test_util.h"

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

}  // namespace
}  // namespace strata::durability::log
