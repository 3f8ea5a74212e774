// CRC32C: slicing-by-8 tables for the portable path, _mm_crc32_u64 for the
// hardware path, and a run-time switch between them.

#include "util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define STRATA_CRC32C_X86 1
#endif

namespace strata::durability::crc32c {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78U;

struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c >> 1) ^ ((c & 1U) ? kPolyReflected : 0U);
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (std::size_t s = 1; s < 8; ++s) {
        t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFU];
      }
    }
  }
};

constexpr Tables kTables;

#ifdef STRATA_CRC32C_X86
__attribute__((target("sse4.2"))) uint32_t hw_extend(uint32_t crc,
                                                     const char* p,
                                                     std::size_t n) {
  uint64_t c = ~crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7U) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), static_cast<uint8_t>(*p));
    ++p;
    --n;
  }
  // Four independent 8-byte steps per iteration would not help a single
  // stream (each depends on the last); unrolling just trims loop overhead.
  while (n >= 32) {
    uint64_t w0, w1, w2, w3;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 8, 8);
    std::memcpy(&w2, p + 16, 8);
    std::memcpy(&w3, p + 24, 8);
    c = _mm_crc32_u64(c, w0);
    c = _mm_crc32_u64(c, w1);
    c = _mm_crc32_u64(c, w2);
    c = _mm_crc32_u64(c, w3);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), static_cast<uint8_t>(*p));
    ++p;
    --n;
  }
  return ~static_cast<uint32_t>(c);
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const char*, std::size_t);

ExtendFn choose() {
#ifdef STRATA_CRC32C_X86
  if (__builtin_cpu_supports("sse4.2")) return &hw_extend;
#endif
  return &extend_portable;
}

const ExtendFn kExtend = choose();

}  // namespace

uint32_t extend_portable(uint32_t crc, const char* data, std::size_t n) {
  const auto& t = kTables.t;
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^
        t[4][lo >> 24] ^ t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^
        t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = (c >> 8) ^ t[0][(c ^ *p) & 0xFF];
    ++p;
    --n;
  }
  return ~c;
}

bool hardware_available() {
#ifdef STRATA_CRC32C_X86
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

uint32_t extend_hardware(uint32_t crc, const char* data, std::size_t n) {
#ifdef STRATA_CRC32C_X86
  if (hardware_available()) return hw_extend(crc, data, n);
#endif
  return extend_portable(crc, data, n);
}

uint32_t extend(uint32_t crc, const char* data, std::size_t n) {
  return kExtend(crc, data, n);
}

}  // namespace strata::durability::crc32c
