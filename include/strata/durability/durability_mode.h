// DurabilityMode: what a successful append promises about a power cut.
//
//   Strict   append returns after an fdatasync that covers its bytes.
//   Batched  append returns once its bytes are in the OS (a process crash
//            loses nothing); a background syncer makes them durable within
//            interval_ms, or sooner once batch_size appends are waiting.
//   None     bytes reach the OS and are synced only when asked (sync()).
//
// docs/durability.md gives the full promise of each mode.

#ifndef STRATA_DURABILITY_DURABILITY_MODE_H_
#define STRATA_DURABILITY_DURABILITY_MODE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace strata::durability {

class DurabilityMode {
 public:
  enum class Kind : unsigned char { kNone, kStrict, kBatched };

  static constexpr uint64_t kDefaultIntervalMs = 100;
  static constexpr std::size_t kDefaultBatchSize = 1000;

  // The default is Batched{100 ms, 1000}, as the original's.
  constexpr DurabilityMode() = default;

  static constexpr DurabilityMode strict() {
    return DurabilityMode(Kind::kStrict, 0, 0);
  }
  static constexpr DurabilityMode batched(
      uint64_t interval_ms = kDefaultIntervalMs,
      std::size_t batch_size = kDefaultBatchSize) {
    return DurabilityMode(Kind::kBatched, interval_ms, batch_size);
  }
  static constexpr DurabilityMode none() {
    return DurabilityMode(Kind::kNone, 0, 0);
  }

  constexpr Kind kind() const { return kind_; }
  constexpr bool is_strict() const { return kind_ == Kind::kStrict; }
  constexpr bool is_batched() const { return kind_ == Kind::kBatched; }
  constexpr bool is_none() const { return kind_ == Kind::kNone; }
  // Batched only: the longest a written append waits for its sync.
  constexpr uint64_t interval_ms() const { return interval_ms_; }
  // Batched only: how many appends may wait before a sync is started.
  constexpr std::size_t batch_size() const { return batch_size_; }

  // Whether the writer syncs at all on its own (false only for None).
  constexpr bool requires_sync() const { return kind_ != Kind::kNone; }
  // Whether every append waits for its sync (Strict only).
  constexpr bool requires_immediate_sync() const {
    return kind_ == Kind::kStrict;
  }

  // "strict", "batched(interval_ms=100, batch_size=1000)" or "none".
  std::string description() const;

  friend constexpr bool operator==(const DurabilityMode& a,
                                   const DurabilityMode& b) {
    return a.kind_ == b.kind_ && a.interval_ms_ == b.interval_ms_ &&
           a.batch_size_ == b.batch_size_;
  }

 private:
  constexpr DurabilityMode(Kind kind, uint64_t interval_ms,
                           std::size_t batch_size)
      : kind_(kind), interval_ms_(interval_ms), batch_size_(batch_size) {}

  Kind kind_ = Kind::kBatched;
  uint64_t interval_ms_ = kDefaultIntervalMs;
  std::size_t batch_size_ = kDefaultBatchSize;
};

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_DURABILITY_MODE_H_
