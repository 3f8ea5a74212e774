// DurabilityMode: the printable description.

#include "strata/durability/durability_mode.h"

namespace strata::durability {

std::string DurabilityMode::description() const {
  switch (kind_) {
    case Kind::kStrict:
      return "strict";
    case Kind::kNone:
      return "none";
    case Kind::kBatched:
      return "batched(interval_ms=" + std::to_string(interval_ms_) +
             ", batch_size=" + std::to_string(batch_size_) + ")";
  }
  return "unknown";
}

}  // namespace strata::durability
