// Regression tests for findings of the libFuzzer targets (fuzz/). Each test
// names the behaviour the finding broke (both were log-core bugs, fixed in
// main by 8e5c056).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "log/format.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::payload_for;
using testutil::read_all;
using testutil::segment_path;

// fuzz_log_reader found it: garbage inserted into the middle of a sealed
// segment shifts the records after it to higher offsets, so their LSNs
// (computed from offsets) pass the successor's first LSN. The seal then
// names the wrong end LSN and is skipped as damage, and the successor,
// entered without a seal to check it against, is read from its own first
// LSN: SkipAnyCorrupted returns LSNs that go backwards, two records with
// the same LSN. Expected: the overlap is reported and LSNs only grow.
TEST(FuzzRegression, SkipModeLsnsNeverGoBackwardsAfterADamagedSegment) {
  auto env = new_mem_env();
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::none();
  o.segment_size = 256;
  {
    auto w = LogWriter::open("/log", o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*w)->append(payload_for(i, 12)).ok());
    }
    ASSERT_TRUE((*w)->close().ok());
  }
  ASSERT_TRUE(env->file_exists(segment_path("/log", 2)).value_or(false));
  std::string seg1 = testutil::must_read(env.get(), segment_path("/log", 1));
  // 100 garbage bytes after the first record.
  seg1.insert(kSegmentHeaderSize + kRecordHeaderSize + 12,
              std::string(100, '\xab'));
  testutil::must_write(env.get(), segment_path("/log", 1), seg1);

  auto all = read_all(env.get(), "/log", RecoveryMode::kSkipAnyCorrupted);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_FALSE(all.problems.empty());
  for (std::size_t i = 1; i < all.lsns.size(); ++i) {
    EXPECT_LT(all.lsns[i - 1], all.lsns[i])
        << "record " << i << " (" << all.payloads[i] << ")";
  }
}

// What does hold for that input: the modes that stop at the first problem
// stop at the inserted garbage, report it as corruption (valid records
// follow), and return only records before it.
TEST(FuzzRegression, GarbageInsertedIntoASealedSegmentStopsPointInTimeReads) {
  auto env = new_mem_env();
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::none();
  o.segment_size = 256;
  {
    auto w = LogWriter::open("/log", o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*w)->append(payload_for(i, 12)).ok());
    }
    ASSERT_TRUE((*w)->close().ok());
  }
  std::string seg1 = testutil::must_read(env.get(), segment_path("/log", 1));
  seg1.insert(kSegmentHeaderSize + kRecordHeaderSize + 12,
              std::string(100, '\xab'));
  testutil::must_write(env.get(), segment_path("/log", 1), seg1);

  auto pit = read_all(env.get(), "/log", RecoveryMode::kPointInTime);
  ASSERT_TRUE(pit.status.ok()) << pit.status.to_string();
  EXPECT_EQ(pit.payloads, std::vector<std::string>{payload_for(0, 12)});
  ASSERT_EQ(pit.problems.size(), 1u);
  EXPECT_EQ(pit.problems[0].kind, ProblemKind::kCorruption);
  EXPECT_EQ(pit.problems[0].segment, 1u);
  auto dflt = read_all(env.get(), "/log");
  EXPECT_TRUE(dflt.status.is_corruption()) << dflt.status.to_string();
}

// fuzz_log_reader found it: a START file that does not decode (here: four
// bytes too long) is a bad_header problem before the first record, so a
// writer opened in PointInTime mode quarantines every record of the log,
// but leaves the bad START in place. It then acknowledges appends (synced)
// to a log that the default reader, and a default-mode writer, refuse with
// Corruption. Expected: the repaired log reads cleanly in the default mode
// and holds the appended record.
TEST(FuzzRegression,
     PointInTimeRepairOfABadStartLeavesALogTheDefaultReaderReads) {
  auto env = new_mem_env();
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::none();
  o.segment_size = 256;
  {
    auto w = LogWriter::open("/log", o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*w)->append(payload_for(i, 12)).ok());
    }
    ASSERT_TRUE((*w)->close().ok());
  }
  std::string start =
      testutil::must_read(env.get(), join_path("/log", kStartFileName));
  testutil::must_write(env.get(), join_path("/log", kStartFileName),
                       start + "");

  o.recovery_mode = RecoveryMode::kPointInTime;
  o.create_if_missing = false;
  {
    auto w = LogWriter::open("/log", o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    AppendOptions sync;
    sync.sync = true;
    ASSERT_TRUE((*w)->append("after repair", sync).ok());
    ASSERT_TRUE((*w)->close().ok());
  }
  auto all = read_all(env.get(), "/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_FALSE(all.payloads.empty());
  EXPECT_EQ(all.payloads.back(), "after repair");
  o.recovery_mode = RecoveryMode::kTolerateCorruptedTail;
  auto reopened = LogWriter::open("/log", o);
  EXPECT_TRUE(reopened.ok()) << reopened.status().to_string();
}

// What does hold for that input: every reader reports the bad START as a
// bad_header problem (never a silent misread), and the default mode fails.
TEST(FuzzRegression, AStartFileOfTheWrongSizeIsABadHeaderProblem) {
  auto env = new_mem_env();
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::none();
  {
    auto w = LogWriter::open("/log", o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    ASSERT_TRUE((*w)->append("one").ok());
    ASSERT_TRUE((*w)->close().ok());
  }
  std::string start =
      testutil::must_read(env.get(), join_path("/log", kStartFileName));
  testutil::must_write(env.get(), join_path("/log", kStartFileName),
                       start + "\x01\x02\x03\x04");
  auto dflt = read_all(env.get(), "/log");
  EXPECT_TRUE(dflt.status.is_corruption()) << dflt.status.to_string();
  auto skip = read_all(env.get(), "/log", RecoveryMode::kSkipAnyCorrupted);
  ASSERT_TRUE(skip.status.ok()) << skip.status.to_string();
  EXPECT_EQ(skip.payloads, std::vector<std::string>{"one"});
  ASSERT_FALSE(skip.problems.empty());
  EXPECT_EQ(skip.problems[0].kind, ProblemKind::kBadHeader);
  EXPECT_EQ(skip.problems[0].file, join_path("/log", kStartFileName));
}

}  // namespace
}  // namespace strata::durability::log
