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

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "strata/durability/log/log_writer.h"

namespace {

using strata::durability::DurabilityMode;
using strata::durability::log::LogWriter;
using strata::durability::log::LogWriterOptions;

std::string bench_root() {
  const char* dir = std::getenv("STRATA_BENCH_DIR");
  return dir != nullptr ? dir : "/var/tmp";
}

std::string fresh_dir(const std::string& name) {
  std::string dir =
      bench_root() + "/strata-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

// ---------------------------------------------------------------- ceilings

void BM_RawWriteFdatasyncPreallocated(benchmark::State& state) {
  auto size = static_cast<std::size_t>(state.range(0));
  std::string dir = fresh_dir("raw-sync");
  std::filesystem::create_directories(dir);
  std::string path = dir + "/file";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  // Preallocate with real zeros so fdatasync never has metadata to write.
  constexpr std::size_t kFile = 64U << 20;
  std::string zeros(1U << 20, '\0');
  for (std::size_t off = 0; off < kFile; off += zeros.size()) {
    if (::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(off)) < 0) {
      state.SkipWithError("preallocation failed");
      return;
    }
  }
  ::fsync(fd);
  std::string rec(size, 'r');
  std::size_t off = 0;
  for (auto _ : state) {
    if (off + size > kFile) off = 0;
    if (::pwrite(fd, rec.data(), size, static_cast<off_t>(off)) < 0 ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    off += size;
  }
  ::close(fd);
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}
BENCHMARK(BM_RawWriteFdatasyncPreallocated)->Arg(128)->Arg(4096)->UseRealTime();

void BM_RawWrite(benchmark::State& state) {
  auto size = static_cast<std::size_t>(state.range(0));
  std::string dir = fresh_dir("raw-write");
  std::filesystem::create_directories(dir);
  std::string path = dir + "/file";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string rec(size, 'r');
  std::size_t written = 0;
  for (auto _ : state) {
    if (::write(fd, rec.data(), size) < 0) {
      state.SkipWithError("write failed");
      break;
    }
    written += size;
    if (written > (256U << 20)) {
      state.PauseTiming();
      ::ftruncate(fd, 0);
      ::lseek(fd, 0, SEEK_SET);
      written = 0;
      state.ResumeTiming();
    }
  }
  ::close(fd);
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}
BENCHMARK(BM_RawWrite)->Arg(128)->Arg(4096)->UseRealTime();

// ---------------------------------------------------------------- the log

// One writer shared by all threads of a run; made in Setup, closed in
// Teardown (Google Benchmark runs both once per run, outside the threads).
std::unique_ptr<LogWriter> g_writer;
std::string g_dir;

void open_log(DurabilityMode mode) {
  g_dir = fresh_dir("log");
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
