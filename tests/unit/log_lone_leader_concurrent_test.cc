// The uncontended append path under concurrency: threads that find the
// queue empty lead alone, those that arrive meanwhile queue behind them and
// get the lead handed over, and asynchronous appends (which always queue)
// mix with both. Nothing is lost or reordered, every callback runs once,
// the stats add up, and PROGRESS never names an LSN past end_lsn().

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "strata/durability/log/progress.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::read_all;

std::string tagged(int thread, int i, int part) {
  return "t" + std::to_string(thread) + "-" + std::to_string(i) + "-" +
         std::to_string(part);
}

void run_mixed(DurabilityMode mode) {
  auto env = new_mem_env();
  LogWriterOptions o;
  o.env = env.get();
  o.mode = mode;
  o.segment_size = 8192;  // rotations on both paths
  auto opened = LogWriter::open("/log", o);
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  LogWriter* w = opened->get();
  constexpr int kThreads = 4;
  constexpr int kBatches = 150;
  std::atomic<int> failures{0};
  std::atomic<int> callbacks{0};
  std::atomic<bool> done{false};
  // A tailer's view: PROGRESS read back while the writers run.
  std::atomic<int> progress_past_end{0};
  std::thread watcher([&] {
    Lsn last = 0;
    while (!done.load()) {
      auto p = read_published_progress(env.get(), "/log");
      if (!p.ok()) continue;
      if (p->end_lsn > w->end_lsn() || p->end_lsn < last) ++progress_past_end;
      last = p->end_lsn;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Lsn prev_end = 0;
      for (int i = 0; i < kBatches; ++i) {
        std::vector<std::string> recs = {tagged(t, i, 0), tagged(t, i, 1)};
        std::vector<std::string_view> views(recs.begin(), recs.end());
        auto r = i % 3 == 2 ? w->append_async(views,
                                              [&](const Status& s) {
                                                if (s.ok()) ++callbacks;
                                              })
                            : w->append(views);
        if (!r.ok() || r->end_lsn <= prev_end) ++failures;
        if (r.ok()) prev_end = r->end_lsn;
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  watcher.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(progress_past_end.load(), 0);
  const LogWriterStats stats = w->stats();
  EXPECT_EQ(stats.appends, static_cast<uint64_t>(kThreads * kBatches));
  EXPECT_EQ(stats.records, static_cast<uint64_t>(kThreads * kBatches * 2));
  EXPECT_LE(stats.groups, stats.appends);
  uint64_t groups = 0;
  for (uint64_t c : stats.group_size_histogram) groups += c;
  EXPECT_EQ(groups, stats.groups);
  const Lsn end = w->end_lsn();
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(callbacks.load(), kThreads * (kBatches / 3));
  auto p = read_published_progress(env.get(), "/log");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->end_lsn, end);

  auto all = read_all(env.get(), "/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(),
            static_cast<std::size_t>(kThreads * kBatches * 2));
  // Batches are contiguous and each thread's batches keep their order.
  std::map<int, int> next_of_thread;
  for (std::size_t i = 0; i < all.payloads.size(); i += 2) {
    int t = 0;
    int n = 0;
    ASSERT_EQ(std::sscanf(all.payloads[i].c_str(), "t%d-%d-0", &t, &n), 2);
    EXPECT_EQ(all.payloads[i + 1], tagged(t, n, 1));
    EXPECT_EQ(next_of_thread[t], n);
    next_of_thread[t] = n + 1;
  }
  EXPECT_EQ(next_of_thread.size(), static_cast<std::size_t>(kThreads));
}

TEST(LogLoneLeaderConcurrent, NoneLoneAndQueuedLeadersMixLosingNothing) {
  run_mixed(DurabilityMode::none());
}

TEST(LogLoneLeaderConcurrent, StrictLoneAndQueuedLeadersMixLosingNothing) {
  run_mixed(DurabilityMode::strict());
}

}  // namespace
}  // namespace strata::durability::log
