// Shared helpers of the strata-wal commands: exit codes, one-line error
// messages, and parsing of the option values the contract defines.

#ifndef STRATA_TOOLS_STRATA_WAL_CLI_UTIL_H_
#define STRATA_TOOLS_STRATA_WAL_CLI_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "strata/durability/durability_mode.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/status.h"
#include "strata/durability/uuid.h"

namespace strata_wal {

namespace sd = strata::durability;

// The contract's exit codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitLogProblem = 1,  // problems found in the log
  kExitUsage = 2,       // bad arguments, or an input that is not a log
};

// Prints "strata-wal: <command>: <message>" as one line on stderr
// (newlines in the message are flattened so scripts see one line).
void print_error(std::string_view command, std::string_view message);
// The same for a note that is not an error (e.g. a torn tail found).
void print_note(std::string_view command, std::string_view message);

// Strict decimal u64 ("12", not "-1", "0x10" or "1e3").
std::optional<uint64_t> parse_u64(std::string_view text);

// "tolerate-tail", "absolute", "point-in-time" or "skip-corrupt".
std::optional<sd::log::RecoveryMode> parse_recovery_mode(std::string_view text);
std::string_view recovery_mode_arg(sd::log::RecoveryMode mode);
inline constexpr const char* kRecoveryModeNames[] = {
    "tolerate-tail", "absolute", "point-in-time", "skip-corrupt"};

// The exit code for a Status from the library: a log that is damaged is 1,
// an input that is not a log (missing, not a directory, wrong kind, no
// permission) is 2.
int exit_code_for(const sd::Status& status);

// Whether stderr is a terminal (for the progress bar).
bool stderr_is_tty();

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_CLI_UTIL_H_
