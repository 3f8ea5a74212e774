// Uuid: a 16-byte identifier (RFC 9562). New ids are version 7: a 48-bit
// millisecond timestamp followed by random bits from getrandom(2), so ids
// made later sort later. Used for log ids, run ids and transaction ids.

#ifndef STRATA_DURABILITY_UUID_H_
#define STRATA_DURABILITY_UUID_H_

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "strata/durability/result.h"

namespace strata::durability {

class Uuid {
 public:
  using Bytes = std::array<uint8_t, 16>;

  // The nil UUID (all zero bytes).
  constexpr Uuid() = default;
  constexpr explicit Uuid(const Bytes& bytes) : bytes_(bytes) {}

  static constexpr Uuid nil() { return Uuid(); }
  // A new version-7 UUID. Within one process, ids are strictly increasing
  // even when made in the same millisecond.
  static Uuid new_v7();
  // A version-7 UUID for a given time, with random bits (for tests).
  static Uuid v7_at(uint64_t unix_ms);
  // Parses the canonical form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
  // (either case). InvalidArgument otherwise.
  static Result<Uuid> parse(std::string_view text);
  // From 16 raw bytes; InvalidArgument unless exactly 16.
  static Result<Uuid> from_bytes(std::string_view raw);

  constexpr bool is_nil() const {
    for (uint8_t b : bytes_) {
      if (b != 0) return false;
    }
    return true;
  }
  constexpr const Bytes& bytes() const { return bytes_; }
  // The 16 bytes as a string_view over this object's storage.
  std::string_view raw() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  // The version nibble (7 for new ids, 4 for the original's ids).
  constexpr int version() const { return bytes_[6] >> 4; }
  // For a version-7 id, its millisecond timestamp; 0 otherwise.
  uint64_t unix_ms() const;

  // Lower-case canonical text.
  std::string to_string() const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads "= default"
  friend constexpr auto operator<=>(const Uuid&, const Uuid&) = default;
  friend constexpr bool operator==(const Uuid&, const Uuid&) = default;

 private:
  Bytes bytes_{};
};

// Fills `out` with random bytes from getrandom(2).
void fill_random(void* out, std::size_t n);

}  // namespace strata::durability

template <>
struct std::hash<strata::durability::Uuid> {
  std::size_t operator()(const strata::durability::Uuid& id) const noexcept {
    uint64_t a = 0;
    uint64_t b = 0;
    for (int i = 0; i < 8; ++i) {
      a = (a << 8) | id.bytes()[i];
      b = (b << 8) | id.bytes()[8 + i];
    }
    return static_cast<std::size_t>(a ^ (b * 0x9E3779B97F4A7C15ULL));
  }
};

#endif  // STRATA_DURABILITY_UUID_H_
