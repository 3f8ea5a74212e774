// The Transaction Log under simulated power cuts (FaultInjectionEnv over a
// MemEnv, small segments so that rotation happens): recovery gives exactly
// a prefix of the committed transactions in commit order, holding every
// transaction acknowledged durable and never a partial one, and the log
// reopens and takes new commits. Also named scenarios: a torn commit_atomic
// batch, entry-by-entry transactions across a crash, a crash at every step
// of a segment rotation, and a crash after a snapshot marker and
// truncate_before.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "strata/durability/testing/fault_injection_env.h"
#include "strata/durability/txlog/recovery.h"
#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_writer.h"
#include "support/power_cut_util.h"

namespace strata::durability::txlog {
namespace {

using crashtest::commits_below;
using crashtest::gen_txn;
using crashtest::is_prefix;
using crashtest::mode_of;
using crashtest::ModeChoice;
using crashtest::OpSpec;
using crashtest::PowerCut;
using crashtest::recovery_of;
using crashtest::TxnSpec;
using crashtest::TxnStyle;
using durability::testing::CrashStateOptions;
using durability::testing::EnvOp;
using durability::testing::FaultInjectionEnv;
using durability::testing::FaultOp;
using durability::testing::materialize_crash_state;
using durability::testing::PowerCutOptions;
using durability::testing::TearMode;

constexpr char kDir[] = "/db/txlog";

// A committed transaction: its id and data entries in log order.
struct Txn {
  TxId id;
  std::vector<WalEntry> entries;
  friend bool operator==(const Txn&, const Txn&) = default;
};

std::ostream& operator<<(std::ostream& os, const Txn& t) {
  os << "tx " << t.id.to_string() << " (" << t.entries.size() << " entries)";
  return os;
}

RunId run_of(int n) {
  Uuid::Bytes b{};
  b[0] = 0x02;
  b[6] = 0x70;
  b[15] = static_cast<uint8_t>(n);
  return Uuid(b);
}

void add_op(Transaction& tx, const OpSpec& s) {
  const std::string key = "k" + std::to_string(s.key);
  const std::string value(static_cast<std::size_t>(s.size),
                          static_cast<char>('a' + s.key));
  switch (s.kind) {
    case 0:
      tx.kv_put(key, value);
      break;
    case 1:
      tx.kv_delete(key);
      break;
    case 2:
      tx.json_set("doc" + key, "{\"v\":\"" + value + "\"}");
      break;
    case 3:
      tx.event_append(value);
      break;
    case 4:
      tx.state_set(key, value);
      break;
    case 5:
      tx.state_transition(key, "a", value);
      break;
    case 6:
      tx.run_update(value);
      break;
    default:
      tx.json_create("doc" + key, value);
      break;
  }
}

Transaction build(const TxnSpec& spec) {
  Transaction tx = spec.run == 0 ? Transaction::create()
                                 : Transaction::for_run(run_of(spec.run));
  for (const OpSpec& op : spec.ops) add_op(tx, op);
  return tx;
}

Txn as_txn(const Transaction& tx) { return Txn{tx.id(), tx.to_wal_entries()}; }

Result<ReplayOutput> recover(Env* env, log::RecoveryMode mode,
                             log::Lsn from = 0) {
  RecoveryOptions o = mode == log::RecoveryMode::kPointInTime
                          ? RecoveryOptions::fast()
                          : RecoveryOptions::default_options();
  o.env = env;
  return RecoveryEngine::replay_wal_committed(kDir, from, o);
}

std::vector<Txn> txns_of(const ReplayOutput& out) {
  std::vector<Txn> v;
  for (const auto& t : out.transactions) v.push_back(Txn{t.tx_id, t.entries});
  return v;
}

// Writes a transaction entry by entry (committing or aborting it unless
// `finish` is false). Returns false at the first failed call.
template <typename Call>
bool write_entry_by_entry(WalWriter& w, const Transaction& tx, bool commit,
                          bool finish, std::size_t max_entries, Call&& call,
                          log::Lsn* end_lsn = nullptr) {
  std::size_t n = 0;
  for (const WalEntry& e : tx.to_wal_entries()) {
    if (n++ == max_entries) return true;
    if (!call([&] {
          return w.write_tx_entry(tx.id(), e.run_id, e.entry_type, e.payload)
              .ok();
        })) {
      return false;
    }
  }
  if (!finish) return true;
  return call([&] {
    auto r =
        commit ? w.commit_transaction(tx.id()) : w.abort_transaction(tx.id());
    if (r.ok() && end_lsn != nullptr) *end_lsn = *r;
    return r.ok();
  });
}

void check_power_cut_property(ModeChoice choice) {
  const bool strict = choice == ModeChoice::kStrict;
  const log::RecoveryMode recovery = recovery_of(choice);

  auto base = new_mem_env();
  RC_ASSERT(base->create_dir("/db").ok());
  FaultInjectionEnv env(base.get());
  WalWriterOptions o;
  o.env = &env;
  o.mode = mode_of(choice);
  o.segment_size = *rc::gen::inRange<uint64_t>(300, 3000);
  // Zero-filled segments ahead of use (the default) or growing ones.
  o.preallocate_segments = *rc::gen::arbitrary<bool>();
  o.recovery_mode = recovery;
  auto w = WalWriter::open(kDir, o);
  if (!w.ok()) RC_LOG() << "w: " << w.status().to_string() << "\n";
  RC_ASSERT(w.ok());

  const auto specs = *rc::gen::resize(
      14, rc::gen::container<std::vector<TxnSpec>>(gen_txn(0, false)));
  const auto n_written = *rc::gen::inRange<std::size_t>(0, specs.size() + 1);
  const auto partial_entries = *rc::gen::inRange<std::size_t>(0, 4);
  PowerCut power(&env, [&] { return (*w)->log().stats().bytes; });

  std::vector<Txn> committed;
  std::size_t durable = 0;
  std::vector<log::Lsn> commit_lsns;  // of the acknowledged commits
  auto call = [&](auto&& fn) { return power.call(fn); };

  for (std::size_t i = 0; i < n_written && !power.failed(); ++i) {
    const TxnSpec& spec = specs[i];
    const Transaction tx = build(spec);
    const auto style = static_cast<TxnStyle>(spec.style);
    if (style != TxnStyle::kAborted) committed.push_back(as_txn(tx));
    bool ok = true;
    log::Lsn commit_lsn = 0;
    if (style == TxnStyle::kAtomic) {
      ok = call([&] {
        auto r = (*w)->commit_atomic(tx);
        if (r.ok()) commit_lsn = *r;
        return r.ok();
      });
    } else {
      ok = write_entry_by_entry(**w, tx, style == TxnStyle::kEntryByEntry, true,
                                SIZE_MAX, call, &commit_lsn);
    }
    if (!ok) break;
    if (style != TxnStyle::kAborted) commit_lsns.push_back(commit_lsn);
    if (style != TxnStyle::kAborted && strict) durable = committed.size();
    if (!strict && spec.sync_after && call([&] { return (*w)->sync().ok(); })) {
      durable = committed.size();
    }
    // Markers are synced whatever the mode, with everything before them.
    if (spec.marker_after) {
      if (!call([&] {
            return (*w)
                ->write_snapshot_marker(Uuid::new_v7(), (*w)->position())
                .ok();
          })) {
        break;
      }
      durable = committed.size();
    }
  }
  if (!power.failed() && n_written < specs.size() && partial_entries > 0) {
    // Entries of a transaction the crash cut short: never committed.
    write_entry_by_entry(**w, build(specs[n_written]), true, false,
                         partial_entries, call);
  }

  // What the writer reports durable must survive too.
  durable =
      std::max(durable, commits_below(commit_lsns, (*w)->log().durable_lsn()));
  power.cut();
  w->reset();

  auto out = recover(&env, recovery);
  if (!out.ok()) RC_LOG() << "out: " << out.status().to_string() << "\n";
  RC_ASSERT(out.ok());
  const std::vector<Txn> got = txns_of(*out);
  RC_ASSERT(is_prefix(got, committed));
  RC_ASSERT(got.size() >= durable);
  RC_ASSERT(out->result.incomplete_transactions == 0U);

  // The log reopens and takes new commits, recovered after the prefix.
  WalWriterOptions again = o;
  again.mode = DurabilityMode::strict();
  auto w2 = WalWriter::open(kDir, again);
  if (!w2.ok()) RC_LOG() << "w2: " << w2.status().to_string() << "\n";
  RC_ASSERT(w2.ok());
  std::vector<Txn> expect = got;
  for (int i = 0; i < 2; ++i) {
    Transaction tx = Transaction::for_run(run_of(1));
    tx.kv_put("after", "crash").event_append("e" + std::to_string(i));
    RC_ASSERT((*w2)->commit_atomic(tx).ok());
    expect.push_back(as_txn(tx));
  }
  RC_ASSERT((*w2)->close().ok());
  auto after = recover(&env, recovery);
  if (!after.ok()) RC_LOG() << "after: " << after.status().to_string() << "\n";
  RC_ASSERT(after.ok());
  RC_ASSERT(txns_of(*after) == expect);
}

RC_GTEST_PROP(TxlogPowerCut, StrictRecoveryIsACommittedPrefixWithEveryAckedTx,
              ()) {
  check_power_cut_property(ModeChoice::kStrict);
}

RC_GTEST_PROP(TxlogPowerCut, BatchedRecoveryIsACommittedPrefixWithEverySyncedTx,
              ()) {
  check_power_cut_property(ModeChoice::kBatched);
}

RC_GTEST_PROP(TxlogPowerCut, NoneRecoveryIsACommittedPrefixWithEverySyncedTx,
              ()) {
  check_power_cut_property(ModeChoice::kNone);
}

// ------------------------------------------------------------ scenarios

class TxlogPowerCutScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_->create_dir("/db").ok());
    env_ = std::make_unique<FaultInjectionEnv>(base_.get());
  }

  std::unique_ptr<WalWriter> open(DurabilityMode mode, uint64_t segment_size,
                                  Env* env = nullptr) {
    WalWriterOptions o;
    o.env = env != nullptr ? env : env_.get();
    o.mode = mode;
    o.segment_size = segment_size;
    auto w = WalWriter::open(kDir, o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(w).value() : nullptr;
  }

  // The benchmark's five-primitive transaction.
  static Transaction five(int i, int size = 40) {
    Transaction tx = Transaction::for_run(run_of(1));
    const std::string v(static_cast<std::size_t>(size), 'v');
    tx.kv_put("k" + std::to_string(i), v)
        .json_set("doc", "{\"i\":" + std::to_string(i) + "}")
        .event_append(v)
        .state_set("s", std::to_string(i))
        .run_update("u");
    return tx;
  }

  std::unique_ptr<Env> base_ = new_mem_env();
  std::unique_ptr<FaultInjectionEnv> env_;
};

TEST_F(TxlogPowerCutScenario, TornCommitAtomicBatchIsRecoveredWholeOrNotAtAll) {
  ASSERT_TRUE(env_->start_recording().ok());
  auto w = open(DurabilityMode::none(), 1 << 20);
  ASSERT_NE(w, nullptr);
  std::vector<Txn> before;
  for (int i = 0; i < 3; ++i) {
    Transaction tx = five(i);
    ASSERT_TRUE(w->commit_atomic(tx).ok());
    before.push_back(as_txn(tx));
  }
  ASSERT_TRUE(w->sync().ok());
  const uint64_t bytes0 = w->log().stats().bytes;
  Transaction last = five(3, 100);
  ASSERT_TRUE(w->commit_atomic(last).ok());
  const auto batch_bytes =
      static_cast<std::size_t>(w->log().stats().bytes - bytes0);
  env_->stop_recording();
  const std::vector<EnvOp> trace =
      crashtest::through_last_segment_append(env_->trace());
  ASSERT_FALSE(trace.empty());
  ASSERT_EQ(trace.back().data.size(), batch_bytes);

  std::vector<Txn> all = before;
  all.push_back(as_txn(last));
  CrashStateOptions keep_all;
  keep_all.drop_unsynced_data = false;
  auto full = materialize_crash_state(trace, trace.size(), keep_all);
  ASSERT_TRUE(full.ok());
  {
    auto out = recover(full->get(), log::RecoveryMode::kPointInTime);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(txns_of(*out), all);
  }
  auto whole_segment = read_file(full->get(), trace.back().path);
  ASSERT_TRUE(whole_segment.ok());
  for (TearMode mode : {TearMode::kCut, TearMode::kZeros, TearMode::kGarbage}) {
    // Every cut point near the record boundaries at the ends; every third
    // in between (every one with STRATA_LONG_TESTS).
    for (std::size_t keep = 0; keep < batch_bytes;
         keep +=
         (STRATA_LONG_TESTS || keep < 64 || keep + 64 > batch_bytes) ? 1 : 3) {
      CrashStateOptions co;
      co.tear_mode = mode;
      co.tear_keep_bytes = keep;
      auto state = materialize_crash_state(trace, trace.size(), co);
      ASSERT_TRUE(state.ok());
      // Zeros or garbage equal to the bytes they replace leave the batch
      // whole: then all four transactions are expected.
      auto seg = read_file(state->get(), trace.back().path);
      ASSERT_TRUE(seg.ok()) << seg.status().to_string();
      const bool intact = *seg == *whole_segment;
      for (auto rm : {log::RecoveryMode::kTolerateCorruptedTail,
                      log::RecoveryMode::kPointInTime}) {
        auto out = recover(state->get(), rm);
        ASSERT_TRUE(out.ok())
            << "keep " << keep << ": " << out.status().to_string();
        ASSERT_EQ(txns_of(*out), intact ? all : before)
            << "keep " << keep << " mode " << static_cast<int>(mode);
        ASSERT_EQ(out->result.incomplete_transactions, 0U);
      }
    }
  }
}

TEST_F(TxlogPowerCutScenario, EntryByEntryTransactionsAcrossACrash) {
  auto w = open(DurabilityMode::strict(), 400);
  ASSERT_NE(w, nullptr);
  const RunId run = run_of(1);
  auto put = [&](const TxId& tx, const std::string& v) {
    auto r = w->write_tx_entry_for_run(tx, run, WalEntryType::kKvPut, v);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return WalEntry::for_run(WalEntryType::kKvPut, tx, run, v);
  };
  // A: committed. B and C interleaved; C committed, B never finished.
  TxId a = w->begin_transaction();
  Txn ta{a, {put(a, "a1"), put(a, "a2")}};
  ASSERT_TRUE(w->commit_transaction(a).ok());
  TxId b = w->begin_transaction();
  TxId c = w->begin_transaction();
  Txn tc{c, {}};
  put(b, "b1");
  tc.entries.push_back(put(c, "c1"));
  put(b, std::string(300, 'b'));  // crosses into a new segment
  tc.entries.push_back(put(c, "c2"));
  ASSERT_TRUE(w->commit_transaction(c).ok());
  // D: its commit's sync fails, so it was never acknowledged.
  TxId d = w->begin_transaction();
  put(d, "d1");
  env_->inject_error(FaultOp::kSync, 1, EIO);
  EXPECT_FALSE(w->commit_transaction(d).ok());
  env_->clear_errors();
  ASSERT_TRUE(env_->simulate_power_cut().ok());
  w.reset();

  auto out = recover(env_.get(), log::RecoveryMode::kTolerateCorruptedTail);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(txns_of(*out), (std::vector<Txn>{ta, tc}));
  EXPECT_EQ(out->result.orphaned_transactions, 2U);  // B and D

  // After the restart: E is written entry by entry by the new writer and
  // committed. B's commit from the new writer cannot count B's entries
  // (the old writer wrote them), so B is reported incomplete, never
  // returned in part or in whole.
  auto w2 = open(DurabilityMode::strict(), 400);
  ASSERT_NE(w2, nullptr);
  w = std::move(w2);
  TxId e = w->begin_transaction();
  Txn te{e, {put(e, "e1"), put(e, "e2"), put(e, "e3")}};
  ASSERT_TRUE(w->commit_transaction(e).ok());
  ASSERT_TRUE(w->commit_transaction(b).ok());
  ASSERT_TRUE(w->close().ok());

  auto again = recover(env_.get(), log::RecoveryMode::kTolerateCorruptedTail);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(txns_of(*again), (std::vector<Txn>{ta, tc, te}));
  EXPECT_EQ(again->result.incomplete_transactions, 1U);  // B
  EXPECT_EQ(again->result.orphaned_transactions, 1U);    // D
}

TEST_F(TxlogPowerCutScenario,
       PowerCutDuringConcurrentStrictCommitsKeepsAckedTxs) {
  auto w = open(DurabilityMode::strict(), 2000);
  ASSERT_NE(w, nullptr);
  constexpr int kThreads = 4;
  // Per thread: the transactions it attempted, and how many were acked.
  std::vector<std::vector<Txn>> attempted(kThreads);
  std::vector<std::size_t> acked(kThreads, 0);
  std::atomic<int> commits{0};
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Transaction tx = five(t * 1000 + i, 10 + (i % 7) * 30);
        attempted[t].push_back(as_txn(tx));
        if (!w->commit_atomic(tx).ok()) break;  // the power is gone
        acked[t] = attempted[t].size();
        commits.fetch_add(1);
      }
      finished.fetch_add(1);
    });
  }
  // Cut the power while the threads are committing.
  while (commits.load() < 40 && finished.load() < kThreads) {
    std::this_thread::yield();
  }
  EXPECT_TRUE(env_->simulate_power_cut().ok());
  for (auto& th : threads) th.join();
  w.reset();

  auto out = recover(env_.get(), log::RecoveryMode::kTolerateCorruptedTail);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // Each thread's recovered transactions are, in log order, a prefix of
  // what it attempted that holds everything it was told was durable.
  std::vector<std::size_t> seen(kThreads, 0);
  for (const Txn& got : txns_of(*out)) {
    bool found = false;
    for (int t = 0; t < kThreads && !found; ++t) {
      if (seen[t] < attempted[t].size() && attempted[t][seen[t]] == got) {
        ++seen[t];
        found = true;
      }
    }
    ASSERT_TRUE(found) << got << " is not the next transaction of any thread";
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_GE(seen[t], acked[t]) << "thread " << t;
  }
  EXPECT_EQ(out->result.incomplete_transactions, 0U);
}

TEST_F(TxlogPowerCutScenario, CrashAtEveryStepOfSegmentRotationKeepsAckedTxs) {
  ASSERT_TRUE(env_->start_recording().ok());
  auto w = open(DurabilityMode::strict(), 700);
  ASSERT_NE(w, nullptr);
  std::vector<Txn> written;
  std::vector<std::size_t> started_at;
  std::vector<std::size_t> acked_at;
  for (int i = 0; i < 12; ++i) {
    Transaction tx = five(i, 20 + 10 * (i % 4));
    started_at.push_back(env_->trace().size());
    ASSERT_TRUE(w->commit_atomic(tx).ok());
    acked_at.push_back(env_->trace().size());
    written.push_back(as_txn(tx));
  }
  ASSERT_GE(w->log().stats().rotations, 3U);
  env_->stop_recording();
  const std::vector<EnvOp> trace = env_->trace();

  for (std::size_t p = 0; p <= trace.size(); ++p) {
    const bool ends_in_append =
        p > 0 && trace[p - 1].type == EnvOp::Type::kAppend;
    // Untorn or torn last append; unsynced directory changes lost or kept.
    for (int variant = 0; variant < 4; ++variant) {
      const TearMode tear =
          variant % 2 == 0 ? TearMode::kNone : TearMode::kGarbage;
      const bool keep_dir_ops = variant >= 2;
      if (tear != TearMode::kNone && !ends_in_append) continue;
      CrashStateOptions co;
      co.tear_mode = tear;
      co.drop_unsynced_dir_ops = !keep_dir_ops;
      co.tear_keep_bytes =
          tear == TearMode::kNone ? 0 : trace[p - 1].data.size() / 3;
      auto state = materialize_crash_state(trace, p, co);
      ASSERT_TRUE(state.ok()) << state.status().to_string();
      std::size_t acked = 0;
      std::size_t started = 0;
      for (std::size_t i = 0; i < written.size(); ++i) {
        if (acked_at[i] <= p) acked = i + 1;
        if (started_at[i] < p) started = i + 1;
      }
      SCOPED_TRACE("crash after op " + std::to_string(p) + " " +
                   (p > 0 ? describe(trace[p - 1]) : std::string("(none)")) +
                   (tear != TearMode::kNone ? " torn" : "") +
                   (keep_dir_ops ? " dir ops kept" : ""));
      auto out =
          recover(state->get(), log::RecoveryMode::kTolerateCorruptedTail);
      if (started == 0 && !out.ok() && out.status().is_not_found()) {
        continue;  // the log was not created yet
      }
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      const std::vector<Txn> got = txns_of(*out);
      EXPECT_TRUE(is_prefix(got, written));
      EXPECT_GE(got.size(), acked);
      EXPECT_LE(got.size(), started);

      auto w2 = open(DurabilityMode::strict(), 700, state->get());
      ASSERT_NE(w2, nullptr);
      Transaction tx = five(100);
      ASSERT_TRUE(w2->commit_atomic(tx).ok());
      ASSERT_TRUE(w2->close().ok());
      auto after =
          recover(state->get(), log::RecoveryMode::kTolerateCorruptedTail);
      ASSERT_TRUE(after.ok()) << after.status().to_string();
      std::vector<Txn> expect = got;
      expect.push_back(as_txn(tx));
      EXPECT_EQ(txns_of(*after), expect);
    }
  }
}

TEST_F(TxlogPowerCutScenario, CrashAfterSnapshotAndTruncateRecoversFromIt) {
  auto w = open(DurabilityMode::strict(), 600);
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->commit_atomic(five(i)).ok());
  const log::Lsn snapshot_at = w->position();
  auto marker = w->write_snapshot_marker(Uuid::new_v7(), snapshot_at);
  ASSERT_TRUE(marker.ok()) << marker.status().to_string();
  std::vector<Txn> after_snapshot;
  for (int i = 10; i < 12; ++i) {
    Transaction tx = five(i);
    ASSERT_TRUE(w->commit_atomic(tx).ok());
    after_snapshot.push_back(as_txn(tx));
  }

  // The writer is reopened once recording has started: a trace cannot
  // replay appends through a file opened before it began.
  ASSERT_TRUE(w->close().ok());
  w.reset();
  ASSERT_TRUE(env_->start_recording("/db").ok());
  w = open(DurabilityMode::strict(), 600);
  ASSERT_NE(w, nullptr);
  auto removed = w->truncate_before(*marker);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  ASSERT_GE(*removed, 1U);
  std::vector<std::size_t> acked_at;
  for (int i = 12; i < 17; ++i) {
    Transaction tx = five(i);
    ASSERT_TRUE(w->commit_atomic(tx).ok());
    acked_at.push_back(env_->trace().size());
    after_snapshot.push_back(as_txn(tx));
  }
  env_->stop_recording();
  const std::vector<EnvOp> trace = env_->trace();

  for (std::size_t p = 0; p <= trace.size(); ++p) {
    SCOPED_TRACE("crash after op " + std::to_string(p) + " " +
                 (p > 0 ? describe(trace[p - 1]) : std::string("(none)")));
    auto state = materialize_crash_state(trace, p);
    ASSERT_TRUE(state.ok()) << state.status().to_string();
    auto out = recover(state->get(), log::RecoveryMode::kTolerateCorruptedTail,
                       snapshot_at);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const std::vector<Txn> got = txns_of(*out);
    std::size_t acked = 2;
    for (std::size_t i = 0; i < acked_at.size(); ++i) {
      if (acked_at[i] <= p) acked = 2 + i + 1;
    }
    EXPECT_TRUE(is_prefix(got, after_snapshot));
    EXPECT_GE(got.size(), acked);
    ASSERT_TRUE(out->result.last_snapshot.has_value());
    EXPECT_EQ(out->result.last_snapshot_lsn, *marker);

    // Replay from the start of what is left works too and ends the same.
    auto whole =
        recover(state->get(), log::RecoveryMode::kTolerateCorruptedTail);
    ASSERT_TRUE(whole.ok()) << whole.status().to_string();
    const std::vector<Txn> all = txns_of(*whole);
    ASSERT_GE(all.size(), got.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(),
                           all.end() - static_cast<long>(got.size())));
  }
}

}  // namespace
}  // namespace strata::durability::txlog
