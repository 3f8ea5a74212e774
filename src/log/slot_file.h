// The slot file's encoding (docs/format.md, "Slot files"), shared by the
// slot operations and the LogWriter, which marks a slot dropped.

#ifndef STRATA_DURABILITY_SRC_LOG_SLOT_FILE_H_
#define STRATA_DURABILITY_SRC_LOG_SLOT_FILE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "strata/durability/log/slot.h"

namespace strata::durability::log {

// Version 2 is written; version 1 (without the drop's cap and retained
// bytes) is still read.
inline constexpr std::size_t kSlotFileSize = 52;
inline constexpr uint16_t kSlotFormatVersion = 2;
inline constexpr std::size_t kSlotFileSizeV1 = 36;
inline constexpr char kSlotMagic[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'S', 'L'};

std::string encode_slot(const SlotState& s);
Result<SlotState> decode_slot(std::string_view bytes);
// Writes the slot's file durably (temporary file, sync, rename, directory
// sync).
Status write_slot(Env* env, const std::string& dir, const SlotState& s);
// The error a dropped slot's consumer gets.
Status slot_dropped_error(const std::string& dir, const SlotState& s);

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_SRC_LOG_SLOT_FILE_H_
