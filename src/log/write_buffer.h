// WriteBuffer: the leader's group buffer. Unlike std::string, growing it
// leaves the new bytes uninitialised, because the encoders and framing
// write every one of them right away: filling them with zeros first would
// be one more pass over each payload.

#ifndef STRATA_DURABILITY_SRC_LOG_WRITE_BUFFER_H_
#define STRATA_DURABILITY_SRC_LOG_WRITE_BUFFER_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace strata::durability::log {

class WriteBuffer {
 public:
  // Appends `n` uninitialised bytes and returns where they start; valid
  // until the next extend() or clear().
  char* extend(std::size_t n) {
    if (n > capacity_ - size_) grow(size_ + n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  void clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  void grow(std::size_t want) {
    // Doubling: the buffer reaches its working size after a few groups and
    // keeps it, so steady-state groups never copy.
    const std::size_t cap = std::max(want, capacity_ * 2);
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (size_ != 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = cap;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_SRC_LOG_WRITE_BUFFER_H_
