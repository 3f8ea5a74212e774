// WalWriter under concurrent use: many threads commit five-primitive
// transactions with commit_atomic while others write entry by entry;
// recovery returns every acknowledged transaction whole, each thread's in
// its own order, with distinct commit LSNs.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>
#include <vector>

#include "strata/durability/txlog/transaction.h"
#include "support/txlog_test_util.h"

namespace strata::durability::txlog {
namespace {

class TxlogConcurrent : public testutil::TxlogTest,
                        public ::testing::WithParamInterface<DurabilityMode> {};

TEST_P(TxlogConcurrent, AtomicCommitsFromManyThreadsAreAllRecoveredWhole) {
  auto w = open_writer(GetParam());
  ASSERT_NE(w, nullptr);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 60;
  std::vector<std::vector<TxId>> ids(kThreads);
  std::vector<std::vector<log::Lsn>> lsns(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RunId run = RunId::new_v7();
      for (int i = 0; i < kPerThread; ++i) {
        Transaction tx = Transaction::for_run(run);
        std::string k = std::to_string(t) + ":" + std::to_string(i);
        tx.kv_put(k, "v")
            .json_set(k, "{}")
            .event_append(k)
            .state_set(k, "s")
            .run_update(k);
        auto r = w->commit_atomic(tx);
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        ids[t].push_back(tx.id());
        lsns[t].push_back(*r);
      }
    });
  }
  // One more thread writes entry by entry, interleaving with the batches.
  std::vector<TxId> slow_ids;
  threads.emplace_back([&] {
    for (int i = 0; i < 30; ++i) {
      TxId tx = w->begin_transaction();
      ASSERT_TRUE(
          w->write_tx_entry(tx, std::nullopt, WalEntryType::kKvPut, "a").ok());
      ASSERT_TRUE(
          w->write_tx_entry(tx, std::nullopt, WalEntryType::kKvDelete, "b")
              .ok());
      ASSERT_TRUE(w->commit_transaction(tx).ok());
      slow_ids.push_back(tx);
    }
  });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(w->sync().ok());

  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), kThreads * kPerThread + 30U);
  EXPECT_EQ(out.result.orphaned_transactions, 0U);
  std::map<TxId, const CommittedTransaction*> by_id;
  std::set<log::Lsn> commit_lsns;
  for (const auto& tx : out.transactions) {
    by_id[tx.tx_id] = &tx;
    commit_lsns.insert(tx.commit_lsn);
  }
  EXPECT_EQ(by_id.size(), out.transactions.size());
  EXPECT_EQ(commit_lsns.size(), out.transactions.size());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto it = by_id.find(ids[t][i]);
      ASSERT_NE(it, by_id.end());
      EXPECT_EQ(it->second->entries.size(), 5U);
      EXPECT_EQ(it->second->commit_lsn, lsns[t][i]);
      // A batch is contiguous: its entries sit just before its commit.
      EXPECT_LT(it->second->first_lsn, it->second->commit_lsn);
      if (i > 0) {
        EXPECT_LT(lsns[t][i - 1], lsns[t][i]);
      }
    }
  }
  for (const TxId& id : slow_ids) {
    ASSERT_EQ(by_id.count(id), 1U);
    EXPECT_EQ(by_id[id]->entries.size(), 2U);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, TxlogConcurrent,
                         ::testing::Values(DurabilityMode::strict(),
                                           DurabilityMode::batched(5, 16),
                                           DurabilityMode::none()),
                         [](const auto& param_info) {
                           const DurabilityMode& m = param_info.param;
                           return m.is_strict()    ? "Strict"
                                  : m.is_batched() ? "Batched"
                                                   : "None";
                         });

}  // namespace
}  // namespace strata::durability::txlog
