// RecordBatch: a batch of records that LogWriter encodes straight into its
// write buffer, so that a payload is copied once on its way to the file.
//
// The caller says how big each record's payload is and gives a function
// that writes record i's payload at a pointer. The writer sizes its buffer
// from the sizes, lets the function fill each payload in place, and frames
// it there (the CRC is computed over the buffer). The typed logs hand over
// their entries this way: their encoders write key and value bytes straight
// into the buffer that goes to the file.

#ifndef STRATA_DURABILITY_LOG_RECORD_BATCH_H_
#define STRATA_DURABILITY_LOG_RECORD_BATCH_H_

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>

namespace strata::durability::log {

// A non-owning reference to a callable `void(std::size_t index, char* out)`:
// two pointers, no allocation, cheap to pass per commit. It refers to the
// callable it was made from, which must outlive every call: a lambda
// written in the append call's argument list lives long enough, but one
// written inside a RecordBatch variable's initializer dies with that
// statement, so name the lambda first.
class RecordEncoder {
 public:
  template <class F>
  requires std::invocable<const F&, std::size_t, char*> &&
      (!std::same_as<std::remove_cvref_t<F>, RecordEncoder>)
          RecordEncoder(const F& f)  // NOLINT(google-explicit-constructor)
      : obj_(&f), call_([](const void* obj, std::size_t i, char* out) {
          (*static_cast<const F*>(obj))(i, out);
        }) {}

  void operator()(std::size_t index, char* out) const {
    call_(obj_, index, out);
  }

 private:
  const void* obj_;
  void (*call_)(const void*, std::size_t, char*);
};

// The records of one append: sizes[i] is the exact payload size of record
// i, and encode(i, out) writes exactly that many bytes at `out`.
//
// encode runs inside append()/append_async(), before they return, on
// whichever appending thread leads the write group (not necessarily the
// caller's), while the caller waits; so it may read the caller's data, but
// must not fail, throw, block, or touch the writer. It is called once per
// record, in order, unless the append fails before writing.
struct RecordBatch {
  std::span<const std::size_t> sizes;
  RecordEncoder encode;
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_RECORD_BATCH_H_
