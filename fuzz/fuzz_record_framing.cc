// libFuzzer target: the log core's framing decoders (src/log/format.h):
// parse_record over a run of records, decode_segment_header, decode_start
// and decode_seal. Whatever decodes must re-encode to the bytes it came
// from (for the fields the format defines), and nothing may read out of
// bounds.
//
// Input: 4 bytes of CRC seed (little-endian), 1 byte choosing the record
// size limit (0: the largest allowed, n: n * 16 bytes), then the bytes.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "log/format.h"

namespace {

using namespace strata::durability::
    log;  // NOLINT(google-build-using-namespace)

void check_records(std::string_view bytes, uint32_t seed,
                   std::size_t max_record_size) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::string_view rest = bytes.substr(pos);
    ParsedRecord rec;
    std::string reason;
    if (parse_record(rest, seed, max_record_size, &rec, &reason) ==
        ParseResult::kInvalid) {
      FUZZ_CHECK(!reason.empty());
      return;
    }
    FUZZ_CHECK(rec.total_size == kRecordHeaderSize + rec.length);
    FUZZ_CHECK(rec.total_size <= rest.size());
    FUZZ_CHECK(rec.length <= max_record_size);
    FUZZ_CHECK(rec.payload.data() == rest.data() + kRecordHeaderSize);
    FUZZ_CHECK(rec.payload.size() == rec.length);
    FUZZ_CHECK(is_known_record_type(rec.type));
    std::string again;
    append_record(&again, seed, static_cast<RecordType>(rec.type), rec.payload);
    FUZZ_CHECK(again == rest.substr(0, rec.total_size));
    if (rec.type == static_cast<uint8_t>(RecordType::kSeal)) {
      auto seal = decode_seal(rec.payload);
      FUZZ_CHECK(seal.has_value() == (rec.length == kSealPayloadSize));
    }
    pos += rec.total_size;
  }
}

void check_segment_header(std::string_view bytes) {
  auto h = decode_segment_header(bytes);
  if (!h.ok()) {
    FUZZ_CHECK(!h.status().message().empty());
    return;
  }
  FUZZ_CHECK(bytes.size() >= kSegmentHeaderSize);
  FUZZ_CHECK(h->format_version >= 1 && h->format_version <= kFormatVersion);
  FUZZ_CHECK(static_cast<uint8_t>(h->kind) <=
             static_cast<uint8_t>(LogKind::kTxLog));
  std::string enc = encode_segment_header(*h);
  FUZZ_CHECK(enc.size() == kSegmentHeaderSize);
  // Every defined field round-trips (the flags byte 11 and the reserved
  // bytes 56-59 are covered by the CRC but not interpreted).
  FUZZ_CHECK(std::memcmp(enc.data(), bytes.data(), 11) == 0);
  FUZZ_CHECK(std::memcmp(enc.data() + 12, bytes.data() + 12, 44) == 0);
  auto again = decode_segment_header(enc);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->number == h->number && again->first_lsn == h->first_lsn &&
             again->salt == h->salt && again->prev_salt == h->prev_salt &&
             again->log_id == h->log_id && again->kind == h->kind);
}

void check_start(std::string_view bytes) {
  auto s = decode_start(bytes);
  if (!s.ok()) return;
  FUZZ_CHECK(bytes.size() == kStartFileSize);
  std::string enc = encode_start(*s);
  FUZZ_CHECK(enc.size() == kStartFileSize);
  FUZZ_CHECK(std::memcmp(enc.data(), bytes.data(), 8) == 0);
  FUZZ_CHECK(enc[10] == bytes[10]);
  FUZZ_CHECK(std::memcmp(enc.data() + 16, bytes.data() + 16, 32) == 0);
  auto again = decode_start(enc);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->first_segment == s->first_segment &&
             again->first_lsn == s->first_lsn && again->log_id == s->log_id &&
             again->kind == s->kind);
}

void check_seal(std::string_view bytes) {
  auto seal = decode_seal(bytes);
  FUZZ_CHECK(seal.has_value() == (bytes.size() == kSealPayloadSize));
  if (seal) FUZZ_CHECK(encode_seal(*seal) == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  uint32_t seed = static_cast<uint32_t>(data[0]) |
                  static_cast<uint32_t>(data[1]) << 8 |
                  static_cast<uint32_t>(data[2]) << 16 |
                  static_cast<uint32_t>(data[3]) << 24;
  std::size_t limit = data[4] == 0 ? kMaxRecordSizeLimit
                                   : static_cast<std::size_t>(data[4]) * 16;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 5, size - 5);
  check_records(bytes, seed, limit);
  check_segment_header(bytes);
  check_start(bytes);
  check_seal(bytes);
  // A segment: header, then records under the header's own seed.
  auto h = decode_segment_header(bytes);
  if (h.ok()) {
    check_records(bytes.substr(kSegmentHeaderSize),
                  segment_seed(h->log_id, h->number, h->salt), limit);
  }
  return 0;
}
