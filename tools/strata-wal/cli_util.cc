// Shared helpers of the strata-wal commands (see cli_util.h).

#include "cli_util.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <fmt/core.h>

namespace strata_wal {

namespace {

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

void print_error(std::string_view command, std::string_view message) {
  if (command.empty()) {
    fmt::print(stderr, "strata-wal: error: {}\n", one_line(message));
  } else {
    fmt::print(stderr, "strata-wal {}: error: {}\n", command,
               one_line(message));
  }
  std::fflush(stderr);
}

void print_note(std::string_view command, std::string_view message) {
  fmt::print(stderr, "strata-wal {}: {}\n", command, one_line(message));
  std::fflush(stderr);
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<sd::log::RecoveryMode> parse_recovery_mode(
    std::string_view text) {
  using sd::log::RecoveryMode;
  if (text == "tolerate-tail") return RecoveryMode::kTolerateCorruptedTail;
  if (text == "absolute") return RecoveryMode::kAbsoluteConsistency;
  if (text == "point-in-time") return RecoveryMode::kPointInTime;
  if (text == "skip-corrupt") return RecoveryMode::kSkipAnyCorrupted;
  return std::nullopt;
}

std::string_view recovery_mode_arg(sd::log::RecoveryMode mode) {
  return kRecoveryModeNames[static_cast<int>(mode) & 3];
}

int exit_code_for(const sd::Status& status) {
  if (status.ok()) return kExitOk;
  if (status.is_not_found() || status.is_invalid_argument()) {
    return kExitUsage;
  }
  const int err = status.sys_errno();
  if (err == EACCES || err == EPERM || err == ENOTDIR || err == ENOENT ||
      err == EISDIR) {
    return kExitUsage;
  }
  return kExitLogProblem;
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace strata_wal
