// The log core's on-disk format: encoding and validation of START, segment
// headers and records.

#include "log/format.h"

#include <cstdio>
#include <cstring>

#include "util/coding.h"
#include "util/crc32c.h"

namespace strata::durability::log {

std::string encode_segment_header(const SegmentHeader& h) {
  std::string out(kSegmentHeaderSize, '\0');
  char* p = out.data();
  std::memcpy(p, kSegmentMagic, 8);
  encode_fixed16(p + 8, h.format_version);
  p[10] = static_cast<char>(h.kind);
  p[11] = 0;
  encode_fixed32(p + 12, kSegmentHeaderSize);
  std::memcpy(p + 16, h.log_id.data(), 16);
  encode_fixed64(p + 32, h.number);
  encode_fixed64(p + 40, h.first_lsn);
  encode_fixed32(p + 48, h.salt);
  encode_fixed32(p + 52, h.prev_salt);
  encode_fixed32(p + 56, 0);
  encode_fixed32(p + 60, crc32c::mask(crc32c::value(p, 60)));
  return out;
}

Result<SegmentHeader> decode_segment_header(std::string_view bytes) {
  if (bytes.size() < kSegmentHeaderSize) {
    return Status::corruption("segment header is " +
                              std::to_string(bytes.size()) + " bytes, want 64");
  }
  const char* p = bytes.data();
  if (std::memcmp(p, kSegmentMagic, 8) != 0) {
    return Status::corruption("not a segment file (bad magic)");
  }
  uint32_t stored = crc32c::unmask(decode_fixed32(p + 60));
  if (stored != crc32c::value(p, 60)) {
    return Status::corruption("segment header checksum mismatch");
  }
  SegmentHeader h;
  h.format_version = decode_fixed16(p + 8);
  if (h.format_version > kFormatVersion) {
    return Status::not_supported("segment written in format version " +
                                 std::to_string(h.format_version) +
                                 "; this reader knows up to " +
                                 std::to_string(kFormatVersion));
  }
  if (h.format_version == 0) {
    return Status::corruption("segment header has format version 0");
  }
  if (decode_fixed32(p + 12) != kSegmentHeaderSize) {
    return Status::corruption("segment header size is not 64");
  }
  auto kind = static_cast<uint8_t>(p[10]);
  if (kind > static_cast<uint8_t>(LogKind::kTxLog)) {
    return Status::corruption("unknown log kind " + std::to_string(kind));
  }
  h.kind = static_cast<LogKind>(kind);
  std::memcpy(h.log_id.data(), p + 16, 16);
  h.number = decode_fixed64(p + 32);
  h.first_lsn = decode_fixed64(p + 40);
  h.salt = decode_fixed32(p + 48);
  h.prev_salt = decode_fixed32(p + 52);
  return h;
}

std::string encode_start(const StartRecord& s) {
  std::string out(kStartFileSize, '\0');
  char* p = out.data();
  std::memcpy(p, kStartMagic, 8);
  encode_fixed16(p + 8, kFormatVersion);
  p[10] = static_cast<char>(s.kind);
  std::memcpy(p + 16, s.log_id.data(), 16);
  encode_fixed64(p + 32, s.first_segment);
  encode_fixed64(p + 40, s.first_lsn);
  encode_fixed32(p + 48, crc32c::mask(crc32c::value(p, 48)));
  return out;
}

Result<StartRecord> decode_start(std::string_view bytes) {
  if (bytes.size() != kStartFileSize ||
      std::memcmp(bytes.data(), kStartMagic, 8) != 0) {
    return Status::corruption("START file is not a log start record");
  }
  const char* p = bytes.data();
  if (crc32c::unmask(decode_fixed32(p + 48)) != crc32c::value(p, 48)) {
    return Status::corruption("START file checksum mismatch");
  }
  uint16_t version = decode_fixed16(p + 8);
  if (version > kFormatVersion) {
    return Status::not_supported("START file has format version " +
                                 std::to_string(version));
  }
  auto kind = static_cast<uint8_t>(p[10]);
  if (kind > static_cast<uint8_t>(LogKind::kTxLog)) {
    return Status::corruption("START file has unknown log kind");
  }
  StartRecord s;
  s.kind = static_cast<LogKind>(kind);
  std::memcpy(s.log_id.data(), p + 16, 16);
  s.first_segment = decode_fixed64(p + 32);
  s.first_lsn = decode_fixed64(p + 40);
  return s;
}

uint32_t segment_seed(const LogId& log_id, uint64_t number, uint32_t salt) {
  char buf[28];
  std::memcpy(buf, log_id.data(), 16);
  encode_fixed64(buf + 16, number);
  encode_fixed32(buf + 24, salt);
  return crc32c::value(buf, sizeof(buf));
}

void append_record(std::string* out, uint32_t seed, RecordType type,
                   std::string_view payload) {
  std::size_t start = out->size();
  out->resize(start + kRecordHeaderSize);
  out->append(payload);
  frame_record(out->data() + start, seed, type, payload.size());
}

void frame_record(char* record, uint32_t seed, RecordType type,
                  std::size_t payload_size) {
  encode_fixed32(record + 4, static_cast<uint32_t>(payload_size));
  record[8] = static_cast<char>(type);
  // Length, type and payload are contiguous: one pass of the CRC.
  uint32_t crc = crc32c::extend(seed, record + 4, 5 + payload_size);
  encode_fixed32(record, crc32c::mask(crc));
}

std::string encode_seal(const SealPayload& seal) {
  std::string out(kSealPayloadSize, '\0');
  encode_fixed64(out.data(), seal.next_number);
  encode_fixed32(out.data() + 8, seal.next_salt);
  encode_fixed64(out.data() + 12, seal.end_lsn);
  return out;
}

std::optional<SealPayload> decode_seal(std::string_view payload) {
  if (payload.size() != kSealPayloadSize) return std::nullopt;
  SealPayload s;
  s.next_number = decode_fixed64(payload.data());
  s.next_salt = decode_fixed32(payload.data() + 8);
  s.end_lsn = decode_fixed64(payload.data() + 12);
  return s;
}

ParseResult parse_record(std::string_view bytes, uint32_t seed,
                         std::size_t max_record_size, ParsedRecord* out,
                         std::string* reason) {
  if (bytes.size() < kRecordHeaderSize) {
    if (reason) *reason = "record header cut short";
    return ParseResult::kInvalid;
  }
  const char* h = bytes.data();
  uint32_t length = decode_fixed32(h + 4);
  auto type = static_cast<uint8_t>(h[8]);
  if (type == 0) {
    if (reason) *reason = length == 0 ? "zero-filled bytes" : "record type 0";
    return ParseResult::kInvalid;
  }
  if (length > max_record_size) {
    if (reason) {
      *reason = "record length " + std::to_string(length) +
                " exceeds the limit of " + std::to_string(max_record_size);
    }
    return ParseResult::kInvalid;
  }
  if (kRecordHeaderSize + static_cast<std::size_t>(length) > bytes.size()) {
    if (reason) {
      *reason = "record of " + std::to_string(length) +
                " bytes runs past the end of the data";
    }
    return ParseResult::kInvalid;
  }
  uint32_t crc =
      crc32c::extend(seed, h + 4, 5 + static_cast<std::size_t>(length));
  if (crc32c::mask(crc) != decode_fixed32(h)) {
    if (reason) *reason = "record checksum mismatch";
    return ParseResult::kInvalid;
  }
  if (!is_known_record_type(type)) {
    if (reason) *reason = "unknown record type " + std::to_string(type);
    return ParseResult::kInvalid;
  }
  out->type = type;
  out->length = length;
  out->payload = bytes.substr(kRecordHeaderSize, length);
  out->total_size = kRecordHeaderSize + length;
  return ParseResult::kValid;
}

std::string segment_file_name(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.seg",
                static_cast<unsigned long long>(number));
  return buf;
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".seg";
  if (name.size() <= kSuffix.size() ||
      name.substr(name.size() - kSuffix.size()) != kSuffix) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(0, name.size() - kSuffix.size());
  if (digits.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = n * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != n) return std::nullopt;  // overflow
    n = next;
  }
  return n;
}

std::string prepared_segment_file_name(uint64_t number) {
  return segment_file_name(number) + std::string(kPreparedSuffix);
}

bool is_prepared_segment_file_name(std::string_view name) {
  return name.size() > kPreparedSuffix.size() &&
         name.substr(name.size() - kPreparedSuffix.size()) == kPreparedSuffix;
}

}  // namespace strata::durability::log
