// The log writer under concurrency: many threads appending at once lose
// nothing, never interleave a batch, and share syncs (group commit).

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <thread>

#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::read_all;

std::string tagged(int thread, int i, int part) {
  return "t" + std::to_string(thread) + "-" + std::to_string(i) + "-" +
         std::to_string(part);
}

void run_writers(DurabilityMode mode, uint64_t segment_size) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  LogWriterOptions o;
  o.env = env.get();
  o.mode = mode;
  o.segment_size = segment_size;
  auto w = LogWriter::open("/db/log", o);
  ASSERT_TRUE(w.ok());
  constexpr int kThreads = 8;
  constexpr int kBatches = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        std::vector<std::string> recs = {tagged(t, i, 0), tagged(t, i, 1),
                                         tagged(t, i, 2)};
        std::vector<std::string_view> views(recs.begin(), recs.end());
        if (!(*w)->append(views).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  LogWriterStats stats = (*w)->stats();
  EXPECT_EQ(stats.appends, static_cast<uint64_t>(kThreads * kBatches));
  ASSERT_TRUE((*w)->close().ok());

  auto all = read_all(env.get(), "/db/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(),
            static_cast<std::size_t>(kThreads * kBatches * 3));
  // Batches are contiguous and each thread's batches keep their order.
  std::map<int, int> next_of_thread;
  for (std::size_t i = 0; i < all.payloads.size(); i += 3) {
    int t = 0;
    int n = 0;
    ASSERT_EQ(std::sscanf(all.payloads[i].c_str(), "t%d-%d-0", &t, &n), 2);
    EXPECT_EQ(all.payloads[i + 1], tagged(t, n, 1));
    EXPECT_EQ(all.payloads[i + 2], tagged(t, n, 2));
    EXPECT_EQ(next_of_thread[t], n);
    next_of_thread[t] = n + 1;
  }
  EXPECT_EQ(next_of_thread.size(), static_cast<std::size_t>(kThreads));
}

TEST(LogWriterConcurrent, EightThreadsStrictLoseNothingAndInterleaveNoBatch) {
  run_writers(DurabilityMode::strict(), kDefaultSegmentSize);
}

TEST(LogWriterConcurrent, EightThreadsBatchedAcrossRotations) {
  run_writers(DurabilityMode::batched(5, 16), 2048);
}

TEST(LogWriterConcurrent, EightThreadsNoneAcrossRotations) {
  run_writers(DurabilityMode::none(), 1024);
}

TEST(LogWriterConcurrent, LeadersEncodeEachCallersBatchBeforeItReturns) {
  // A RecordBatch's encoder runs on whichever thread leads the group; each
  // caller overwrites its data as soon as append or append_async returns,
  // so a record read back intact was encoded before that.
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::strict();
  o.segment_size = 4096;
  auto w = LogWriter::open("/db/log", o);
  ASSERT_TRUE(w.ok());
  constexpr int kThreads = 8;
  constexpr int kBatches = 60;
  std::atomic<int> failures{0};
  std::atomic<int> callbacks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        std::string recs[2] = {tagged(t, i, 0), tagged(t, i, 1)};
        const std::size_t sizes[2] = {recs[0].size(), recs[1].size()};
        auto encode = [&recs](std::size_t k, char* out) {
          std::memcpy(out, recs[k].data(), recs[k].size());
        };
        const RecordBatch batch{sizes, encode};
        Result<AppendResult> r =
            i % 2 == 0 ? (*w)->append(batch)
                       : (*w)->append_async(batch, [&](const Status& s) {
                           if (!s.ok()) ++failures;
                           ++callbacks;
                         });
        if (!r.ok()) ++failures;
        for (auto& rec : recs) rec.assign(rec.size(), '#');
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(callbacks.load(), kThreads * kBatches / 2);

  auto all = read_all(env.get(), "/db/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(),
            static_cast<std::size_t>(kThreads * kBatches * 2));
  std::map<int, int> next_of_thread;
  for (std::size_t i = 0; i < all.payloads.size(); i += 2) {
    int t = 0;
    int n = 0;
    ASSERT_EQ(std::sscanf(all.payloads[i].c_str(), "t%d-%d-0", &t, &n), 2)
        << all.payloads[i];
    EXPECT_EQ(all.payloads[i + 1], tagged(t, n, 1));
    EXPECT_EQ(next_of_thread[t], n);
    next_of_thread[t] = n + 1;
  }
  EXPECT_EQ(next_of_thread.size(), static_cast<std::size_t>(kThreads));
}

TEST(LogWriterConcurrent, ConcurrentSyncAndAppendAgreeOnDurableLsn) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::none();
  o.segment_size = 4096;
  auto w = LogWriter::open("/db/log", o);
  ASSERT_TRUE(w.ok());
  std::atomic<bool> stop{false};
  std::thread syncer([&] {
    while (!stop) ASSERT_TRUE((*w)->sync().ok());
  });
  Lsn last_end = 0;
  for (int i = 0; i < 2000; ++i) {
    auto r = (*w)->append("payload-" + std::to_string(i));
    ASSERT_TRUE(r.ok());
    last_end = r->end_lsn;
    EXPECT_LE((*w)->durable_lsn(), (*w)->end_lsn());
  }
  stop = true;
  syncer.join();
  ASSERT_TRUE((*w)->wait_durable(last_end).ok());
  EXPECT_GE((*w)->durable_lsn(), last_end);
}

TEST(LogWriterConcurrent, ReaderBesideALiveWriterSeesAConsistentPrefix) {
  // A reader lists the segments when it opens; the writer keeps rotating.
  // Every read must end cleanly (at most a torn tail where the writer is in
  // the middle of a write), never report a missing segment or corruption,
  // and return records in order.
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::none();
  o.segment_size = 300;
  auto w = LogWriter::open("/db/log", o);
  ASSERT_TRUE(w.ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 3000 && !stop; ++i) {
      ASSERT_TRUE((*w)->append("rec-" + std::to_string(i)).ok());
    }
    stop = true;
  });
  int reads = 0;
  bool failed = false;
  while (!stop && !failed) {
    auto all = read_all(env.get(), "/db/log");
    failed = !all.status.ok();
    EXPECT_TRUE(all.status.ok()) << all.status.to_string();
    for (const auto& p : all.problems) {
      EXPECT_EQ(p.kind, ProblemKind::kTornTail) << p.to_string();
    }
    for (std::size_t i = 0; i < all.payloads.size() && !failed; ++i) {
      failed = all.payloads[i] != "rec-" + std::to_string(i);
      EXPECT_FALSE(failed) << "record " << i << ": " << all.payloads[i];
    }
    ++reads;
  }
  stop = true;
  writer.join();
  EXPECT_GT(reads, 0);
}

}  // namespace
}  // namespace strata::durability::log
