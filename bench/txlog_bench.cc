// Transaction Log (System 2) benchmarks: commit_atomic of a five-primitive
// transaction (kv_put, json_set, event_append, state_set, run_update) in
// each durability mode at 1, 8 and 32 threads, beside the raw ceilings of
// the same byte count measured in the same run (a write+fdatasync loop into
// a preallocated file, and a plain write()); and recovery
// (RecoveryEngine::replay_wal_committed, collecting every transaction or
// handing each to a callback) in bytes per second beside a plain read() of
// the same segment files. Run on a real disk: STRATA_BENCH_DIR
// (default /var/tmp) picks the directory. The recovery log is written once,
// before the first recovery benchmark, and is read from the page cache (as
// is the plain read).
//
//   ./build/rel/bench/txlog_bench --benchmark_min_time=0.5

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
#include "strata/durability/txlog/recovery.h"
#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_writer.h"

namespace {

namespace txlog = strata::durability::txlog;
using strata::durability::DurabilityMode;
using strata::durability::Uuid;

const txlog::RunId& bench_run() {
  static const txlog::RunId run = Uuid::new_v7();
  return run;
}

// The five-primitive transaction: about 64-byte values.
txlog::Transaction five_primitive(uint64_t i) {
  txlog::Transaction tx = txlog::Transaction::for_run(bench_run());
  const std::string n = std::to_string(i);
  tx.kv_put("user:" + n, std::string(64, 'v'))
      .json_set("doc:" + n, R"({"name":"ada","visits":42,"tags":["a","b"]})")
      .event_append(std::string(64, 'e'))
      .state_set("machine", "state-" + n)
      .run_update(R"({"status":"running","step":7})");
  return tx;
}

// Bytes the log writes (framing included) for one commit_atomic of the
// five-primitive transaction, measured on an in-memory log.
std::size_t batch_bytes() {
  static const std::size_t bytes = [] {
    auto env = strata::durability::new_mem_env();
    txlog::WalWriterOptions o;
    o.env = env.get();
    o.mode = DurabilityMode::none();
    auto w = txlog::WalWriter::open("/txlog", o);
    if (!w.ok()) std::abort();
    uint64_t b0 = (*w)->log().stats().bytes;
    if (!(*w)->commit_atomic(five_primitive(1)).ok()) std::abort();
    return static_cast<std::size_t>((*w)->log().stats().bytes - b0);
  }();
  return bytes;
}

// ---------------------------------------------------------------- ceilings

void BM_RawWriteFdatasyncPreallocated(benchmark::State& state) {
  strata_bench::run_raw_write_fdatasync(state, batch_bytes());
}
BENCHMARK(BM_RawWriteFdatasyncPreallocated)->UseRealTime();

void BM_RawWrite(benchmark::State& state) {
  strata_bench::run_raw_write(state, batch_bytes());
}
BENCHMARK(BM_RawWrite)->UseRealTime();

// ---------------------------------------------------------------- commits

// One writer shared by all threads of a run; made in Setup, closed in
// Teardown (Google Benchmark runs both once per run, outside the threads).
std::unique_ptr<txlog::WalWriter> g_writer;
std::string g_dir;

void open_log(DurabilityMode mode) {
  g_dir = strata_bench::fresh_dir("txlog-commit");
  txlog::WalWriterOptions o;
  o.mode = mode;
  auto w = txlog::WalWriter::open(g_dir, o);
  if (!w.ok()) std::abort();
  g_writer = std::move(*w);
}
void close_log(const benchmark::State&) {
  (void)g_writer->close();
  g_writer.reset();
  std::filesystem::remove_all(g_dir);
}

void commit_loop(benchmark::State& state) {
  uint64_t i = static_cast<uint64_t>(state.thread_index()) << 40;
  for (auto _ : state) {
    auto r = g_writer->commit_atomic(five_primitive(++i));
    if (!r.ok()) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(batch_bytes()));
}

void BM_CommitAtomicStrict(benchmark::State& state) { commit_loop(state); }
void BM_CommitAtomicBatched(benchmark::State& state) { commit_loop(state); }
void BM_CommitAtomicNone(benchmark::State& state) { commit_loop(state); }

BENCHMARK(BM_CommitAtomicStrict)
    ->Setup([](const benchmark::State&) { open_log(DurabilityMode::strict()); })
    ->Teardown(close_log)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->UseRealTime();
BENCHMARK(BM_CommitAtomicBatched)
    ->Setup([](const benchmark::State&) {
      open_log(DurabilityMode::batched());
    })
    ->Teardown(close_log)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->UseRealTime();
BENCHMARK(BM_CommitAtomicNone)
    ->Setup([](const benchmark::State&) { open_log(DurabilityMode::none()); })
    ->Teardown(close_log)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->UseRealTime();

// ---------------------------------------------------------------- recovery

constexpr uint64_t kRecoveryTxns = 100000;  // 6 entries each: 600,000

// The recovery log, written once (None mode, synced at close) and removed
// at exit.
struct RecoveryLog {
  std::string dir;
  RecoveryLog() : dir(strata_bench::fresh_dir("txlog-recovery")) {
    txlog::WalWriterOptions o;
    o.mode = DurabilityMode::none();
    auto w = txlog::WalWriter::open(dir, o);
    if (!w.ok()) std::abort();
    for (uint64_t i = 1; i <= kRecoveryTxns; ++i) {
      if (!(*w)->commit_atomic(five_primitive(i)).ok()) std::abort();
    }
    if (!(*w)->sync().ok() || !(*w)->close().ok()) std::abort();
  }
  ~RecoveryLog() { std::filesystem::remove_all(dir); }
};
const RecoveryLog& recovery_log() {
  static const RecoveryLog log;
  return log;
}

void BM_TxlogRecovery(benchmark::State& state) {
  const std::string& dir = recovery_log().dir;
  uint64_t bytes = 0;
  uint64_t entries = 0;
  for (auto _ : state) {
    auto out = txlog::RecoveryEngine::replay_wal_committed(dir, 0);
    if (!out.ok() || out->result.transactions_recovered != kRecoveryTxns) {
      state.SkipWithError(out.ok() ? "wrong transaction count"
                                   : out.status().to_string().c_str());
      break;
    }
    bytes += out->result.bytes;
    entries += out->result.entries_replayed;
    benchmark::DoNotOptimize(out->transactions.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(entries));
}

// The same recovery with each transaction handed to a callback
// (RecoveryOptions::on_transaction) that counts it: memory stays at the
// transactions open at once instead of the whole log's.
void BM_TxlogRecoveryStreaming(benchmark::State& state) {
  const std::string& dir = recovery_log().dir;
  uint64_t bytes = 0;
  uint64_t entries = 0;
  for (auto _ : state) {
    uint64_t txns = 0;
    txlog::RecoveryOptions o;
    o.on_transaction = [&](txlog::CommittedTransaction&& tx) {
      txns += tx.entries.empty() ? 0 : 1;
      return strata::durability::Status::ok_status();
    };
    auto out = txlog::RecoveryEngine::replay_wal_committed(dir, 0, o);
    if (!out.ok() || txns != kRecoveryTxns) {
      state.SkipWithError(out.ok() ? "wrong transaction count"
                                   : out.status().to_string().c_str());
      break;
    }
    bytes += out->result.bytes;
    entries += out->result.entries_replayed;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(entries));
}

// The ceiling: read() every segment file of the same log into a buffer.
void BM_PlainReadOfRecoveryLog(benchmark::State& state) {
  strata_bench::run_plain_read(state, recovery_log().dir);
}

BENCHMARK(BM_PlainReadOfRecoveryLog)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_TxlogRecovery)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TxlogRecoveryStreaming)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
