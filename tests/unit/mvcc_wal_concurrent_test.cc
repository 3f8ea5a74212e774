// Concurrency of the MVCC WAL handle: ports of adversarial_tests.rs
// test_concurrent_wal_appends_no_data_loss (8 threads x 100 entries) and
// test_concurrent_wal_offset_consistency, plus concurrent transactions,
// which must never interleave.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "support/mvcc_wal_fixture.h"

namespace strata::durability::mvcc {
namespace {

using testing::test_run;

class MvccWalConcurrent : public testing::MvccWalFixture {};

TEST_F(MvccWalConcurrent, EightThreadsAppendingLoseNothingAndLsnsAreUnique) {
  auto wal = open_wal(DurabilityMode::batched(5, 16));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::vector<log::Lsn>> lsns(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RunId run = test_run(static_cast<uint8_t>(t + 1));
      for (int i = 0; i < kPerThread; ++i) {
        auto r = wal->append(
            write("t" + std::to_string(t) + "-" + std::to_string(i),
                  Value::integer(i), static_cast<uint64_t>(i + 1), run));
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        lsns[t].push_back(*r);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<log::Lsn> all;
  for (const auto& v : lsns) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));  // per-thread order kept
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  ASSERT_TRUE(wal->close().ok());
  auto r = read_wal_entries(dir_, env_.get());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->entries.size(), static_cast<std::size_t>(kThreads * kPerThread));
  // Each returned LSN names the entry read back at that LSN.
  std::set<log::Lsn> read_lsns;
  for (const auto& e : r->entries) read_lsns.insert(e.lsn);
  EXPECT_EQ(read_lsns, all);
}

TEST_F(MvccWalConcurrent, ConcurrentTransactionsNeverInterleave) {
  auto wal = open_wal(DurabilityMode::strict());
  constexpr int kThreads = 8;
  constexpr int kTxns = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RunId run = test_run(static_cast<uint8_t>(t + 1));
      for (int i = 0; i < kTxns; ++i) {
        uint64_t id = static_cast<uint64_t>(t * 1000 + i);
        std::vector<WALEntry> body;
        for (int k = 0; k < 5; ++k) {
          body.push_back(write("k" + std::to_string(k), Value::integer(i),
                               id * 10 + k, run));
        }
        auto r = wal->append_transaction(txn(id, std::move(body), run));
        ASSERT_TRUE(r.ok()) << r.status().to_string();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto entries = wal->read_entries();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), static_cast<std::size_t>(kThreads * kTxns * 7));
  for (std::size_t i = 0; i < entries->size(); i += 7) {
    const auto* b = (*entries)[i].get_if<BeginTxn>();
    ASSERT_NE(b, nullptr) << i;
    for (std::size_t j = 1; j < 6; ++j) {
      ASSERT_TRUE((*entries)[i + j].is<Write>());
      EXPECT_EQ((*entries)[i + j].run_id(), b->run_id);
    }
    const auto* c = (*entries)[i + 6].get_if<CommitTxn>();
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->txn_id, b->txn_id);
  }
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, static_cast<uint64_t>(kThreads * kTxns));
  EXPECT_EQ(s.orphaned_entries, 0u);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(get(store, "k0", test_run(static_cast<uint8_t>(t + 1))),
              Value::integer(kTxns - 1));
  }
}

}  // namespace
}  // namespace strata::durability::mvcc
