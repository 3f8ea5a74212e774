// CRC32C speed: the three-stream hardware path (what extend() uses), one
// serial chain of the same instruction, and the portable tables, on buffers
// from a record's size to a megabyte; and memcpy of the same sizes as a
// memory-bandwidth reference. The ratio of the first two is the point:
//
//   ./build/release/bench/micro/crc32c_bench --benchmark_filter=1048576

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "util/crc32c.h"

namespace {

namespace crc32c = strata::durability::crc32c;

template <uint32_t (*Fn)(uint32_t, const char*, std::size_t)>
void BM_Crc(benchmark::State& state) {
  std::string buf(static_cast<std::size_t>(state.range(0)), 'c');
  for (std::size_t i = 0; i < buf.size(); ++i) {
    buf[i] = static_cast<char>(i * 31);
  }
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = Fn(crc, buf.data(), buf.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {128, 1024, 4096, 65536, 1 << 20}) b->Arg(n);
}

BENCHMARK_TEMPLATE(BM_Crc, crc32c::extend_hardware)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_Crc, crc32c::extend_hardware_serial)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_Crc, crc32c::extend_portable)->Arg(4096)->Arg(1 << 20);

void BM_Memcpy(benchmark::State& state) {
  std::string a(static_cast<std::size_t>(state.range(0)), 'a');
  std::string b(a.size(), 'b');
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), a.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Memcpy)->Arg(65536)->Arg(1 << 20);

}  // namespace
