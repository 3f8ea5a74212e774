// Transaction Log writing, reading and recovery: writer checks and LSNs,
// commit info, run filter, point-in-time stops, progress calls, counts,
// entries a reader cannot decode (per recovery mode), size limits, and
// truncation at a snapshot marker.

#include <gtest/gtest.h>

#include <stdlib.h>

#include <string>
#include <vector>

#include "strata/durability/log/log_writer.h"
#include "strata/durability/txlog/transaction.h"
#include "support/txlog_test_util.h"

namespace strata::durability::txlog {
namespace {

using testutil::must;

class TxlogRecovery : public testutil::TxlogTest {
 protected:
  // Commits a one-put transaction and returns it.
  Transaction put(WalWriter& w, const std::string& key,
                  std::optional<RunId> run = std::nullopt,
                  std::optional<uint64_t> version = std::nullopt) {
    Transaction tx = run ? Transaction::for_run(*run) : Transaction::create();
    tx.kv_put(key, "v");
    must(w.commit_atomic(tx, version));
    return tx;
  }

  // Appends a raw record (any bytes) to the log through the core, to plant
  // entries our WalWriter would refuse to write.
  void append_raw_record(const std::string& bytes) {
    log::LogWriterOptions o;
    o.env = &env_;
    o.kind = log::LogKind::kTxLog;
    o.mode = DurabilityMode::strict();
    auto lw = log::LogWriter::open(dir_, o);
    ASSERT_TRUE(lw.ok()) << lw.status().to_string();
    ASSERT_TRUE((*lw)->append(bytes).ok());
    ASSERT_TRUE((*lw)->close().ok());
  }

  // An entry of an unknown type (0x17, KV range) in transaction `tx`.
  static std::string unknown_type_entry(const TxId& tx) {
    std::string rec =
        *encode_wal_entry(WalEntry::make(WalEntryType::kKvPut, tx, "future"));
    rec[1] = 0x17;
    return rec;
  }
};

// ---------------------------------------------------------------- writer

TEST_F(TxlogRecovery, WritesReturnIncreasingLsnsAndPositionFollows) {
  auto w = open_writer();
  TxId tx = w->begin_transaction();
  log::Lsn p0 = w->position();
  log::Lsn a =
      must(w->write_tx_entry(tx, std::nullopt, WalEntryType::kKvPut, "a"));
  EXPECT_EQ(a, p0);
  log::Lsn b = must(w->write_tx_entry_for_run(tx, RunId::new_v7(),
                                              WalEntryType::kEventAppend, "b"));
  log::Lsn c = must(w->commit_transaction(tx));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_GT(w->position(), c);
  EXPECT_TRUE(w->flush().ok());
  EXPECT_TRUE(w->sync().ok());
}

TEST_F(TxlogRecovery, WriterRefusesNilTxControlTypesAndBigPayloads) {
  WalWriterOptions o = writer_options();
  o.max_payload_size = 100;
  auto w = open_writer_with(o);
  log::Lsn before = w->position();
  EXPECT_TRUE(
      w->write_tx_entry(TxId::nil(), std::nullopt, WalEntryType::kKvPut, "x")
          .status()
          .is_invalid_argument());
  EXPECT_TRUE(w->write_tx_entry(w->begin_transaction(), std::nullopt,
                                WalEntryType::kTransactionCommit, "")
                  .status()
                  .is_invalid_argument());
  auto big =
      w->write_tx_entry(w->begin_transaction(), std::nullopt,
                        WalEntryType::kEventAppend, std::string(101, 'x'));
  EXPECT_TRUE(big.status().is_invalid_argument());
  EXPECT_NE(big.status().message().find("exceeds the limit of 100"),
            std::string::npos);
  // A transaction with one oversized entry writes nothing at all.
  Transaction tx = Transaction::create();
  tx.kv_put("small", "v").event_append(std::string(200, 'y'));
  EXPECT_TRUE(w->commit_atomic(tx).status().is_invalid_argument());
  EXPECT_TRUE(
      w->commit_transaction(TxId::nil()).status().is_invalid_argument());
  EXPECT_EQ(w->position(), before);
  ReplayOutput out = replay();
  EXPECT_EQ(out.result.entries_replayed, 0U);

  WalWriterOptions too_big = writer_options();
  too_big.max_payload_size = kMaxPayloadSizeLimit + 1;
  EXPECT_TRUE(
      WalWriter::open("/other", too_big).status().is_invalid_argument());
}

TEST_F(TxlogRecovery, WriteTransactionIsOneCommittedUnit) {
  auto w = open_writer();
  RunId run = RunId::new_v7();
  std::vector<std::pair<WalEntryType, std::string>> entries = {
      {WalEntryType::kKvPut, TxEntry(KvPutOp{"k", "v"}).to_wal_payload()},
      {WalEntryType::kVectorUpsert, "vec"}};
  auto r = must(w->write_transaction(run, entries, 7));
  EXPECT_LT(r.first_lsn, r.commit_lsn);
  auto empty = must(w->write_transaction(run, {}));
  EXPECT_EQ(empty.commit_lsn, w->position());
  std::vector<std::pair<WalEntryType, std::string>> bad = {
      {WalEntryType::kTransactionAbort, ""}};
  EXPECT_TRUE(w->write_transaction(run, bad).status().is_invalid_argument());

  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 1U);
  EXPECT_EQ(out.transactions[0].tx_id, r.tx_id);
  EXPECT_EQ(out.transactions[0].run_id, run);
  EXPECT_EQ(out.transactions[0].first_lsn, r.first_lsn);
  EXPECT_EQ(out.transactions[0].commit_lsn, r.commit_lsn);
  EXPECT_EQ(out.transactions[0].commit.commit_version, 7U);
  EXPECT_EQ(out.transactions[0].entries[1].entry_type,
            WalEntryType::kVectorUpsert);
}

TEST_F(TxlogRecovery, CommitMarkersCarryTimeAndVersion) {
  env_.set_now_micros(1'000'000);
  auto w = open_writer();
  Transaction a = put(*w, "a", std::nullopt, 41);
  env_.set_now_micros(2'000'000);
  Transaction b = put(*w, "b");
  ReplayOutput out = replay();
  ASSERT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.transactions[0].commit.commit_time_micros, 1'000'000U);
  EXPECT_EQ(out.transactions[0].commit.commit_version, 41U);
  EXPECT_EQ(out.transactions[1].commit.commit_time_micros, 2'000'000U);
  EXPECT_FALSE(out.transactions[1].commit.commit_version.has_value());
}

TEST_F(TxlogRecovery, MarkersBelongToNoTransaction) {
  env_.set_now_micros(5'000);
  auto w = open_writer();
  RunId run = RunId::new_v7();
  log::Lsn begin = must(w->write_run_begin(run));
  put(*w, "a", run);
  Uuid snap = Uuid::new_v7();
  log::Lsn pos = w->position();
  log::Lsn marker = must(w->write_snapshot_marker(snap, pos));
  must(w->write_run_end(run, 1));

  auto reader = must(WalReader::open(dir_, WalReaderOptions{&env_}));
  auto all = must(reader->read_all());
  ASSERT_EQ(all.size(), 5U);
  EXPECT_EQ(all[0].lsn, begin);
  EXPECT_EQ(all[0].entry.entry_type, WalEntryType::kRunBegin);
  EXPECT_TRUE(all[0].entry.tx_id.is_nil());
  EXPECT_EQ(must(decode_run_begin_payload(all[0].entry.payload)),
            (RunBeginInfo{run, 5'000}));
  EXPECT_EQ(must(decode_run_end_payload(all[4].entry.payload)),
            (RunEndInfo{run, 5'000, 1}));

  ReplayOutput out = replay();
  EXPECT_EQ(out.result.transactions_recovered, 1U);
  EXPECT_EQ(out.result.non_transactional_entries, 3U);
  EXPECT_EQ(out.result.orphaned_transactions, 0U);  // not one orphan group
  ASSERT_TRUE(out.result.last_snapshot.has_value());
  EXPECT_EQ(out.result.last_snapshot->snapshot_id, snap);
  EXPECT_EQ(out.result.last_snapshot->wal_lsn, pos);
  EXPECT_EQ(out.result.last_snapshot_lsn, marker);
  EXPECT_FALSE(out.result.has_issues());
}

TEST_F(TxlogRecovery, ReopenedWriterAppendsAndBothSessionsAreRecovered) {
  {
    auto w = open_writer();
    for (int i = 0; i < 10; ++i) put(*w, "first-" + std::to_string(i));
    ASSERT_TRUE(w->close().ok());
  }
  {
    auto w = open_writer();
    for (int i = 0; i < 10; ++i) put(*w, "second-" + std::to_string(i));
  }
  ReplayOutput out = replay();
  EXPECT_EQ(out.transactions.size(), 20U);
}

TEST_F(TxlogRecovery, ReaderOpensAtAnLsnAndReadCommittedGroups) {
  auto w = open_writer();
  put(*w, "a");
  log::Lsn second = w->position();
  Transaction b = put(*w, "b");
  TxId aborted = w->begin_transaction();
  must(w->write_tx_entry(aborted, std::nullopt, WalEntryType::kKvPut, "x"));
  must(w->abort_transaction(aborted));
  Transaction c = put(*w, "c");

  auto reader = must(WalReader::open_at(dir_, second, WalReaderOptions{&env_}));
  WalEntry e;
  log::Lsn lsn = 0;
  ASSERT_TRUE(must(reader->next_entry(&e, &lsn)));
  EXPECT_EQ(lsn, second);
  EXPECT_EQ(e.tx_id, b.id());

  auto reader2 =
      must(WalReader::open_at(dir_, second, WalReaderOptions{&env_}));
  auto committed = must(reader2->read_committed());
  ASSERT_EQ(committed.size(), 2U);
  EXPECT_EQ(committed[0].tx_id, b.id());
  EXPECT_EQ(committed[1].tx_id, c.id());
  EXPECT_EQ(reader2->corruption_count(), 0U);
  EXPECT_TRUE(reader2->problems().empty());
}

TEST_F(TxlogRecovery, AReaderRefusesAnotherKindOfLog) {
  log::LogWriterOptions o;
  o.env = &env_;
  o.kind = log::LogKind::kMvcc;
  auto lw = log::LogWriter::open("/mvcc", o);
  ASSERT_TRUE(lw.ok()) << lw.status().to_string();
  ASSERT_TRUE((*lw)->append("not a txlog entry").ok());
  ASSERT_TRUE((*lw)->close().ok());
  RecoveryOptions ro = recovery_options();
  auto out = RecoveryEngine::replay_wal_committed("/mvcc", 0, ro);
  EXPECT_FALSE(out.ok());
  WalWriterOptions wo = writer_options();
  EXPECT_FALSE(WalWriter::open("/mvcc", wo).ok());
}

// ---------------------------------------------------------------- filters

TEST_F(TxlogRecovery, RunFilterKeepsOneRunAndCountsTheRest) {
  auto w = open_writer();
  RunId mine = RunId::new_v7();
  RunId other = RunId::new_v7();
  Transaction m1 = put(*w, "m1", mine);
  put(*w, "o1", other);
  put(*w, "none");  // no run id
  Transaction m2 = put(*w, "m2", mine);
  TxId aborted = w->begin_transaction();
  must(w->write_tx_entry(aborted, other, WalEntryType::kKvPut, "x"));
  must(w->abort_transaction(aborted));

  RecoveryOptions o;
  o.filter_run_id = mine;
  ReplayOutput out = replay(o);
  ASSERT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.transactions[0].tx_id, m1.id());
  EXPECT_EQ(out.transactions[1].tx_id, m2.id());
  EXPECT_EQ(out.result.filtered_transactions, 2U);
  EXPECT_EQ(out.result.filtered_entries, 3U);
  // Abort markers pass the filter: the aborted transaction is counted.
  EXPECT_EQ(out.result.aborted_transactions, 1U);
  EXPECT_EQ(out.result.orphaned_transactions, 0U);
}

TEST_F(TxlogRecovery, RunFilterDropsOtherRunsEntriesInsideATransaction) {
  auto w = open_writer();
  RunId mine = RunId::new_v7();
  TxId tx = w->begin_transaction();
  must(w->write_tx_entry(tx, mine, WalEntryType::kKvPut, "keep"));
  must(w->write_tx_entry(tx, RunId::new_v7(), WalEntryType::kKvPut, "drop"));
  must(w->commit_transaction(tx));
  RecoveryOptions o;
  o.filter_run_id = mine;
  ReplayOutput out = replay(o);
  ASSERT_EQ(out.transactions.size(), 1U);
  ASSERT_EQ(out.transactions[0].entries.size(), 1U);
  EXPECT_EQ(out.transactions[0].entries[0].payload, "keep");
  EXPECT_EQ(out.result.filtered_entries, 1U);
}

TEST_F(TxlogRecovery, CommitMarkersCountEntriesSoPartialGroupsAreCaught) {
  auto w = open_writer();
  TxId tx = w->begin_transaction();
  must(w->write_tx_entry(tx, std::nullopt, WalEntryType::kKvPut, "first"));
  log::Lsn middle = w->position();
  must(w->write_tx_entry(tx, std::nullopt, WalEntryType::kKvPut, "second"));
  must(w->commit_transaction(tx));
  Transaction later = put(*w, "later");

  // From the start: whole, and the marker says 2 entries.
  ReplayOutput all = replay();
  ASSERT_EQ(all.transactions.size(), 2U);
  EXPECT_EQ(all.transactions[0].commit.entry_count, 2U);
  EXPECT_EQ(all.transactions[1].commit.entry_count, 1U);
  EXPECT_EQ(all.result.incomplete_transactions, 0U);

  // From the middle of the transaction: its first entry is not read, so it
  // is reported incomplete instead of being returned partial.
  ReplayOutput part = replay(RecoveryOptions::default_options(), middle);
  ASSERT_EQ(part.transactions.size(), 1U);
  EXPECT_EQ(part.transactions[0].tx_id, later.id());
  EXPECT_EQ(part.result.incomplete_transactions, 1U);
  ASSERT_EQ(part.result.problems.size(), 1U);
  EXPECT_NE(part.result.problems[0].reason.find("incomplete"),
            std::string::npos);
  EXPECT_TRUE(part.result.has_issues());

  // Aborted entry-by-entry transactions leave no count behind: a later
  // commit of a fresh id with no entries says 0 and counts as empty.
  TxId ab = w->begin_transaction();
  must(w->write_tx_entry(ab, std::nullopt, WalEntryType::kKvPut, "x"));
  must(w->abort_transaction(ab));
  TxId empty = w->begin_transaction();
  must(w->commit_transaction(empty));
  ReplayOutput again = replay();
  EXPECT_EQ(again.result.empty_transactions, 1U);
  EXPECT_EQ(again.result.incomplete_transactions, 0U);
}

// ---------------------------------------------------------------- stops

TEST_F(TxlogRecovery, StopAtLsnReplaysTheLogAsItWasThen) {
  auto w = open_writer();
  put(*w, "a");
  put(*w, "b");
  log::Lsn then = w->position();
  put(*w, "c");
  RecoveryOptions o;
  o.stop_at_lsn = then;
  ReplayOutput out = replay(o);
  EXPECT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.result.stop_reason, StopReason::kStopLsn);
  EXPECT_EQ(out.result.entries_replayed, 4U);
  EXPECT_EQ(out.result.end_lsn, then);

  // An LSN inside a transaction: its commit is not replayed.
  o.stop_at_lsn = then + 1;
  out = replay(o);
  EXPECT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.result.orphaned_transactions, 1U);
}

TEST_F(TxlogRecovery, StopAfterTransactionIncludesIt) {
  auto w = open_writer();
  put(*w, "a");
  Transaction b = put(*w, "b");
  put(*w, "c");
  RecoveryOptions o;
  o.stop_after_tx = b.id();
  ReplayOutput out = replay(o);
  ASSERT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.transactions.back().tx_id, b.id());
  EXPECT_EQ(out.result.stop_reason, StopReason::kAfterTransaction);

  // An aborted transaction stops replay too, after its marker.
  TxId ab = w->begin_transaction();
  must(w->write_tx_entry(ab, std::nullopt, WalEntryType::kKvPut, "x"));
  must(w->abort_transaction(ab));
  put(*w, "d");
  o.stop_after_tx = ab;
  out = replay(o);
  EXPECT_EQ(out.transactions.size(), 3U);
  EXPECT_EQ(out.result.aborted_transactions, 1U);
  EXPECT_EQ(out.result.stop_reason, StopReason::kAfterTransaction);

  // An id that never appears: replay runs to the end.
  o.stop_after_tx = TxId::new_v7();
  out = replay(o);
  EXPECT_EQ(out.transactions.size(), 4U);
  EXPECT_EQ(out.result.stop_reason, StopReason::kEndOfLog);
}

TEST_F(TxlogRecovery, StopAtWallClockTime) {
  auto w = open_writer();
  env_.set_now_micros(100);
  put(*w, "a");
  env_.set_now_micros(200);
  put(*w, "b");
  env_.set_now_micros(300);
  put(*w, "c");
  RecoveryOptions o;
  o.stop_at_time_micros = 200;  // commits at or before 200 are kept
  ReplayOutput out = replay(o);
  EXPECT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.result.stop_reason, StopReason::kCommitTime);
  // The stopped transaction's entries were read but it never committed in
  // the replayed prefix.
  EXPECT_EQ(out.result.orphaned_transactions, 1U);
  o.stop_at_time_micros = 50;
  EXPECT_EQ(replay(o).transactions.size(), 0U);
}

TEST_F(TxlogRecovery, StopAtCommitVersion) {
  auto w = open_writer();
  put(*w, "v1", std::nullopt, 1);
  put(*w, "unversioned");
  put(*w, "v5", std::nullopt, 5);
  put(*w, "v3", std::nullopt, 3);
  RecoveryOptions o;
  o.stop_at_commit_version = 4;
  ReplayOutput out = replay(o);
  // A cut-off, not a filter: v3 after v5 is not replayed. Markers without a
  // version never stop replay.
  ASSERT_EQ(out.transactions.size(), 2U);
  EXPECT_EQ(out.result.stop_reason, StopReason::kCommitVersion);
  o.stop_at_commit_version = 5;
  EXPECT_EQ(replay(o).transactions.size(), 4U);
}

// ---------------------------------------------------------------- progress

TEST_F(TxlogRecovery, ProgressEveryNEntriesAndOnceAtTheEnd) {
  auto w = open_writer(DurabilityMode::none());
  for (int i = 0; i < 17; ++i) put(*w, "k" + std::to_string(i));
  ASSERT_TRUE(w->sync().ok());  // 34 entries
  std::vector<ReplayProgress> calls;
  RecoveryOptions o;
  o.progress_interval = 10;
  o.on_progress = [&](const ReplayProgress& p) { calls.push_back(p); };
  ReplayOutput out = replay(o);
  ASSERT_EQ(calls.size(), 4U);
  EXPECT_EQ(calls[0].entries, 10U);
  EXPECT_EQ(calls[1].entries, 20U);
  EXPECT_EQ(calls[2].entries, 30U);
  EXPECT_FALSE(calls[2].final);
  EXPECT_EQ(calls[3].entries, 34U);
  EXPECT_TRUE(calls[3].final);
  EXPECT_EQ(calls[3].bytes, out.result.bytes);
  EXPECT_GT(calls[3].bytes, 0U);
  EXPECT_LT(calls[0].lsn, calls[1].lsn);
  EXPECT_GE(calls[3].elapsed_micros, calls[0].elapsed_micros);

  // An empty log still gets its final call.
  calls.clear();
  auto w2 = WalWriter::open("/empty", writer_options());
  ASSERT_TRUE(w2.ok());
  o.env = &env_;
  auto empty = RecoveryEngine::replay_wal_committed("/empty", 0, o);
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_TRUE(calls[0].final);
  EXPECT_EQ(calls[0].entries, 0U);
}

TEST_F(TxlogRecovery, OnTransactionReceivesEachRecoveredTransactionInOrder) {
  auto w = open_writer(DurabilityMode::none());
  std::vector<TxId> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(put(*w, "k" + std::to_string(i)).id());
  ASSERT_TRUE(w->sync().ok());
  ReplayOutput collected = replay(RecoveryOptions());
  std::vector<CommittedTransaction> handed;
  RecoveryOptions o;
  o.on_transaction = [&](CommittedTransaction&& tx) {
    handed.push_back(std::move(tx));
    return Status::ok_status();
  };
  ReplayOutput out = replay(o);
  EXPECT_TRUE(out.transactions.empty());
  EXPECT_EQ(out.result.transactions_recovered, 5U);
  ASSERT_EQ(handed.size(), collected.transactions.size());
  for (std::size_t i = 0; i < handed.size(); ++i) {
    EXPECT_EQ(handed[i].tx_id, ids[i]);
    EXPECT_EQ(handed[i].tx_id, collected.transactions[i].tx_id);
    EXPECT_EQ(handed[i].commit_lsn, collected.transactions[i].commit_lsn);
    EXPECT_EQ(handed[i].entries, collected.transactions[i].entries);
  }
}

TEST_F(TxlogRecovery, OnTransactionErrorStopsReplayAndNamesTheTransaction) {
  auto w = open_writer(DurabilityMode::none());
  put(*w, "a");
  TxId second = put(*w, "b").id();
  put(*w, "c");
  ASSERT_TRUE(w->sync().ok());
  int calls = 0;
  RecoveryOptions o;
  o.env = &env_;
  o.on_transaction = [&](CommittedTransaction&&) {
    return ++calls == 2 ? Status::io_error("disk full") : Status::ok_status();
  };
  auto out = RecoveryEngine::replay_wal_committed(dir_, 0, o);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_NE(out.status().to_string().find("disk full"), std::string::npos);
  EXPECT_NE(out.status().to_string().find(second.to_string()),
            std::string::npos)
      << out.status().to_string();
}

// ------------------------------------------------ entries we can't decode

TEST_F(TxlogRecovery, UnknownEntryTypeHandlingFollowsTheRecoveryMode) {
  TxId tx = TxId::new_v7();
  {
    auto w = open_writer();
    must(w->write_tx_entry(tx, std::nullopt, WalEntryType::kKvPut, "a"));
    ASSERT_TRUE(w->close().ok());
  }
  // A newer writer's entry, then its commit marker counting both entries.
  append_raw_record(unknown_type_entry(tx));
  append_raw_record(*encode_wal_entry(
      WalEntry::commit_marker(tx, CommitInfo{1, std::nullopt, 2})));
  {
    auto w = open_writer();
    put(*w, "after");
  }

  // Default (tolerate a torn tail) and strict: fail, naming the entry.
  auto def = RecoveryEngine::replay_wal_committed(dir_, 0, recovery_options());
  ASSERT_FALSE(def.ok());
  EXPECT_TRUE(def.status().is_not_supported()) << def.status().to_string();
  EXPECT_NE(def.status().message().find("unknown entry type 0x17"),
            std::string::npos);
  auto strict = RecoveryEngine::replay_wal_committed(
      dir_, 0, recovery_options(RecoveryOptions::strict()));
  EXPECT_TRUE(strict.status().is_not_supported());

  // Permissive (skip): the entry is skipped and reported, the rest stays,
  // and the transaction says it lost an entry. Not counted as corruption.
  ReplayOutput skip = replay(RecoveryOptions::permissive());
  ASSERT_EQ(skip.transactions.size(), 2U);
  EXPECT_EQ(skip.transactions[0].tx_id, tx);
  EXPECT_EQ(skip.transactions[0].entries.size(), 1U);
  EXPECT_EQ(skip.transactions[0].skipped_entries, 1U);
  EXPECT_EQ(skip.result.skipped_entries, 1U);
  EXPECT_EQ(skip.result.corrupt_entries, 0U);
  ASSERT_EQ(skip.result.problems.size(), 1U);
  EXPECT_NE(skip.result.problems[0].reason.find("skipped"), std::string::npos);
  EXPECT_TRUE(skip.result.has_issues());

  // Fast (point in time): the log ends before the entry.
  ReplayOutput pit = replay(RecoveryOptions::fast());
  EXPECT_EQ(pit.transactions.size(), 0U);
  EXPECT_EQ(pit.result.orphaned_transactions, 1U);
  EXPECT_EQ(pit.result.problems.size(), 1U);
}

TEST_F(TxlogRecovery, MalformedEntriesCountAsCorruptAndRespectTheLimit) {
  {
    auto w = open_writer();
    put(*w, "a");
    ASSERT_TRUE(w->close().ok());
  }
  // Intact records (valid CRC) holding entries that do not decode.
  append_raw_record("\x01\x10");  // shorter than the header
  std::string bad_flags = *encode_wal_entry(
      WalEntry::make(WalEntryType::kKvPut, TxId::new_v7(), "x"));
  bad_flags[2] = 0x40;
  append_raw_record(bad_flags);
  {
    auto w = open_writer();
    put(*w, "b");
  }
  auto def = RecoveryEngine::replay_wal_committed(dir_, 0, recovery_options());
  ASSERT_FALSE(def.ok());
  EXPECT_TRUE(def.status().is_corruption());
  EXPECT_NE(def.status().message().find("19-byte header"), std::string::npos)
      << def.status().to_string();

  ReplayOutput skip = replay(RecoveryOptions::permissive());
  EXPECT_EQ(skip.transactions.size(), 2U);
  EXPECT_EQ(skip.result.corrupt_entries, 2U);
  EXPECT_EQ(skip.result.skipped_entries, 2U);

  RecoveryOptions tight = recovery_options(RecoveryOptions::permissive());
  tight.max_corrupt_entries = 1;
  auto too_many = RecoveryEngine::replay_wal_committed(dir_, 0, tight);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("too many corrupt entries"),
            std::string::npos);
}

TEST_F(TxlogRecovery, ReaderWithASmallerPayloadLimitReportsLargeEntries) {
  auto w = open_writer();
  Transaction tx = Transaction::create();
  tx.event_append(std::string(5000, 'e'));
  must(w->commit_atomic(tx));
  RecoveryOptions o = recovery_options(RecoveryOptions::permissive());
  o.max_payload_size = 1000;
  auto out = RecoveryEngine::replay_wal_committed(dir_, 0, o);
  // The core refuses the oversized record before the entry is decoded. It
  // is a valid record, so it is reported as corruption with the limit (never
  // as a torn tail, which a writer would cut off), and never returned.
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_TRUE(out->transactions.empty());
  ASSERT_FALSE(out->result.problems.empty());
  EXPECT_EQ(out->result.problems[0].kind, log::ProblemKind::kCorruption);
  EXPECT_NE(out->result.problems[0].reason.find("exceeds this reader's limit"),
            std::string::npos)
      << out->result.problems[0].to_string();
  ReplayOutput full = replay();
  ASSERT_EQ(full.transactions.size(), 1U);
}

// ---------------------------------------------------------------- truncation

TEST_F(TxlogRecovery, TruncateBeforeSnapshotRetiresWholeSegments) {
  WalWriterOptions o = writer_options(DurabilityMode::none());
  o.segment_size = 4096;
  auto w = open_writer_with(o);
  for (int i = 0; i < 200; ++i) put(*w, "old-" + std::to_string(i));
  log::Lsn snap_at = w->position();
  log::Lsn marker = must(w->write_snapshot_marker(Uuid::new_v7(), snap_at));
  std::vector<TxId> later;
  for (int i = 0; i < 20; ++i) later.push_back(put(*w, "new").id());

  // Not a snapshot marker: refused, nothing removed.
  EXPECT_TRUE(w->truncate_before(0).status().is_invalid_argument());
  EXPECT_TRUE(w->truncate_before(marker + 1).status().is_invalid_argument());

  uint64_t removed = must(w->truncate_before(marker));
  EXPECT_GT(removed, 0U);

  // Everything from the snapshot on is intact, read from the marker...
  ReplayOutput from_marker = replay(RecoveryOptions::default_options(), marker);
  ASSERT_EQ(from_marker.transactions.size(), 20U);
  for (std::size_t i = 0; i < later.size(); ++i) {
    EXPECT_EQ(from_marker.transactions[i].tx_id, later[i]);
  }
  // ...and from the start of what is left: whole transactions only, no
  // half record, no problem reported.
  ReplayOutput rest = replay();
  EXPECT_TRUE(rest.result.problems.empty());
  EXPECT_EQ(rest.result.orphaned_transactions, 0U);
  EXPECT_GE(rest.transactions.size(), 20U);
  EXPECT_LT(rest.transactions.size(), 220U);
  for (const auto& t : rest.transactions) EXPECT_EQ(t.entries.size(), 1U);

  // A second truncation at the same marker has nothing more to remove.
  EXPECT_EQ(must(w->truncate_before(marker)), 0U);
}

TEST_F(TxlogRecovery, TruncateKeepsEverythingFromTheSnapshotsWalLsn) {
  WalWriterOptions o = writer_options(DurabilityMode::none());
  o.segment_size = 4096;
  auto w = open_writer_with(o);
  for (int i = 0; i < 50; ++i) put(*w, "a-" + std::to_string(i));
  log::Lsn snap_at = w->position();
  Transaction first_after = put(*w, "first-after");
  for (int i = 0; i < 150; ++i) put(*w, "b-" + std::to_string(i));
  // The marker is written long after the snapshot point.
  log::Lsn marker = must(w->write_snapshot_marker(Uuid::new_v7(), snap_at));
  must(w->truncate_before(marker));
  ReplayOutput out = replay(RecoveryOptions::default_options(), snap_at);
  ASSERT_FALSE(out.transactions.empty());
  EXPECT_EQ(out.transactions[0].tx_id, first_after.id());
}

}  // namespace
}  // namespace strata::durability::txlog

namespace strata::durability::txlog {
namespace {

// The same path on a real file system: write in Strict mode with
// Env::posix(), reopen, append, and recover everything.
TEST(TxlogPosix, StrictCommitsSurviveReopenOnARealDirectory) {
  char tmpl[] = "/tmp/txlog_posix_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = std::string(tmpl) + "/log";
  WalWriterOptions o;
  o.mode = DurabilityMode::strict();
  std::vector<TxId> ids;
  for (int session = 0; session < 2; ++session) {
    auto w = WalWriter::open(dir, o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (int i = 0; i < 5; ++i) {
      Transaction tx = Transaction::create();
      tx.kv_put("k", std::to_string(i)).event_append("e").state_set("s", "x");
      ASSERT_TRUE((*w)->commit_atomic(tx).ok());
      ids.push_back(tx.id());
    }
    ASSERT_TRUE((*w)->close().ok());
  }
  auto out = RecoveryEngine::replay_wal_committed(dir, 0);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->transactions.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(out->transactions[i].tx_id, ids[i]);
    EXPECT_EQ(out->transactions[i].entries.size(), 3U);
  }
  EXPECT_FALSE(out->result.has_issues()) << out->result.summary();
  // Best-effort cleanup of the temporary directory.
  Env* env = Env::posix();
  auto names = env->list_dir(dir);
  if (names.ok()) {
    for (const auto& n : *names) (void)env->remove_file(join_path(dir, n));
  }
  (void)env->remove_dir(dir);
  (void)env->remove_dir(tmpl);
}

}  // namespace
}  // namespace strata::durability::txlog
