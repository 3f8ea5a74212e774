// The log core: framing, batches, segments, seeking, problem classification
// and recovery on open (the themes of LevelDB's log_test, and more).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "support/log_test_util.h"
#include "util/coding.h"

namespace strata::durability::log {
namespace {

using testutil::must_read;
using testutil::must_write;
using testutil::payload_for;
using testutil::read_all;
using testutil::segment_path;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = new_mem_env();
    ASSERT_TRUE(env_->create_dir("/db").ok());
  }

  LogWriterOptions options(DurabilityMode mode = DurabilityMode::strict()) {
    LogWriterOptions o;
    o.env = env_.get();
    o.mode = mode;
    o.segment_size = segment_size_;
    return o;
  }

  std::unique_ptr<LogWriter> open_writer(LogWriterOptions o,
                                         OpenReport* report = nullptr) {
    auto w = LogWriter::open(dir_, o, report);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(*w) : nullptr;
  }

  // Writes n single-record batches and returns their payloads.
  std::vector<std::string> write_records(int n, std::size_t size = 20) {
    auto w = open_writer(options());
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(payload_for(i, size));
      auto r = w->append(out.back());
      EXPECT_TRUE(r.ok()) << r.status().to_string();
    }
    EXPECT_TRUE(w->close().ok());
    return out;
  }

  std::vector<std::string> segment_files() {
    std::vector<std::string> out;
    auto names = env_->list_dir(dir_);
    for (auto& n : *names) {
      if (parse_segment_file_name(n)) out.push_back(n);
    }
    return out;
  }

  std::unique_ptr<Env> env_;
  std::string dir_ = "/db/log";
  uint64_t segment_size_ = kDefaultSegmentSize;
};

TEST_F(LogTest, NewLogIsEmpty) {
  OpenReport report;
  auto w = open_writer(options(), &report);
  EXPECT_TRUE(report.created);
  EXPECT_EQ(w->end_lsn(), 0U);
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  EXPECT_TRUE(all.status.ok());
  EXPECT_TRUE(all.payloads.empty());
  EXPECT_TRUE(all.problems.empty());
}

TEST_F(LogTest, ReaderOfMissingDirectoryIsNotFound) {
  auto all = read_all(env_.get(), "/db/nothing");
  EXPECT_TRUE(all.status.is_not_found()) << all.status.to_string();
}

TEST_F(LogTest, RecordsReadBackInOrderWithTheirLsns) {
  auto w = open_writer(options());
  std::vector<Lsn> lsns;
  for (int i = 0; i < 10; ++i) {
    auto r = w->append(payload_for(i));
    ASSERT_TRUE(r.ok());
    lsns.push_back(r->first_lsn);
    EXPECT_EQ(r->end_lsn, r->first_lsn + kRecordHeaderSize + 20);
  }
  EXPECT_EQ(lsns[0], 0U);
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok());
  ASSERT_EQ(all.payloads.size(), 10U);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(all.payloads[static_cast<std::size_t>(i)], payload_for(i));
  }
  EXPECT_EQ(all.lsns, lsns);
}

TEST_F(LogTest, EmptyPayloadIsARecord) {
  auto w = open_writer(options());
  ASSERT_TRUE(w->append(std::string_view()).ok());
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_EQ(all.payloads.size(), 1U);
  EXPECT_EQ(all.payloads[0], "");
}

TEST_F(LogTest, BatchReturnsEveryLsnAndReadsBackWhole) {
  auto w = open_writer(options());
  std::vector<std::string> recs = {"a", "bb", "ccc", "dddd"};
  std::vector<std::string_view> views(recs.begin(), recs.end());
  std::vector<Lsn> lsns(4);
  auto r = w->append(views, {}, lsns);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_lsn, lsns[0]);
  EXPECT_EQ(r->last_lsn, lsns[3]);
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  EXPECT_EQ(all.payloads, recs);
  EXPECT_EQ(all.lsns, lsns);
}

TEST_F(LogTest, EmptyBatchIsRejected) {
  auto w = open_writer(options());
  auto r = w->append(std::span<const std::string_view>());
  EXPECT_TRUE(r.status().is_invalid_argument());
}

TEST_F(LogTest, RecordAtTheSizeLimitRoundTripsAndOnePastIsRejected) {
  auto o = options();
  o.max_record_size = 1000;
  auto w = open_writer(o);
  std::string max(1000, 'x');
  ASSERT_TRUE(w->append(max).ok());
  auto too_big = w->append(std::string(1001, 'y'));
  EXPECT_TRUE(too_big.status().is_invalid_argument());
  EXPECT_NE(too_big.status().message().find("1001"), std::string_view::npos);
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_EQ(all.payloads.size(), 1U);
  EXPECT_EQ(all.payloads[0], max);
}

TEST_F(LogTest, RecordExactlyFillingASegmentRotatesAfterIt) {
  segment_size_ = 64 + 9 + 100;
  auto w = open_writer(options());
  ASSERT_TRUE(w->append(std::string(100, 'a')).ok());
  ASSERT_TRUE(w->append(std::string(100, 'b')).ok());
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(segment_files().size(), 2U);
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(), 2U);
  EXPECT_EQ(all.payloads[1], std::string(100, 'b'));
}

TEST_F(LogTest, BatchLargerThanASegmentStaysInOneSegment) {
  segment_size_ = 256;
  auto w = open_writer(options());
  ASSERT_TRUE(w->append("first").ok());
  std::vector<std::string> big(10, std::string(100, 'z'));
  std::vector<std::string_view> views(big.begin(), big.end());
  ASSERT_TRUE(w->append(views).ok());
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.payloads.size(), 11U);
  EXPECT_EQ(segment_files().size(), 2U);
}

TEST_F(LogTest, ManySegmentsReadAcrossRotations) {
  segment_size_ = 512;
  auto recs = write_records(300, 30);
  EXPECT_GT(segment_files().size(), 10U);
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(all.payloads, recs);
  EXPECT_TRUE(all.problems.empty());
}

TEST_F(LogTest, ReaderStartsAtAnLsnInsideAnySegment) {
  segment_size_ = 512;
  write_records(100, 30);
  auto all = read_all(env_.get(), dir_);
  for (std::size_t i : {0UL, 1UL, 17UL, 50UL, 99UL}) {
    auto from = read_all(env_.get(), dir_, RecoveryMode::kTolerateCorruptedTail,
                         all.lsns[i]);
    ASSERT_TRUE(from.status.ok());
    ASSERT_EQ(from.payloads.size(), 100 - i);
    EXPECT_EQ(from.lsns.front(), all.lsns[i]);
  }
  // An LSN between records starts at the next record.
  auto mid = read_all(env_.get(), dir_, RecoveryMode::kTolerateCorruptedTail,
                      all.lsns[10] + 1);
  ASSERT_FALSE(mid.lsns.empty());
  EXPECT_EQ(mid.lsns.front(), all.lsns[11]);
}

TEST_F(LogTest, ReopenContinuesAtTheEnd) {
  write_records(5);
  auto w = open_writer(options());
  Lsn end = w->end_lsn();
  auto r = w->append("after");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_lsn, end);
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_EQ(all.payloads.size(), 6U);
  EXPECT_EQ(all.payloads.back(), "after");
}

TEST_F(LogTest, SecondWriterGetsBusy) {
  auto w = open_writer(options());
  auto second = LogWriter::open(dir_, options());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().is_busy()) << second.status().to_string();
}

TEST_F(LogTest, LogOfAnotherKindIsRefused) {
  write_records(1);
  auto o = options();
  o.kind = LogKind::kMvcc;
  auto w = LogWriter::open(dir_, o);
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().is_invalid_argument()) << w.status().to_string();
}

// ---------------------------------------------------------------- damage

class LogDamageTest : public LogTest {
 protected:
  // The single segment of a log of n records of 20 bytes.
  std::string one_segment(int n) {
    write_records(n);
    return must_read(env_.get(), segment_path(dir_, 1));
  }
  void put_segment(uint64_t number, std::string_view bytes) {
    must_write(env_.get(), segment_path(dir_, number), bytes);
  }
  static constexpr std::size_t kRecord = kRecordHeaderSize + 20;
};

TEST_F(LogDamageTest, EveryTruncationPointGivesAPrefixAndATornTail) {
  std::string seg = one_segment(5);
  for (std::size_t cut = kSegmentHeaderSize; cut <= seg.size(); ++cut) {
    put_segment(1, seg.substr(0, cut));
    auto all = read_all(env_.get(), dir_);
    ASSERT_TRUE(all.status.ok()) << "cut " << cut << all.status.to_string();
    std::size_t whole = (cut - kSegmentHeaderSize) / kRecord;
    ASSERT_EQ(all.payloads.size(), whole) << "cut " << cut;
    bool at_boundary = (cut - kSegmentHeaderSize) % kRecord == 0;
    if (at_boundary) {
      EXPECT_TRUE(all.problems.empty()) << "cut " << cut;
    } else {
      ASSERT_EQ(all.problems.size(), 1U) << "cut " << cut;
      EXPECT_EQ(all.problems[0].kind, ProblemKind::kTornTail);
      EXPECT_EQ(all.problems[0].offset, kSegmentHeaderSize + whole * kRecord);
    }
  }
}

TEST_F(LogDamageTest, TruncatedHeaderIsABadHeader) {
  std::string seg = one_segment(1);
  put_segment(1, seg.substr(0, 30));
  auto all = read_all(env_.get(), dir_);
  EXPECT_TRUE(all.status.is_corruption());
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kBadHeader);
}

TEST_F(LogDamageTest, ZeroTailIsACleanEnd) {
  // Zeros to the end of a segment are its unwritten, preallocated rest.
  std::string seg = one_segment(3);
  put_segment(1, seg + std::string(100, '\0'));
  auto all = read_all(env_.get(), dir_, RecoveryMode::kAbsoluteConsistency);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(all.payloads.size(), 3U);
  EXPECT_TRUE(all.problems.empty());
}

TEST_F(LogDamageTest, GarbageTailIsATornTail) {
  std::string seg = one_segment(3);
  for (char fill : {'\x5a'}) {
    put_segment(1, seg + std::string(100, fill));
    auto all = read_all(env_.get(), dir_);
    ASSERT_TRUE(all.status.ok());
    EXPECT_EQ(all.payloads.size(), 3U);
    ASSERT_EQ(all.problems.size(), 1U);
    EXPECT_EQ(all.problems[0].kind, ProblemKind::kTornTail);
    EXPECT_EQ(all.problems[0].length, 100U);
    // Absolute consistency refuses even a torn tail.
    auto strict =
        read_all(env_.get(), dir_, RecoveryMode::kAbsoluteConsistency);
    EXPECT_TRUE(strict.status.is_corruption());
  }
}

TEST_F(LogDamageTest, EverySingleBitFlipIsDetectedAndClassified) {
  std::string seg = one_segment(4);
  std::size_t last_record = seg.size() - kRecord;
  for (std::size_t byte = 0; byte < seg.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = seg;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      put_segment(1, bad);
      auto all = read_all(env_.get(), dir_);
      ASSERT_FALSE(all.problems.empty()) << "flip at " << byte << ":" << bit;
      ProblemKind kind = all.problems[0].kind;
      if (byte < kSegmentHeaderSize) {
        EXPECT_EQ(kind, ProblemKind::kBadHeader) << byte;
      } else if (byte >= last_record) {
        EXPECT_EQ(kind, ProblemKind::kTornTail) << byte;
        EXPECT_EQ(all.payloads.size(), 3U);
      } else {
        EXPECT_EQ(kind, ProblemKind::kCorruption) << byte << ":" << bit;
        EXPECT_TRUE(all.status.is_corruption());
        // Skip mode recovers every record but the damaged one.
        auto skip = read_all(env_.get(), dir_, RecoveryMode::kSkipAnyCorrupted);
        EXPECT_TRUE(skip.status.ok());
        EXPECT_EQ(skip.payloads.size(), 3U) << byte << ":" << bit;
        // Point in time keeps the prefix before the damage.
        auto pit = read_all(env_.get(), dir_, RecoveryMode::kPointInTime);
        EXPECT_TRUE(pit.status.ok());
        EXPECT_EQ(pit.payloads.size(), (byte - kSegmentHeaderSize) / kRecord);
      }
    }
  }
}

TEST_F(LogDamageTest, CorruptionReportNamesFileSegmentOffsetAndLength) {
  std::string seg = one_segment(3);
  std::size_t off = kSegmentHeaderSize + kRecord + 12;
  seg[off] ^= 1;
  put_segment(1, seg);
  auto all = read_all(env_.get(), dir_);
  ASSERT_EQ(all.problems.size(), 1U);
  const LogProblem& p = all.problems[0];
  EXPECT_EQ(p.kind, ProblemKind::kCorruption);
  EXPECT_EQ(p.segment, 1U);
  EXPECT_EQ(p.offset, kSegmentHeaderSize + kRecord);
  EXPECT_EQ(p.length, kRecord);
  EXPECT_EQ(p.lsn, kRecord);
  EXPECT_NE(p.file.find("00000000000000000001.seg"), std::string::npos);
  EXPECT_NE(all.status.message().find("offset 93"), std::string_view::npos)
      << all.status.to_string();
}

TEST_F(LogDamageTest, CorruptLengthFieldIsCorruptionNotASilentEnd) {
  // The original read a huge length as "incomplete" and silently dropped
  // every later entry; here the later records prove it is corruption.
  std::string seg = one_segment(5);
  encode_fixed32(seg.data() + kSegmentHeaderSize + kRecord + 4, 0xFFFFFFF0U);
  put_segment(1, seg);
  auto all = read_all(env_.get(), dir_);
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kCorruption);
  auto skip = read_all(env_.get(), dir_, RecoveryMode::kSkipAnyCorrupted);
  EXPECT_EQ(skip.payloads.size(), 4U);
}

TEST_F(LogDamageTest, BatchCutShortIsDroppedWhole) {
  auto w = open_writer(options());
  ASSERT_TRUE(w->append("solo").ok());
  std::vector<std::string_view> batch = {"one", "two", "three"};
  ASSERT_TRUE(w->append(batch).ok());
  ASSERT_TRUE(w->close().ok());
  std::string seg = must_read(env_.get(), segment_path(dir_, 1));
  // Cut inside the last record of the batch: none of the batch survives.
  put_segment(1, seg.substr(0, seg.size() - 2));
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.payloads, std::vector<std::string>{"solo"});
  ASSERT_EQ(all.problems.size(), 1U);
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kTornTail);
}

TEST_F(LogDamageTest, RecycledBytesFromAnotherSegmentNeverValidate) {
  segment_size_ = 400;
  write_records(40, 20);
  ASSERT_GE(segment_files().size(), 3U);
  // Copy segment 2's records after segment 3's last record: same log, same
  // format, valid CRCs for segment 2, but not for segment 3.
  std::string two = must_read(env_.get(), segment_path(dir_, 2));
  auto files = segment_files();
  uint64_t last = files.size();
  std::string tail = must_read(env_.get(), segment_path(dir_, last));
  auto before = read_all(env_.get(), dir_);
  put_segment(last, tail + two.substr(kSegmentHeaderSize));
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.payloads, before.payloads);
  ASSERT_EQ(all.problems.size(), 1U);
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kTornTail);
}

TEST_F(LogDamageTest, MissingMiddleSegmentIsReported) {
  segment_size_ = 400;
  write_records(40, 20);
  ASSERT_GE(segment_files().size(), 4U);
  ASSERT_TRUE(env_->remove_file(segment_path(dir_, 2)).ok());
  auto all = read_all(env_.get(), dir_);
  EXPECT_TRUE(all.status.is_corruption());
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kMissingSegment);
  EXPECT_EQ(all.problems[0].segment, 3U);
}

TEST_F(LogDamageTest, MissingFirstAndLastSegmentsAreReported) {
  segment_size_ = 400;
  write_records(40, 20);
  uint64_t n = segment_files().size();
  std::string last = must_read(env_.get(), segment_path(dir_, n));
  ASSERT_TRUE(env_->remove_file(segment_path(dir_, n)).ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems.back().kind, ProblemKind::kMissingSegment);
  put_segment(n, last);

  ASSERT_TRUE(env_->remove_file(segment_path(dir_, 1)).ok());
  all = read_all(env_.get(), dir_);
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kMissingSegment);
  EXPECT_TRUE(all.payloads.empty());
}

TEST_F(LogDamageTest, SwappedSegmentsAreBadHeaders) {
  segment_size_ = 400;
  write_records(40, 20);
  std::string two = must_read(env_.get(), segment_path(dir_, 2));
  std::string three = must_read(env_.get(), segment_path(dir_, 3));
  put_segment(2, three);
  put_segment(3, two);
  auto all = read_all(env_.get(), dir_);
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kBadHeader);
  EXPECT_EQ(all.problems[0].segment, 2U);
}

TEST_F(LogDamageTest, SegmentFromAnotherLogIsABadHeader) {
  segment_size_ = 400;
  write_records(40, 20);
  std::string theirs_dir = dir_;
  dir_ = "/db/other";
  write_records(40, 20);
  std::string foreign = must_read(env_.get(), segment_path(dir_, 2));
  dir_ = theirs_dir;
  put_segment(2, foreign);
  auto all = read_all(env_.get(), dir_);
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kBadHeader);
  EXPECT_NE(all.problems[0].reason.find("another log"), std::string::npos);
}

TEST_F(LogDamageTest, NewerFormatVersionIsRefusedClearly) {
  std::string seg = one_segment(1);
  auto h = decode_segment_header(seg);
  ASSERT_TRUE(h.ok());
  std::string hdr = encode_segment_header(*h);
  encode_fixed16(hdr.data() + 8, 2);
  // Re-seal the header CRC so only the version is "wrong".
  SegmentHeader fake = *h;
  fake.format_version = 2;
  put_segment(1, encode_segment_header(fake) + seg.substr(kSegmentHeaderSize));
  auto all = read_all(env_.get(), dir_);
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kBadHeader);
  EXPECT_NE(all.problems[0].reason.find("format version 2"), std::string::npos);
}

TEST_F(LogDamageTest, UnknownIgnorableRecordIsSkipped) {
  std::string seg = one_segment(2);
  auto h = decode_segment_header(seg);
  uint32_t seed = segment_seed(h->log_id, h->number, h->salt);
  std::string extra;
  append_record(&extra, seed, static_cast<RecordType>(0x9A), "future");
  append_record(&extra, seed, RecordType::kFull, "after");
  put_segment(1, seg + extra);
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok());
  EXPECT_TRUE(all.problems.empty());
  ASSERT_EQ(all.payloads.size(), 3U);
  EXPECT_EQ(all.payloads[2], "after");
}

TEST_F(LogDamageTest, UnknownRequiredRecordTypeIsAnError) {
  std::string seg = one_segment(2);
  auto h = decode_segment_header(seg);
  uint32_t seed = segment_seed(h->log_id, h->number, h->salt);
  std::string extra;
  append_record(&extra, seed, static_cast<RecordType>(0x17), "future");
  append_record(&extra, seed, RecordType::kFull, "after");
  put_segment(1, seg + extra);
  auto all = read_all(env_.get(), dir_);
  ASSERT_FALSE(all.problems.empty());
  EXPECT_EQ(all.problems[0].kind, ProblemKind::kCorruption);
  EXPECT_NE(all.problems[0].reason.find("unknown record type"),
            std::string::npos);
}

TEST_F(LogDamageTest, RecordPastTheReadersLimitIsAnErrorNotATornTail) {
  auto w = open_writer(options());
  ASSERT_TRUE(w->append(std::string(1000, 'b')).ok());
  ASSERT_TRUE(w->close().ok());
  std::string seg = must_read(env_.get(), segment_path(dir_, 1));
  LogReaderOptions ro;
  ro.env = env_.get();
  ro.max_record_size = 500;
  auto reader = LogReader::open(dir_, ro);
  ASSERT_TRUE(reader.ok());
  LogRecord rec;
  auto more = (*reader)->next(&rec);
  ASSERT_FALSE(more.ok());
  ASSERT_EQ((*reader)->problems().size(), 1U);
  EXPECT_EQ((*reader)->problems()[0].kind, ProblemKind::kCorruption);
  EXPECT_NE((*reader)->problems()[0].reason.find("exceeds this reader's limit"),
            std::string::npos);
  // A writer with the smaller limit refuses to open rather than cut it off.
  auto o = options();
  o.max_record_size = 500;
  auto small = LogWriter::open(dir_, o);
  EXPECT_TRUE(small.status().is_corruption()) << small.status().to_string();
  EXPECT_EQ(must_read(env_.get(), segment_path(dir_, 1)), seg);
}

// ---------------------------------------------------------------- open

TEST_F(LogDamageTest, TornTailIsTruncatedOnOpenAndLaterAppendsAreReadable) {
  std::string seg = one_segment(3);
  put_segment(1, seg + "garbage!");
  OpenReport report;
  auto w = open_writer(options(), &report);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(report.truncated_bytes, 8U);
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].kind, ProblemKind::kTornTail);
  ASSERT_EQ(report.quarantine_files.size(), 1U);
  EXPECT_EQ(must_read(env_.get(), report.quarantine_files[0]), "garbage!");
  ASSERT_TRUE(w->append("after the tail").ok());
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok());
  EXPECT_TRUE(all.problems.empty());
  ASSERT_EQ(all.payloads.size(), 4U);
  EXPECT_EQ(all.payloads[3], "after the tail");
}

TEST_F(LogDamageTest, MidLogCorruptionRefusesOpenInTheDefaultMode) {
  std::string seg = one_segment(3);
  seg[kSegmentHeaderSize + 12] ^= 4;
  put_segment(1, seg);
  auto w = LogWriter::open(dir_, options());
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().is_corruption());
  // Nothing was changed.
  EXPECT_EQ(must_read(env_.get(), segment_path(dir_, 1)), seg);
}

TEST_F(LogDamageTest, PointInTimeOpenQuarantinesEverythingAfterTheDamage) {
  segment_size_ = 400;
  write_records(40, 20);
  std::size_t segments_before = segment_files().size();
  std::string one = must_read(env_.get(), segment_path(dir_, 1));
  one[kSegmentHeaderSize + 2 * kRecord + 15] ^= 1;
  put_segment(1, one);
  auto o = options();
  o.recovery_mode = RecoveryMode::kPointInTime;
  OpenReport report;
  auto w = open_writer(o, &report);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(report.quarantine_files.size(), segments_before);
  ASSERT_TRUE(w->append("fresh").ok());
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(), 3U);
  EXPECT_EQ(all.payloads[2], "fresh");
}

TEST_F(LogDamageTest, InterruptedRotationIsFinishedOnOpen) {
  segment_size_ = 400;
  auto recs = write_records(8, 20);
  // Make segment 2 as a rotation would, without sealing segment 1.
  std::string one = must_read(env_.get(), segment_path(dir_, 1));
  auto h = decode_segment_header(one);
  SegmentHeader next = *h;
  next.number = 2;
  next.first_lsn = lsn_at(*h, one.size()) + kSealRecordSize;
  next.prev_salt = h->salt;
  next.salt = 12345;
  put_segment(2, encode_segment_header(next));
  OpenReport report;
  auto w = open_writer(options(), &report);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(report.rotation_completed);
  ASSERT_TRUE(w->append("in segment two").ok());
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_TRUE(all.problems.empty());
  ASSERT_EQ(all.payloads.size(), 9U);
  EXPECT_EQ(all.payloads.back(), "in segment two");
}

TEST_F(LogDamageTest, DamagedStartIsRebuiltWithoutDroppingRecords) {
  segment_size_ = 400;
  auto recs = write_records(30, 20);
  std::string start = must_read(env_.get(), join_path(dir_, kStartFileName));
  must_write(env_.get(), join_path(dir_, kStartFileName), start + "junk");
  // The default mode refuses the log; point in time keeps every record.
  auto strict = read_all(env_.get(), dir_);
  EXPECT_TRUE(strict.status.is_corruption());
  ASSERT_FALSE(strict.problems.empty());
  EXPECT_EQ(strict.problems[0].kind, ProblemKind::kBadHeader);
  auto pit = read_all(env_.get(), dir_, RecoveryMode::kPointInTime);
  ASSERT_TRUE(pit.status.ok());
  EXPECT_EQ(pit.payloads, recs);
  // A point-in-time open rebuilds START and keeps the damaged one.
  auto o = options();
  o.recovery_mode = RecoveryMode::kPointInTime;
  OpenReport report;
  auto w = open_writer(o, &report);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(must_read(env_.get(), join_path(dir_, "START.quarantine")),
            start + "junk");
  ASSERT_TRUE(w->append("after").ok());
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_TRUE(all.problems.empty());
  ASSERT_EQ(all.payloads.size(), recs.size() + 1);
  EXPECT_EQ(all.payloads.back(), "after");
}

// ---------------------------------------------------------------- retire

TEST_F(LogTest, RemoveSegmentsBeforeRetiresWholeSegmentsOnly) {
  segment_size_ = 400;
  auto w = open_writer(options());
  std::vector<Lsn> lsns;
  for (int i = 0; i < 40; ++i)
    lsns.push_back(w->append(payload_for(i))->first_lsn);
  std::size_t before = segment_files().size();
  auto removed = w->remove_segments_before(lsns[20]);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  EXPECT_GT(*removed, 0U);
  EXPECT_EQ(segment_files().size(), before - *removed);
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_TRUE(all.problems.empty());
  // Record 20 is still there; nothing after it went.
  ASSERT_FALSE(all.lsns.empty());
  EXPECT_LE(all.lsns.front(), lsns[20]);
  EXPECT_EQ(all.payloads.back(), payload_for(39));
  // A retired LSN is a clear "gap", never an empty stream.
  auto gone =
      read_all(env_.get(), dir_, RecoveryMode::kTolerateCorruptedTail, lsns[1]);
  EXPECT_TRUE(gone.status.is_not_found()) << gone.status.to_string();
  // Reopen works from the new start.
  auto again = open_writer(options());
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->append("more").ok());
}

TEST_F(LogTest, CurrentSegmentIsNeverRetired) {
  auto w = open_writer(options());
  Lsn end = w->append("x")->end_lsn;
  auto removed = w->remove_segments_before(end + 1000);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0U);
}

// ---------------------------------------------------------------- modes

TEST_F(LogTest, StrictAppendIsDurableWhenItReturns) {
  auto w = open_writer(options(DurabilityMode::strict()));
  auto r = w->append("x");
  ASSERT_TRUE(r.ok());
  EXPECT_GE(w->durable_lsn(), r->end_lsn);
  EXPECT_EQ(w->stats().syncs, 1U);
}

TEST_F(LogTest, NoneModeSyncsOnlyOnRequest) {
  auto w = open_writer(options(DurabilityMode::none()));
  auto r = w->append("x");
  ASSERT_TRUE(r.ok());
  EXPECT_LT(w->durable_lsn(), r->end_lsn);
  ASSERT_TRUE(w->wait_durable(r->end_lsn).ok());
  EXPECT_GE(w->durable_lsn(), r->end_lsn);
  auto forced = w->append("y", AppendOptions{.sync = true});
  ASSERT_TRUE(forced.ok());
  EXPECT_GE(w->durable_lsn(), forced->end_lsn);
}

TEST_F(LogTest, BatchedModeSyncsAnIdleLogWithinTheInterval) {
  auto w = open_writer(options(DurabilityMode::batched(20, 1000)));
  auto r = w->append("x");
  ASSERT_TRUE(r.ok());
  // No further appends: the background syncer alone must make it durable.
  for (int i = 0; i < 200 && w->durable_lsn() < r->end_lsn; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(w->durable_lsn(), r->end_lsn);
  // Idle long enough for the syncer to sleep with nothing pending; a single
  // later append must still be synced within the interval.
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  auto later = w->append("y");
  ASSERT_TRUE(later.ok());
  for (int i = 0; i < 200 && w->durable_lsn() < later->end_lsn; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(w->durable_lsn(), later->end_lsn);
}

TEST_F(LogTest, BatchedModeSyncsAfterBatchSizeAppends) {
  auto w = open_writer(options(DurabilityMode::batched(60000, 5)));
  Lsn end = 0;
  for (int i = 0; i < 5; ++i) end = w->append(payload_for(i))->end_lsn;
  for (int i = 0; i < 200 && w->durable_lsn() < end; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(w->durable_lsn(), end);
}

TEST_F(LogTest, WaitDurablePastTheEndIsAnError) {
  auto w = open_writer(options(DurabilityMode::none()));
  EXPECT_TRUE(w->wait_durable(1000).is_invalid_argument());
}

TEST_F(LogTest, AppendAfterCloseFails) {
  auto w = open_writer(options());
  ASSERT_TRUE(w->close().ok());
  EXPECT_FALSE(w->append("x").ok());
  EXPECT_TRUE(w->close().ok());
}

TEST_F(LogTest, StatsCountAppendsRecordsAndSyncLatency) {
  auto w = open_writer(options());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->append(payload_for(i)).ok());
  LogWriterStats s = w->stats();
  EXPECT_EQ(s.appends, 10U);
  EXPECT_EQ(s.records, 10U);
  EXPECT_EQ(s.syncs, 10U);
  EXPECT_EQ(s.bytes, 10U * (kRecordHeaderSize + 20));
  EXPECT_GT(s.sync_micros_percentile(99), 0U);
}

}  // namespace
}  // namespace strata::durability::log
