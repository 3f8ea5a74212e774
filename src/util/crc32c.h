// CRC32C (Castagnoli, the iSCSI polynomial 0x1EDC6F41, reflected), with the
// SSE4.2 instruction when the CPU has it (chosen once at run time) and a
// table-driven fallback otherwise. Checked against RFC 3720's vectors.

#ifndef STRATA_DURABILITY_SRC_UTIL_CRC32C_H_
#define STRATA_DURABILITY_SRC_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::durability::crc32c {

// The CRC of data[0, n) appended to a stream whose CRC so far is `crc`
// (0 for an empty stream): extend(extend(0, a), b) == value(a + b).
uint32_t extend(uint32_t crc, const char* data, std::size_t n);
inline uint32_t value(const char* data, std::size_t n) {
  return extend(0, data, n);
}
inline uint32_t value(std::string_view s) {
  return extend(0, s.data(), s.size());
}

// The implementations, for tests and benchmarks. extend_hardware is the
// one extend() picks when the CPU has SSE4.2: three interleaved streams on
// buffers of 384 bytes or more, one chain below. extend_hardware_serial is
// one chain of the instruction throughout, the rate the three streams are
// measured against. Both fall back to extend_portable without SSE4.2.
uint32_t extend_portable(uint32_t crc, const char* data, std::size_t n);
uint32_t extend_hardware(uint32_t crc, const char* data, std::size_t n);
uint32_t extend_hardware_serial(uint32_t crc, const char* data, std::size_t n);
bool hardware_available();

// A CRC stored next to the data it covers is masked, because a CRC computed
// over bytes that themselves contain CRCs is weak. docs/format.md gives the
// transformation.
inline constexpr uint32_t kMaskDelta = 0x5bd1e995U;
inline uint32_t mask(uint32_t crc) {
  return ((crc >> 17) | (crc << 15)) + kMaskDelta;
}
inline uint32_t unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot << 17) | (rot >> 15);
}

}  // namespace strata::durability::crc32c

#endif  // STRATA_DURABILITY_SRC_UTIL_CRC32C_H_
