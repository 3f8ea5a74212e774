// RecordSizes: the payload sizes of one commit's records, for a
// log::RecordBatch. Up to kInline records live on the stack, so that a
// usual commit allocates nothing for them.

#ifndef STRATA_DURABILITY_SRC_UTIL_RECORD_SIZES_H_
#define STRATA_DURABILITY_SRC_UTIL_RECORD_SIZES_H_

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace strata::durability {

class RecordSizes {
 public:
  explicit RecordSizes(std::size_t n) {
    if (n <= kInline) {
      sizes_ = std::span<std::size_t>(inline_.data(), n);
    } else {
      heap_.resize(n);
      sizes_ = heap_;
    }
  }
  RecordSizes(const RecordSizes&) = delete;
  RecordSizes& operator=(const RecordSizes&) = delete;

  std::size_t& operator[](std::size_t i) { return sizes_[i]; }
  std::span<const std::size_t> span() const { return sizes_; }

 private:
  static constexpr std::size_t kInline = 16;
  std::array<std::size_t, kInline> inline_;
  std::vector<std::size_t> heap_;
  std::span<std::size_t> sizes_;
};

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_SRC_UTIL_RECORD_SIZES_H_
