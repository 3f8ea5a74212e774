// CRC32C speed on large buffers: the selected implementation, the hardware
// path and the portable fallback, for comparison with memory bandwidth.

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "util/crc32c.h"

namespace {

namespace crc32c = strata::durability::crc32c;

template <uint32_t (*Fn)(uint32_t, const char*, std::size_t)>
void BM_Crc(benchmark::State& state) {
  std::string buf(static_cast<std::size_t>(state.range(0)), 'c');
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = Fn(crc, buf.data(), buf.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK_TEMPLATE(BM_Crc, crc32c::extend)->Arg(128)->Arg(4096)->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_Crc, crc32c::extend_hardware)->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_Crc, crc32c::extend_portable)->Arg(1 << 20);

void BM_Memcpy(benchmark::State& state) {
  std::string a(static_cast<std::size_t>(state.range(0)), 'a');
  std::string b(a.size(), 'b');
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), a.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Memcpy)->Arg(1 << 20);

}  // namespace
