// Tests for the MVCC WAL handle: append and read back, the transaction
// shape append_transaction accepts, detailed reads with LSNs, checkpoints,
// truncate_before, reopening, and errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "strata/durability/log/log_reader.h"
#include "support/mvcc_wal_fixture.h"

namespace strata::durability::mvcc {
namespace {

class MvccWalTest : public testing::MvccWalFixture {};

TEST_F(MvccWalTest, AppendedEntriesOfEveryKindReadBackInOrder) {
  auto wal = open_wal();
  auto samples = testing::sample_entries();
  std::vector<log::Lsn> lsns;
  for (const auto& e : samples) {
    auto r = wal->append(e);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    lsns.push_back(*r);
  }
  EXPECT_TRUE(std::is_sorted(lsns.begin(), lsns.end()));
  auto all = wal->read_entries();
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_EQ(*all, samples);
  // Reading from an LSN starts at that entry.
  auto tail = wal->read_entries(lsns[5]);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->size(), samples.size() - 5);
  EXPECT_EQ(tail->front(), samples[5]);
  auto detailed = wal->read_entries_detailed();
  ASSERT_TRUE(detailed.ok());
  ASSERT_EQ(detailed->entries.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(detailed->entries[i].lsn, lsns[i]);
  }
  EXPECT_TRUE(detailed->problems.empty());
  EXPECT_EQ(detailed->corrupted_entries, 0u);
  EXPECT_EQ(detailed->end_lsn, wal->end_lsn());
  EXPECT_GT(detailed->bytes_read, 0u);
}

TEST_F(MvccWalTest, EntriesSurviveCloseAndReopen) {
  {
    auto wal = open_wal(DurabilityMode::batched());
    append_all(wal.get(), txn(1, {write("a", Value::integer(1), 1)}));
    ASSERT_TRUE(wal->close().ok());
  }
  auto wal = open_wal(DurabilityMode::none());
  append_all(wal.get(), txn(2, {write("b", Value::integer(2), 2)}));
  auto all = wal->read_entries();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);
  // Read-only, from outside the handle, too.
  auto ro = read_wal_entries(dir_, env_.get());
  ASSERT_TRUE(ro.ok()) << ro.status().to_string();
  EXPECT_EQ(ro->entries.size(), 6u);
}

TEST_F(MvccWalTest, AppendTransactionWritesOneContiguousBatch) {
  auto wal = open_wal();
  auto t = txn(7, {write("a", Value::integer(1), 1), del("b", 2)});
  auto r = wal->append_transaction(t);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->begin_lsn, 0u);
  EXPECT_LT(r->begin_lsn, r->commit_lsn);
  EXPECT_EQ(r->end_lsn, wal->end_lsn());
  auto d = wal->read_entries_detailed();
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->entries.size(), 4u);
  EXPECT_EQ(d->entries.front().lsn, r->begin_lsn);
  EXPECT_EQ(d->entries.back().lsn, r->commit_lsn);
  for (std::size_t i = 0; i < t.size(); ++i)
    EXPECT_EQ(d->entries[i].entry, t[i]);
}

TEST_F(MvccWalTest, AppendTransactionRejectsMalformedShapesAndWritesNothing) {
  auto wal = open_wal();
  const RunId other = testing::test_run(2);
  std::vector<std::vector<WALEntry>> bad = {
      {},
      {begin(1)},
      {begin(1), write("a", Value::integer(1), 1)},   // no commit
      {write("a", Value::integer(1), 1), commit(1)},  // no begin
      {begin(1), commit(2)},                          // txn ids
      {begin(1), commit(1, other)},                   // runs
      {begin(1), begin(2), commit(1)},                // nested
      {begin(1), abort(1), commit(1)},                // framing
      {begin(1), WALEntry(Checkpoint{}), commit(1)},  // checkpoint
      {begin(1), write("a", Value::integer(1), 1, other), commit(1)},  // run
      {begin(1), abort(1)},
  };
  for (const auto& t : bad) {
    auto r = wal->append_transaction(t);
    ASSERT_FALSE(r.ok()) << t.size();
    EXPECT_TRUE(r.status().is_invalid_argument()) << r.status().to_string();
  }
  EXPECT_EQ(wal->end_lsn(), 0u);
  // An empty transaction (Begin + Commit) is fine.
  EXPECT_TRUE(wal->append_transaction(txn(3, {})).ok());
}

TEST_F(MvccWalTest, UnencodableOrOversizedEntriesAreRejected) {
  WalOptions o;
  o.env = env_.get();
  o.max_record_size = 1024;
  auto wal = WAL::open(dir_, o);
  ASSERT_TRUE(wal.ok());
  Value deep = Value::integer(1);
  for (int i = 0; i < kMaxValueDepth + 1; ++i) deep = Value::array({deep});
  EXPECT_TRUE(
      (*wal)->append(write("a", deep, 1)).status().is_invalid_argument());
  auto big =
      (*wal)->append(write("a", Value::bytes(std::string(2000, 'x')), 1));
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(big.status().is_invalid_argument());
  EXPECT_NE(big.status().message().find("max_record_size"), std::string::npos);
  auto t = (*wal)->append_transaction(
      txn(1, {write("a", Value::integer(1), 1),
              write("b", Value::bytes(std::string(2000, 'x')), 2)}));
  EXPECT_TRUE(t.status().is_invalid_argument());
  EXPECT_NE(t.status().message().find("entry 2"), std::string::npos)
      << t.status().to_string();
  EXPECT_EQ((*wal)->end_lsn(), 0u);
}

TEST_F(MvccWalTest, RecordsAreExactlyTheEntriesEncodings) {
  // The log's leader encodes entries straight into its write buffer: each
  // record must be encode_entry's bytes, through every append form.
  auto wal = open_wal(DurabilityMode::strict());
  std::vector<WALEntry> expect;
  for (const auto& e : testing::sample_entries()) {
    ASSERT_TRUE(wal->append(e).ok());
    expect.push_back(e);
  }
  auto t1 = txn(1, {write("a", Value::string(std::string(128, 'v')), 1),
                    write("b", Value::integer(2), 2)});
  ASSERT_TRUE(wal->append_transaction(t1).ok());
  expect.insert(expect.end(), t1.begin(), t1.end());
  std::atomic<int> done{0};
  auto count = [&](const Status& s) {
    EXPECT_TRUE(s.ok()) << s.to_string();
    ++done;
  };
  WALEntry one = write("c", Value::bytes(std::string(300, 'b')), 3);
  ASSERT_TRUE(wal->append_async(one, count).ok());
  expect.push_back(one);
  auto t2 = txn(2, {write("d", Value::integer(4), 4)});
  ASSERT_TRUE(wal->append_transaction_async(t2, count).ok());
  expect.insert(expect.end(), t2.begin(), t2.end());
  ASSERT_TRUE(wal->close().ok());
  EXPECT_EQ(done.load(), 2);

  log::LogReaderOptions ro;
  ro.env = env_.get();
  auto reader = log::LogReader::open(dir_, ro);
  ASSERT_TRUE(reader.ok()) << reader.status().to_string();
  log::LogRecord rec;
  std::size_t i = 0;
  while (true) {
    auto more = (*reader)->next(&rec);
    ASSERT_TRUE(more.ok()) << more.status().to_string();
    if (!*more) break;
    ASSERT_LT(i, expect.size());
    EXPECT_EQ(rec.payload, testing::encoded(expect[i])) << "record " << i;
    ++i;
  }
  EXPECT_EQ(i, expect.size());
}

TEST_F(MvccWalTest, CheckpointIsFoundAndTruncateBeforeRetiresOlderSegments) {
  auto wal = open_wal(DurabilityMode::none(), /*segment_size=*/4096);
  {
    auto none = wal->find_last_checkpoint();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
  }
  for (uint64_t i = 1; i <= 100; ++i) {
    ASSERT_TRUE(wal->append_transaction(
                       txn(i, {write("k" + std::to_string(i),
                                     Value::string(std::string(50, 'v')), i)}))
                    .ok());
  }
  const Uuid snap = testing::test_run(77);
  auto cp = wal->checkpoint(snap, 100, {run_});
  ASSERT_TRUE(cp.ok()) << cp.status().to_string();
  EXPECT_GE(wal->durable_lsn(), *cp);  // synced even in None mode
  for (uint64_t i = 101; i <= 110; ++i) {
    ASSERT_TRUE(wal->append_transaction(txn(i, {write("k" + std::to_string(i),
                                                      Value::integer(1), i)}))
                    .ok());
  }
  auto found = wal->find_last_checkpoint();
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->lsn, *cp);
  EXPECT_GT((*found)->next_lsn, *cp);
  EXPECT_EQ((*found)->snapshot_id, snap);
  EXPECT_EQ((*found)->version, 100u);
  EXPECT_EQ((*found)->active_runs, std::vector<RunId>{run_});
  // The free function finds the same one, read-only.
  auto ro = find_last_checkpoint(dir_, env_.get());
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ((*ro)->lsn, *cp);

  auto removed = wal->truncate_before((*found)->lsn);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  EXPECT_GT(*removed, 0u);
  // The checkpoint and everything after it are still there; replay from the
  // checkpoint applies exactly the ten later transactions.
  auto rest = wal->read_entries_detailed();
  ASSERT_TRUE(rest.ok()) << rest.status().to_string();
  ASSERT_FALSE(rest->entries.empty());
  EXPECT_LE(rest->entries.front().lsn, *cp);
  MvccStore store;
  ReplayOptions o;
  o.from_last_checkpoint = true;
  ReplayStats stats = replay_into(&store, o);
  ASSERT_TRUE(stats.start_checkpoint.has_value());
  EXPECT_EQ(stats.start_checkpoint->lsn, *cp);
  EXPECT_EQ(stats.txns_applied, 10u);
  EXPECT_EQ(stats.checkpoints, 1u);
  EXPECT_EQ(stats.orphaned_entries, 0u);
  EXPECT_EQ(store.live_key_count(), 10u);
  EXPECT_EQ(stats.final_version, 110u);
}

TEST_F(MvccWalTest, SecondWriterIsBusy) {
  auto wal = open_wal();
  WalOptions o;
  o.env = env_.get();
  auto again = WAL::open(dir_, o);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().is_busy()) << again.status().to_string();
}

TEST_F(MvccWalTest, AnotherKindOfLogIsRefused) {
  {
    log::LogWriterOptions lo;
    lo.env = env_.get();
    lo.kind = log::LogKind::kTxLog;
    auto w = log::LogWriter::open(dir_, lo);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->append(std::string_view("x")).ok());
  }
  WalOptions o;
  o.env = env_.get();
  auto wal = WAL::open(dir_, o);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(wal.status().is_invalid_argument()) << wal.status().to_string();
}

TEST_F(MvccWalTest, OpenWithoutCreateOnAMissingDirFails) {
  WalOptions o;
  o.env = env_.get();
  o.create_if_missing = false;
  EXPECT_FALSE(WAL::open("/db/none", o).ok());
  EXPECT_FALSE(read_wal_entries("/db/none", env_.get()).ok());
}

TEST_F(MvccWalTest, ReadDuringConcurrentAppendsSeesOnlyWholeEntries) {
  auto wal = open_wal(DurabilityMode::none());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t i = 1; !stop.load() && i < 100000; ++i) {
      ASSERT_TRUE(
          wal
              ->append_transaction(txn(
                  i, {write("k", Value::integer(static_cast<int64_t>(i)), i)}))
              .ok());
    }
  });
  for (int round = 0; round < 20; ++round) {
    auto d = wal->read_entries_detailed();
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_TRUE(d->problems.empty());
    EXPECT_EQ(d->entries.size() % 3, 0u);  // whole transactions only
  }
  stop = true;
  writer.join();
}

// The same path on the real file system (Env::posix()).
TEST(MvccWalPosix, AppendReopenReplayOnDisk) {
  char tmpl[] = "/tmp/mvcc_wal_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/wal";
  const RunId run = testing::test_run(1);
  const Namespace ns = Namespace::for_run(run);
  {
    WalOptions o;
    o.mode = DurabilityMode::strict();
    auto wal = WAL::open(dir, o);
    ASSERT_TRUE(wal.ok()) << wal.status().to_string();
    std::vector<WALEntry> t = {
        BeginTxn{1, run, 5},
        Write{run, Key::new_kv(ns, "a"), Value::integer(1), 1},
        CommitTxn{1, run}};
    ASSERT_TRUE((*wal)->append_transaction(t).ok());
  }
  {
    auto wal = WAL::open(dir, WalOptions{});
    ASSERT_TRUE(wal.ok()) << wal.status().to_string();
    ASSERT_TRUE((*wal)->append(BeginTxn{2, run, 6}).ok());  // left incomplete
  }
  MvccStore store;
  auto s = replay_wal(dir, &store);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->txns_applied, 1u);
  EXPECT_EQ(s->incomplete_txns, 1u);
  EXPECT_EQ(store.get(Key::new_kv(ns, "a"))->value, Value::integer(1));
  std::string cmd = "rm -rf " + std::string(tmpl);
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace strata::durability::mvcc
