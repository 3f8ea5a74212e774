// Status: construction, copying and printing.

#include "strata/durability/status.h"

#include <cstring>

namespace strata::durability {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kIOError:
      return "IOError";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kBusy:
      return "Busy";
    case StatusCode::kNotSupported:
      return "NotSupported";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string_view msg, int sys_errno)
    : state_(
          std::make_unique<State>(State{code, sys_errno, std::string(msg)})) {}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  }
  return *this;
}

Status Status::from_errno(std::string_view what, std::string_view path,
                          int err) {
  std::string msg(what);
  if (!path.empty()) {
    msg += ": ";
    msg += path;
  }
  msg += ": ";
  msg += std::strerror(err);
  return Status(StatusCode::kIOError, msg, err);
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  std::string out(status_code_name(state_->code));
  out += ": ";
  out += state_->message;
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return Status();
  std::string msg(context);
  msg += ": ";
  msg += state_->message;
  return Status(state_->code, msg, state_->sys_errno);
}

}  // namespace strata::durability
