// append_async and its typed forms: each accepted batch is called back
// exactly once, in LSN order, only once the mode's promise holds; a failed
// sync fails every pending callback with its error; close drains them; a
// refused append never calls back.

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "strata/durability/mvcc/wal.h"
#include "strata/durability/testing/fault_injection_env.h"
#include "strata/durability/txlog/wal_reader.h"
#include "strata/durability/txlog/wal_writer.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testing::FaultInjectionEnv;
using testing::FaultOp;
using testutil::payload_for;
using testutil::read_all;

struct Fixture {
  std::unique_ptr<Env> env = new_mem_env();
  std::unique_ptr<LogWriter> open(DurabilityMode mode) {
    LogWriterOptions o;
    o.env = env.get();
    o.mode = mode;
    o.segment_size = 4096;  // several rotations in a test
    auto w = LogWriter::open("/log", o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(w).value() : nullptr;
  }
};

// What the callbacks saw, in the order they ran.
struct Calls {
  std::vector<int> order;
  std::vector<Status> statuses;
  std::vector<int> times_called;
  explicit Calls(int n) : times_called(static_cast<std::size_t>(n), 0) {}
  AppendCallback callback(int i) {
    return [this, i](const Status& s) {
      order.push_back(i);
      statuses.push_back(s);
      ++times_called[static_cast<std::size_t>(i)];
    };
  }
};

TEST(LogAsyncTest, StrictCallbacksRunOnceInLsnOrderAfterTheSync) {
  Fixture f;
  auto w = f.open(DurabilityMode::strict());
  ASSERT_NE(w, nullptr);
  constexpr int kN = 300;
  Calls calls(kN);
  std::vector<std::string> payloads;
  // Each record's LSN, stored by the writer before its callback can run.
  std::vector<Lsn> lsn(kN);
  bool durable_when_called = true;
  for (int i = 0; i < kN; ++i) {
    payloads.push_back(payload_for(i, 40));
    std::string_view rec = payloads.back();
    const auto slot = static_cast<std::size_t>(i);
    auto r = w->append_async(
        std::span<const std::string_view>(&rec, 1),
        [&, slot, cb = calls.callback(i)](const Status& s) {
          if (w->durable_lsn() <= lsn[slot]) durable_when_called = false;
          cb(s);
        },
        {}, std::span<Lsn>(&lsn[slot], 1));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }
  ASSERT_TRUE(w->close().ok());
  EXPECT_TRUE(durable_when_called);
  ASSERT_EQ(calls.order.size(), static_cast<std::size_t>(kN));
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(calls.order[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(calls.times_called[static_cast<std::size_t>(i)], 1);
    EXPECT_TRUE(calls.statuses[static_cast<std::size_t>(i)].ok());
  }
  EXPECT_GE(w->stats().rotations, 1U);
  auto all = read_all(f.env.get(), "/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(all.payloads, payloads);
}

TEST(LogAsyncTest, NoneModeCallsBackOnceTheBytesAreWritten) {
  Fixture f;
  auto w = f.open(DurabilityMode::none());
  ASSERT_NE(w, nullptr);
  Calls calls(10);
  for (int i = 0; i < 10; ++i) {
    std::string p = payload_for(i);
    std::string_view rec = p;
    ASSERT_TRUE(w->append_async(std::span<const std::string_view>(&rec, 1),
                                calls.callback(i))
                    .ok());
    // One thread and nothing to sync: the callback has already run.
    EXPECT_EQ(calls.order.size(), static_cast<std::size_t>(i + 1));
  }
  EXPECT_EQ(w->stats().syncs, 0U);
  ASSERT_TRUE(w->close().ok());
}

TEST(LogAsyncTest, SyncOptionWaitsForAnFdatasyncInNoneMode) {
  Fixture f;
  auto w = f.open(DurabilityMode::none());
  ASSERT_NE(w, nullptr);
  Calls calls(2);
  std::string p = payload_for(1);
  std::string_view rec = p;
  AppendOptions sync;
  sync.sync = true;
  Lsn durable_at_call = 0;
  auto r = w->append_async(
      std::span<const std::string_view>(&rec, 1),
      [&](const Status& s) {
        durable_at_call = w->durable_lsn();
        calls.callback(0)(s);
      },
      sync);
  ASSERT_TRUE(r.ok());
  // A later batch that needs no sync still waits for its predecessor.
  ASSERT_TRUE(w->append_async(std::span<const std::string_view>(&rec, 1),
                              calls.callback(1))
                  .ok());
  ASSERT_TRUE(w->close().ok());
  ASSERT_EQ(calls.order, (std::vector<int>{0, 1}));
  EXPECT_GE(durable_at_call, r->end_lsn);
  EXPECT_GE(w->stats().syncs, 1U);
}

TEST(LogAsyncTest, FailedSyncFailsEveryPendingCallbackWithItsError) {
  auto env = std::make_unique<FaultInjectionEnv>(new_mem_env());
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::strict();
  o.publish_progress = false;
  auto w = LogWriter::open("/log", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  env->inject_error(FaultOp::kSync, 1, EIO);
  constexpr int kN = 50;
  Calls calls(kN);
  int accepted = 0;
  for (int i = 0; i < kN; ++i) {
    std::string p = payload_for(i);
    std::string_view rec = p;
    auto r = (*w)->append_async(std::span<const std::string_view>(&rec, 1),
                                calls.callback(i));
    if (!r.ok()) {
      // Once poisoned, appends are refused with the same error.
      EXPECT_TRUE(r.status().is_io_error()) << r.status().to_string();
      break;
    }
    ++accepted;
  }
  ASSERT_GE(accepted, 1);
  Status closed = (*w)->close();
  EXPECT_TRUE(closed.is_io_error()) << closed.to_string();
  ASSERT_EQ(calls.order.size(), static_cast<std::size_t>(accepted));
  for (int i = 0; i < accepted; ++i) {
    const Status& s = calls.statuses[static_cast<std::size_t>(i)];
    EXPECT_EQ(calls.order[static_cast<std::size_t>(i)], i);
    EXPECT_TRUE(s.is_io_error()) << s.to_string();
    EXPECT_EQ(s.sys_errno(), EIO) << s.to_string();
  }
  EXPECT_EQ((*w)->poisoned().sys_errno(), EIO);
}

TEST(LogAsyncTest, CloseAndDestructorCallBackEveryPendingBatch) {
  for (bool use_destructor : {false, true}) {
    Fixture f;
    auto w = f.open(DurabilityMode::strict());
    ASSERT_NE(w, nullptr);
    constexpr int kN = 100;
    Calls calls(kN);
    for (int i = 0; i < kN; ++i) {
      std::string p = payload_for(i);
      std::string_view rec = p;
      ASSERT_TRUE(w->append_async(std::span<const std::string_view>(&rec, 1),
                                  calls.callback(i))
                      .ok());
    }
    if (use_destructor) {
      w.reset();
    } else {
      ASSERT_TRUE(w->close().ok());
    }
    ASSERT_EQ(calls.order.size(), static_cast<std::size_t>(kN));
    for (const Status& s : calls.statuses) EXPECT_TRUE(s.ok());
    EXPECT_EQ(read_all(f.env.get(), "/log").payloads.size(),
              static_cast<std::size_t>(kN));
  }
}

TEST(LogAsyncTest, RefusedAppendNeverCallsBack) {
  Fixture f;
  auto w = f.open(DurabilityMode::strict());
  ASSERT_NE(w, nullptr);
  int called = 0;
  auto count = [&](const Status&) { ++called; };
  EXPECT_TRUE(w->append_async({}, count).status().is_invalid_argument());
  std::string big(kDefaultMaxRecordSize + 1, 'x');
  std::string_view rec = big;
  EXPECT_TRUE(w->append_async(std::span<const std::string_view>(&rec, 1), count)
                  .status()
                  .is_invalid_argument());
  ASSERT_TRUE(w->close().ok());
  rec = "late";
  EXPECT_FALSE(
      w->append_async(std::span<const std::string_view>(&rec, 1), count).ok());
  EXPECT_EQ(called, 0);
}

TEST(LogAsyncTest, CallbackMayAppendAgain) {
  Fixture f;
  auto w = f.open(DurabilityMode::strict());
  ASSERT_NE(w, nullptr);
  std::atomic<int> chained{0};
  std::string_view rec = "chained";
  std::function<void(const Status&)> next = [&](const Status& s) {
    ASSERT_TRUE(s.ok());
    if (++chained < 20) {
      ASSERT_TRUE(
          w->append_async(std::span<const std::string_view>(&rec, 1), next)
              .ok());
    }
  };
  ASSERT_TRUE(
      w->append_async(std::span<const std::string_view>(&rec, 1), next).ok());
  // Each callback queues the next batch; sync until the chain has run.
  for (int i = 0; i < 1000 && chained < 20; ++i) ASSERT_TRUE(w->sync().ok());
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(chained, 20);
  EXPECT_EQ(read_all(f.env.get(), "/log").payloads.size(), 20U);
}

TEST(LogAsyncTest, MvccTransactionsAsyncAreCalledBackInOrder) {
  auto env = new_mem_env();
  mvcc::WalOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::strict();
  auto wal = mvcc::WAL::open("/mvcc", o);
  ASSERT_TRUE(wal.ok()) << wal.status().to_string();
  const Uuid run = Uuid::new_v7();
  const auto ns = mvcc::Namespace::for_run(run);
  std::vector<uint64_t> called;
  std::vector<log::Lsn> commits;
  for (uint64_t id = 1; id <= 20; ++id) {
    std::vector<mvcc::WALEntry> txn;
    txn.emplace_back(mvcc::BeginTxn{id, run, 0});
    txn.emplace_back(mvcc::Write{run, mvcc::Key::new_kv(ns, "k"),
                                 mvcc::Value::string("v"), id});
    txn.emplace_back(mvcc::CommitTxn{id, run});
    auto r =
        (*wal)->append_transaction_async(txn, [&called, id](const Status& s) {
          EXPECT_TRUE(s.ok());
          called.push_back(id);
        });
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    commits.push_back(r->commit_lsn);
  }
  auto single = (*wal)->append_async(mvcc::WALEntry(mvcc::BeginTxn{99, run, 0}),
                                     [&called](const Status& s) {
                                       EXPECT_TRUE(s.ok());
                                       called.push_back(99);
                                     });
  ASSERT_TRUE(single.ok());
  ASSERT_TRUE((*wal)->close().ok());
  ASSERT_EQ(called.size(), 21U);
  for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(called[i], i + 1);
  EXPECT_EQ(called.back(), 99U);
  auto entries = mvcc::read_wal_entries("/mvcc", env.get());
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->entries.size(), 61U);
}

TEST(LogAsyncTest, TxLogCommitAsyncIsCalledBackAndRecovered) {
  auto env = new_mem_env();
  txlog::WalWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::strict();
  auto w = txlog::WalWriter::open("/tx", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  std::vector<int> called;
  for (int i = 0; i < 20; ++i) {
    auto tx = txlog::Transaction::create();
    tx.kv_put("key" + std::to_string(i), "value");
    auto r = (*w)->commit_atomic_async(tx, [&called, i](const Status& s) {
      EXPECT_TRUE(s.ok());
      called.push_back(i);
    });
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }
  // An empty transaction writes nothing and is called back at once.
  bool empty_called = false;
  ASSERT_TRUE((*w)->commit_atomic_async(txlog::Transaction::create(),
                                        [&](const Status& s) {
                                          EXPECT_TRUE(s.ok());
                                          empty_called = true;
                                        })
                  .ok());
  EXPECT_TRUE(empty_called);
  ASSERT_TRUE((*w)->close().ok());
  ASSERT_EQ(called.size(), 20U);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(called[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(read_all(env.get(), "/tx").payloads.size(), 40U);
}

}  // namespace
}  // namespace strata::durability::log
