// Replay of the MVCC WAL into MvccStore. Ports the original's System 1
// integration tests (replay_test.rs, incomplete_txn_test.rs, the
// non-concurrent adversarial_tests.rs and recovery_invariants.rs R1-R6),
// each named for what it pins, plus tests of the replay options.

#include <gtest/gtest.h>

#include "support/mvcc_wal_fixture.h"

namespace strata::durability::mvcc {
namespace {

using testing::test_run;

class MvccReplay : public testing::MvccWalFixture {};

// ------------------------------------------------------------ replay_test.rs

TEST_F(MvccReplay, SingleCommittedTransactionApplies) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.writes_applied, 1u);
  EXPECT_EQ(get(store, "a"), Value::integer(1));
}

TEST_F(MvccReplay, SingleIncompleteTransactionDoesNotApply) {
  auto wal = open_wal();
  append_all(wal.get(), {begin(1), write("a", Value::integer(1), 1)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 0u);
  EXPECT_EQ(s.incomplete_txns, 1u);
  EXPECT_FALSE(get(store, "a").has_value());
}

TEST_F(MvccReplay, MultipleCommittedTransactionsAllApply) {
  auto wal = open_wal();
  for (uint64_t i = 1; i <= 3; ++i) {
    append_all(wal.get(),
               txn(i, {write("k" + std::to_string(i), Value::integer(i), i)}));
  }
  MvccStore store;
  EXPECT_EQ(replay_into(&store).txns_applied, 3u);
  EXPECT_EQ(store.live_key_count(), 3u);
}

TEST_F(MvccReplay, MixedCommittedAndIncompleteAppliesOnlyCommitted) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), {begin(2), write("b", Value::integer(2), 2)});
  append_all(wal.get(), txn(3, {write("c", Value::integer(3), 3)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 2u);
  EXPECT_EQ(s.incomplete_txns, 1u);
  EXPECT_TRUE(get(store, "a") && get(store, "c"));
  EXPECT_FALSE(get(store, "b").has_value());
}

TEST_F(MvccReplay, ExactVersionsArePreserved) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1000),
                                write("b", Value::integer(2), 2000),
                                write("c", Value::integer(3), 3000)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(store.get(key("a"))->version, 1000u);
  EXPECT_EQ(store.get(key("b"))->version, 2000u);
  EXPECT_EQ(store.get(key("c"))->version, 3000u);
  EXPECT_EQ(s.final_version, 3000u);
}

TEST_F(MvccReplay, VersionOrderingPreservedAcrossTransactions) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 10)}));
  append_all(wal.get(), txn(2, {write("a", Value::integer(2), 20)}));
  append_all(wal.get(), txn(3, {write("a", Value::integer(3), 30)}));
  MvccStore store;
  replay_into(&store);
  EXPECT_EQ(store.get(key("a"))->version, 30u);
  EXPECT_EQ(store.get_at(key("a"), 25)->value, Value::integer(2));
  EXPECT_EQ(store.history(key("a")).size(), 3u);
}

TEST_F(MvccReplay, WriteThenDeleteSameKeyLeavesItDeleted) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), txn(2, {del("a", 2)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.deletes_applied, 1u);
  EXPECT_FALSE(get(store, "a").has_value());
}

TEST_F(MvccReplay, DeleteOfNonexistentKeyAppliesAsTombstone) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {del("ghost", 5)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.deletes_applied, 1u);
  EXPECT_FALSE(get(store, "ghost").has_value());
  EXPECT_TRUE(store.latest(key("ghost"))->tombstone);
}

TEST_F(MvccReplay, MultipleWritesSameKeyLastWins) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1),
                                write("a", Value::integer(2), 2),
                                write("a", Value::integer(3), 3)}));
  MvccStore store;
  replay_into(&store);
  EXPECT_EQ(get(store, "a"), Value::integer(3));
}

TEST_F(MvccReplay, EmptyCommittedTransactionCountsAsApplied) {
  // adversarial test_empty_transaction_counted_correctly too.
  auto wal = open_wal();
  append_all(wal.get(), {begin(1), commit(1)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.writes_applied, 0u);
  EXPECT_EQ(store.key_count(), 0u);
}

TEST_F(MvccReplay, DifferentValueTypesRoundTrip) {
  auto wal = open_wal();
  append_all(wal.get(),
             txn(1, {write("s", Value::string("hello"), 1),
                     write("i", Value::integer(-42), 2),
                     write("b", Value::boolean(true), 3),
                     write("y", Value::bytes(std::string("\0\1", 2)), 4)}));
  MvccStore store;
  replay_into(&store);
  EXPECT_EQ(get(store, "s"), Value::string("hello"));
  EXPECT_EQ(get(store, "i"), Value::integer(-42));
  EXPECT_EQ(get(store, "b"), Value::boolean(true));
  EXPECT_EQ(get(store, "y"), Value::bytes(std::string("\0\1", 2)));
}

TEST_F(MvccReplay, ReplayIsDeterministic) {
  auto wal = open_wal();
  for (uint64_t i = 1; i <= 10; ++i) {
    append_all(
        wal.get(),
        txn(i, {write("k" + std::to_string(i % 3), Value::integer(i), i)}));
  }
  MvccStore a, b;
  replay_into(&a);
  replay_into(&b);
  EXPECT_EQ(a.dump(), b.dump());
}

TEST_F(MvccReplay, TwentySequentialTransactions) {
  auto wal = open_wal();
  for (uint64_t i = 1; i <= 20; ++i) {
    append_all(wal.get(),
               txn(i, {write("k" + std::to_string(i), Value::integer(i), i)}));
  }
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 20u);
  EXPECT_EQ(s.max_txn_id, 20u);
  EXPECT_EQ(store.live_key_count(), 20u);
}

TEST_F(MvccReplay, ManySequentialTransactionsSameRunSameKey) {
  auto wal = open_wal(DurabilityMode::none());
  for (uint64_t i = 1; i <= 500; ++i) {
    ASSERT_TRUE(
        wal->append_transaction(txn(i, {write("k", Value::integer(i), i)}))
            .ok());
  }
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 500u);
  EXPECT_EQ(get(store, "k"), Value::integer(500));
}

TEST_F(MvccReplay, TwoSessionsOfTenTransactionsAllApply) {
  // The original's regression test: entries appended after a reopen must be
  // reachable.
  for (int session = 0; session < 2; ++session) {
    auto wal = open_wal();
    for (uint64_t i = 1; i <= 10; ++i) {
      uint64_t id = session * 10 + i;
      append_all(
          wal.get(),
          txn(id, {write("k" + std::to_string(id), Value::integer(id), id)}));
    }
  }
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 20u);
  EXPECT_EQ(store.live_key_count(), 20u);
}

// ------------------------------------------------------ incomplete_txn_test.rs

TEST_F(MvccReplay, IncompleteTransactionIsDiscarded) {
  auto wal = open_wal();
  append_all(wal.get(), {begin(1), write("a", Value::integer(1), 1),
                         write("b", Value::integer(2), 2)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.incomplete_txns, 1u);
  EXPECT_EQ(store.key_count(), 0u);
}

TEST_F(MvccReplay, OrphanedEntriesAreCountedAndDiscarded) {
  auto wal = open_wal();
  append_all(wal.get(), {write("a", Value::integer(1), 1), del("b", 2)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.orphaned_entries, 2u);
  EXPECT_EQ(s.txns_applied, 0u);
  EXPECT_EQ(store.key_count(), 0u);
}

TEST_F(MvccReplay, MultipleIncompleteTransactionsCounted) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), {begin(2), write("b", Value::integer(2), 2)});
  append_all(wal.get(), {begin(3, test_run(2)),
                         write("c", Value::integer(3), 3, test_run(2))});
  append_all(wal.get(), {begin(4), write("d", Value::integer(4), 4), abort(4)});
  append_all(wal.get(), txn(5, {write("e", Value::integer(5), 5)}));
  append_all(wal.get(), {begin(6, test_run(3))});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 2u);
  EXPECT_EQ(s.incomplete_txns, 3u);
  EXPECT_EQ(s.aborted_txns, 1u);
  // Txn 5 began after txn 2 on the same run and was committed: the write
  // "b" belongs to txn 2 (still open when it was written) and stays out.
  EXPECT_TRUE(get(store, "a") && get(store, "e"));
  EXPECT_FALSE(get(store, "b") || get(store, "d"));
}

TEST_F(MvccReplay, OrphanedEntriesBesideValidTransactions) {
  auto wal = open_wal();
  append_all(wal.get(), {write("orphan1", Value::integer(0), 1)});
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 2)}));
  append_all(wal.get(), {del("orphan2", 3)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.orphaned_entries, 2u);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(store.key_count(), 1u);
}

TEST_F(MvccReplay, InterleavedTransactionsOfDifferentRunsGroupByRun) {
  const RunId r2 = test_run(2);
  auto wal = open_wal();
  append_all(wal.get(),
             {begin(1), begin(1, r2), write("a", Value::integer(1), 1),
              write("b", Value::integer(2), 2, r2), commit(1),
              write("c", Value::integer(3), 3, r2), abort(1, r2)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.aborted_txns, 1u);
  EXPECT_EQ(get(store, "a"), Value::integer(1));
  EXPECT_FALSE(get(store, "b", r2) || get(store, "c", r2));
}

// Replay decodes into entries it reuses and applies a batch that is one
// transaction straight from the batch; other batches go entry by entry.
// Mixed shapes, with values whose lengths change from one entry to the
// next, must hand every transaction exactly its own entries.
TEST_F(MvccReplay, ReusedEntriesNeverLeakBetweenTransactionsOfAnyShape) {
  struct Recorder : ReplayHandler {
    std::vector<std::pair<uint64_t, std::vector<Write>>> txns;
    std::vector<Write> current;
    Status on_transaction_begin(const TxnInfo&) override {
      current.clear();
      return Status::ok_status();
    }
    Status on_transaction_commit(const TxnInfo& info) override {
      EXPECT_EQ(info.entry_count, current.size());
      txns.emplace_back(info.txn_id, current);
      return Status::ok_status();
    }
    Result<ApplyOutcome> on_write(const Write& w) override {
      current.push_back(w);
      return ApplyOutcome::kApplied;
    }
    Result<ApplyOutcome> on_delete(const Delete&) override {
      return ApplyOutcome::kApplied;
    }
  };
  const RunId r2 = test_run(2);
  auto wal = open_wal();
  std::vector<std::pair<uint64_t, std::vector<WALEntry>>> expected;
  uint64_t version = 0;
  auto value_for = [](int i, int j) {
    return Value::string(
        std::string(static_cast<std::size_t>((i * 37 + j * 11) % 200),
                    static_cast<char>('a' + (i + j) % 26)));
  };
  for (int i = 0; i < 60; ++i) {
    const uint64_t id = static_cast<uint64_t>(i) + 1;
    std::vector<WALEntry> body;
    for (int j = 0; j < i % 5; ++j) {
      body.push_back(write("k" + std::to_string(i) + "-" + std::to_string(j),
                           value_for(i, j), ++version));
    }
    if (i % 3 == 0) {
      // One batch: the direct path.
      ASSERT_TRUE(wal->append_transaction(txn(id, body)).ok());
    } else if (i % 3 == 1) {
      // One entry per batch: the open-transaction table.
      append_all(wal.get(), txn(id, body));
    } else {
      // Interleaved with another run's transaction, which commits after.
      const uint64_t other = 1000 + id;
      append_all(wal.get(), {begin(other, r2)});
      WALEntry w2 =
          write("r2-" + std::to_string(i), value_for(i, 7), ++version, r2);
      append_all(wal.get(), {w2});
      ASSERT_TRUE(wal->append_transaction(txn(id, body)).ok());
      append_all(wal.get(), {commit(other, r2)});
      expected.emplace_back(id, body);
      expected.emplace_back(other, std::vector<WALEntry>{w2});
      continue;
    }
    expected.emplace_back(id, body);
  }
  Recorder rec;
  auto stats = replay(&rec);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  ASSERT_EQ(rec.txns.size(), expected.size());
  for (std::size_t t = 0; t < expected.size(); ++t) {
    EXPECT_EQ(rec.txns[t].first, expected[t].first) << "transaction " << t;
    ASSERT_EQ(rec.txns[t].second.size(), expected[t].second.size())
        << "transaction " << t;
    for (std::size_t k = 0; k < expected[t].second.size(); ++k) {
      EXPECT_EQ(rec.txns[t].second[k], *expected[t].second[k].get_if<Write>())
          << "transaction " << t << " entry " << k;
    }
  }
}

TEST_F(MvccReplay, EmptyIncompleteTransactionCounted) {
  auto wal = open_wal();
  append_all(wal.get(), {begin(1)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.incomplete_txns, 1u);
  EXPECT_EQ(s.max_txn_id, 1u);
}

TEST_F(MvccReplay, CrashDuringLargeTransactionDiscardsAllOfIt) {
  // Also adversarial test_large_incomplete_transaction_fully_discarded.
  auto wal = open_wal(DurabilityMode::none());
  append_all(wal.get(), txn(1, {write("before", Value::integer(1), 1)}));
  ASSERT_TRUE(wal->append(begin(2)).ok());
  for (uint64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(
        wal->append(write("big" + std::to_string(i), Value::integer(i), 10 + i))
            .ok());
  }
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.incomplete_txns, 1u);
  EXPECT_EQ(store.key_count(), 1u);
  // final_version counts uncommitted entries too, so numbering continues.
  EXPECT_EQ(s.final_version, 1009u);
}

// ------------------------------------------------------- adversarial_tests.rs

TEST_F(MvccReplay, AbortedTransactionWritesAreDiscarded) {
  auto wal = open_wal();
  append_all(wal.get(), {begin(1), write("a", Value::integer(1), 1), abort(1)});
  append_all(wal.get(), txn(2, {write("b", Value::integer(2), 2)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.aborted_txns, 1u);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_FALSE(get(store, "a").has_value());
}

TEST_F(MvccReplay, OrphanedCommitIsNotCountedAsApplied) {
  auto wal = open_wal();
  append_all(wal.get(), {commit(9), abort(8)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 0u);
  EXPECT_EQ(s.aborted_txns, 0u);
  EXPECT_EQ(s.orphaned_markers, 2u);
  EXPECT_EQ(s.max_txn_id, 9u);
}

TEST_F(MvccReplay, JsonSetAndDeleteOnMissingDocumentAreSkipped) {
  auto wal = open_wal();
  append_all(wal.get(),
             txn(1, {JsonSet{run_, "nodoc", *JsonPath::parse("a"),
                             Value::integer(1), 1},
                     JsonDelete{run_, "nodoc", *JsonPath::parse("a"), 2}}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.json_sets_applied, 0u);
  EXPECT_EQ(s.json_deletes_applied, 0u);
  EXPECT_EQ(s.entries_skipped, 2u);
  EXPECT_EQ(store.counters().json_missing_document, 2u);
  EXPECT_EQ(store.json_document_count(), 0u);
}

TEST_F(MvccReplay, JsonCreateThenSetAppliesInLogOrder) {
  auto wal = open_wal();
  append_all(
      wal.get(),
      txn(1, {JsonCreate{run_, "d", Value::object({{"a", Value::integer(1)}}),
                         1, 5}}));
  append_all(
      wal.get(),
      txn(2,
          {JsonSet{run_, "d", *JsonPath::parse("a"), Value::integer(2), 2},
           JsonSet{run_, "d", *JsonPath::parse("b"), Value::integer(3), 3}}));
  append_all(wal.get(), txn(3, {JsonDestroy{run_, "gone"}}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.json_creates_applied, 1u);
  EXPECT_EQ(s.json_sets_applied, 2u);
  EXPECT_EQ(s.json_destroys_applied, 1u);
  EXPECT_EQ(
      store.json_get(run_, "d", {}),
      Value::object({{"a", Value::integer(2)}, {"b", Value::integer(3)}}));
}

TEST_F(MvccReplay, VectorEntriesApplyInsideTransactions) {
  auto wal = open_wal();
  append_all(
      wal.get(),
      txn(1, {VectorCollectionCreate{run_, "c", 2, DistanceMetric::kCosine, 1},
              VectorUpsert{
                  run_, "c", "v1", 1, {1, 0}, std::nullopt, 2, std::nullopt},
              VectorUpsert{run_,
                           "c",
                           "bad",
                           2,
                           {1, 0, 0},
                           std::nullopt,
                           3,
                           std::nullopt}}));
  append_all(wal.get(), txn(2, {VectorDelete{run_, "c", "v1", 1, 4},
                                VectorCollectionDelete{run_, "c", 5}}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.vector_collection_creates_applied, 1u);
  EXPECT_EQ(s.vector_upserts_applied, 1u);
  EXPECT_EQ(s.vector_deletes_applied, 1u);
  EXPECT_EQ(s.vector_collection_deletes_applied, 1u);
  EXPECT_EQ(s.entries_skipped, 1u);  // dimension 3 into a 2-d collection
  EXPECT_EQ(store.counters().vector_dimension_mismatch, 1u);
}

TEST_F(MvccReplay, FinalVersionIsTheMaximumDespiteGaps) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 5)}));
  append_all(wal.get(), txn(2, {write("b", Value::integer(1), 500)}));
  append_all(wal.get(), txn(3, {write("c", Value::integer(1), 50)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.final_version, 500u);
  EXPECT_EQ(store.max_version(), 500u);
}

TEST_F(MvccReplay, MaxTxnIdTrackedOverAllEntriesIncludingUncommitted) {
  auto wal = open_wal();
  append_all(wal.get(), txn(5, {}));
  append_all(wal.get(), {begin(42)});
  append_all(wal.get(), txn(7, {}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.max_txn_id, 42u);
}

TEST_F(MvccReplay, SameTxnIdOnDifferentRunsIsIsolated) {
  const RunId r2 = test_run(2);
  auto wal = open_wal();
  append_all(wal.get(),
             {begin(1), begin(1, r2), write("a", Value::integer(1), 1),
              write("a", Value::integer(2), 2, r2), commit(1, r2), commit(1)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 2u);
  EXPECT_EQ(get(store, "a"), Value::integer(1));
  EXPECT_EQ(get(store, "a", r2), Value::integer(2));
}

TEST_F(MvccReplay, TxnIdReusedAfterRestartStillWorks) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), txn(1, {write("b", Value::integer(2), 2)}));
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 2u);
  EXPECT_TRUE(get(store, "a") && get(store, "b"));
}

TEST_F(MvccReplay, CheckpointDoesNotAffectTransactions) {
  auto wal = open_wal();
  append_all(wal.get(), {begin(1), write("a", Value::integer(1), 1)});
  ASSERT_TRUE(wal->checkpoint(test_run(50), 1, {run_}).ok());
  append_all(wal.get(), {write("b", Value::integer(2), 2), commit(1)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.checkpoints, 1u);
  EXPECT_EQ(store.live_key_count(), 2u);
}

TEST_F(MvccReplay, DeleteVersionIsPreserved) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 10)}));
  append_all(wal.get(), txn(2, {del("a", 77)}));
  MvccStore store;
  replay_into(&store);
  ASSERT_TRUE(store.latest(key("a")).has_value());
  EXPECT_TRUE(store.latest(key("a"))->tombstone);
  EXPECT_EQ(store.latest(key("a"))->version, 77u);
}

TEST_F(MvccReplay, BatchedModeBatchSizeTriggerAndRecovery) {
  {
    auto wal = open_wal(DurabilityMode::batched(10000, 5));
    for (uint64_t i = 1; i <= 12; ++i) {
      ASSERT_TRUE(wal->append_transaction(txn(i, {write("k" + std::to_string(i),
                                                        Value::integer(i), i)}))
                      .ok());
    }
    // Nothing is lost on a clean close; a process crash loses nothing
    // either (appends are in the OS when they return).
  }
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(s.txns_applied, 12u);
}

// -------------------------------------------------------
// recovery_invariants.rs

// R1: replay is deterministic, and the last committed write wins.
TEST_F(MvccReplay, R1DeterministicLastWriteWins) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("x", Value::integer(1), 1)}));
  append_all(wal.get(), txn(2, {write("x", Value::integer(2), 2)}));
  append_all(wal.get(), txn(3, {write("x", Value::integer(3), 3)}));
  MvccStore a, b;
  replay_into(&a);
  replay_into(&b);
  EXPECT_EQ(a.dump(), b.dump());
  EXPECT_EQ(get(a, "x"), Value::integer(3));
}

// R2: replaying twice into the same store changes nothing the second time,
// also after a partial (incomplete) transaction.
TEST_F(MvccReplay, R2IdempotentIncludingAfterPartial) {
  auto wal = open_wal();
  append_all(wal.get(),
             txn(1, {write("a", Value::integer(1), 1), del("b", 2)}));
  append_all(wal.get(), {begin(2), write("c", Value::integer(3), 3)});
  MvccStore store;
  replay_into(&store);
  std::string once = store.dump();
  replay_into(&store);
  EXPECT_EQ(store.dump(), once);
}

// R3: recovery is prefix consistent and a multi-entry transaction applies
// all or nothing at every cut of the log.
TEST_F(MvccReplay, R3PrefixConsistentAndMultiOperationAtomic) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1),
                                write("b", Value::integer(1), 2)}));
  append_all(wal.get(), txn(2, {write("a", Value::integer(2), 3),
                                write("b", Value::integer(2), 4)}));
  auto d = wal->read_entries_detailed();
  ASSERT_TRUE(d.ok());
  for (const auto& e : d->entries) {
    MvccStore store;
    ReplayOptions o;
    o.stop_at_lsn = e.lsn;
    replay_into(&store, o);
    // Both keys always come from the same transaction.
    EXPECT_EQ(get(store, "a"), get(store, "b")) << "cut at LSN " << e.lsn;
  }
}

// R4: recovery never invents data and never shows uncommitted data.
TEST_F(MvccReplay, R4NeverInventsOrExposesUncommitted) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), {begin(2), write("u", Value::integer(9), 2)});
  MvccStore store;
  replay_into(&store);
  auto all = store.scan();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].first, key("a"));
  EXPECT_FALSE(get(store, "u").has_value());
}

// R5: recovery never drops committed writes or deletes.
TEST_F(MvccReplay, R5NeverDropsCommittedWritesOrDeletes) {
  auto wal = open_wal();
  for (uint64_t i = 1; i <= 50; ++i) {
    append_all(wal.get(),
               txn(i, {write("k" + std::to_string(i), Value::integer(i), i)}));
  }
  append_all(wal.get(), txn(51, {del("k7", 51)}));
  MvccStore store;
  replay_into(&store);
  EXPECT_EQ(store.live_key_count(), 49u);
  EXPECT_FALSE(get(store, "k7").has_value());
  EXPECT_EQ(store.latest(key("k7"))->version, 51u);
}

// R6: uncommitted and aborted transactions are dropped.
TEST_F(MvccReplay, R6DropsUncommittedAndAborted) {
  auto wal = open_wal();
  append_all(wal.get(),
             {begin(1), write("ab", Value::integer(1), 1), abort(1)});
  append_all(wal.get(), {begin(2), write("open", Value::integer(1), 2)});
  MvccStore store;
  ReplayStats s = replay_into(&store);
  EXPECT_EQ(store.key_count(), 0u);
  EXPECT_EQ(s.aborted_txns, 1u);
  EXPECT_EQ(s.incomplete_txns, 1u);
}

TEST_F(MvccReplay, AllRecoveryInvariantsCombined) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), {begin(2), write("x", Value::integer(0), 2), abort(2)});
  append_all(wal.get(),
             txn(3, {write("a", Value::integer(3), 3), del("b", 4)}));
  append_all(wal.get(), {write("orphan", Value::integer(0), 5)});
  append_all(wal.get(), {begin(4), write("y", Value::integer(0), 6)});
  MvccStore s1, s2;
  ReplayStats st = replay_into(&s1);
  replay_into(&s2);
  replay_into(&s2);
  EXPECT_EQ(s1.dump(), s2.dump());              // R1, R2
  EXPECT_EQ(get(s1, "a"), Value::integer(3));   // R5
  EXPECT_TRUE(s1.latest(key("b"))->tombstone);  // R5 deletes
  EXPECT_FALSE(get(s1, "x") || get(s1, "y") || get(s1, "orphan"));  // R4, R6
  EXPECT_EQ(st.txns_applied, 2u);
  EXPECT_EQ(st.aborted_txns, 1u);
  EXPECT_EQ(st.incomplete_txns, 1u);
  EXPECT_EQ(st.orphaned_entries, 1u);
}

// ------------------------------------------------------------ options

TEST_F(MvccReplay, FilterRunIdAppliesOnlyThatRun) {
  const RunId r2 = test_run(2);
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), txn(2, {write("b", Value::integer(2), 2, r2)}, r2));
  MvccStore store;
  ReplayOptions o;
  o.filter_run_id = r2;
  ReplayStats s = replay_into(&store, o);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.txns_filtered, 1u);
  EXPECT_FALSE(get(store, "a").has_value());
  EXPECT_EQ(get(store, "b", r2), Value::integer(2));
}

TEST_F(MvccReplay, StopAtVersionIsAFilterNotACutOff) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 10)}));
  append_all(wal.get(), txn(2, {write("a", Value::integer(2), 30),
                                write("b", Value::integer(2), 15)}));
  append_all(wal.get(), txn(3, {write("c", Value::integer(3), 20)}));
  append_all(wal.get(), txn(4, {}));  // no versions: always passes
  MvccStore store;
  ReplayOptions o;
  o.stop_at_version = 20;
  ReplayStats s = replay_into(&store, o);
  EXPECT_EQ(s.txns_applied, 3u);
  EXPECT_EQ(s.txns_filtered, 1u);
  EXPECT_EQ(get(store, "a"), Value::integer(1));
  EXPECT_FALSE(get(store, "b").has_value());  // all or nothing
  EXPECT_EQ(get(store, "c"), Value::integer(3));
  EXPECT_EQ(s.final_version, 30u);  // of everything read
}

TEST_F(MvccReplay, StopAtLsnKeepsTransactionsCommittedAtOrBeforeIt) {
  auto wal = open_wal();
  auto t1 = wal->append_transaction(txn(1, {write("a", Value::integer(1), 1)}));
  auto t2 = wal->append_transaction(txn(2, {write("b", Value::integer(2), 2)}));
  ASSERT_TRUE(t1.ok() && t2.ok());
  MvccStore store;
  ReplayOptions o;
  o.stop_at_lsn = t1->commit_lsn;
  ReplayStats s = replay_into(&store, o);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.incomplete_txns, 0u);
  EXPECT_TRUE(get(store, "a") && !get(store, "b"));
  // One short of txn 2's commit: txn 2 is open at the cut.
  MvccStore store2;
  o.stop_at_lsn = t2->commit_lsn - 1;
  s = replay_into(&store2, o);
  EXPECT_EQ(s.txns_applied, 1u);
  EXPECT_EQ(s.incomplete_txns, 1u);
}

TEST_F(MvccReplay, ProgressReportsEveryTransactionOutcome) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 5)}));
  append_all(wal.get(), {begin(2), abort(2)});
  append_all(wal.get(),
             txn(3, {write("b", Value::integer(1), 9)}, test_run(2)));
  append_all(wal.get(), {begin(4)});
  std::vector<ReplayProgress> seen;
  ReplayOptions o;
  o.filter_run_id = run_;
  o.progress = [&](const ReplayProgress& p) { seen.push_back(p); };
  MvccStore store;
  replay_into(&store, o);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].outcome, TxnOutcome::kApplied);
  EXPECT_TRUE(seen[0].was_applied);
  EXPECT_EQ(seen[0].current_version, 5u);
  EXPECT_EQ(seen[1].outcome, TxnOutcome::kAborted);
  EXPECT_EQ(seen[2].outcome, TxnOutcome::kFiltered);
  EXPECT_EQ(seen[2].txn_id, 3u);
  EXPECT_EQ(seen[3].outcome, TxnOutcome::kIncomplete);
  EXPECT_EQ(seen[3].txns_found, 4u);
  EXPECT_EQ(seen[3].txns_applied, 1u);
  EXPECT_GT(seen[3].bytes_read, 0u);
  EXPECT_EQ(txn_outcome_name(TxnOutcome::kFiltered), "filtered");
}

// A handler that fails stops replay with its error.
class FailingStore : public MvccStore {
 public:
  Result<ApplyOutcome> on_delete(const Delete&) override {
    return Status::io_error("store full");
  }
};

TEST_F(MvccReplay, HandlerErrorStopsReplay) {
  auto wal = open_wal();
  append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
  append_all(wal.get(), txn(2, {del("a", 2)}));
  FailingStore store;
  auto r = replay(&store);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is_io_error());
  EXPECT_NE(r.status().message().find("txn 2"), std::string::npos)
      << r.status().to_string();
  EXPECT_FALSE(replay(nullptr).ok());
}

TEST_F(MvccReplay, MissingDirectoryIsNotFound) {
  MvccStore store;
  ReplayOptions o;
  o.env = env_.get();
  auto r = replay_wal("/db/nowhere", &store, o);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is_not_found()) << r.status().to_string();
}

}  // namespace
}  // namespace strata::durability::mvcc
