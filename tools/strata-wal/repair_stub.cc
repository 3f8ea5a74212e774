// A stand-in for log::repair_log, compiled only while the library lacks its
// implementation (see CMakeLists.txt), so that `repair` fails cleanly.

#include "strata/durability/log/log_repair.h"

namespace strata::durability::log {

Result<RepairReport> repair_log(const std::string& dir,
                                const RepairOptions& /*options*/) {
  return Status::not_supported(
      "repair_log is not implemented in this build "
      "of the library (" +
      dir + ")");
}

}  // namespace strata::durability::log
