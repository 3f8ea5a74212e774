// The log core's on-disk format (docs/format.md, sections 2-4): the START
// file, segment headers, record framing, and segment file names.

#ifndef STRATA_DURABILITY_SRC_LOG_FORMAT_H_
#define STRATA_DURABILITY_SRC_LOG_FORMAT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"

namespace strata::durability::log {

inline constexpr uint16_t kFormatVersion = 1;
inline constexpr std::size_t kSegmentHeaderSize = 64;
inline constexpr std::size_t kStartFileSize = 52;
inline constexpr std::size_t kRecordHeaderSize = 9;
inline constexpr std::size_t kSealPayloadSize = 20;
inline constexpr std::size_t kSealRecordSize =
    kRecordHeaderSize + kSealPayloadSize;
inline constexpr char kSegmentMagic[8] = {'S', 'T', 'R', 'A',
                                          'T', 'A', 'S', 'G'};
inline constexpr char kStartMagic[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'S', 'T'};
inline constexpr const char* kStartFileName = "START";
inline constexpr const char* kLockFileName = "LOCK";

using LogId = std::array<uint8_t, 16>;

enum class RecordType : uint8_t {
  kZero = 0,
  kFull = 1,
  kFirst = 2,
  kMiddle = 3,
  kLast = 4,
  kSeal = 5,
  kPadding = 0x81,
};
inline constexpr uint8_t kIgnorableBit = 0x80;

inline bool is_known_record_type(uint8_t type) {
  return (type >= 1 && type <= 5) || (type & kIgnorableBit) != 0;
}
// Types at which a reader may resume after damage: not inside a batch.
inline bool starts_unit(uint8_t type) {
  return type == static_cast<uint8_t>(RecordType::kFull) ||
         type == static_cast<uint8_t>(RecordType::kFirst) ||
         type == static_cast<uint8_t>(RecordType::kSeal) ||
         (type & kIgnorableBit) != 0;
}

struct SegmentHeader {
  uint16_t format_version = kFormatVersion;
  LogKind kind = LogKind::kRaw;
  LogId log_id{};
  uint64_t number = 0;
  Lsn first_lsn = 0;
  uint32_t salt = 0;
  uint32_t prev_salt = 0;
};

std::string encode_segment_header(const SegmentHeader& header);
// Checks magic, size, CRC and version. The error says what is wrong (the
// caller adds the file name).
Result<SegmentHeader> decode_segment_header(std::string_view bytes);

struct StartRecord {
  LogKind kind = LogKind::kRaw;
  LogId log_id{};
  uint64_t first_segment = 1;
  Lsn first_lsn = 0;
};
std::string encode_start(const StartRecord& start);
Result<StartRecord> decode_start(std::string_view bytes);

// The CRC seed that ties a record to its segment.
uint32_t segment_seed(const LogId& log_id, uint64_t number, uint32_t salt);

// Appends one framed record to `out`.
void append_record(std::string* out, uint32_t seed, RecordType type,
                   std::string_view payload);
// Frames a record in place: `record` holds kRecordHeaderSize bytes for the
// header followed by the `payload_size` bytes of the payload, already
// written; fills in the header (the CRC over the payload where it lies).
void frame_record(char* record, uint32_t seed, RecordType type,
                  std::size_t payload_size);

struct SealPayload {
  uint64_t next_number = 0;
  uint32_t next_salt = 0;
  Lsn end_lsn = 0;
};
std::string encode_seal(const SealPayload& seal);
std::optional<SealPayload> decode_seal(std::string_view payload);

// A record header read from bytes, and whether the record is valid.
struct ParsedRecord {
  uint8_t type = 0;
  uint32_t length = 0;
  std::string_view payload;
  std::size_t total_size = 0;  // header + payload
};
enum class ParseResult { kValid, kInvalid };
// Validates the record at the start of `bytes` (which runs to the end of the
// readable data). Gives a reason for an invalid record.
ParseResult parse_record(std::string_view bytes, uint32_t seed,
                         std::size_t max_record_size, ParsedRecord* out,
                         std::string* reason);

// "00000000000000000007.seg"
std::string segment_file_name(uint64_t number);
// The number in a segment file name, or nullopt if `name` is not one.
std::optional<uint64_t> parse_segment_file_name(std::string_view name);
// "<20 digits>.seg.prealloc.tmp": a segment the writer's preparer is
// zero-filling ahead of use. Readers ignore it (it ends in .tmp); the
// writer removes leftovers on open.
inline constexpr std::string_view kPreparedSuffix = ".prealloc.tmp";
std::string prepared_segment_file_name(uint64_t number);
bool is_prepared_segment_file_name(std::string_view name);

inline Lsn lsn_at(const SegmentHeader& h, uint64_t offset) {
  return h.first_lsn + (offset - kSegmentHeaderSize);
}
inline uint64_t offset_of(const SegmentHeader& h, Lsn lsn) {
  return kSegmentHeaderSize + (lsn - h.first_lsn);
}

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_SRC_LOG_FORMAT_H_
