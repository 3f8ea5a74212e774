// Replication slots: a named consumer's position in a log, kept in a small
// file in the log directory, which holds back the writer's segment
// retirement (docs/format.md, "Slot files"), like PostgreSQL's replication
// slots.
//
// A slot's restart LSN is the first LSN its consumer still needs. While the
// slot exists, LogWriter::remove_segments_before() keeps every segment that
// holds or follows it, unless that would retain more than the writer's
// max_slot_retained_bytes: then the writer drops the slot (marks it dropped,
// counts it in its stats) and the slot's consumer gets a NotFound "slot
// dropped" error at its next read instead of a silent hole.

#ifndef STRATA_DURABILITY_LOG_SLOT_H_
#define STRATA_DURABILITY_LOG_SLOT_H_

#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::log {

struct SlotState {
  std::string name;
  // The first LSN the consumer still needs.
  Lsn restart_lsn = 0;
  // The writer dropped the slot to stay under its size cap; the segments
  // from restart_lsn on may be gone.
  bool dropped = false;
  // When dropped: where the log was to start after the retirement that
  // dropped the slot.
  Lsn dropped_at_lsn = 0;
  // When dropped: the writer's max_slot_retained_bytes then, and the bytes
  // keeping the slot would have retained (both 0 in a version 1 slot file).
  uint64_t dropped_cap_bytes = 0;
  uint64_t dropped_retained_bytes = 0;
};

// A slot name: 1 to 64 characters of [A-Za-z0-9_-].
bool is_valid_slot_name(const std::string& name);
// "slot-<name>", the file that holds a slot in the log directory.
std::string slot_file_name(const std::string& name);

// Creates slot `name` at `restart_lsn`, durably. InvalidArgument when the
// name is not valid or the slot exists.
Status create_slot(Env* env, const std::string& dir, const std::string& name,
                   Lsn restart_lsn);
// NotFound when the slot does not exist; Corruption when its file does not
// decode.
Result<SlotState> read_slot(Env* env, const std::string& dir,
                            const std::string& name);
// Moves the slot's restart LSN (forward or back), durably (temporary file,
// sync, rename, directory sync). NotFound when the slot does not exist or
// was dropped by the writer.
Status advance_slot(Env* env, const std::string& dir, const std::string& name,
                    Lsn restart_lsn);
// Removes the slot; its segments may then be retired.
Status drop_slot(Env* env, const std::string& dir, const std::string& name);
// Every slot in `dir`, by name. A slot file that does not decode is an
// error naming it (a damaged slot must not silently stop holding
// segments).
Result<std::vector<SlotState>> list_slots(Env* env, const std::string& dir);

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_SLOT_H_
