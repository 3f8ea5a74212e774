// The log core under simulated power cuts (FaultInjectionEnv): recovery
// gives exactly a prefix of the batches written, containing every batch
// acknowledged as durable; I/O errors poison the writer; a log damaged by
// ENOSPC reopens.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cerrno>

#include "strata/durability/testing/fault_injection_env.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testing::FaultInjectionEnv;
using testutil::read_all;

struct Batch {
  std::vector<std::string> records;
  bool sync = false;
};

// Flattens the first `n` batches.
std::vector<std::string> flatten(const std::vector<Batch>& batches,
                                 std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.insert(out.end(), batches[i].records.begin(), batches[i].records.end());
  }
  return out;
}

RC_GTEST_PROP(LogCrash, RecoveryIsAPrefixHoldingEveryDurableBatch, ()) {
  auto base = new_mem_env();
  RC_ASSERT(base->create_dir("/db").ok());
  FaultInjectionEnv env(base.get());
  LogWriterOptions o;
  o.env = &env;
  o.mode = DurabilityMode::none();
  o.segment_size = *rc::gen::inRange<uint64_t>(200, 2000);
  // The torn write below is the last append to a segment; a PROGRESS
  // rewrite after it would be the last write instead (the crash matrix's
  // traces keep the PROGRESS rewrites).
  o.publish_progress = false;
  auto w = LogWriter::open("/db/log", o);
  RC_ASSERT(w.ok());

  auto batches = *rc::gen::container<std::vector<Batch>>(rc::gen::build<Batch>(
      rc::gen::set(
          &Batch::records,
          rc::gen::resize(
              4, rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(
                     rc::gen::resize(300, rc::gen::string<std::string>()))))),
      rc::gen::set(&Batch::sync, rc::gen::arbitrary<bool>())));
  std::size_t durable = 0;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    std::vector<std::string_view> views(batches[i].records.begin(),
                                        batches[i].records.end());
    AppendOptions ao;
    ao.sync = batches[i].sync;
    RC_ASSERT((*w)->append(views, ao).ok());
    if (batches[i].sync) durable = i + 1;
  }
  // Tear the last write somewhere (only an unsynced one: a power cut cannot
  // tear bytes already made durable), then cut the power.
  if (!batches.empty() && !batches.back().sync && *rc::gen::arbitrary<bool>()) {
    auto mode =
        *rc::gen::element(testing::TearMode::kCut, testing::TearMode::kZeros,
                          testing::TearMode::kGarbage);
    std::size_t last_size = 0;
    for (const auto& r : batches.back().records) last_size += 9 + r.size();
    RC_ASSERT(
        env.tear_last_write(mode, *rc::gen::inRange<std::size_t>(0, last_size))
            .ok());
  }
  RC_ASSERT(env.simulate_power_cut(testing::PowerCutOptions{}).ok());
  w->reset();

  auto all = read_all(&env, "/db/log", RecoveryMode::kPointInTime);
  RC_ASSERT(all.status.ok());
  // Exactly the records of the first k batches, k >= durable.
  std::size_t k = 0;
  std::vector<std::string> expect;
  while (k <= batches.size()) {
    expect = flatten(batches, k);
    if (expect.size() >= all.payloads.size()) break;
    ++k;
  }
  RC_ASSERT(expect == all.payloads);
  RC_ASSERT(k >= durable);

  // The log reopens and accepts writes, which are then readable.
  o.recovery_mode = RecoveryMode::kPointInTime;
  auto again = LogWriter::open("/db/log", o);
  RC_ASSERT(again.ok());
  RC_ASSERT(
      (*again)->append("after the crash", AppendOptions{.sync = true}).ok());
  RC_ASSERT((*again)->close().ok());
  auto after = read_all(&env, "/db/log");
  RC_ASSERT(after.status.ok());
  RC_ASSERT(after.payloads.size() == all.payloads.size() + 1);
  RC_ASSERT(after.payloads.back() == "after the crash");
}

class LogFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = new_mem_env();
    ASSERT_TRUE(base_->create_dir("/db").ok());
    env_ = std::make_unique<FaultInjectionEnv>(base_.get());
  }
  LogWriterOptions options() {
    LogWriterOptions o;
    o.env = env_.get();
    o.mode = DurabilityMode::strict();
    o.segment_size = 400;
    return o;
  }
  std::unique_ptr<Env> base_;
  std::unique_ptr<FaultInjectionEnv> env_;
};

TEST_F(LogFaultTest, FsyncEioPoisonsTheWriter) {
  auto w = LogWriter::open("/db/log", options());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("one").ok());
  env_->inject_error(testing::FaultOp::kSync, 1, EIO);
  auto failed = (*w)->append("two");
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().is_io_error());
  // Never retried, never acknowledged later: fsyncgate.
  env_->clear_errors();
  auto after = (*w)->append("three");
  EXPECT_TRUE(after.status().is_io_error()) << after.status().to_string();
  EXPECT_FALSE((*w)->poisoned().ok());
  EXPECT_FALSE((*w)->sync().ok());
  w->reset();
  // A power cut, then reopening, gives a consistent log holding "one".
  ASSERT_TRUE(env_->simulate_power_cut(testing::PowerCutOptions{}).ok());
  auto again = LogWriter::open("/db/log", options());
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  ASSERT_TRUE((*again)->append("four").ok());
  ASSERT_TRUE((*again)->close().ok());
  auto all = read_all(env_.get(), "/db/log");
  ASSERT_TRUE(all.status.ok());
  ASSERT_GE(all.payloads.size(), 2U);
  EXPECT_EQ(all.payloads.front(), "one");
  EXPECT_EQ(all.payloads.back(), "four");
  for (auto& p : all.payloads) EXPECT_NE(p, "three");
}

TEST_F(LogFaultTest, EnospcInTheMiddleOfARecordLeavesALogThatReopens) {
  auto w = LogWriter::open("/db/log", options());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("first").ok());
  env_->inject_error(testing::FaultOp::kAppend, 1, ENOSPC, 5);
  auto r = (*w)->append(std::string(100, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().sys_errno(), ENOSPC) << r.status().to_string();
  w->reset();
  env_->clear_errors();
  OpenReport report;
  auto again = LogWriter::open("/db/log", options(), &report);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(report.truncated_bytes, 5U);
  ASSERT_TRUE((*again)->append("second").ok());
  ASSERT_TRUE((*again)->close().ok());
  auto all = read_all(env_.get(), "/db/log");
  EXPECT_EQ(all.payloads, (std::vector<std::string>{"first", "second"}));
}

TEST_F(LogFaultTest, FailedRenameDuringRotationPoisonsAndRecovers) {
  auto w = LogWriter::open("/db/log", options());
  ASSERT_TRUE(w.ok());
  int acked = 0;
  env_->inject_error(testing::FaultOp::kRename, 1, EIO);
  for (int i = 0; i < 40; ++i) {
    if (!(*w)->append(testutil::payload_for(i, 40)).ok()) break;
    ++acked;
  }
  EXPECT_LT(acked, 40);
  w->reset();
  env_->clear_errors();
  ASSERT_TRUE(env_->simulate_power_cut(testing::PowerCutOptions{}).ok());
  auto again = LogWriter::open("/db/log", options());
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*again)->append(testutil::payload_for(100 + i, 40)).ok());
  }
  ASSERT_TRUE((*again)->close().ok());
  auto all = read_all(env_.get(), "/db/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(), static_cast<std::size_t>(acked + 20));
  for (int i = 0; i < acked; ++i) {
    EXPECT_EQ(all.payloads[static_cast<std::size_t>(i)],
              testutil::payload_for(i, 40));
  }
}

TEST_F(LogFaultTest, FailedDirectorySyncDuringRotationPoisons) {
  auto w = LogWriter::open("/db/log", options());
  ASSERT_TRUE(w.ok());
  env_->inject_error(testing::FaultOp::kSyncDir, 1, EIO);
  bool failed = false;
  for (int i = 0; i < 40 && !failed; ++i) {
    failed = !(*w)->append(testutil::payload_for(i, 40)).ok();
  }
  EXPECT_TRUE(failed);
  EXPECT_FALSE((*w)->append("later").ok());
}

TEST_F(LogFaultTest, ReadErrorDuringRecoveryIsAnErrorNotAShortLog) {
  {
    auto w = LogWriter::open("/db/log", options());
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 30; ++i)
      ASSERT_TRUE((*w)->append(testutil::payload_for(i, 40)).ok());
  }
  env_->inject_error_every(testing::FaultOp::kRead, EIO);
  auto all = read_all(env_.get(), "/db/log");
  EXPECT_TRUE(all.status.is_io_error()) << all.status.to_string();
  auto w = LogWriter::open("/db/log", options());
  EXPECT_FALSE(w.ok());
}

}  // namespace
}  // namespace strata::durability::log
