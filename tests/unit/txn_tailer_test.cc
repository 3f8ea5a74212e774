// Typed tailing: mvcc::TxnTailer and txlog::TxnTailer deliver committed
// transactions once, in commit order, skip aborted and unfinished ones,
// filter by run, and resume from a TxnTailPosition without loss or
// duplicates.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "strata/durability/log/slot.h"
#include "strata/durability/mvcc/txn_tailer.h"
#include "strata/durability/txlog/txn_tailer.h"
#include "support/mvcc_wal_fixture.h"

namespace strata::durability {
namespace {

using std::chrono::milliseconds;

class MvccTxnTailerTest : public mvcc::testing::MvccWalFixture {
 protected:
  std::unique_ptr<mvcc::TxnTailer> tailer(mvcc::WAL* wal,
                                          log::TxnTailPosition from = {}) {
    mvcc::TxnTailerOptions o;
    o.tail.env = env_.get();
    o.wal = wal;
    o.from = from;
    auto t = mvcc::TxnTailer::open(dir_, o);
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    return t.ok() ? std::move(*t) : nullptr;
  }
  // Appends an interleaved pattern: txn 1 (run_) and txn 2 (run2) open
  // at once, 2 aborts, 1 commits, then txn 3 as one batch.
  void append_pattern(mvcc::WAL* wal, uint64_t base) {
    const mvcc::RunId run2 = mvcc::testing::test_run(2);
    append_all(wal, {begin(base + 1), write("a", mvcc::Value::integer(1), 1),
                     begin(base + 2, run2),
                     write("b", mvcc::Value::integer(2), 2, run2),
                     write("c", mvcc::Value::integer(3), 3),
                     abort(base + 2, run2), commit(base + 1)});
    ASSERT_TRUE(
        wal->append_transaction(txn(base + 3, {del("a", 4), del("c", 5)}))
            .ok());
  }
};

TEST_F(MvccTxnTailerTest, DeliversCommittedTransactionsOnlyInCommitOrder) {
  auto wal = open_wal(DurabilityMode::strict(), 512);
  auto t = tailer(wal.get());
  append_pattern(wal.get(), 0);
  mvcc::CommittedTxn c;
  auto got = t->next(&c, milliseconds(0));
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_TRUE(*got);
  EXPECT_EQ(c.txn_id, 1u);
  ASSERT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(c.entries[0].entry, write("a", mvcc::Value::integer(1), 1));
  EXPECT_EQ(c.entries[1].entry, write("c", mvcc::Value::integer(3), 3));
  got = t->next(&c, milliseconds(0));
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(c.txn_id, 3u);
  EXPECT_EQ(c.entries.size(), 2u);
  got = t->next(&c, milliseconds(0));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
}

TEST_F(MvccTxnTailerTest, RestartFromTheLastPositionNeitherLosesNorRepeats) {
  auto wal = open_wal(DurabilityMode::strict(), 512);
  for (uint64_t b = 0; b < 30; b += 10) append_pattern(wal.get(), b);
  std::vector<uint64_t> ids;
  log::TxnTailPosition pos;
  // One transaction per tailer: every restart lands inside the
  // interleaving (txn 1 begins before txn 2, which aborts after it).
  for (int round = 0; round < 6; ++round) {
    auto t = tailer(nullptr, pos);
    mvcc::CommittedTxn c;
    auto got = t->next(&c, milliseconds(0));
    ASSERT_TRUE(got.ok() && *got) << round;
    ids.push_back(c.txn_id);
    pos = c.next;
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 3, 11, 13, 21, 23}));
  auto t = tailer(nullptr, pos);
  mvcc::CommittedTxn c;
  auto got = t->next(&c, milliseconds(0));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
}

TEST_F(MvccTxnTailerTest, TruncationPastTheSizeCapDropsALaggingSlot) {
  mvcc::WalOptions wo;
  wo.env = env_.get();
  wo.mode = DurabilityMode::strict();
  wo.segment_size = 512;
  wo.max_slot_retained_bytes = 1024;
  auto wal = mvcc::WAL::open(dir_, wo);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE(log::create_slot(env_.get(), dir_, "indexer", 0).ok());
  mvcc::TxnTailerOptions o;
  o.tail.env = env_.get();
  o.tail.slot = "indexer";
  o.wal = wal->get();
  auto t = mvcc::TxnTailer::open(dir_, o);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  for (uint64_t b = 0; b < 60; b += 10) append_pattern(wal->get(), b);
  auto cp = (*wal)->checkpoint(Uuid::new_v7(), 100, {});
  ASSERT_TRUE(cp.ok());
  auto removed = (*wal)->truncate_before(*cp);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  EXPECT_GT(*removed, 0u);
  EXPECT_EQ((*wal)->stats().slots_dropped, 1u);
  mvcc::CommittedTxn c;
  auto got = (*t)->next(&c, milliseconds(0));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().to_string().find("slot 'indexer'"), std::string::npos)
      << got.status().to_string();
}

TEST_F(MvccTxnTailerTest, AnotherKindOfLogIsRefused) {
  log::LogWriterOptions o;
  o.env = env_.get();
  o.kind = log::LogKind::kTxLog;
  {
    auto w = log::LogWriter::open(dir_, o);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->append("x").ok());
  }
  mvcc::TxnTailerOptions to;
  to.tail.env = env_.get();
  auto t = mvcc::TxnTailer::open(dir_, to);
  Status s = t.status();
  if (t.ok()) {
    mvcc::CommittedTxn c;
    s = (*t)->next(&c, milliseconds(0)).status();
  }
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.to_string().find(dir_), std::string::npos) << s.to_string();
}

class TxlogTxnTailerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_->create_dir("/db").ok()); }
  std::unique_ptr<txlog::WalWriter> open_writer() {
    txlog::WalWriterOptions o;
    o.env = env_.get();
    o.mode = DurabilityMode::strict();
    o.segment_size = 512;
    auto w = txlog::WalWriter::open(dir_, o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(*w) : nullptr;
  }
  std::unique_ptr<txlog::TxnTailer> tailer(txlog::TxnTailerOptions o) {
    o.tail.env = env_.get();
    auto t = txlog::TxnTailer::open(dir_, o);
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::vector<std::string> drain(txlog::TxnTailer* t) {
    std::vector<std::string> out;
    txlog::CommittedTransaction c;
    while (true) {
      auto got = t->next(&c, milliseconds(0));
      EXPECT_TRUE(got.ok()) << got.status().to_string();
      if (!got.ok() || !*got) break;
      std::string s;
      for (const auto& e : c.entries) s += e.entry.payload + ",";
      out.push_back(s);
    }
    return out;
  }
  std::unique_ptr<Env> env_ = new_mem_env();
  std::string dir_ = "/db/txlog";
  txlog::RunId run_a_ = mvcc::testing::test_run(1);
  txlog::RunId run_b_ = mvcc::testing::test_run(2);
};

TEST_F(TxlogTxnTailerTest, DeliversCommittedTransactionsFilteredByRun) {
  auto w = open_writer();
  txlog::TxnTailerOptions all;
  all.writer = w.get();
  auto every = tailer(all);
  txlog::TxnTailerOptions only_a = all;
  only_a.run = run_a_;
  auto of_a = tailer(only_a);

  using Entries = std::vector<std::pair<txlog::WalEntryType, std::string>>;
  for (int i = 0; i < 10; ++i) {
    const txlog::RunId& run = i % 2 == 0 ? run_a_ : run_b_;
    Entries e = {{txlog::WalEntryType::kKvPut, "p" + std::to_string(i)},
                 {txlog::WalEntryType::kKvPut, "q" + std::to_string(i)}};
    ASSERT_TRUE(w->write_transaction(run, e).ok());
    // An entry-by-entry transaction that aborts in between.
    txlog::TxId doomed = w->begin_transaction();
    ASSERT_TRUE(
        w->write_tx_entry_for_run(doomed, run, txlog::WalEntryType::kKvPut, "x")
            .ok());
    ASSERT_TRUE(w->abort_transaction(doomed).ok());
  }
  std::vector<std::string> expect_all, expect_a;
  for (int i = 0; i < 10; ++i) {
    std::string s = "p" + std::to_string(i) + ",q" + std::to_string(i) + ",";
    expect_all.push_back(s);
    if (i % 2 == 0) expect_a.push_back(s);
  }
  EXPECT_EQ(drain(every.get()), expect_all);
  EXPECT_EQ(drain(of_a.get()), expect_a);
}

TEST_F(TxlogTxnTailerTest, EntryByEntryTransactionsResumeWithoutDuplicates) {
  auto w = open_writer();
  // Two transactions written entry by entry, interleaved, committed in the
  // opposite order to their start.
  for (int round = 0; round < 3; ++round) {
    txlog::TxId first = w->begin_transaction();
    txlog::TxId second = w->begin_transaction();
    const std::string r = std::to_string(round);
    ASSERT_TRUE(w->write_tx_entry_for_run(first, run_a_,
                                          txlog::WalEntryType::kKvPut, "f" + r)
                    .ok());
    ASSERT_TRUE(w->write_tx_entry_for_run(second, run_a_,
                                          txlog::WalEntryType::kKvPut, "s" + r)
                    .ok());
    ASSERT_TRUE(w->commit_transaction(second).ok());
    ASSERT_TRUE(w->commit_transaction(first).ok());
  }
  std::vector<std::string> got;
  log::TxnTailPosition pos;
  for (int i = 0; i < 6; ++i) {
    txlog::TxnTailerOptions o;
    o.from = pos;
    auto t = tailer(o);
    txlog::CommittedTransaction c;
    auto more = t->next(&c, milliseconds(0));
    ASSERT_TRUE(more.ok() && *more) << i;
    ASSERT_EQ(c.entries.size(), 1u);
    got.push_back(c.entries[0].entry.payload);
    pos = c.next;
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"s0", "f0", "s1", "f1", "s2", "f2"}));
}

}  // namespace
}  // namespace strata::durability
