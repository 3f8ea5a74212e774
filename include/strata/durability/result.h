// Result<T>: either a value of type T or an error Status.
//
// It plays the part of std::expected<T, Status> (which g++ 12 lacks in C++20)
// with a smaller surface: ok(), status(), value(), operator* and ->.
// Reading the value of an error result is a programming error and aborts.

#ifndef STRATA_DURABILITY_RESULT_H_
#define STRATA_DURABILITY_RESULT_H_

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include "strata/durability/status.h"

namespace strata::durability {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>,
                "Result<Status> makes no sense: return Status");

 public:
  // Implicit from a value and from an error, so that `return value;` and
  // `return Status::corruption(...);` both work.
  Result(const T& value)
      : value_(value) {}  // NOLINT(google-explicit-constructor)
  Result(T&& value)
      : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)              // NOLINT(google-explicit-constructor)
      : status_(std::move(status)) {
    if (status_.ok()) {
      status_ = Status::invalid_argument("Result built from an OK status");
    }
  }
  template <typename U, typename = std::enable_if_t<
                            std::is_constructible_v<T, U&&> &&
                            !std::is_same_v<std::decay_t<U>, T> &&
                            !std::is_same_v<std::decay_t<U>, Status>>>
  Result(U&& value)  // NOLINT(google-explicit-constructor)
      : value_(std::forward<U>(value)) {}

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  // The error; OK when the result holds a value.
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & {
    check();
    return *value_;
  }
  const T& value() const& {
    check();
    return *value_;
  }
  T&& value() && {
    check();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const {
    if (!value_.has_value()) {
      std::fprintf(stderr, "strata: value() of an error Result: %s\n",
                   status_.to_string().c_str());
      std::abort();
    }
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_RESULT_H_
