// Shared pieces of the benchmarks: where they write, and the raw ceilings
// every figure is reported against, measured in the same run (a
// write+fdatasync loop into a preallocated file, a plain write() per
// record, a plain read of a log's segment files). The two write loops live
// in harness/raw_ceilings.h, which `strata-wal bench` and bench/compare use
// too.

#ifndef STRATA_DURABILITY_BENCH_BENCH_UTIL_H_
#define STRATA_DURABILITY_BENCH_BENCH_UTIL_H_

#include <fcntl.h>
#include <unistd.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/raw_ceilings.h"

namespace strata_bench {

// STRATA_BENCH_DIR, else /var/tmp (a real disk, unlike a tmpfs /tmp).
inline std::string bench_root() {
  const char* dir = std::getenv("STRATA_BENCH_DIR");
  return dir != nullptr ? dir : "/var/tmp";
}

// A path under bench_root() unique to this process, removed if present.
inline std::string fresh_dir(const std::string& name) {
  std::string dir =
      bench_root() + "/strata-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

// The durable-append ceiling: pwrite `size` bytes then fdatasync, into a
// file preallocated with real zeros so fdatasync has no metadata to write
// (the loop itself is harness/raw_ceilings.h, shared with the tool).
inline void run_raw_write_fdatasync(benchmark::State& state, std::size_t size) {
  std::string dir = fresh_dir("raw-sync");
  std::filesystem::create_directories(dir);
  RawSyncFile file;
  std::string error;
  if (!file.open(dir + "/file", size, RawSyncFile::kDefaultFileSize, &error)) {
    state.SkipWithError(error.c_str());
    std::filesystem::remove_all(dir);
    return;
  }
  for (auto _ : state) {
    if (!file.append(&error)) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  std::filesystem::remove_all(dir);
  state.SetLabel(std::to_string(size) + " B");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}

// The OS-append ceiling: one write() of `size` bytes per iteration (the
// file is emptied every 256 MiB, outside the timing, to bound its size).
inline void run_raw_write(benchmark::State& state, std::size_t size) {
  std::string dir = fresh_dir("raw-write");
  std::filesystem::create_directories(dir);
  RawWriteFile file;
  std::string error;
  if (!file.open(dir + "/file", size, &error)) {
    state.SkipWithError(error.c_str());
    std::filesystem::remove_all(dir);
    return;
  }
  for (auto _ : state) {
    if (!file.append(&error)) {
      state.SkipWithError(error.c_str());
      break;
    }
    if (file.full()) {
      state.PauseTiming();
      if (!file.rewind(&error)) state.SkipWithError(error.c_str());
      state.ResumeTiming();
    }
  }
  std::filesystem::remove_all(dir);
  state.SetLabel(std::to_string(size) + " B");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}

// The replay ceiling: read() every segment file of a log into a buffer.
inline void run_plain_read(benchmark::State& state, const std::string& dir) {
  std::vector<std::string> files;
  std::size_t largest = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") {
      files.push_back(e.path().string());
      largest = std::max<std::size_t>(largest, e.file_size());
    }
  }
  std::vector<char> buf(largest + 1);
  uint64_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& f : files) {
      int fd = ::open(f.c_str(), O_RDONLY);
      std::size_t got = 0;
      ssize_t n;
      while ((n = ::read(fd, buf.data() + got, buf.size() - got)) > 0) {
        got += static_cast<std::size_t>(n);
      }
      ::close(fd);
      bytes += got;
      benchmark::DoNotOptimize(buf.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

}  // namespace strata_bench

#endif  // STRATA_DURABILITY_BENCH_BENCH_UTIL_H_
