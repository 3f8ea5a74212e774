// A writer and tailers in separate threads, through segment rotation and
// retirement held back by a slot: every batch (committed transaction)
// arrives once and in order. Runs under TSan (the file name has
// "concurrent").

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "strata/durability/log/log_tailer.h"
#include "strata/durability/log/slot.h"
#include "strata/durability/txlog/txn_tailer.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using std::chrono::milliseconds;

constexpr int kBatches = 400;
constexpr int kRecordsPerBatch = 3;

std::string record_text(int batch, int i) {
  return "b" + std::to_string(batch) + "-r" + std::to_string(i) + "-" +
         std::string(static_cast<std::size_t>(10 + batch % 17), 'x');
}

// Reads until `count` records arrived (or an error), acking the slot after
// every batch. Returns the payloads.
std::vector<std::string> consume(LogTailer* t, int count, bool ack,
                                 Status* error) {
  std::vector<std::string> got;
  TailedRecord rec;
  while (static_cast<int>(got.size()) < count) {
    auto more = t->next(&rec, milliseconds(5000));
    if (!more.ok()) {
      *error = more.status();
      break;
    }
    if (!*more) {
      *error = Status::io_error("timed out after " +
                                std::to_string(got.size()) + " records");
      break;
    }
    got.push_back(rec.payload);
    if (ack && rec.last_in_batch) {
      Status s = t->ack(rec.next_lsn);
      if (!s.ok()) {
        *error = s;
        break;
      }
    }
  }
  return got;
}

TEST(LogTailerConcurrentTest, EveryBatchArrivesOnceInOrderThroughRetirement) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  const std::string dir = "/db/log";
  LogWriterOptions wo;
  wo.env = env.get();
  wo.mode = DurabilityMode::batched(2, 8);
  wo.segment_size = 2048;
  auto w = LogWriter::open(dir, wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(create_slot(env.get(), dir, "in_process", 0).ok());
  ASSERT_TRUE(create_slot(env.get(), dir, "by_progress", 0).ok());

  LogTailerOptions in_process;
  in_process.env = env.get();
  in_process.writer = w->get();
  in_process.slot = "in_process";
  LogTailerOptions by_progress;
  by_progress.env = env.get();
  by_progress.slot = "by_progress";
  by_progress.poll_interval = milliseconds(1);
  auto t1 = LogTailer::open(dir, in_process);
  auto t2 = LogTailer::open(dir, by_progress);
  ASSERT_TRUE(t1.ok() && t2.ok());

  const int total = kBatches * kRecordsPerBatch;
  Status e1, e2;
  std::vector<std::string> got1, got2;
  std::thread c1([&] { got1 = consume(t1->get(), total, true, &e1); });
  std::thread c2([&] { got2 = consume(t2->get(), total, true, &e2); });

  uint64_t retired = 0;
  std::vector<std::string> expected;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<std::string> recs;
    for (int i = 0; i < kRecordsPerBatch; ++i)
      recs.push_back(record_text(b, i));
    std::vector<std::string_view> views(recs.begin(), recs.end());
    ASSERT_TRUE((*w)->append(views).ok());
    expected.insert(expected.end(), recs.begin(), recs.end());
    if (b % 25 == 24) {
      auto r = (*w)->remove_segments_before((*w)->end_lsn());
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      retired += *r;
    }
  }
  ASSERT_TRUE((*w)->sync().ok());
  c1.join();
  c2.join();
  ASSERT_TRUE(e1.ok()) << e1.to_string();
  ASSERT_TRUE(e2.ok()) << e2.to_string();
  EXPECT_EQ(got1, expected);
  EXPECT_EQ(got2, expected);
  EXPECT_GT((*w)->stats().rotations, 10u);
  // Once both slots moved on, retirement frees what they no longer need.
  retired += *(*w)->remove_segments_before((*w)->end_lsn());
  EXPECT_GT(retired, 0u);
}

TEST(LogTailerConcurrentTest, CommittedTxlogTransactionsArriveOnceInOrder) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  const std::string dir = "/db/txlog";
  txlog::WalWriterOptions wo;
  wo.env = env.get();
  wo.mode = DurabilityMode::strict();
  wo.segment_size = 1024;
  auto w = txlog::WalWriter::open(dir, wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(create_slot(env.get(), dir, "consumer", 0).ok());
  txlog::TxnTailerOptions o;
  o.tail.env = env.get();
  o.tail.slot = "consumer";
  o.from.restart_lsn = 0;
  o.writer = w->get();
  auto t = txlog::TxnTailer::open(dir, o);
  ASSERT_TRUE(t.ok());

  constexpr int kTxns = 200;
  const txlog::RunId run = Uuid::new_v7();
  std::vector<std::string> got;
  Status error;
  std::thread consumer([&] {
    txlog::CommittedTransaction c;
    while (static_cast<int>(got.size()) < kTxns) {
      auto more = (*t)->next(&c, milliseconds(5000));
      if (!more.ok() || !*more) {
        error = more.ok() ? Status::io_error("timed out") : more.status();
        return;
      }
      got.push_back(c.entries.empty() ? "" : c.entries[0].entry.payload);
      Status s = (*t)->ack(c.next);
      if (!s.ok()) {
        error = s;
        return;
      }
    }
  });
  std::vector<std::string> expected;
  for (int i = 0; i < kTxns; ++i) {
    std::vector<std::pair<txlog::WalEntryType, std::string>> e = {
        {txlog::WalEntryType::kKvPut, "txn-" + std::to_string(i)}};
    auto r = (*w)->write_transaction(run, e);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    expected.push_back(e[0].second);
    if (i % 40 == 39) {
      auto marker =
          (*w)->write_snapshot_marker(Uuid::new_v7(), (*w)->position());
      ASSERT_TRUE(marker.ok());
      ASSERT_TRUE((*w)->truncate_before(*marker).ok());
    }
  }
  consumer.join();
  ASSERT_TRUE(error.ok()) << error.to_string();
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace strata::durability::log
