// EncodeScratch: where a typed log encodes one commit's records before the
// log core frames them into its write buffer. The buffers belong to the
// thread and keep their capacity between commits, so that a commit
// allocates nothing once they have grown to its size.

#ifndef STRATA_DURABILITY_SRC_UTIL_ENCODE_SCRATCH_H_
#define STRATA_DURABILITY_SRC_UTIL_ENCODE_SCRATCH_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::durability {

class EncodeScratch {
 public:
  // Takes the thread's buffers; a nested scratch (a commit made from a
  // callback that runs inside another commit) gets buffers of its own.
  EncodeScratch() {
    ScratchBuffers& t = thread_buffers();
    if (!t.in_use) {
      t.in_use = true;
      buffers_ = &t;
    } else {
      buffers_ = &own_;
    }
  }
  ~EncodeScratch() {
    ScratchBuffers& b = *buffers_;
    b.bytes.clear();
    b.ends.clear();
    b.views.clear();
    // A huge transaction's buffer is not kept for the thread's lifetime.
    if (b.bytes.capacity() > kKeepBytes) std::string().swap(b.bytes);
    if (b.ends.capacity() > kKeepRecords) {
      std::vector<std::size_t>().swap(b.ends);
      std::vector<std::string_view>().swap(b.views);
    }
    b.in_use = false;
  }
  EncodeScratch(const EncodeScratch&) = delete;
  EncodeScratch& operator=(const EncodeScratch&) = delete;

  // The bytes of the records so far; encoders append to it.
  std::string* bytes() { return &buffers_->bytes; }
  std::size_t size() const { return buffers_->bytes.size(); }
  // Ends the current record at the current size.
  void end_record() { buffers_->ends.push_back(buffers_->bytes.size()); }
  // The records, valid until the next change or the scratch's end.
  std::span<const std::string_view> records() {
    ScratchBuffers& b = *buffers_;
    b.views.clear();
    std::size_t start = 0;
    for (std::size_t end : b.ends) {
      b.views.emplace_back(b.bytes.data() + start, end - start);
      start = end;
    }
    return b.views;
  }

 private:
  static constexpr std::size_t kKeepBytes = 1U << 20;
  static constexpr std::size_t kKeepRecords = 4096;

  struct ScratchBuffers {
    std::string bytes;
    std::vector<std::size_t> ends;
    std::vector<std::string_view> views;
    bool in_use = false;
  };
  static ScratchBuffers& thread_buffers() {
    thread_local ScratchBuffers buffers;
    return buffers;
  }

  ScratchBuffers own_;
  ScratchBuffers* buffers_;
};

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_SRC_UTIL_ENCODE_SCRATCH_H_
