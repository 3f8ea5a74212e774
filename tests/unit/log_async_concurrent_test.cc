// append_async from many threads at once, beside synchronous appends and
// syncs: every accepted batch is called back exactly once, the callbacks
// run one at a time in LSN order, and the log holds every batch. Runs under
// TSan (the callbacks share unsynchronized state on purpose: the writer
// promises they never overlap).

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::read_all;

void run(DurabilityMode mode) {
  auto env = new_mem_env();
  LogWriterOptions o;
  o.env = env.get();
  o.mode = mode;
  o.segment_size = 8192;
  auto w = LogWriter::open("/log", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  // Written by the callbacks only (never at once) and read after close.
  std::vector<Lsn> called_lsns;
  std::vector<std::vector<Lsn>> record_lsn(kThreads,
                                           std::vector<Lsn>(kPerThread, 0));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string p = "t" + std::to_string(t) + "-" + std::to_string(i);
        std::string_view rec = p;
        Lsn* slot = &record_lsn[static_cast<std::size_t>(t)]
                               [static_cast<std::size_t>(i)];
        auto r = (*w)->append_async(
            std::span<const std::string_view>(&rec, 1),
            [&called_lsns, &failures, slot](const Status& s) {
              if (!s.ok()) ++failures;
              called_lsns.push_back(*slot);
            },
            {}, std::span<Lsn>(slot, 1));
        if (!r.ok()) ++failures;
        if (i % 50 == 0 && !(*w)->sync().ok()) ++failures;
      }
    });
  }
  // A synchronous appender in the same groups.
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      if (!(*w)->append("sync-" + std::to_string(i)).ok()) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(called_lsns.size(),
            static_cast<std::size_t>(kThreads * kPerThread));
  for (std::size_t i = 1; i < called_lsns.size(); ++i) {
    EXPECT_LT(called_lsns[i - 1], called_lsns[i]) << "callback " << i;
  }
  auto all = read_all(env.get(), "/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(all.payloads.size(),
            static_cast<std::size_t>(kThreads * kPerThread + 50));
}

TEST(LogAsyncConcurrentTest, StrictCallbacksFromManyThreadsRunOnceInLsnOrder) {
  run(DurabilityMode::strict());
}

TEST(LogAsyncConcurrentTest, BatchedCallbacksFromManyThreadsRunOnceInLsnOrder) {
  run(DurabilityMode::batched(2, 16));
}

TEST(LogAsyncConcurrentTest, NoneCallbacksFromManyThreadsRunOnceInLsnOrder) {
  run(DurabilityMode::none());
}

}  // namespace
}  // namespace strata::durability::log
