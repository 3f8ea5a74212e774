// MVCC WAL (System 1) benchmarks: single-entry append() and ten-entry
// append_transaction() in each durability mode, beside the raw ceilings of
// the same byte counts measured in the same run (a write+fdatasync loop into
// a preallocated file, and a plain write()); and replay of one million
// entries (Write entries, 100 k transactions) into a counting ReplayHandler
// (owned entries, and views: ViewReplayHandler) and into MvccStore, in bytes
// per second beside a plain read() of the same segment files. Run on a real
// disk: STRATA_BENCH_DIR (default /var/tmp) picks the directory. The replay log
// is written once, before the first replay benchmark, and is read from the page
// cache (as is the plain read).
//
//   ./build/rel/bench/mvcc_bench --benchmark_min_time=0.5

#include <fcntl.h>
#include <unistd.h>
#include <benchmark/benchmark.h>
#include "bench_util.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/mvcc/mvcc_store.h"
#include "strata/durability/mvcc/replay.h"
#include "strata/durability/mvcc/wal.h"

namespace {

namespace mvcc = strata::durability::mvcc;
using strata::durability::DurabilityMode;
using strata::durability::Uuid;

const mvcc::RunId& bench_run() {
  static const mvcc::RunId run = Uuid::new_v7();
  return run;
}

mvcc::WALEntry write_entry(uint64_t i, std::size_t value_size = 64) {
  const mvcc::Namespace ns = mvcc::Namespace::for_run(bench_run());
  return mvcc::Write{bench_run(),
                     mvcc::Key::new_kv(ns, "key-" + std::to_string(i % 10000)),
                     mvcc::Value::string(std::string(value_size, 'v')), i};
}

// BeginTxn, `writes` Writes, CommitTxn.
std::vector<mvcc::WALEntry> transaction(uint64_t txn_id, int writes,
                                        uint64_t* version) {
  std::vector<mvcc::WALEntry> t;
  t.push_back(mvcc::BeginTxn{txn_id, bench_run(), 1000 + txn_id});
  for (int i = 0; i < writes; ++i) t.push_back(write_entry(++*version));
  t.push_back(mvcc::CommitTxn{txn_id, bench_run()});
  return t;
}

// Bytes the log writes (framing included) for one single-entry append and
// for one ten-entry transaction, measured on an in-memory log.
struct FrameSizes {
  std::size_t single = 0;
  std::size_t txn10 = 0;
};
const FrameSizes& frame_sizes() {
  static const FrameSizes sizes = [] {
    FrameSizes s;
    auto env = strata::durability::new_mem_env();
    mvcc::WalOptions o;
    o.env = env.get();
    o.mode = DurabilityMode::none();
    auto wal = mvcc::WAL::open("/wal", o);
    if (!wal.ok()) std::abort();
    uint64_t b0 = (*wal)->stats().bytes;
    if (!(*wal)->append(write_entry(1)).ok()) std::abort();
    uint64_t b1 = (*wal)->stats().bytes;
    uint64_t version = 0;
    auto t = transaction(1, 8, &version);
    if (!(*wal)->append_transaction(t).ok()) std::abort();
    s.single = b1 - b0;
    s.txn10 = (*wal)->stats().bytes - b1;
    return s;
  }();
  return sizes;
}

// ---------------------------------------------------------------- ceilings

void BM_RawWriteFdatasyncPreallocated(benchmark::State& state) {
  strata_bench::run_raw_write_fdatasync(
      state, state.range(0) == 0 ? frame_sizes().single : frame_sizes().txn10);
}
// Arg 0: the bytes of one single-entry append; 1: of one 10-entry txn.
BENCHMARK(BM_RawWriteFdatasyncPreallocated)->Arg(0)->Arg(1)->UseRealTime();

void BM_RawWrite(benchmark::State& state) {
  strata_bench::run_raw_write(
      state, state.range(0) == 0 ? frame_sizes().single : frame_sizes().txn10);
}
BENCHMARK(BM_RawWrite)->Arg(0)->Arg(1)->UseRealTime();

// ---------------------------------------------------------------- appends

std::unique_ptr<mvcc::WAL> open_wal(const std::string& dir,
                                    DurabilityMode mode) {
  mvcc::WalOptions o;
  o.mode = mode;
  auto wal = mvcc::WAL::open(dir, o);
  if (!wal.ok()) std::abort();
  return std::move(*wal);
}

void append_single(benchmark::State& state, DurabilityMode mode) {
  std::string dir = strata_bench::fresh_dir("mvcc-append");
  auto wal = open_wal(dir, mode);
  const uint64_t bytes0 = wal->stats().bytes;
  uint64_t i = 0;
  for (auto _ : state) {
    auto r = wal->append(write_entry(++i));
    if (!r.ok()) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(wal->stats().bytes - bytes0));
  (void)wal->close();
  std::filesystem::remove_all(dir);
}

void append_txn10(benchmark::State& state, DurabilityMode mode) {
  std::string dir = strata_bench::fresh_dir("mvcc-txn");
  auto wal = open_wal(dir, mode);
  const uint64_t bytes0 = wal->stats().bytes;
  uint64_t version = 0;
  uint64_t id = 0;
  for (auto _ : state) {
    auto t = transaction(++id, 8, &version);
    auto r = wal->append_transaction(t);
    if (!r.ok()) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(wal->stats().bytes - bytes0));
  (void)wal->close();
  std::filesystem::remove_all(dir);
}

void BM_MvccAppendStrict(benchmark::State& s) {
  append_single(s, DurabilityMode::strict());
}
void BM_MvccAppendBatched(benchmark::State& s) {
  append_single(s, DurabilityMode::batched());
}
void BM_MvccAppendNone(benchmark::State& s) {
  append_single(s, DurabilityMode::none());
}
void BM_MvccAppendTxn10Strict(benchmark::State& s) {
  append_txn10(s, DurabilityMode::strict());
}
void BM_MvccAppendTxn10Batched(benchmark::State& s) {
  append_txn10(s, DurabilityMode::batched());
}
void BM_MvccAppendTxn10None(benchmark::State& s) {
  append_txn10(s, DurabilityMode::none());
}
BENCHMARK(BM_MvccAppendStrict)->UseRealTime();
BENCHMARK(BM_MvccAppendBatched)->UseRealTime();
BENCHMARK(BM_MvccAppendNone)->UseRealTime();
BENCHMARK(BM_MvccAppendTxn10Strict)->UseRealTime();
BENCHMARK(BM_MvccAppendTxn10Batched)->UseRealTime();
BENCHMARK(BM_MvccAppendTxn10None)->UseRealTime();

// ---------------------------------------------------------------- replay

constexpr uint64_t kReplayTxns = 100000;  // 10 entries each: 1,000,000
constexpr int kWritesPerTxn = 8;

// The replay log, written once (None mode, synced at close) and removed at
// exit.
struct ReplayLog {
  std::string dir;
  ReplayLog() : dir(strata_bench::fresh_dir("mvcc-replay")) {
    auto wal = open_wal(dir, DurabilityMode::none());
    uint64_t version = 0;
    for (uint64_t id = 1; id <= kReplayTxns; ++id) {
      auto t = transaction(id, kWritesPerTxn, &version);
      if (!wal->append_transaction(t).ok()) std::abort();
    }
    if (!wal->sync().ok() || !wal->close().ok()) std::abort();
  }
  ~ReplayLog() { std::filesystem::remove_all(dir); }
};
const ReplayLog& replay_log() {
  static const ReplayLog log;
  return log;
}

// Counts what replay hands over, through either handler interface.
template <typename Base>
class Counting : public Base {
 public:
  uint64_t txns = 0;
  uint64_t writes = 0;
  uint64_t value_bytes = 0;
  strata::durability::Status on_transaction_commit(
      const mvcc::TxnInfo&) override {
    ++txns;
    return strata::durability::Status::ok_status();
  }
};

// Owned entries: each key and value is copied out of the read buffer.
class CountingHandler : public Counting<mvcc::ReplayHandler> {
 public:
  strata::durability::Result<mvcc::ApplyOutcome> on_write(
      const mvcc::Write& w) override {
    ++writes;
    if (w.value.is_string()) value_bytes += w.value.as_string().size();
    return mvcc::ApplyOutcome::kApplied;
  }
  strata::durability::Result<mvcc::ApplyOutcome> on_delete(
      const mvcc::Delete&) override {
    return mvcc::ApplyOutcome::kApplied;
  }
};

// The same counts from views of the read buffer: nothing is copied.
class ViewCountingHandler : public Counting<mvcc::ViewReplayHandler> {
 public:
  strata::durability::Result<mvcc::ApplyOutcome> on_write_view(
      const mvcc::WriteView& w) override {
    ++writes;
    if (w.value.is_string()) value_bytes += w.value.as_string_bytes().size();
    return mvcc::ApplyOutcome::kApplied;
  }
  strata::durability::Result<mvcc::ApplyOutcome> on_delete_view(
      const mvcc::DeleteView&) override {
    return mvcc::ApplyOutcome::kApplied;
  }
};

template <typename Handler>
void replay_into(benchmark::State& state) {
  const std::string& dir = replay_log().dir;
  uint64_t bytes = 0;
  uint64_t entries = 0;
  for (auto _ : state) {
    Handler h;
    auto stats = mvcc::replay_wal(dir, &h);
    if (!stats.ok() || stats->txns_applied != kReplayTxns) {
      state.SkipWithError(stats.ok() ? "wrong transaction count"
                                     : stats.status().to_string().c_str());
      break;
    }
    bytes += stats->bytes_read;
    entries += stats->entries_read;
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(entries));
}

void BM_MvccReplayCounting(benchmark::State& state) {
  replay_into<CountingHandler>(state);
}
void BM_MvccReplayCountingViews(benchmark::State& state) {
  replay_into<ViewCountingHandler>(state);
}
void BM_MvccReplayIntoMvccStore(benchmark::State& state) {
  replay_into<mvcc::MvccStore>(state);
}

// The ceiling: read() every segment file of the same log into a buffer.
void BM_PlainReadOfReplayLog(benchmark::State& state) {
  strata_bench::run_plain_read(state, replay_log().dir);
}

BENCHMARK(BM_PlainReadOfReplayLog)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_MvccReplayCounting)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MvccReplayCountingViews)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_MvccReplayIntoMvccStore)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
