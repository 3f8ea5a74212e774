// The original's sixteen cross_primitive_atomicity tests, ported: each
// writes in Strict mode and reads back with replay_wal_committed. Plus a
// truly interleaved entry-by-entry case the original did not have.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/durability/txlog/transaction.h"
#include "support/txlog_test_util.h"

namespace strata::durability::txlog {
namespace {

using testutil::must;

class CrossPrimitiveAtomicity : public testutil::TxlogTest {};

std::vector<WalEntryType> types_of(const CommittedTransaction& tx) {
  std::vector<WalEntryType> out;
  for (const WalEntry& e : tx.entries) out.push_back(e.entry_type);
  return out;
}

// test_cross_primitive_commit
TEST_F(CrossPrimitiveAtomicity, KvJsonEventStateCommitAsOneTransaction) {
  auto w = open_writer();
  Transaction tx = Transaction::create();
  tx.kv_put("k", "v")
      .json_create("doc", "{}")
      .event_append("ev")
      .state_set("cell", "on");
  must(w->commit_atomic(tx));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  EXPECT_EQ(out.transactions[0].tx_id, tx.id());
  EXPECT_EQ(types_of(out.transactions[0]),
            (std::vector<WalEntryType>{
                WalEntryType::kKvPut, WalEntryType::kJsonCreate,
                WalEntryType::kEventAppend, WalEntryType::kStateSet}));
  EXPECT_EQ(out.result.transactions_recovered, 1U);
  EXPECT_EQ(out.result.orphaned_transactions, 0U);
}

// test_all_primitives_atomic
TEST_F(CrossPrimitiveAtomicity, FivePrimitivesGiveFiveEntries) {
  auto w = open_writer();
  Transaction tx = Transaction::for_run(RunId::new_v7());
  tx.kv_put("k", "v")
      .json_create("doc", "{}")
      .event_append("ev")
      .state_init("cell", "idle")
      .run_create("run");
  must(w->commit_atomic(tx));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  EXPECT_EQ(out.transactions[0].entries.size(), 5U);
  EXPECT_EQ(out.transactions[0].run_id, tx.run_id());
}

// test_cross_primitive_rollback
TEST_F(CrossPrimitiveAtomicity, AbortedTransactionIsExcluded) {
  auto w = open_writer();
  Transaction kept = Transaction::create();
  kept.kv_put("a", "1").event_append("e");
  must(w->commit_atomic(kept));
  TxId rolled = w->begin_transaction();
  must(w->write_tx_entry(rolled, std::nullopt, WalEntryType::kKvPut, "x"));
  must(w->write_tx_entry(rolled, std::nullopt, WalEntryType::kJsonSet, "y"));
  must(w->abort_transaction(rolled));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  EXPECT_EQ(out.transactions[0].tx_id, kept.id());
  EXPECT_EQ(out.result.aborted_transactions, 1U);
  EXPECT_EQ(out.result.orphaned_transactions, 0U);
}

// test_crash_mid_transaction
TEST_F(CrossPrimitiveAtomicity, EntriesWithoutCommitAreOrphaned) {
  {
    auto w = open_writer();
    TxId tx = w->begin_transaction();
    must(w->write_tx_entry(tx, std::nullopt, WalEntryType::kKvPut, "a"));
    must(w->write_tx_entry(tx, std::nullopt, WalEntryType::kEventAppend, "b"));
    // The process "crashes": no commit marker.
  }
  ReplayOutput out = replay();
  EXPECT_TRUE(out.transactions.empty());
  EXPECT_EQ(out.result.orphaned_transactions, 1U);
  EXPECT_EQ(out.result.entries_replayed, 2U);
}

// test_partial_transaction_not_visible
TEST_F(CrossPrimitiveAtomicity, PartialTransactionIsNotVisible) {
  auto w = open_writer();
  Transaction first = Transaction::create();
  first.kv_put("a", "1").state_set("s", "x");
  must(w->commit_atomic(first));
  TxId partial = w->begin_transaction();
  must(w->write_tx_entry(partial, std::nullopt, WalEntryType::kKvPut, "p"));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  EXPECT_EQ(out.transactions[0].tx_id, first.id());
  EXPECT_EQ(out.result.orphaned_transactions, 1U);
}

// test_interleaved_transactions (the original's were sequential)
TEST_F(CrossPrimitiveAtomicity, SequentialTransactionsStaySeparate) {
  auto w = open_writer();
  for (int i = 0; i < 3; ++i) {
    Transaction tx = Transaction::create();
    tx.kv_put("k" + std::to_string(i), "v").event_append("e");
    must(w->commit_atomic(tx));
  }
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 3U);
  for (const auto& tx : out.transactions) EXPECT_EQ(tx.entries.size(), 2U);
}

// Not in the original: two transactions written entry by entry, their
// entries interleaved in the log.
TEST_F(CrossPrimitiveAtomicity, InterleavedEntryByEntryTransactions) {
  auto w = open_writer();
  TxId a = w->begin_transaction();
  TxId b = w->begin_transaction();
  must(w->write_tx_entry(a, std::nullopt, WalEntryType::kKvPut, "a1"));
  must(w->write_tx_entry(b, std::nullopt, WalEntryType::kKvPut, "b1"));
  must(w->write_tx_entry(a, std::nullopt, WalEntryType::kEventAppend, "a2"));
  must(w->commit_transaction(b));
  must(w->write_tx_entry(b, std::nullopt, WalEntryType::kKvPut, "late"));
  must(w->commit_transaction(a));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.transactions[0].tx_id, b);  // commit order
  ASSERT_EQ(out.transactions[0].entries.size(), 1U);
  EXPECT_EQ(out.transactions[0].entries[0].payload, "b1");
  EXPECT_EQ(out.transactions[1].tx_id, a);
  ASSERT_EQ(out.transactions[1].entries.size(), 2U);
  EXPECT_EQ(out.transactions[1].entries[1].payload, "a2");
  // An entry of b after its commit is a new, unfinished group.
  EXPECT_EQ(out.result.orphaned_transactions, 1U);
}

// test_mixed_committed_uncommitted
TEST_F(CrossPrimitiveAtomicity, MixedCommittedOrphanedAborted) {
  auto w = open_writer();
  auto committed = [&](const std::string& k) {
    Transaction tx = Transaction::create();
    tx.kv_put(k, "v");
    must(w->commit_atomic(tx));
  };
  committed("c1");
  TxId orphan = w->begin_transaction();
  must(w->write_tx_entry(orphan, std::nullopt, WalEntryType::kKvPut, "o"));
  committed("c2");
  TxId aborted = w->begin_transaction();
  must(w->write_tx_entry(aborted, std::nullopt, WalEntryType::kKvPut, "a"));
  must(w->abort_transaction(aborted));
  committed("c3");
  ReplayOutput out = replay();
  EXPECT_EQ(out.result.transactions_recovered, 3U);
  EXPECT_EQ(out.result.orphaned_transactions, 1U);
  EXPECT_EQ(out.result.aborted_transactions, 1U);
  EXPECT_EQ(out.transactions.size(), 3U);
}

// test_large_transaction
TEST_F(CrossPrimitiveAtomicity, ThousandPutsInOneTransaction) {
  auto w = open_writer();
  Transaction tx = Transaction::create();
  for (int i = 0; i < 1000; ++i) {
    tx.kv_put("key-" + std::to_string(i), "value-" + std::to_string(i));
  }
  must(w->commit_atomic(tx));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  ASSERT_EQ(out.transactions[0].entries.size(), 1000U);
  auto ops = must(entries_to_tx_entries(out.transactions[0].entries));
  ASSERT_EQ(ops.size(), 1000U);
  EXPECT_EQ(ops[999].get_if<KvPutOp>()->key, "key-999");
}

// test_large_cross_primitive_transaction
TEST_F(CrossPrimitiveAtomicity, TwoHundredEntriesAcrossFourPrimitives) {
  auto w = open_writer();
  Transaction tx = Transaction::create();
  for (int i = 0; i < 100; ++i) tx.kv_put("k" + std::to_string(i), "v");
  for (int i = 0; i < 50; ++i) tx.json_create("d" + std::to_string(i), "{}");
  for (int i = 0; i < 30; ++i) tx.state_set("s" + std::to_string(i), "x");
  for (int i = 0; i < 20; ++i) tx.event_append("e" + std::to_string(i));
  must(w->commit_atomic(tx));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  const auto& entries = out.transactions[0].entries;
  ASSERT_EQ(entries.size(), 200U);
  EXPECT_EQ(entries[0].entry_type, WalEntryType::kKvPut);
  EXPECT_EQ(entries[100].entry_type, WalEntryType::kJsonCreate);
  EXPECT_EQ(entries[150].entry_type, WalEntryType::kStateSet);
  EXPECT_EQ(entries[199].entry_type, WalEntryType::kEventAppend);
}

// test_recovery_deterministic
TEST_F(CrossPrimitiveAtomicity, TwoReplaysGiveIdenticalResults) {
  auto w = open_writer();
  for (int i = 0; i < 10; ++i) {
    Transaction tx = Transaction::create();
    tx.kv_put("k", std::to_string(i)).event_append("e");
    must(w->commit_atomic(tx));
  }
  TxId orphan = w->begin_transaction();
  must(w->write_tx_entry(orphan, std::nullopt, WalEntryType::kKvPut, "o"));
  ReplayOutput a = replay();
  ReplayOutput b = replay();
  ASSERT_EQ(a.transactions.size(), b.transactions.size());
  for (std::size_t i = 0; i < a.transactions.size(); ++i) {
    EXPECT_EQ(a.transactions[i].tx_id, b.transactions[i].tx_id);
    EXPECT_EQ(a.transactions[i].entries, b.transactions[i].entries);
  }
  EXPECT_EQ(a.result.entries_replayed, b.result.entries_replayed);
  EXPECT_EQ(a.result.orphaned_transactions, b.result.orphaned_transactions);
  EXPECT_EQ(a.result.end_lsn, b.result.end_lsn);
}

// test_order_preservation
TEST_F(CrossPrimitiveAtomicity, FiftyTransactionsComeBackInCommitOrder) {
  auto w = open_writer();
  std::vector<TxId> ids;
  for (int i = 0; i < 50; ++i) {
    Transaction tx = Transaction::create();
    tx.kv_put("k" + std::to_string(i), "v");
    ids.push_back(tx.id());
    must(w->commit_atomic(tx));
  }
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 50U);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(out.transactions[i].tx_id, ids[i]) << i;
    if (i > 0) {
      EXPECT_LT(out.transactions[i - 1].commit_lsn,
                out.transactions[i].commit_lsn);
    }
  }
}

// test_rebuild_transaction
TEST_F(CrossPrimitiveAtomicity, RebuiltTransactionHasSameIdAndEntries) {
  auto w = open_writer();
  Transaction tx = Transaction::for_run(RunId::new_v7());
  tx.kv_put("k", "v").json_set("d", "{}").state_transition("s", "a", "b");
  must(w->commit_atomic(tx));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  auto result = rebuild_transaction(out.transactions[0].tx_id,
                                    out.transactions[0].entries);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const Transaction& rebuilt = *result;
  EXPECT_EQ(rebuilt.id(), tx.id());
  EXPECT_EQ(rebuilt.run_id(), tx.run_id());
  EXPECT_EQ(rebuilt.len(), 3U);
  EXPECT_EQ(rebuilt.entries(), tx.entries());
}

// test_entries_to_tx_entries
TEST_F(CrossPrimitiveAtomicity, RecoveredEntriesDecodeToOperations) {
  auto w = open_writer();
  Transaction tx = Transaction::create();
  tx.kv_put("k", "v").json_create("doc", "{\"a\":1}").event_append("ev");
  must(w->commit_atomic(tx));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  auto ops = must(entries_to_tx_entries(out.transactions[0].entries));
  ASSERT_EQ(ops.size(), 3U);
  ASSERT_NE(ops[0].get_if<KvPutOp>(), nullptr);
  EXPECT_EQ(ops[0].get_if<KvPutOp>()->value, "v");
  ASSERT_NE(ops[1].get_if<JsonCreateOp>(), nullptr);
  EXPECT_EQ(ops[1].get_if<JsonCreateOp>()->value, "{\"a\":1}");
  ASSERT_NE(ops[2].get_if<EventAppendOp>(), nullptr);
  EXPECT_EQ(ops[2].get_if<EventAppendOp>()->payload, "ev");
}

// test_empty_transaction
TEST_F(CrossPrimitiveAtomicity, EmptyTransactionIsInvisibleButCounted) {
  auto w = open_writer();
  log::Lsn before = w->position();
  // commit_atomic of an empty transaction writes nothing.
  EXPECT_EQ(must(w->commit_atomic(Transaction::create())), before);
  EXPECT_EQ(w->position(), before);
  // An explicit commit of a transaction with no entries is written, and
  // recovery counts it as empty instead of hiding it.
  TxId empty = w->begin_transaction();
  must(w->commit_transaction(empty));
  Transaction real = Transaction::create();
  real.kv_put("k", "v");
  must(w->commit_atomic(real));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  EXPECT_EQ(out.transactions[0].tx_id, real.id());
  EXPECT_EQ(out.result.transactions_recovered, 1U);
  EXPECT_EQ(out.result.empty_transactions, 1U);
}

// test_many_small_transactions
TEST_F(CrossPrimitiveAtomicity, ThousandSinglePutTransactions) {
  auto w = open_writer(DurabilityMode::none());
  for (int i = 0; i < 1000; ++i) {
    Transaction tx = Transaction::create();
    tx.kv_put("k" + std::to_string(i), "v");
    must(w->commit_atomic(tx));
  }
  ASSERT_TRUE(w->sync().ok());
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1000U);
  EXPECT_EQ(out.result.entries_replayed, 2000U);
  for (const auto& tx : out.transactions) EXPECT_EQ(tx.entries.size(), 1U);
}

// test_all_operations
TEST_F(CrossPrimitiveAtomicity, AllFifteenOperationsComeBackInOrder) {
  auto w = open_writer();
  Transaction tx = Transaction::for_run(RunId::new_v7());
  tx.kv_put("k", "v")
      .kv_delete("k")
      .json_create("d", "{}")
      .json_set("d", "{\"a\":1}")
      .json_delete("d/a")
      .json_destroy("d")
      .json_patch("d", "[]")
      .event_append("e")
      .state_init("s", "0")
      .state_set("s", "1")
      .state_transition("s", "1", "2")
      .run_create("rc")
      .run_update("ru")
      .run_begin("rb")
      .run_end("re");
  must(w->commit_atomic(tx));
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  std::vector<WalEntryType> want;
  for (const TxEntry& op : tx.entries()) want.push_back(op.entry_type());
  EXPECT_EQ(types_of(out.transactions[0]), want);
  auto ops = must(entries_to_tx_entries(out.transactions[0].entries));
  EXPECT_EQ(ops, tx.entries());
}

}  // namespace
}  // namespace strata::durability::txlog
