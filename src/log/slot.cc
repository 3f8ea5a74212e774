// Slot files (docs/format.md, "Slot files"): encoding, and the operations
// of strata/durability/log/slot.h.

#include "strata/durability/log/slot.h"

#include <algorithm>
#include <cstring>

#include "log/slot_file.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace strata::durability::log {

namespace {
constexpr const char* kSlotPrefix = "slot-";
constexpr uint8_t kStateActive = 1;
constexpr uint8_t kStateDropped = 2;
}  // namespace

bool is_valid_slot_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string slot_file_name(const std::string& name) {
  return kSlotPrefix + name;
}

std::string encode_slot(const SlotState& s) {
  std::string out(kSlotFileSize, '\0');
  std::memcpy(out.data(), kSlotMagic, 8);
  encode_fixed16(out.data() + 8, kSlotFormatVersion);
  out[10] = static_cast<char>(s.dropped ? kStateDropped : kStateActive);
  encode_fixed64(out.data() + 16, s.restart_lsn);
  encode_fixed64(out.data() + 24, s.dropped_at_lsn);
  encode_fixed64(out.data() + 32, s.dropped_cap_bytes);
  encode_fixed64(out.data() + 40, s.dropped_retained_bytes);
  encode_fixed32(out.data() + 48, crc32c::mask(crc32c::value(out.data(), 48)));
  return out;
}

Result<SlotState> decode_slot(std::string_view bytes) {
  if (bytes.size() < 10) {
    return Status::corruption("slot file is " + std::to_string(bytes.size()) +
                              " bytes, too short for a header");
  }
  if (std::memcmp(bytes.data(), kSlotMagic, 8) != 0) {
    return Status::corruption("slot file has a bad magic number");
  }
  uint16_t version = decode_fixed16(bytes.data() + 8);
  if (version != 1 && version != kSlotFormatVersion) {
    return Status::not_supported("slot file format version " +
                                 std::to_string(version));
  }
  const std::size_t size = version == 1 ? kSlotFileSizeV1 : kSlotFileSize;
  if (bytes.size() != size) {
    return Status::corruption("slot file of version " +
                              std::to_string(version) + " is " +
                              std::to_string(bytes.size()) +
                              " bytes, expected " + std::to_string(size));
  }
  const std::size_t crc_at = size - 4;
  uint32_t stored = crc32c::unmask(decode_fixed32(bytes.data() + crc_at));
  if (stored != crc32c::value(bytes.data(), crc_at)) {
    return Status::corruption("slot file checksum mismatch");
  }
  auto state = static_cast<uint8_t>(bytes[10]);
  if (state != kStateActive && state != kStateDropped) {
    return Status::corruption("slot file has unknown state " +
                              std::to_string(state));
  }
  SlotState s;
  s.dropped = state == kStateDropped;
  s.restart_lsn = decode_fixed64(bytes.data() + 16);
  s.dropped_at_lsn = decode_fixed64(bytes.data() + 24);
  if (version >= 2) {
    s.dropped_cap_bytes = decode_fixed64(bytes.data() + 32);
    s.dropped_retained_bytes = decode_fixed64(bytes.data() + 40);
  }
  return s;
}

Status write_slot(Env* env, const std::string& dir, const SlotState& s) {
  return write_file_atomically(env, dir, slot_file_name(s.name),
                               encode_slot(s));
}

Status create_slot(Env* env, const std::string& dir, const std::string& name,
                   Lsn restart_lsn) {
  if (!is_valid_slot_name(name)) {
    return Status::invalid_argument("invalid slot name '" + name +
                                    "' (1-64 characters of A-Z a-z 0-9 _ -)");
  }
  STRATA_ASSIGN_OR_RETURN(
      bool exists, env->file_exists(join_path(dir, slot_file_name(name))));
  if (exists) {
    return Status::invalid_argument("slot '" + name + "' already exists in " +
                                    dir);
  }
  SlotState s;
  s.name = name;
  s.restart_lsn = restart_lsn;
  return write_slot(env, dir, s);
}

Result<SlotState> read_slot(Env* env, const std::string& dir,
                            const std::string& name) {
  if (!is_valid_slot_name(name)) {
    return Status::invalid_argument("invalid slot name '" + name + "'");
  }
  std::string path = join_path(dir, slot_file_name(name));
  auto bytes = read_file(env, path);
  if (!bytes.ok()) {
    if (bytes.status().is_not_found()) {
      return Status::not_found("no slot '" + name + "' in " + dir);
    }
    return bytes.status();
  }
  auto s = decode_slot(*bytes);
  if (!s.ok()) {
    return s.status().with_context(path);
  }
  s->name = name;
  return s;
}

Status advance_slot(Env* env, const std::string& dir, const std::string& name,
                    Lsn restart_lsn) {
  STRATA_ASSIGN_OR_RETURN(SlotState s, read_slot(env, dir, name));
  if (s.dropped) return slot_dropped_error(dir, s);
  s.restart_lsn = restart_lsn;
  return write_slot(env, dir, s);
}

Status drop_slot(Env* env, const std::string& dir, const std::string& name) {
  if (!is_valid_slot_name(name)) {
    return Status::invalid_argument("invalid slot name '" + name + "'");
  }
  std::string path = join_path(dir, slot_file_name(name));
  STRATA_ASSIGN_OR_RETURN(bool exists, env->file_exists(path));
  if (!exists) return Status::not_found("no slot '" + name + "' in " + dir);
  STRATA_RETURN_IF_ERROR(env->remove_file(path));
  return env->sync_dir(dir);
}

Result<std::vector<SlotState>> list_slots(Env* env, const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env->list_dir(dir));
  std::sort(names.begin(), names.end());
  std::vector<SlotState> out;
  const std::size_t prefix = std::strlen(kSlotPrefix);
  for (const std::string& n : names) {
    if (n.size() <= prefix || n.compare(0, prefix, kSlotPrefix) != 0) continue;
    std::string name = n.substr(prefix);
    // Temporary files of write_file_atomically and foreign files are not
    // slots.
    if (!is_valid_slot_name(name)) continue;
    STRATA_ASSIGN_OR_RETURN(SlotState s, read_slot(env, dir, name));
    out.push_back(std::move(s));
  }
  return out;
}

Status slot_dropped_error(const std::string& dir, const SlotState& s) {
  // A version 1 file does not say what the cap was.
  std::string why =
      s.dropped_cap_bytes == 0
          ? " would have passed max_slot_retained_bytes"
          : " would have retained " + std::to_string(s.dropped_retained_bytes) +
                " bytes, over the writer's max_slot_retained_bytes cap of " +
                std::to_string(s.dropped_cap_bytes) + " bytes";
  return Status::not_found(
      "slot '" + s.name + "' in " + dir +
      " was dropped by the writer: keeping its segments from LSN " +
      std::to_string(s.restart_lsn) + why + "; the log now starts at LSN " +
      std::to_string(s.dropped_at_lsn) +
      " (recreate the slot and resynchronise the consumer)");
}

}  // namespace strata::durability::log
