// CRC32C: slicing-by-8 tables for the portable path, _mm_crc32_u64 for the
// hardware path, and a run-time switch between them.
//
// The instruction has a latency of three cycles but accepts a new one every
// cycle, so one dependent chain runs at a third of its throughput. Large
// buffers are therefore cut into three adjacent blocks whose CRCs are
// computed in one interleaved loop, and joined afterwards: the CRC register
// is linear over GF(2), so the register after blocks A then B is
// shift(reg_A, |B|) xor reg_B(started at 0), where shift() is the effect of
// |B| zero bytes. For a fixed |B| that shift is a 32x32 bit matrix, applied
// through four 256-entry tables built once from the portable code.

#include "util/crc32c.h"

#include <array>
#include <cstring>
#include <string>

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

// The linear map "feed `len` zero bytes through the CRC register", as four
// byte-indexed tables.
class ZeroShift {
 public:
  explicit ZeroShift(std::size_t len) {
    const std::string zeros(len, '\0');
    std::array<uint32_t, 32> basis{};
    for (int bit = 0; bit < 32; ++bit) {
      // The register is inverted on entry and exit of extend_portable();
      // undo both to see the raw register.
      basis[static_cast<std::size_t>(bit)] =
          ~extend_portable(~(uint32_t{1} << bit), zeros.data(), len);
    }
    for (std::size_t byte = 0; byte < 4; ++byte) {
      for (uint32_t v = 0; v < 256; ++v) {
        uint32_t out = 0;
        for (std::size_t j = 0; j < 8; ++j) {
          if ((v >> j) & 1U) out ^= basis[byte * 8 + j];
        }
        t_[byte][v] = out;
      }
    }
  }
  uint32_t operator()(uint32_t reg) const {
    return t_[0][reg & 0xFFU] ^ t_[1][(reg >> 8) & 0xFFU] ^
           t_[2][(reg >> 16) & 0xFFU] ^ t_[3][reg >> 24];
  }

 private:
  std::array<std::array<uint32_t, 256>, 4> t_{};
};

#ifdef STRATA_CRC32C_X86
// Block sizes of the three-stream loop: long blocks keep the joins rare on
// large buffers; short ones let records of a few hundred bytes use it too.
constexpr std::size_t kLongBlock = 4096;
constexpr std::size_t kShortBlock = 128;

const ZeroShift& long_shift() {
  static const ZeroShift kShift(kLongBlock);
  return kShift;
}
const ZeroShift& short_shift() {
  static const ZeroShift kShift(kShortBlock);
  return kShift;
}

// Consumes whole groups of three `block`-byte blocks from (*p, *n), with the
// raw register `reg`, and returns the register after them.
__attribute__((target("sse4.2"))) inline uint64_t three_streams(
    uint64_t reg, const char** p, std::size_t* n, std::size_t block,
    const ZeroShift& shift) {
  const char* q = *p;
  std::size_t left = *n;
  while (left >= 3 * block) {
    uint64_t r1 = 0;
    uint64_t r2 = 0;
    const char* a = q;
    const char* b = q + block;
    const char* c = q + 2 * block;
    for (std::size_t i = 0; i < block; i += 8) {
      uint64_t wa, wb, wc;
      std::memcpy(&wa, a + i, 8);
      std::memcpy(&wb, b + i, 8);
      std::memcpy(&wc, c + i, 8);
      reg = _mm_crc32_u64(reg, wa);
      r1 = _mm_crc32_u64(r1, wb);
      r2 = _mm_crc32_u64(r2, wc);
    }
    uint32_t joined =
        shift(static_cast<uint32_t>(reg)) ^ static_cast<uint32_t>(r1);
    reg = shift(joined) ^ static_cast<uint32_t>(r2);
    q += 3 * block;
    left -= 3 * block;
  }
  *p = q;
  *n = left;
  return reg;
}

// One dependent chain of crc32q over the whole buffer: the reference the
// three-stream path is measured against.
__attribute__((target("sse4.2"))) uint32_t hw_extend_serial(uint32_t crc,
                                                            const char* p,
                                                            std::size_t n) {
  uint64_t c = ~crc;
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

__attribute__((target("sse4.2"))) uint32_t hw_extend(uint32_t crc,
                                                     const char* p,
                                                     std::size_t n) {
  uint64_t c = ~crc;
  // No alignment prologue: unaligned 8-byte loads cost nothing extra on
  // the CPUs that have the instruction, and most CRCs here are of records
  // of a hundred bytes or so at arbitrary offsets.
  if (n >= 3 * kLongBlock)
    c = three_streams(c, &p, &n, kLongBlock, long_shift());
  if (n >= 3 * kShortBlock) {
    c = three_streams(c, &p, &n, kShortBlock, short_shift());
  }
  // The rest is short: one chain, unrolled to trim loop overhead.
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
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    c = _mm_crc32_u32(static_cast<uint32_t>(c), w);
    p += 4;
    n -= 4;
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

uint32_t extend_hardware_serial(uint32_t crc, const char* data, std::size_t n) {
#ifdef STRATA_CRC32C_X86
  if (hardware_available()) return hw_extend_serial(crc, data, n);
#endif
  return extend_portable(crc, data, n);
}

uint32_t extend(uint32_t crc, const char* data, std::size_t n) {
  return kExtend(crc, data, n);
}

}  // namespace strata::durability::crc32c
