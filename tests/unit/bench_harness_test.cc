// The benchmark harness that `strata-wal bench` and bench/compare report
// with (bench/harness/): the latency histogram's percentiles, the driver's
// operation count and failure handling, and the raw ceiling files. No
// timing is asserted.

#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "harness/driver.h"
#include "harness/raw_ceilings.h"
#include "harness/strata_logs.h"

namespace {

namespace sb = strata_bench;

TEST(BenchHarness, BenchKeyIsThreadSeqAndEntryInSixteenDigits) {
  EXPECT_EQ(strata_bench::bench_key(7, 123456, 42), "0700001234560042");
  EXPECT_EQ(strata_bench::bench_key(123, 12345678901ULL, 12345),
            "2323456789012345");
}

TEST(BenchHarness, KeyWrittenInPlaceIsBenchKey) {
  std::string key(sb::kBenchKeySize, 'x');
  sb::bench_key_to(key.data(), 7, 123456, 42);
  EXPECT_EQ(key, sb::bench_key(7, 123456, 42));
}

TEST(BenchHarness, CommitRingHoldsAtMost256CommitsAndAtLeastOne) {
  EXPECT_EQ(sb::commit_ring_size(1, 128), 256U);
  EXPECT_EQ(sb::commit_ring_size(10, 128), 256U);
  // A large commit gets fewer slots, so a ring stays near 8 MiB.
  const uint64_t big = sb::commit_ring_size(10, 64 * 1024);
  EXPECT_LT(big, 256U);
  EXPECT_LE(big * 10 * 64 * 1024, 8ULL << 20);
  EXPECT_EQ(sb::commit_ring_size(1, 64ULL << 20), 1U);
}

TEST(BenchHarness, HistogramPercentilesAreWithinTheirBucket) {
  sb::LatencyHistogram h;
  for (uint64_t ns = 1; ns <= 100000; ++ns) h.record(ns);
  EXPECT_EQ(h.count(), 100000U);
  EXPECT_EQ(h.max(), 100000U);
  auto near = [](uint64_t got, double want) {
    return std::abs(static_cast<double>(got) - want) <= want * 0.035;
  };
  EXPECT_TRUE(near(h.percentile(50), 50000)) << h.percentile(50);
  EXPECT_TRUE(near(h.percentile(99), 99000)) << h.percentile(99);
  EXPECT_TRUE(near(h.percentile(99.9), 99900)) << h.percentile(99.9);
  EXPECT_LE(h.percentile(100), h.max());

  sb::LatencyHistogram small;
  for (int i = 0; i < 10; ++i) small.record(7);
  EXPECT_EQ(small.percentile(50), 7U);  // exact below 32 ns
  EXPECT_EQ(sb::LatencyHistogram().percentile(50), 0U);

  sb::LatencyHistogram merged;
  merged.merge(h);
  merged.merge(small);
  EXPECT_EQ(merged.count(), 100010U);
  EXPECT_EQ(merged.max(), 100000U);
}

TEST(BenchHarness, DriverRunsExactlyTheOperationsAskedForAcrossThreads) {
  std::atomic<uint64_t> calls{0};
  sb::DriveOptions o;
  o.threads = 4;
  o.ops = 1000;
  auto r = sb::drive(o, [&](unsigned, sb::Operation* op, std::string*) {
    *op = [&](uint64_t, std::string*) {
      ++calls;
      return true;
    };
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.ops, 1000U);
  EXPECT_EQ(calls.load(), 1000U);
  EXPECT_EQ(r.latency.count(), 1000U);
  EXPECT_GT(r.seconds, 0);
}

TEST(BenchHarness, DriverStopsEveryThreadAtTheFirstFailure) {
  sb::DriveOptions o;
  o.threads = 3;
  o.seconds = 600;  // ends only because of the failure
  auto r = sb::drive(o, [&](unsigned t, sb::Operation* op, std::string*) {
    *op = [t](uint64_t seq, std::string* error) {
      if (t == 1 && seq == 10) {
        *error = "disk on fire";
        return false;
      }
      return true;
    };
    return true;
  });
  EXPECT_EQ(r.error, "disk on fire");
  EXPECT_LT(r.seconds, 600);
}

TEST(BenchHarness, DriverReportsAFactoryFailureWithoutRunning) {
  sb::DriveOptions o;
  o.ops = 10;
  auto r = sb::drive(o, [&](unsigned, sb::Operation*, std::string* error) {
    *error = "cannot connect";
    return false;
  });
  EXPECT_EQ(r.error, "cannot connect");
  EXPECT_EQ(r.ops, 0U);
}

TEST(BenchHarness, CeilingFilesWriteWhereTheySay) {
  char tmpl[] = "/tmp/strata-bench-harness-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::string error;

  // The sync file is preallocated and never grows, however many appends.
  sb::RawSyncFile sync;
  ASSERT_TRUE(sync.open(dir + "/sync", 100, 1000, &error)) << error;
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(sync.append(&error)) << error;
  EXPECT_EQ(std::filesystem::file_size(dir + "/sync"), 1000U);

  // The write file appends one record per call, until rewound.
  sb::RawWriteFile write;
  ASSERT_TRUE(write.open(dir + "/write", 64, &error)) << error;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(write.append(&error)) << error;
  EXPECT_EQ(std::filesystem::file_size(dir + "/write"), 192U);
  EXPECT_FALSE(write.full());
  ASSERT_TRUE(write.rewind(&error)) << error;
  EXPECT_EQ(std::filesystem::file_size(dir + "/write"), 0U);

  EXPECT_FALSE(sb::RawSyncFile().open(dir + "/no/such/dir/f", 1, 1, &error));
  EXPECT_NE(error.find("no/such/dir"), std::string::npos) << error;
  std::filesystem::remove_all(dir);
}

}  // namespace
