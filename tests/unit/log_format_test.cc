// The log core's encoders: headers, START, records and file names.

#include "log/format.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "util/coding.h"

namespace strata::durability::log {
namespace {

SegmentHeader sample_header() {
  SegmentHeader h;
  h.kind = LogKind::kTxLog;
  for (std::size_t i = 0; i < 16; ++i)
    h.log_id[i] = static_cast<uint8_t>(i * 3);
  h.number = 42;
  h.first_lsn = 123456789;
  h.salt = 0xDEADBEEF;
  h.prev_salt = 0x01020304;
  return h;
}

TEST(LogFormat, SegmentHeaderRoundTripsIn64Bytes) {
  std::string bytes = encode_segment_header(sample_header());
  ASSERT_EQ(bytes.size(), kSegmentHeaderSize);
  EXPECT_EQ(bytes.substr(0, 8), "STRATASG");
  auto h = decode_segment_header(bytes);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->number, 42U);
  EXPECT_EQ(h->first_lsn, 123456789U);
  EXPECT_EQ(h->salt, 0xDEADBEEFU);
  EXPECT_EQ(h->prev_salt, 0x01020304U);
  EXPECT_EQ(h->kind, LogKind::kTxLog);
  EXPECT_EQ(h->log_id, sample_header().log_id);
}

TEST(LogFormat, AnyFlippedHeaderBitIsRefused) {
  std::string bytes = encode_segment_header(sample_header());
  for (std::size_t i = 0; i < bytes.size() * 8; ++i) {
    std::string bad = bytes;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    EXPECT_FALSE(decode_segment_header(bad).ok()) << i;
  }
}

TEST(LogFormat, StartRoundTripsAndRejectsDamage) {
  StartRecord s;
  s.kind = LogKind::kMvcc;
  s.first_segment = 9;
  s.first_lsn = 4096;
  s.log_id[3] = 7;
  std::string bytes = encode_start(s);
  ASSERT_EQ(bytes.size(), kStartFileSize);
  auto back = decode_start(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->first_segment, 9U);
  EXPECT_EQ(back->first_lsn, 4096U);
  EXPECT_EQ(back->kind, LogKind::kMvcc);
  bytes[20] ^= 1;
  EXPECT_TRUE(decode_start(bytes).status().is_corruption());
}

TEST(LogFormat, RecordValidatesOnlyUnderItsOwnSegmentSeed) {
  uint32_t seed = segment_seed(sample_header().log_id, 1, 99);
  uint32_t other = segment_seed(sample_header().log_id, 2, 99);
  uint32_t other_salt = segment_seed(sample_header().log_id, 1, 100);
  std::string rec;
  append_record(&rec, seed, RecordType::kFull, "hello");
  ASSERT_EQ(rec.size(), kRecordHeaderSize + 5);
  ParsedRecord out;
  std::string reason;
  ASSERT_EQ(parse_record(rec, seed, 100, &out, &reason), ParseResult::kValid);
  EXPECT_EQ(out.payload, "hello");
  EXPECT_EQ(parse_record(rec, other, 100, &out, &reason),
            ParseResult::kInvalid);
  EXPECT_EQ(parse_record(rec, other_salt, 100, &out, &reason),
            ParseResult::kInvalid);
  EXPECT_EQ(reason, "record checksum mismatch");
}

TEST(LogFormat, ZerosAreNeverARecord) {
  std::string zeros(64, '\0');
  ParsedRecord out;
  std::string reason;
  EXPECT_EQ(parse_record(zeros, 0, 100, &out, &reason), ParseResult::kInvalid);
  EXPECT_EQ(reason, "zero-filled bytes");
}

TEST(LogFormat, LengthPastTheLimitOrTheDataIsInvalid) {
  std::string rec;
  append_record(&rec, 7, RecordType::kFull, std::string(50, 'x'));
  ParsedRecord out;
  std::string reason;
  EXPECT_EQ(parse_record(rec, 7, 49, &out, &reason), ParseResult::kInvalid);
  EXPECT_NE(reason.find("exceeds the limit"), std::string::npos);
  EXPECT_EQ(
      parse_record(std::string_view(rec).substr(0, 30), 7, 100, &out, &reason),
      ParseResult::kInvalid);
  EXPECT_NE(reason.find("runs past the end"), std::string::npos);
}

TEST(LogFormat, SegmentFileNamesSortAndParse) {
  EXPECT_EQ(segment_file_name(7), "00000000000000000007.seg");
  EXPECT_EQ(parse_segment_file_name("00000000000000000007.seg"), 7U);
  EXPECT_EQ(parse_segment_file_name("7.seg"), 7U);
  EXPECT_FALSE(parse_segment_file_name("7.seg.tmp"));
  EXPECT_FALSE(parse_segment_file_name("x7.seg"));
  EXPECT_FALSE(parse_segment_file_name(".seg"));
  EXPECT_FALSE(parse_segment_file_name("99999999999999999999999.seg"));
  EXPECT_LT(segment_file_name(9), segment_file_name(10));
}

RC_GTEST_PROP(LogFormat, ParsingArbitraryBytesNeverCrashes,
              (const std::string& bytes, uint32_t seed)) {
  ParsedRecord out;
  std::string reason;
  auto r = parse_record(bytes, seed, 1 << 20, &out, &reason);
  if (r == ParseResult::kValid) RC_ASSERT(out.total_size <= bytes.size());
  (void)decode_segment_header(bytes);
  (void)decode_start(bytes);
  (void)decode_seal(bytes);
}

}  // namespace
}  // namespace strata::durability::log
