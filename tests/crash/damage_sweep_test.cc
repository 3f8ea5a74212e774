// Damage that is not a crash (issue 7, part 4): in a multi-segment sample
// log of each kind (raw core log, MVCC WAL, Transaction Log), every
// single-bit flip (a fixed-seed sample in CI, all of them with
// -DSTRATA_LONG_TESTS=ON), every single-byte zeroing, each segment deleted,
// each pair of neighbouring segments swapped, and each segment replaced by
// the same-numbered segment of another log. For every case: reading in
// AbsoluteConsistency mode detects it; the first problem is in the damaged
// file and is not called a torn tail unless the damage is in the log's last
// unit; the default recovery fails unless it is such a tail; and
// SkipAnyCorrupted recovery returns exactly the transactions the damage did
// not touch, whole and in order. Counts go to stdout.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "log/format.h"
#include "support/crash_test_util.h"

namespace strata::durability::crashtest {
namespace {

using log::LogKind;
using log::ProblemKind;
using log::RecoveryMode;

constexpr const char* kDir = "/log";
// Small segments, so that each sample log has several (raw records are
// smaller than the typed logs' entries).
uint64_t segment_size(LogKind kind) {
  return kind == LogKind::kRaw ? 256 : 512;
}
constexpr int kTxns = 16;
// Bit flips checked per log in CI (all of them with STRATA_LONG_TESTS).
constexpr std::size_t kCiBitFlips = 4000;

// Where one transaction's batch lies.
struct Span {
  std::string file;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct Sample {
  LogKind kind = LogKind::kRaw;
  Files files;
  Files foreign;                      // another log of the same kind
  std::vector<Span> spans;            // transaction i's batch
  std::vector<std::string> segments;  // segment file names, in order
};

Files write_sample_log(LogKind kind) {
  auto env = new_mem_env();
  auto log = TxnLog::open(kind, env.get(), kDir, DurabilityMode::none(),
                          segment_size(kind));
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  if (!log.ok()) return {};
  for (int i = 0; i < kTxns; ++i) {
    Status s = (*log)->write(i, 1 + i % 3);
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  EXPECT_TRUE((*log)->close().ok());
  auto files = snapshot_files(env.get(), kDir);
  EXPECT_TRUE(files.ok());
  return files.ok() ? *files : Files{};
}

Sample make_sample(LogKind kind) {
  Sample s;
  s.kind = kind;
  s.files = write_sample_log(kind);
  s.foreign = write_sample_log(kind);
  for (const auto& [name, bytes] : s.files) {
    if (log::parse_segment_file_name(name)) s.segments.push_back(name);
  }
  // Batches, read back from the undamaged log, are the transactions.
  auto env = env_with(kDir, s.files);
  log::LogReaderOptions o;
  o.env = env.get();
  auto reader = log::LogReader::open(kDir, o);
  EXPECT_TRUE(reader.ok());
  log::LogRecord rec;
  std::optional<Span> open;
  while (reader.ok()) {
    auto more = (*reader)->next(&rec);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    std::string file = log::segment_file_name(rec.segment);
    uint64_t end = rec.offset + log::kRecordHeaderSize + rec.payload.size();
    if (!open) open = Span{file, rec.offset, end};
    EXPECT_EQ(open->file, file);
    open->end = end;
    if (rec.last_in_batch) {
      s.spans.push_back(*open);
      open.reset();
    }
  }
  return s;
}

struct Damage {
  std::string what;                     // for failure messages
  std::optional<std::string> file;      // the damaged file, when there is one
  uint64_t offset = 0;                  // the damaged byte, when there is one
  std::set<int> touched;                // transactions it destroys
  bool may_be_torn = false;             // inside the log's last unit
  std::optional<ProblemKind> expected;  // the first problem's kind
};

struct Counts {
  uint64_t bit_flips = 0;
  uint64_t zeroed = 0;
  uint64_t structural = 0;
};

void check_case(const Sample& s, const Files& damaged, const Damage& d) {
  SCOPED_TRACE(std::string(kind_label(s.kind)) + ": " + d.what);
  auto env = env_with(kDir, damaged);
  ASSERT_NE(env, nullptr);

  // Detected and classified by the core reader.
  // (The core reader reads every kind; only raw batches parse as parts.)
  Recovered strict = recover(LogKind::kRaw, env.get(), kDir,
                             RecoveryMode::kAbsoluteConsistency);
  if (s.kind == LogKind::kRaw) {
    EXPECT_TRUE(strict.partial.empty());
  }
  ASSERT_FALSE(strict.status.ok()) << "damage not detected";
  ASSERT_FALSE(strict.problems.empty());
  const log::LogProblem& first = strict.problems.front();
  if (!d.may_be_torn) {
    EXPECT_NE(first.kind, ProblemKind::kTornTail) << first.to_string();
  }
  if (d.expected) {
    EXPECT_EQ(first.kind, *d.expected) << first.to_string();
  }
  if (d.file) {
    EXPECT_EQ(first.file, join_path(kDir, *d.file)) << first.to_string();
    if (*d.file != log::kStartFileName) {
      EXPECT_LE(first.offset, d.offset) << first.to_string();
    }
  }

  std::vector<int> untouched;
  for (int i = 0; i < kTxns; ++i) {
    if (d.touched.count(i) == 0) untouched.push_back(i);
  }

  // The default recovery succeeds only past a torn tail, and then keeps
  // every transaction before it.
  Recovered dflt =
      recover(s.kind, env.get(), kDir, RecoveryMode::kTolerateCorruptedTail);
  EXPECT_TRUE(dflt.partial.empty()) << dflt.partial.front();
  if (dflt.status.ok()) {
    EXPECT_TRUE(d.may_be_torn) << "default recovery accepted damage";
    EXPECT_EQ(dflt.txns, untouched);
  }

  // Skipping recovers everything the damage did not touch, whole.
  Recovered skip =
      recover(s.kind, env.get(), kDir, RecoveryMode::kSkipAnyCorrupted);
  ASSERT_TRUE(skip.status.ok()) << skip.status.to_string();
  EXPECT_TRUE(skip.partial.empty()) << skip.partial.front();
  EXPECT_EQ(skip.txns, untouched);
}

// The transactions a damaged byte destroys, and whether it is in the log's
// last unit.
Damage byte_damage(const Sample& s, const std::string& file, uint64_t offset,
                   std::string what) {
  Damage d;
  d.what = std::move(what);
  d.file = file;
  d.offset = offset;
  if (file == log::kStartFileName) {
    d.expected = ProblemKind::kBadHeader;
    return d;
  }
  for (int i = 0; i < kTxns; ++i) {
    const Span& sp = s.spans[i];
    if (sp.file != file) continue;
    if (offset < log::kSegmentHeaderSize ||
        (offset >= sp.begin && offset < sp.end)) {
      d.touched.insert(i);
    }
  }
  if (offset < log::kSegmentHeaderSize) d.expected = ProblemKind::kBadHeader;
  const Span& last = s.spans.back();
  d.may_be_torn = file == last.file && offset >= last.begin;
  return d;
}

std::set<int> txns_in(const Sample& s, const std::string& file) {
  std::set<int> out;
  for (int i = 0; i < kTxns; ++i) {
    if (s.spans[i].file == file) out.insert(i);
  }
  return out;
}

void sweep(LogKind kind) {
  Sample s = make_sample(kind);
  ASSERT_GE(s.segments.size(), 4u) << "the sample log should rotate";
  ASSERT_EQ(s.spans.size(), static_cast<std::size_t>(kTxns));
  Counts counts;

  // Every byte position of every segment. The PROGRESS file beside them is
  // advisory (recovery never reads it; its own checks are pinned in
  // log_tailer_test), so damage to it is not damage to the log.
  std::vector<std::pair<std::string, uint64_t>> positions;
  for (const std::string& name : s.segments) {
    const std::string& bytes = s.files.at(name);
    for (uint64_t at = 0; at < bytes.size(); ++at)
      positions.emplace_back(name, at);
  }

  // Single-bit flips.
  std::vector<std::pair<std::size_t, int>> flips;
  for (std::size_t p = 0; p < positions.size(); ++p) {
    for (int bit = 0; bit < 8; ++bit) flips.emplace_back(p, bit);
  }
  if (!STRATA_LONG_TESTS && flips.size() > kCiBitFlips) {
    std::mt19937_64 rng(20261125);
    std::shuffle(flips.begin(), flips.end(), rng);
    flips.resize(kCiBitFlips);
    std::sort(flips.begin(), flips.end());
  }
  for (const auto& [p, bit] : flips) {
    const auto& [file, at] = positions[p];
    Files damaged = s.files;
    damaged[file][at] = static_cast<char>(damaged[file][at] ^ (1 << bit));
    check_case(
        s, damaged,
        byte_damage(s, file, at,
                    "bit " + std::to_string(bit) + " of byte " +
                        std::to_string(at) + " of " + file + " flipped"));
    ++counts.bit_flips;
    if (::testing::Test::HasFailure()) {
      return;  // one case is enough to debug; do not flood the output
    }
  }

  // Single-byte zeroing (bytes that are already zero change nothing).
  for (const auto& [file, at] : positions) {
    if (s.files.at(file)[at] == '\0') continue;
    Files damaged = s.files;
    damaged[file][at] = '\0';
    check_case(
        s, damaged,
        byte_damage(s, file, at,
                    "byte " + std::to_string(at) + " of " + file + " zeroed"));
    ++counts.zeroed;
    if (::testing::Test::HasFailure()) return;
  }

  // A segment deleted.
  for (const std::string& seg : s.segments) {
    Files damaged = s.files;
    damaged.erase(seg);
    Damage d;
    d.what = seg + " deleted";
    d.touched = txns_in(s, seg);
    d.expected = ProblemKind::kMissingSegment;
    check_case(s, damaged, d);
    ++counts.structural;
  }
  // Neighbouring segments swapped (contents exchanged, names kept).
  for (std::size_t k = 0; k + 1 < s.segments.size(); ++k) {
    const std::string& a = s.segments[k];
    const std::string& b = s.segments[k + 1];
    Files damaged = s.files;
    std::swap(damaged[a], damaged[b]);
    Damage d;
    d.what = a + " and " + b + " swapped";
    d.touched = txns_in(s, a);
    for (int i : txns_in(s, b)) d.touched.insert(i);
    d.expected = ProblemKind::kBadHeader;
    check_case(s, damaged, d);
    ++counts.structural;
  }
  // A segment replaced by the same-numbered segment of another log.
  for (const std::string& seg : s.segments) {
    if (s.foreign.count(seg) == 0) continue;
    Files damaged = s.files;
    damaged[seg] = s.foreign.at(seg);
    Damage d;
    d.what = seg + " copied from another log";
    d.file = seg;
    d.touched = txns_in(s, seg);
    d.expected = ProblemKind::kBadHeader;
    check_case(s, damaged, d);
    ++counts.structural;
  }

  std::cout << "damage sweep " << kind_label(kind) << ": " << s.segments.size()
            << " segments, " << kTxns << " transactions; checked "
            << counts.bit_flips << " bit flips (of " << positions.size() * 8
            << "), " << counts.zeroed << " zeroed bytes, " << counts.structural
            << " deleted/swapped/foreign segments"
            << (STRATA_LONG_TESTS ? " [long]" : " [CI sample]") << "\n";
}

TEST(DamageSweep, RawLogDetectsEveryDamageAndSkipKeepsUntouchedTransactions) {
  sweep(LogKind::kRaw);
}

TEST(DamageSweep, MvccWalDetectsEveryDamageAndSkipKeepsUntouchedTransactions) {
  sweep(LogKind::kMvcc);
}

TEST(DamageSweep, TxLogDetectsEveryDamageAndSkipKeepsUntouchedTransactions) {
  sweep(LogKind::kTxLog);
}

}  // namespace
}  // namespace strata::durability::crashtest
