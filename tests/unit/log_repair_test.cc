// repair_log: padding damaged spans in skip mode (no LSN moves), cutting
// torn tails, dropping after damage in point-in-time mode, and never
// deleting a byte without a quarantine copy.

#include "strata/durability/log/log_repair.h"

#include <gtest/gtest.h>

#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::must_read;
using testutil::must_write;
using testutil::payload_for;
using testutil::read_all;
using testutil::segment_path;

class LogRepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = new_mem_env();
    ASSERT_TRUE(env_->create_dir("/db").ok());
    LogWriterOptions o;
    o.env = env_.get();
    o.mode = DurabilityMode::strict();
    o.kind = LogKind::kTxLog;
    o.segment_size = 400;
    auto w = LogWriter::open(dir_, o);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE((*w)->append(payload_for(i)).ok());
    ASSERT_TRUE((*w)->close().ok());
    original_ = read_all(env_.get(), dir_);
    ASSERT_EQ(original_.payloads.size(), 20U);
  }
  RepairOptions options(RecoveryMode mode) {
    RepairOptions o;
    o.env = env_.get();
    o.recovery_mode = mode;
    return o;
  }
  void flip(uint64_t segment, std::size_t offset) {
    std::string seg = must_read(env_.get(), segment_path(dir_, segment));
    seg[offset] = static_cast<char>(seg[offset] ^ 0x10);
    must_write(env_.get(), segment_path(dir_, segment), seg);
  }

  std::unique_ptr<Env> env_;
  std::string dir_ = "/db/log";
  testutil::ReadAll original_;
  static constexpr std::size_t kRecord = kRecordHeaderSize + 20;
};

TEST_F(LogRepairTest, SkipModePadsADamagedSpanAndNoLsnMoves) {
  std::string before = must_read(env_.get(), segment_path(dir_, 1));
  flip(1, kSegmentHeaderSize + kRecord + 11);
  auto r = repair_log(dir_, options(RecoveryMode::kSkipAnyCorrupted));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->kind, LogKind::kTxLog);
  EXPECT_EQ(r->padded_spans, 1U);
  EXPECT_EQ(r->padded_bytes, kRecord);
  EXPECT_TRUE(r->writable);
  EXPECT_TRUE(r->remaining.empty());
  // The damaged bytes are kept.
  std::string q = must_read(
      env_.get(),
      join_path(dir_, "quarantine-1-" +
                          std::to_string(kSegmentHeaderSize + kRecord) +
                          ".bin"));
  EXPECT_EQ(q.size(), kRecord);
  // A default-mode reader now sees every other record at its old LSN.
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_TRUE(all.problems.empty());
  ASSERT_EQ(all.payloads.size(), 19U);
  EXPECT_EQ(all.lsns[0], original_.lsns[0]);
  for (std::size_t i = 1; i < 19; ++i) {
    EXPECT_EQ(all.lsns[i], original_.lsns[i + 1]);
    EXPECT_EQ(all.payloads[i], original_.payloads[i + 1]);
  }
}

TEST_F(LogRepairTest, DefaultModeCutsATornTailIntoQuarantine) {
  auto names = env_->list_dir(dir_);
  uint64_t last = 0;
  for (auto& n : *names) {
    if (auto num = parse_segment_file_name(n)) last = std::max(last, *num);
  }
  std::string seg = must_read(env_.get(), segment_path(dir_, last));
  must_write(env_.get(), segment_path(dir_, last), seg + "torn!");
  auto r = repair_log(dir_, options(RecoveryMode::kTolerateCorruptedTail));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->open.truncated_bytes, 5U);
  ASSERT_EQ(r->open.quarantine_files.size(), 1U);
  EXPECT_TRUE(r->writable);
  EXPECT_EQ(read_all(env_.get(), dir_).payloads, original_.payloads);
}

TEST_F(LogRepairTest, DefaultModeRefusesMidLogDamage) {
  flip(1, kSegmentHeaderSize + 4);
  auto r = repair_log(dir_, options(RecoveryMode::kTolerateCorruptedTail));
  EXPECT_TRUE(r.status().is_corruption()) << r.status().to_string();
}

TEST_F(LogRepairTest, PointInTimeDropsEverythingAfterTheDamage) {
  flip(2, kSegmentHeaderSize + 3);
  auto r = repair_log(dir_, options(RecoveryMode::kPointInTime));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->writable);
  EXPECT_FALSE(r->open.quarantine_files.empty());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok());
  ASSERT_LT(all.payloads.size(), 20U);
  for (std::size_t i = 0; i < all.payloads.size(); ++i) {
    EXPECT_EQ(all.payloads[i], original_.payloads[i]);
  }
}

TEST_F(LogRepairTest, RepairOfALockedLogIsBusy) {
  LogWriterOptions o;
  o.env = env_.get();
  o.kind = LogKind::kTxLog;
  auto w = LogWriter::open(dir_, o);
  ASSERT_TRUE(w.ok());
  auto r = repair_log(dir_, options(RecoveryMode::kSkipAnyCorrupted));
  EXPECT_TRUE(r.status().is_busy()) << r.status().to_string();
}

TEST_F(LogRepairTest, RepairOfNoLogIsNotFound) {
  auto r =
      repair_log("/db/none", options(RecoveryMode::kTolerateCorruptedTail));
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace strata::durability::log
