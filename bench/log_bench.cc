// Log core append throughput in each durability mode, at 1, 8 and 32
// threads, with 128-byte and 4 KiB records, beside the raw ceilings measured
// in the same run: a write+fdatasync loop into a preallocated file, and a
// plain write() per record. Run on a real disk: STRATA_BENCH_DIR (default
// /var/tmp) picks the directory.
//
//   ./build/release/bench/log_bench --benchmark_min_time=2

#include <fcntl.h>
#include <unistd.h>
#include <benchmark/benchmark.h>
#include "bench_util.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "strata/durability/log/log_writer.h"

namespace {

using strata::durability::DurabilityMode;
using strata::durability::log::LogWriter;
using strata::durability::log::LogWriterOptions;

// ---------------------------------------------------------------- ceilings

void BM_RawWriteFdatasyncPreallocated(benchmark::State& state) {
  strata_bench::run_raw_write_fdatasync(
      state, static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_RawWriteFdatasyncPreallocated)->Arg(128)->Arg(4096)->UseRealTime();

void BM_RawWrite(benchmark::State& state) {
  strata_bench::run_raw_write(state, static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_RawWrite)->Arg(128)->Arg(4096)->UseRealTime();

// ---------------------------------------------------------------- the log

// One writer shared by all threads of a run; made in Setup, closed in
// Teardown (Google Benchmark runs both once per run, outside the threads).
std::unique_ptr<LogWriter> g_writer;
std::string g_dir;

void open_log(DurabilityMode mode) {
  g_dir = strata_bench::fresh_dir("log");
  LogWriterOptions o;
  o.mode = mode;
  auto w = LogWriter::open(g_dir, o);
  if (!w.ok()) std::abort();
  g_writer = std::move(*w);
}
void close_log(const benchmark::State&) {
  (void)g_writer->close();
  g_writer.reset();
  std::filesystem::remove_all(g_dir);
}

void append_loop(benchmark::State& state) {
  auto size = static_cast<std::size_t>(state.range(0));
  std::string rec(size, 'x');
  for (auto _ : state) {
    auto r = g_writer->append(rec);
    if (!r.ok()) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}

void BM_AppendStrict(benchmark::State& state) { append_loop(state); }
void BM_AppendBatched(benchmark::State& state) { append_loop(state); }
void BM_AppendNone(benchmark::State& state) { append_loop(state); }

BENCHMARK(BM_AppendStrict)
    ->Setup([](const benchmark::State&) { open_log(DurabilityMode::strict()); })
    ->Teardown(close_log)
    ->Arg(128)
    ->Arg(4096)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->UseRealTime();
BENCHMARK(BM_AppendBatched)
    ->Setup([](const benchmark::State&) {
      open_log(DurabilityMode::batched());
    })
    ->Teardown(close_log)
    ->Arg(128)
    ->Arg(4096)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->UseRealTime();
BENCHMARK(BM_AppendNone)
    ->Setup([](const benchmark::State&) { open_log(DurabilityMode::none()); })
    ->Teardown(close_log)
    ->Arg(128)
    ->Arg(4096)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->UseRealTime();

}  // namespace
