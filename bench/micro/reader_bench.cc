// The read path in memory (MemEnv, so no system call is measured): a raw
// log read record by record through LogReader, an MVCC log decoded batch
// by batch (read_wal_entries), and replayed into a counting handler and
// into MvccStore. 2,000 ten-entry transactions (20,000 entries, 64-byte
// values) per run.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/mvcc/mvcc_store.h"
#include "strata/durability/mvcc/replay.h"
#include "strata/durability/mvcc/wal.h"

namespace {

namespace mvcc = strata::durability::mvcc;
using strata::durability::DurabilityMode;
using strata::durability::Env;
using strata::durability::Result;
using strata::durability::Status;
using strata::durability::Uuid;

constexpr uint64_t kTxns = 2000;
constexpr int kWritesPerTxn = 8;

// One in-memory MVCC log, written once.
struct MemLog {
  std::unique_ptr<Env> env = strata::durability::new_mem_env();
  uint64_t entries = 0;
  MemLog() {
    const Uuid run = Uuid::new_v7();
    const mvcc::Namespace ns = mvcc::Namespace::for_run(run);
    mvcc::WalOptions o;
    o.env = env.get();
    o.mode = DurabilityMode::none();
    o.segment_size = 1 << 20;
    auto wal = mvcc::WAL::open("/log", o);
    if (!wal.ok()) std::abort();
    uint64_t version = 0;
    for (uint64_t id = 1; id <= kTxns; ++id) {
      std::vector<mvcc::WALEntry> t;
      t.push_back(mvcc::BeginTxn{id, run, 1000 + id});
      for (int i = 0; i < kWritesPerTxn; ++i) {
        ++version;
        t.push_back(mvcc::Write{
            run, mvcc::Key::new_kv(ns, "key-" + std::to_string(version % 500)),
            mvcc::Value::string(std::string(64, 'v')), version});
      }
      t.push_back(mvcc::CommitTxn{id, run});
      if (!(*wal)->append_transaction(t).ok()) std::abort();
      entries += t.size();
    }
    if (!(*wal)->close().ok()) std::abort();
  }
};
const MemLog& mem_log() {
  static const MemLog log;
  return log;
}

void BM_LogReaderScan(benchmark::State& state) {
  const MemLog& m = mem_log();
  uint64_t bytes = 0;
  for (auto _ : state) {
    strata::durability::log::LogReaderOptions o;
    o.env = m.env.get();
    auto reader = strata::durability::log::LogReader::open("/log", o);
    if (!reader.ok()) {
      state.SkipWithError(reader.status().to_string().c_str());
      break;
    }
    strata::durability::log::LogRecord rec;
    while (true) {
      auto more = (*reader)->next(&rec);
      if (!more.ok() || !*more) break;
      benchmark::DoNotOptimize(rec.payload.data());
    }
    bytes += (*reader)->bytes_read();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(m.entries));
}
BENCHMARK(BM_LogReaderScan)->Unit(benchmark::kMicrosecond);

void BM_MvccDecodeBatches(benchmark::State& state) {
  const MemLog& m = mem_log();
  for (auto _ : state) {
    auto r = mvcc::read_wal_entries("/log", m.env.get());
    if (!r.ok()) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->entries.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(m.entries));
}
BENCHMARK(BM_MvccDecodeBatches)->Unit(benchmark::kMicrosecond);

class CountingHandler : public mvcc::ReplayHandler {
 public:
  uint64_t writes = 0;
  Result<mvcc::ApplyOutcome> on_write(const mvcc::Write&) override {
    ++writes;
    return mvcc::ApplyOutcome::kApplied;
  }
  Result<mvcc::ApplyOutcome> on_delete(const mvcc::Delete&) override {
    return mvcc::ApplyOutcome::kApplied;
  }
};

template <typename Handler>
void replay_into(benchmark::State& state) {
  const MemLog& m = mem_log();
  uint64_t bytes = 0;
  for (auto _ : state) {
    Handler h;
    mvcc::ReplayOptions o;
    o.env = m.env.get();
    auto stats = mvcc::replay_wal("/log", &h, o);
    if (!stats.ok() || stats->txns_applied != kTxns) {
      state.SkipWithError("replay failed");
      break;
    }
    bytes += stats->bytes_read;
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(m.entries));
}
void BM_MvccReplayCountingMemEnv(benchmark::State& state) {
  replay_into<CountingHandler>(state);
}
void BM_MvccReplayIntoMvccStoreMemEnv(benchmark::State& state) {
  replay_into<mvcc::MvccStore>(state);
}
BENCHMARK(BM_MvccReplayCountingMemEnv)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MvccReplayIntoMvccStoreMemEnv)->Unit(benchmark::kMicrosecond);

}  // namespace
