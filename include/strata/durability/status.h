// Status: the outcome of an operation, as a value. No exceptions cross the
// library's API; every fallible call returns a Status or a Result<T>.
//
// An OK status holds no allocation. An error holds a code and a message that
// says what went wrong and where (file, segment, offset), so that a caller can
// log it as it is.

#ifndef STRATA_DURABILITY_STATUS_H_
#define STRATA_DURABILITY_STATUS_H_

#include <memory>
#include <string>
#include <string_view>

namespace strata::durability {

enum class StatusCode : unsigned char {
  kOk = 0,
  kCorruption,       // bytes read back are not what was written
  kIOError,          // the operating system refused or failed an operation
  kInvalidArgument,  // the caller asked for something that cannot be done
  kNotFound,         // a file, log, LSN or entry does not exist
  kBusy,             // another writer holds the log directory's lock
  kNotSupported,     // e.g. a segment of a newer format version
};

// The name of a code, e.g. "Corruption".
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&& other) noexcept = default;
  Status& operator=(Status&& other) noexcept = default;
  ~Status() = default;

  static Status ok_status() { return Status(); }
  static Status corruption(std::string_view msg) {
    return Status(StatusCode::kCorruption, msg);
  }
  static Status io_error(std::string_view msg) {
    return Status(StatusCode::kIOError, msg);
  }
  static Status invalid_argument(std::string_view msg) {
    return Status(StatusCode::kInvalidArgument, msg);
  }
  static Status not_found(std::string_view msg) {
    return Status(StatusCode::kNotFound, msg);
  }
  static Status busy(std::string_view msg) {
    return Status(StatusCode::kBusy, msg);
  }
  static Status not_supported(std::string_view msg) {
    return Status(StatusCode::kNotSupported, msg);
  }
  // An IOError for a failed system call: "what: path: strerror(err)".
  // The errno value is kept and can be read back with sys_errno().
  static Status from_errno(std::string_view what, std::string_view path,
                           int err);

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  bool is_corruption() const { return code() == StatusCode::kCorruption; }
  bool is_io_error() const { return code() == StatusCode::kIOError; }
  bool is_invalid_argument() const {
    return code() == StatusCode::kInvalidArgument;
  }
  bool is_not_found() const { return code() == StatusCode::kNotFound; }
  bool is_busy() const { return code() == StatusCode::kBusy; }
  bool is_not_supported() const { return code() == StatusCode::kNotSupported; }

  // The message alone ("" when OK).
  std::string_view message() const {
    return state_ ? std::string_view(state_->message) : std::string_view();
  }
  // The errno behind an IOError made by from_errno, else 0.
  int sys_errno() const { return state_ ? state_->sys_errno : 0; }

  // "OK" or "<Code>: <message>".
  std::string to_string() const;

  // The same status with context in front of its message:
  // "context: message". OK stays OK.
  Status with_context(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    int sys_errno;
    std::string message;
  };
  Status(StatusCode code, std::string_view msg, int sys_errno = 0);

  std::unique_ptr<State> state_;
};

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_STATUS_H_
