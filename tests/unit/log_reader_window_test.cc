// The reader takes a segment in chunks of 512 KiB, not whole: records and
// batches that straddle a chunk boundary, records larger than a chunk, and
// damage far into a segment must read exactly as they would from a segment
// held whole in memory.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::must_read;
using testutil::must_write;
using testutil::read_all;
using testutil::segment_path;

constexpr std::size_t kChunk = 512 << 10;

class LogReaderWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = new_mem_env();
    ASSERT_TRUE(env_->create_dir("/db").ok());
  }

  // Batches of 1-20 records of 1-3000 bytes, with a record of 1.5 chunks
  // every 40 batches, in one segment of about 5 chunks. Returns the
  // payloads in order and the LSN of each.
  void write_log() {
    LogWriterOptions o;
    o.env = env_.get();
    o.mode = DurabilityMode::none();
    o.segment_size = 64ULL << 20;
    auto w = LogWriter::open(dir_, o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    std::mt19937 rng(20261204);
    int batch_no = 0;
    uint64_t bytes = 0;
    while (bytes < 5 * kChunk) {
      std::vector<std::string> batch;
      const int n = static_cast<int>(rng() % 20) + 1;
      for (int i = 0; i < n; ++i) {
        std::size_t size = rng() % 3000 + 1;
        if (batch_no % 40 == 39 && i == 0) size = kChunk + kChunk / 2;
        std::string p(size, '\0');
        for (char& c : p) c = static_cast<char>(rng());
        bytes += size;
        batch.push_back(std::move(p));
      }
      std::vector<std::string_view> views(batch.begin(), batch.end());
      auto r = (*w)->append(views);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      Lsn lsn = r->first_lsn;
      for (const auto& p : batch) {
        starts_batch_.push_back(&p == &batch.front());
        lsns_.push_back(lsn);
        lsn += kRecordHeaderSize + p.size();
        payloads_.push_back(p);
      }
      ++batch_no;
    }
    ASSERT_TRUE((*w)->close().ok());
  }

  std::unique_ptr<Env> env_;
  std::string dir_ = "/db/log";
  std::vector<std::string> payloads_;
  std::vector<Lsn> lsns_;
  std::vector<bool> starts_batch_;
};

TEST_F(LogReaderWindowTest, RecordsStraddlingChunksAndLargerThanAChunkRead) {
  write_log();
  auto all = read_all(env_.get(), dir_, RecoveryMode::kAbsoluteConsistency);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_TRUE(all.problems.empty());
  ASSERT_EQ(all.payloads.size(), payloads_.size());
  for (std::size_t i = 0; i < payloads_.size(); ++i) {
    ASSERT_EQ(all.payloads[i], payloads_[i]) << "record " << i;
    ASSERT_EQ(all.lsns[i], lsns_[i]) << "record " << i;
  }
}

TEST_F(LogReaderWindowTest, BytesReadCountsTheWholeSegment) {
  write_log();
  LogReaderOptions o;
  o.env = env_.get();
  auto reader = LogReader::open(dir_, o);
  ASSERT_TRUE(reader.ok());
  LogRecord rec;
  while (true) {
    auto more = (*reader)->next(&rec);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
  }
  uint64_t sizes = 0;
  for (const auto& s : (*reader)->segments()) sizes += s.file_size;
  EXPECT_GE((*reader)->bytes_read(), sizes);
}

TEST_F(LogReaderWindowTest, NextBatchHandsOutWholeBatchesLikeNext) {
  write_log();
  LogReaderOptions o;
  o.env = env_.get();
  auto reader = LogReader::open(dir_, o);
  ASSERT_TRUE(reader.ok());
  std::size_t i = 0;
  std::size_t batches = 0;
  std::span<const LogRecord> records;
  while (true) {
    auto more = (*reader)->next_batch(&records);
    ASSERT_TRUE(more.ok()) << more.status().to_string();
    if (!*more) break;
    ASSERT_FALSE(records.empty());
    ++batches;
    // A batch starts where the writer started one and ends at its last.
    EXPECT_TRUE(starts_batch_[i]) << "record " << i;
    for (std::size_t k = 0; k < records.size(); ++k, ++i) {
      ASSERT_LT(i, payloads_.size());
      ASSERT_EQ(records[k].payload, payloads_[i]) << "record " << i;
      ASSERT_EQ(records[k].lsn, lsns_[i]);
      EXPECT_EQ(records[k].last_in_batch, k + 1 == records.size());
    }
  }
  EXPECT_EQ(i, payloads_.size());
  EXPECT_EQ(batches, static_cast<std::size_t>(std::count(
                         starts_batch_.begin(), starts_batch_.end(), true)));
}

// Damage to a record's payload beyond the first chunks: found at that
// record's offset, the batches before it intact, and in skip mode the
// batches after it too.
TEST_F(LogReaderWindowTest, DamageFarIntoASegmentIsFoundAtItsOffset) {
  write_log();
  // The first batch that starts past 3 chunks.
  const std::string seg = segment_path(dir_, 1);
  std::string bytes = must_read(env_.get(), seg);
  std::size_t victim = 0;
  {
    auto all = read_all(env_.get(), dir_);
    ASSERT_TRUE(all.status.ok());
    // Payloads start right after their headers; LSNs map to offsets from
    // the segment header on.
    const Lsn first = lsns_.front();
    for (std::size_t i = 0; i < lsns_.size(); ++i) {
      if (lsns_[i] - first > 3 * kChunk && starts_batch_[i]) {
        victim = i;
        break;
      }
    }
    ASSERT_GT(victim, 0u);
  }
  const uint64_t offset = kSegmentHeaderSize + (lsns_[victim] - lsns_.front());
  bytes[offset + kRecordHeaderSize] ^= 0x10;  // its first payload byte
  must_write(env_.get(), seg, bytes);

  auto strict = read_all(env_.get(), dir_, RecoveryMode::kAbsoluteConsistency);
  EXPECT_FALSE(strict.status.ok());
  ASSERT_FALSE(strict.problems.empty());
  const LogProblem& p = strict.problems.front();
  EXPECT_EQ(p.kind, ProblemKind::kCorruption) << p.to_string();
  EXPECT_EQ(p.segment, 1u);
  EXPECT_EQ(p.file, seg);
  EXPECT_EQ(p.offset, offset);
  ASSERT_EQ(strict.payloads.size(), victim);
  for (std::size_t i = 0; i < strict.payloads.size(); ++i) {
    ASSERT_EQ(strict.payloads[i], payloads_[i]);
  }

  auto skip = read_all(env_.get(), dir_, RecoveryMode::kSkipAnyCorrupted);
  ASSERT_TRUE(skip.status.ok()) << skip.status.to_string();
  ASSERT_EQ(skip.problems.size(), 1u);
  EXPECT_EQ(skip.problems.front().offset, p.offset);
  // Everything but the damaged batch, and the last record still there.
  EXPECT_LT(skip.payloads.size(), payloads_.size());
  EXPECT_GT(skip.payloads.size(), strict.payloads.size());
  EXPECT_EQ(skip.payloads.back(), payloads_.back());
}

// A segment cut in the middle of a record past the first chunk is a torn
// tail there, whatever chunk the cut falls in.
TEST_F(LogReaderWindowTest, TornTailFarIntoASegment) {
  write_log();
  const std::string seg = segment_path(dir_, 1);
  std::string bytes = must_read(env_.get(), seg);
  const uint64_t cut = 4 * kChunk + 1234;
  ASSERT_LT(cut, bytes.size());
  bytes.resize(cut);
  must_write(env_.get(), seg, bytes);
  auto all = read_all(env_.get(), dir_, RecoveryMode::kTolerateCorruptedTail);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.problems.size(), 1u);
  EXPECT_EQ(all.problems.front().kind, ProblemKind::kTornTail);
  EXPECT_LE(all.problems.front().offset, cut);
  EXPECT_GT(all.payloads.size(), 0u);
  for (std::size_t i = 0; i < all.payloads.size(); ++i) {
    ASSERT_EQ(all.payloads[i], payloads_[i]);
  }
}

}  // namespace
}  // namespace strata::durability::log
