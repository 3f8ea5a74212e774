// The MVCC WAL under simulated power cuts (FaultInjectionEnv over a MemEnv,
// small segments so that rotation happens): replay gives exactly a prefix
// of the committed transactions in commit order, holding every transaction
// acknowledged durable and never a partial one, and the log reopens and
// takes new transactions. Also named scenarios: a torn transaction batch,
// a crash at every step of a segment rotation, and a crash after a
// checkpoint and truncate_before.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/durability/mvcc/mvcc_store.h"
#include "strata/durability/mvcc/replay.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/testing/fault_injection_env.h"
#include "support/mvcc_test_util.h"
#include "support/power_cut_util.h"

namespace strata::durability::mvcc {
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
using testing::test_run;

constexpr char kDir[] = "/db/wal";

// A committed transaction as the handler saw it, or as it was written.
struct Txn {
  uint64_t txn_id = 0;
  RunId run;
  std::vector<WALEntry> data;
  friend bool operator==(const Txn&, const Txn&) = default;
};

std::ostream& operator<<(std::ostream& os, const Txn& t) {
  os << "txn " << t.txn_id << " (" << t.data.size() << " entries)";
  return os;
}

// Records every committed transaction replay hands it, entry by entry.
class RecordingHandler : public ReplayHandler {
 public:
  std::vector<Txn> txns;
  bool open = false;

  Status on_transaction_begin(const TxnInfo& info) override {
    txns.push_back(Txn{info.txn_id, info.run_id, {}});
    open = true;
    return Status::ok_status();
  }
  Status on_transaction_commit(const TxnInfo& info) override {
    if (!open || txns.back().txn_id != info.txn_id ||
        txns.back().data.size() != info.entry_count) {
      return Status::corruption("commit does not match the open transaction");
    }
    open = false;
    return Status::ok_status();
  }
  Result<ApplyOutcome> on_write(const Write& e) override { return add(e); }
  Result<ApplyOutcome> on_delete(const Delete& e) override { return add(e); }
  Result<ApplyOutcome> on_json_create(const JsonCreate& e) override {
    return add(e);
  }
  Result<ApplyOutcome> on_json_set(const JsonSet& e) override { return add(e); }
  Result<ApplyOutcome> on_json_delete(const JsonDelete& e) override {
    return add(e);
  }
  Result<ApplyOutcome> on_json_destroy(const JsonDestroy& e) override {
    return add(e);
  }
  Result<ApplyOutcome> on_vector_collection_create(
      const VectorCollectionCreate& e) override {
    return add(e);
  }
  Result<ApplyOutcome> on_vector_collection_delete(
      const VectorCollectionDelete& e) override {
    return add(e);
  }
  Result<ApplyOutcome> on_vector_upsert(const VectorUpsert& e) override {
    return add(e);
  }
  Result<ApplyOutcome> on_vector_delete(const VectorDelete& e) override {
    return add(e);
  }

 private:
  Result<ApplyOutcome> add(WALEntry e) {
    if (!open) return Status::corruption("data entry outside a transaction");
    txns.back().data.push_back(std::move(e));
    return ApplyOutcome::kApplied;
  }
};

WALEntry make_entry(const OpSpec& s, const RunId& run, uint64_t version) {
  const Namespace ns = Namespace::for_run(run);
  const std::string key = "k" + std::to_string(s.key);
  const std::string doc = "doc" + std::to_string(s.key % 3);
  std::string payload(static_cast<std::size_t>(s.size),
                      static_cast<char>('a' + version % 26));
  switch (s.kind) {
    case 0:
    case 1:
      return Write{run, Key::new_kv(ns, key), Value::string(payload), version};
    case 2:
      return Delete{run, Key::new_kv(ns, key), version};
    case 3: {
      Value::Object o;
      o["body"] = Value::bytes(payload);
      o["n"] = Value::integer(static_cast<int64_t>(version));
      return JsonCreate{run, doc, Value::object(std::move(o)), version,
                        1000 + version};
    }
    case 4:
      return JsonSet{run, doc, *JsonPath::parse("n"),
                     Value::integer(static_cast<int64_t>(s.size)), version};
    case 5:
      return VectorCollectionCreate{run, "emb", 2, DistanceMetric::kEuclidean,
                                    version};
    case 6:
      return VectorUpsert{run,
                          "emb",
                          key,
                          static_cast<uint64_t>(s.key),
                          {1.0f, static_cast<float>(s.size)},
                          payload,
                          version,
                          std::nullopt};
    default:
      return VectorDelete{run, "emb", key, static_cast<uint64_t>(s.key),
                          version};
  }
}

// Builds BeginTxn, data entries, and CommitTxn (or AbortTxn).
std::vector<WALEntry> build_txn(const TxnSpec& spec, uint64_t txn_id,
                                uint64_t* version) {
  const RunId run = test_run(static_cast<uint8_t>(spec.run));
  std::vector<WALEntry> out;
  out.push_back(BeginTxn{txn_id, run, 5000 + txn_id});
  for (const OpSpec& e : spec.ops) {
    out.push_back(make_entry(e, run, ++*version));
  }
  if (static_cast<TxnStyle>(spec.style) == TxnStyle::kAborted) {
    out.push_back(AbortTxn{txn_id, run});
  } else {
    out.push_back(CommitTxn{txn_id, run});
  }
  return out;
}

Txn as_txn(const std::vector<WALEntry>& entries) {
  Txn t;
  t.txn_id = *entries.front().txn_id();
  t.run = *entries.front().run_id();
  t.data.assign(entries.begin() + 1, entries.end() - 1);
  return t;
}

// Replays `dir` on `env` into a recording handler.
Result<std::vector<Txn>> replay_txns(Env* env, log::RecoveryMode mode,
                                     bool from_last_checkpoint = false) {
  RecordingHandler h;
  ReplayOptions o;
  o.env = env;
  o.recovery_mode = mode;
  o.from_last_checkpoint = from_last_checkpoint;
  auto stats = replay_wal(kDir, &h, o);
  if (!stats.ok()) return stats.status();
  if (h.open) return Status::corruption("replay left a transaction open");
  return std::move(h.txns);
}

// The state an MvccStore reaches by applying `txns` directly.
std::string reference_dump(const std::vector<Txn>& txns, std::size_t n) {
  MvccStore store;
  for (std::size_t i = 0; i < n; ++i) {
    for (const WALEntry& e : txns[i].data) (void)store.apply(e);
  }
  return store.dump();
}

// The power-cut property, for logs written in `choice` mode.
void check_power_cut_property(ModeChoice choice) {
  const bool strict = choice == ModeChoice::kStrict;
  const log::RecoveryMode recovery = recovery_of(choice);

  auto base = new_mem_env();
  RC_ASSERT(base->create_dir("/db").ok());
  FaultInjectionEnv env(base.get());
  WalOptions o;
  o.env = &env;
  o.mode = mode_of(choice);
  o.segment_size = *rc::gen::inRange<uint64_t>(300, 3000);
  // Zero-filled segments ahead of use (the default) or growing ones.
  o.preallocate_segments = *rc::gen::arbitrary<bool>();
  o.recovery_mode = recovery;
  auto wal = WAL::open(kDir, o);
  if (!wal.ok()) RC_LOG() << "wal: " << wal.status().to_string() << "\n";
  RC_ASSERT(wal.ok());

  const auto specs = *rc::gen::resize(
      14, rc::gen::container<std::vector<TxnSpec>>(gen_txn(1, true)));
  // The crash point: how many transactions are written, and how many
  // entries of the next one (single appends, never committed).
  const auto n_written = *rc::gen::inRange<std::size_t>(0, specs.size() + 1);
  const auto partial_entries = *rc::gen::inRange<std::size_t>(0, 4);
  PowerCut power(&env, [&] { return (*wal)->stats().bytes; });

  std::vector<Txn> committed;         // attempted commits, in commit order
  std::size_t durable = 0;            // of which acknowledged durable
  std::vector<log::Lsn> commit_lsns;  // of the acknowledged ones
  uint64_t version = 0;
  auto call = [&](auto&& fn) { return power.call(fn); };

  for (std::size_t i = 0; i < n_written && !power.failed(); ++i) {
    const TxnSpec& spec = specs[i];
    const uint64_t txn_id = i + 1;
    const std::vector<WALEntry> entries = build_txn(spec, txn_id, &version);
    const auto style = static_cast<TxnStyle>(spec.style);
    if (style != TxnStyle::kAborted) committed.push_back(as_txn(entries));
    bool ok = true;
    log::Lsn commit_lsn = 0;
    if (style == TxnStyle::kAtomic) {
      ok = call([&] {
        auto r = (*wal)->append_transaction(entries);
        if (r.ok()) commit_lsn = r->commit_lsn;
        return r.ok();
      });
    } else {
      for (const WALEntry& e : entries) {
        ok = call([&] {
          auto r = (*wal)->append(e);
          if (r.ok()) commit_lsn = *r;
          return r.ok();
        });
        if (!ok) break;
      }
    }
    if (!ok) break;
    if (style != TxnStyle::kAborted) commit_lsns.push_back(commit_lsn);
    if (style != TxnStyle::kAborted && strict) durable = committed.size();
    if (!strict && spec.sync_after) {
      if (call([&] { return (*wal)->sync().ok(); })) {
        durable = committed.size();
      }
    }
    // Markers are synced whatever the mode, with everything before them.
    if (spec.marker_after) {
      if (!call([&] {
            return (*wal)->checkpoint(Uuid::new_v7(), version, {}).ok();
          }))
        break;
      durable = committed.size();
    }
  }
  if (!power.failed() && n_written < specs.size() && partial_entries > 0) {
    // A transaction cut short by the crash: never committed.
    const std::vector<WALEntry> entries =
        build_txn(specs[n_written], n_written + 1, &version);
    for (std::size_t j = 0; j + 1 < entries.size() && j < partial_entries;
         ++j) {
      if (!call([&] { return (*wal)->append(entries[j]).ok(); })) break;
    }
  }

  // What the writer reports durable must survive too.
  durable =
      std::max(durable, commits_below(commit_lsns, (*wal)->durable_lsn()));
  power.cut();
  wal->reset();

  auto got = replay_txns(&env, recovery);
  if (!got.ok()) RC_LOG() << "got: " << got.status().to_string() << "\n";
  RC_ASSERT(got.ok());
  RC_ASSERT(is_prefix(*got, committed));
  RC_ASSERT(got->size() >= durable);

  // The same replay into an MvccStore gives the state of that prefix.
  {
    MvccStore store;
    ReplayOptions ro;
    ro.env = &env;
    ro.recovery_mode = recovery;
    auto stats = replay_wal(kDir, &store, ro);
    if (!stats.ok())
      RC_LOG() << "stats: " << stats.status().to_string() << "\n";
    RC_ASSERT(stats.ok());
    RC_ASSERT(stats->txns_applied == got->size());
    RC_ASSERT(store.dump() == reference_dump(committed, got->size()));
  }

  // The log reopens and takes new transactions, which replay then returns
  // after the recovered prefix.
  WalOptions again = o;
  again.mode = DurabilityMode::strict();
  auto wal2 = WAL::open(kDir, again);
  if (!wal2.ok()) RC_LOG() << "wal2: " << wal2.status().to_string() << "\n";
  RC_ASSERT(wal2.ok());
  std::vector<Txn> expect = *got;
  for (uint64_t id = 1000; id < 1002; ++id) {
    TxnSpec spec;
    spec.run = 1;
    spec.ops = {OpSpec{0, 1, 30}, OpSpec{3, 2, 10}};
    const auto entries = build_txn(spec, id, &version);
    RC_ASSERT((*wal2)->append_transaction(entries).ok());
    expect.push_back(as_txn(entries));
  }
  RC_ASSERT((*wal2)->close().ok());
  auto after = replay_txns(&env, recovery);
  if (!after.ok()) RC_LOG() << "after: " << after.status().to_string() << "\n";
  RC_ASSERT(after.ok());
  RC_ASSERT(*after == expect);
}

RC_GTEST_PROP(MvccPowerCut, StrictReplayIsACommittedPrefixWithEveryAckedTxn,
              ()) {
  check_power_cut_property(ModeChoice::kStrict);
}

RC_GTEST_PROP(MvccPowerCut, BatchedReplayIsACommittedPrefixWithEverySyncedTxn,
              ()) {
  check_power_cut_property(ModeChoice::kBatched);
}

RC_GTEST_PROP(MvccPowerCut, NoneReplayIsACommittedPrefixWithEverySyncedTxn,
              ()) {
  check_power_cut_property(ModeChoice::kNone);
}

// ------------------------------------------------------------ scenarios

class MvccPowerCutScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_->create_dir("/db").ok());
    env_ = std::make_unique<FaultInjectionEnv>(base_.get());
  }

  std::unique_ptr<WAL> open(DurabilityMode mode, uint64_t segment_size,
                            Env* env = nullptr) {
    WalOptions o;
    o.env = env != nullptr ? env : env_.get();
    o.mode = mode;
    o.segment_size = segment_size;
    auto w = WAL::open(kDir, o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(w).value() : nullptr;
  }

  // A transaction of `n` Writes of `size` bytes each.
  std::vector<WALEntry> txn(uint64_t id, int n, int size = 40) {
    TxnSpec spec;
    spec.run = 1;
    for (int i = 0; i < n; ++i) spec.ops.push_back(OpSpec{0, i % 6, size});
    return build_txn(spec, id, &version_);
  }

  std::unique_ptr<Env> base_ = new_mem_env();
  std::unique_ptr<FaultInjectionEnv> env_;
  uint64_t version_ = 0;
};

TEST_F(MvccPowerCutScenario, TornTransactionBatchIsRecoveredWholeOrNotAtAll) {
  std::vector<Txn> before;
  ASSERT_TRUE(env_->start_recording().ok());
  auto wal = open(DurabilityMode::none(), 1 << 20);
  ASSERT_NE(wal, nullptr);
  for (uint64_t id = 1; id <= 3; ++id) {
    auto t = txn(id, 3);
    ASSERT_TRUE(wal->append_transaction(t).ok());
    before.push_back(as_txn(t));
  }
  ASSERT_TRUE(wal->sync().ok());
  const uint64_t bytes0 = wal->stats().bytes;
  auto ten = txn(4, 10);
  ASSERT_TRUE(wal->append_transaction(ten).ok());
  const auto batch_bytes =
      static_cast<std::size_t>(wal->stats().bytes - bytes0);
  env_->stop_recording();
  const std::vector<EnvOp> trace =
      crashtest::through_last_segment_append(env_->trace());
  ASSERT_FALSE(trace.empty());
  ASSERT_EQ(trace.back().data.size(), batch_bytes);

  // The whole batch reached the disk: all four transactions.
  std::vector<Txn> all = before;
  all.push_back(as_txn(ten));
  CrashStateOptions keep_all;
  keep_all.drop_unsynced_data = false;
  auto full = materialize_crash_state(trace, trace.size(), keep_all);
  ASSERT_TRUE(full.ok()) << full.status().to_string();
  {
    auto got = replay_txns(full->get(), log::RecoveryMode::kPointInTime);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(*got, all);
  }
  auto whole_segment = read_file(full->get(), trace.back().path);
  ASSERT_TRUE(whole_segment.ok());
  // Any part of it: the first three only, in every recovery mode that
  // accepts a damaged tail.
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
      ASSERT_TRUE(state.ok()) << state.status().to_string();
      // Zeros or garbage equal to the bytes they replace leave the batch
      // whole: then all four transactions are expected.
      auto seg = read_file(state->get(), trace.back().path);
      ASSERT_TRUE(seg.ok()) << seg.status().to_string();
      const bool intact = *seg == *whole_segment;
      for (auto rm : {log::RecoveryMode::kTolerateCorruptedTail,
                      log::RecoveryMode::kPointInTime}) {
        auto got = replay_txns(state->get(), rm);
        ASSERT_TRUE(got.ok())
            << "keep " << keep << " mode " << static_cast<int>(mode) << ": "
            << got.status().to_string();
        ASSERT_EQ(*got, intact ? all : before)
            << "keep " << keep << " mode " << static_cast<int>(mode);
      }
    }
  }
}

TEST_F(MvccPowerCutScenario, TxnIdReusedAfterACrashRecoversOnlyTheNewTxn) {
  auto wal = open(DurabilityMode::strict(), 400);
  ASSERT_NE(wal, nullptr);
  auto first = txn(1, 2);
  ASSERT_TRUE(wal->append_transaction(first).ok());
  // Transaction 2 is written entry by entry and the crash comes before its
  // commit; the restarted writer numbers from 2 again.
  auto lost = txn(2, 3);
  for (std::size_t i = 0; i + 1 < lost.size(); ++i) {
    ASSERT_TRUE(wal->append(lost[i]).ok());
  }
  ASSERT_TRUE(env_->simulate_power_cut().ok());
  wal.reset();

  auto wal2 = open(DurabilityMode::strict(), 400);
  ASSERT_NE(wal2, nullptr);
  auto reused = txn(2, 2, 70);
  for (const WALEntry& e : reused) ASSERT_TRUE(wal2->append(e).ok());
  auto third = txn(3, 1);
  ASSERT_TRUE(wal2->append_transaction(third).ok());
  ASSERT_TRUE(wal2->close().ok());

  RecordingHandler h;
  ReplayOptions o;
  o.env = env_.get();
  auto stats = replay_wal(kDir, &h, o);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  EXPECT_EQ(h.txns,
            (std::vector<Txn>{as_txn(first), as_txn(reused), as_txn(third)}));
  EXPECT_EQ(stats->incomplete_txns, 1U);  // the lost transaction 2
  EXPECT_EQ(stats->max_txn_id, 3U);
}

TEST_F(MvccPowerCutScenario, CrashAtEveryStepOfSegmentRotationKeepsAckedTxns) {
  ASSERT_TRUE(env_->start_recording().ok());
  auto wal = open(DurabilityMode::strict(), 600);
  ASSERT_NE(wal, nullptr);
  std::vector<Txn> written;
  std::vector<std::size_t> started_at;  // trace length before each txn
  std::vector<std::size_t> acked_at;    // trace length when acknowledged
  for (uint64_t id = 1; id <= 12; ++id) {
    auto t = txn(id, 1 + static_cast<int>(id % 4), 60);
    started_at.push_back(env_->trace().size());
    ASSERT_TRUE(wal->append_transaction(t).ok());
    acked_at.push_back(env_->trace().size());
    written.push_back(as_txn(t));
  }
  ASSERT_GE(wal->stats().rotations, 3U);
  env_->stop_recording();
  const std::vector<EnvOp> trace = env_->trace();

  for (std::size_t p = 0; p <= trace.size(); ++p) {
    const bool ends_in_append =
        p > 0 && trace[p - 1].type == EnvOp::Type::kAppend;
    // Untorn or torn last append; unsynced directory changes lost or kept.
    for (int variant = 0; variant < 4; ++variant) {
      const TearMode tear = variant % 2 == 0 ? TearMode::kNone : TearMode::kCut;
      const bool keep_dir_ops = variant >= 2;
      if (tear != TearMode::kNone && !ends_in_append) continue;
      CrashStateOptions co;
      co.tear_mode = tear;
      co.drop_unsynced_dir_ops = !keep_dir_ops;
      co.tear_keep_bytes =
          tear == TearMode::kNone ? 0 : trace[p - 1].data.size() / 2;
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
      auto got =
          replay_txns(state->get(), log::RecoveryMode::kTolerateCorruptedTail);
      if (started == 0 && !got.ok() && got.status().is_not_found()) {
        continue;  // the log was not created yet
      }
      ASSERT_TRUE(got.ok()) << got.status().to_string();
      EXPECT_TRUE(is_prefix(*got, written));
      EXPECT_GE(got->size(), acked);
      EXPECT_LE(got->size(), started);

      // The writer reopens there and its next transaction is replayed.
      auto w2 = open(DurabilityMode::strict(), 600, state->get());
      ASSERT_NE(w2, nullptr);
      auto t = txn(100, 2);
      ASSERT_TRUE(w2->append_transaction(t).ok());
      ASSERT_TRUE(w2->close().ok());
      auto after =
          replay_txns(state->get(), log::RecoveryMode::kTolerateCorruptedTail);
      ASSERT_TRUE(after.ok()) << after.status().to_string();
      std::vector<Txn> expect = *got;
      expect.push_back(as_txn(t));
      EXPECT_EQ(*after, expect);
    }
  }
}

TEST_F(MvccPowerCutScenario, CrashAfterCheckpointAndTruncateReplaysFromIt) {
  auto wal = open(DurabilityMode::strict(), 500);
  ASSERT_NE(wal, nullptr);
  for (uint64_t id = 1; id <= 10; ++id) {
    ASSERT_TRUE(wal->append_transaction(txn(id, 3, 50)).ok());
  }
  const uint64_t cp_version = version_;
  auto cp = wal->checkpoint(Uuid::new_v7(), cp_version, {test_run(1)});
  ASSERT_TRUE(cp.ok()) << cp.status().to_string();
  std::vector<Txn> after_cp;
  for (uint64_t id = 11; id <= 12; ++id) {
    auto t = txn(id, 2, 50);
    ASSERT_TRUE(wal->append_transaction(t).ok());
    after_cp.push_back(as_txn(t));
  }

  // Record truncate_before and the transactions after it. The writer is
  // reopened once recording has started: a trace cannot replay appends
  // through a file opened before it began.
  ASSERT_TRUE(wal->close().ok());
  wal.reset();
  ASSERT_TRUE(env_->start_recording("/db").ok());
  wal = open(DurabilityMode::strict(), 500);
  ASSERT_NE(wal, nullptr);
  auto removed = wal->truncate_before(*cp);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  ASSERT_GE(*removed, 1U);
  std::vector<std::size_t> acked_at;
  for (uint64_t id = 13; id <= 17; ++id) {
    auto t = txn(id, 2, 50);
    ASSERT_TRUE(wal->append_transaction(t).ok());
    acked_at.push_back(env_->trace().size());
    after_cp.push_back(as_txn(t));
  }
  env_->stop_recording();
  const std::vector<EnvOp> trace = env_->trace();

  for (std::size_t p = 0; p <= trace.size(); ++p) {
    SCOPED_TRACE("crash after op " + std::to_string(p) + " " +
                 (p > 0 ? describe(trace[p - 1]) : std::string("(none)")));
    auto state = materialize_crash_state(trace, p);
    ASSERT_TRUE(state.ok()) << state.status().to_string();
    auto info = find_last_checkpoint(kDir, state->get());
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    ASSERT_TRUE(info->has_value());
    EXPECT_EQ((*info)->lsn, *cp);
    EXPECT_EQ((*info)->version, cp_version);

    auto got =
        replay_txns(state->get(), log::RecoveryMode::kTolerateCorruptedTail,
                    /*from_last_checkpoint=*/true);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    std::size_t acked = 2;
    for (std::size_t i = 0; i < acked_at.size(); ++i) {
      if (acked_at[i] <= p) acked = 2 + i + 1;
    }
    EXPECT_TRUE(is_prefix(*got, after_cp));
    EXPECT_GE(got->size(), acked);

    // Replay from the start of what is left also works: the retained
    // segments begin cleanly and end with the same transactions.
    auto whole =
        replay_txns(state->get(), log::RecoveryMode::kTolerateCorruptedTail);
    ASSERT_TRUE(whole.ok()) << whole.status().to_string();
    ASSERT_GE(whole->size(), got->size());
    EXPECT_TRUE(std::equal(got->begin(), got->end(),
                           whole->end() - static_cast<long>(got->size())));
  }
}

}  // namespace
}  // namespace strata::durability::mvcc
