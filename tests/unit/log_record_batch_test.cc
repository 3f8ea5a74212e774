// LogWriter::append(RecordBatch): payloads encoded by the leader straight
// into its write buffer and framed there. The files must be byte for byte
// what the earlier framing (payloads copied in, CRC in two steps) wrote,
// batches keep their FIRST/MIDDLE/LAST shape across rotations, and the
// size limit and errors are append()'s, checked before anything is encoded.

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "support/log_test_util.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace strata::durability::log {
namespace {

using testutil::must_read;
using testutil::payload_for;
using testutil::read_all;
using testutil::segment_path;

// A record framed the way the writer framed them before RecordBatch:
// header, then the payload copied after it, the CRC over length and type,
// then extended over the payload.
std::string reference_record(uint32_t seed, RecordType type,
                             std::string_view payload) {
  std::string out(kRecordHeaderSize, '\0');
  encode_fixed32(out.data() + 4, static_cast<uint32_t>(payload.size()));
  out[8] = static_cast<char>(type);
  uint32_t crc = crc32c::extend(seed, out.data() + 4, 5);
  crc = crc32c::extend(crc, payload.data(), payload.size());
  encode_fixed32(out.data(), crc32c::mask(crc));
  out.append(payload);
  return out;
}

std::string reference_batch(uint32_t seed,
                            const std::vector<std::string>& batch) {
  std::string out;
  const std::size_t n = batch.size();
  for (std::size_t i = 0; i < n; ++i) {
    RecordType type = n == 1       ? RecordType::kFull
                      : i == 0     ? RecordType::kFirst
                      : i + 1 == n ? RecordType::kLast
                                   : RecordType::kMiddle;
    out += reference_record(seed, type, batch[i]);
  }
  return out;
}

// A RecordBatch over strings, encoded by copying each in place; counts the
// encoder's calls.
struct StringBatch {
  explicit StringBatch(std::vector<std::string> r) : records(std::move(r)) {
    for (const auto& s : records) sizes.push_back(s.size());
  }
  RecordBatch batch() { return RecordBatch{sizes, encode}; }
  std::vector<std::string> records;
  std::vector<std::size_t> sizes;
  std::atomic<int> calls{0};
  std::function<void(std::size_t, char*)> encode = [this](std::size_t i,
                                                          char* out) {
    ++calls;
    std::memcpy(out, records[i].data(), records[i].size());
  };
};

class LogRecordBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = new_mem_env();
    ASSERT_TRUE(env_->create_dir("/db").ok());
  }

  std::unique_ptr<LogWriter> open_writer(
      uint64_t segment_size = kDefaultSegmentSize,
      std::size_t max_record_size = kDefaultMaxRecordSize,
      DurabilityMode mode = DurabilityMode::none()) {
    LogWriterOptions o;
    o.env = env_.get();
    o.mode = mode;
    o.segment_size = segment_size;
    o.max_record_size = max_record_size;
    auto w = LogWriter::open(dir_, o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(*w) : nullptr;
  }

  // The segment's header and its records' CRC seed.
  std::pair<SegmentHeader, uint32_t> header_of(const std::string& file) {
    auto h = decode_segment_header(file.substr(0, kSegmentHeaderSize));
    EXPECT_TRUE(h.ok()) << h.status().to_string();
    return {*h, segment_seed(h->log_id, h->number, h->salt)};
  }

  std::unique_ptr<Env> env_;
  std::string dir_ = "/db/log";
};

TEST_F(LogRecordBatchTest, EncoderFillsEachPayloadAndLsnsFollowTheSizes) {
  auto w = open_writer();
  StringBatch b({"", payload_for(1, 5), payload_for(2, 300)});
  std::vector<Lsn> lsns(3);
  auto r = w->append(b.batch(), {}, lsns);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(b.calls.load(), 3);
  EXPECT_EQ(r->first_lsn, 0U);
  EXPECT_EQ(lsns[0], 0U);
  EXPECT_EQ(lsns[1], kRecordHeaderSize);
  EXPECT_EQ(lsns[2], 2 * kRecordHeaderSize + 5);
  EXPECT_EQ(r->last_lsn, lsns[2]);
  EXPECT_EQ(r->end_lsn, 3 * kRecordHeaderSize + 305);
  EXPECT_EQ(w->end_lsn(), r->end_lsn);
  ASSERT_TRUE(w->close().ok());
  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(all.payloads, b.records);
  EXPECT_EQ(all.lsns, lsns);
}

TEST_F(LogRecordBatchTest, FileIsByteIdenticalToTheReferenceFraming) {
  // Every append form, single records and batches of 2, 3 and 5 (FIRST,
  // MIDDLE, LAST), empty payloads and ones past the CRC's 3-stream size.
  std::vector<std::vector<std::string>> batches;
  for (int i = 0; i < 24; ++i) {
    std::vector<std::string> batch;
    const int n = std::vector<int>{1, 2, 3, 5}[i % 4];
    for (int j = 0; j < n; ++j) {
      batch.push_back(payload_for(
          i * 10 + j, static_cast<std::size_t>((i * 37 + j * 101) % 900)));
    }
    batches.push_back(batch);
  }
  auto w = open_writer();
  std::atomic<int> callbacks{0};
  for (std::size_t i = 0; i < batches.size(); ++i) {
    std::vector<std::string_view> views(batches[i].begin(), batches[i].end());
    StringBatch b(batches[i]);
    Result<AppendResult> r = Status();
    switch (i % 4) {
      case 0:
        r = w->append(views);
        break;
      case 1:
        r = w->append(b.batch());
        break;
      case 2:
        r = w->append_async(views, [&](const Status& s) {
          EXPECT_TRUE(s.ok());
          ++callbacks;
        });
        break;
      default:
        r = w->append_async(b.batch(), [&](const Status& s) {
          EXPECT_TRUE(s.ok());
          ++callbacks;
        });
        break;
    }
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(callbacks.load(), 12);

  std::string file = must_read(env_.get(), segment_path(dir_, 1));
  auto [header, seed] = header_of(file);
  std::string expect = file.substr(0, kSegmentHeaderSize);
  for (const auto& batch : batches) expect += reference_batch(seed, batch);
  ASSERT_EQ(file.size(), expect.size());
  EXPECT_TRUE(file == expect) << "the framing differs from the reference";
}

TEST_F(LogRecordBatchTest, BatchThatWouldCrossARotationGoesWholeIntoTheNext) {
  // 3 records of 40 bytes (147 framed) per batch into 400-byte segments:
  // a batch never fits after a second one, so every segment holds whole
  // batches and a seal.
  auto w = open_writer(/*segment_size=*/400);
  std::vector<std::vector<std::string>> batches;
  std::vector<AppendResult> results;
  for (int i = 0; i < 10; ++i) {
    StringBatch b({payload_for(i * 3, 40), payload_for(i * 3 + 1, 40),
                   payload_for(i * 3 + 2, 40)});
    auto r = w->append(b.batch());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    batches.push_back(b.records);
    results.push_back(*r);
  }
  EXPECT_GE(w->stats().rotations, 4U);
  ASSERT_TRUE(w->close().ok());

  auto all = read_all(env_.get(), dir_);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(), 30U);
  // Each segment: its header, the reference framing of the batches whose
  // LSNs it covers, and a valid seal (except the last).
  std::size_t next_batch = 0;
  for (uint64_t n = 1; next_batch < batches.size(); ++n) {
    SCOPED_TRACE("segment " + std::to_string(n));
    std::string file = must_read(env_.get(), segment_path(dir_, n));
    auto [header, seed] = header_of(file);
    std::string expect = file.substr(0, kSegmentHeaderSize);
    const Lsn seg_end = lsn_at(header, file.size());
    while (next_batch < batches.size() &&
           results[next_batch].first_lsn < seg_end) {
      EXPECT_LE(results[next_batch].end_lsn, seg_end) << "batch split";
      expect += reference_batch(seed, batches[next_batch]);
      ++next_batch;
    }
    if (next_batch < batches.size()) {
      ASSERT_EQ(file.size(), expect.size() + kSealRecordSize);
      expect += reference_record(
          seed, RecordType::kSeal,
          std::string_view(file).substr(expect.size() + kRecordHeaderSize));
    }
    EXPECT_TRUE(file == expect) << "the framing differs from the reference";
  }
}

TEST_F(LogRecordBatchTest, RecordPastTheLimitIsRefusedBeforeAnythingIsEncoded) {
  auto w = open_writer(kDefaultSegmentSize, /*max_record_size=*/100);
  StringBatch ok({payload_for(0, 100)});
  ASSERT_TRUE(w->append(ok.batch()).ok());
  const Lsn end = w->end_lsn();
  StringBatch big({payload_for(1, 10), payload_for(2, 101)});
  auto r = w->append(big.batch());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is_invalid_argument()) << r.status().to_string();
  EXPECT_NE(r.status().message().find("101 bytes exceeds the limit of 100"),
            std::string::npos)
      << r.status().to_string();
  auto a = w->append_async(big.batch(), [](const Status&) {
    ADD_FAILURE() << "called back for a refused batch";
  });
  EXPECT_TRUE(a.status().is_invalid_argument());
  EXPECT_EQ(big.calls.load(), 0);
  EXPECT_EQ(w->end_lsn(), end);
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(read_all(env_.get(), dir_).payloads, ok.records);
}

TEST_F(LogRecordBatchTest, EmptyBatchAndMismatchedLsnsAreRefused) {
  auto w = open_writer();
  StringBatch none({});
  EXPECT_TRUE(w->append(none.batch()).status().is_invalid_argument());
  StringBatch two({"a", "b"});
  std::vector<Lsn> one(1);
  EXPECT_TRUE(w->append(two.batch(), {}, one).status().is_invalid_argument());
  EXPECT_EQ(two.calls.load(), 0);
  EXPECT_EQ(w->end_lsn(), 0U);
}

TEST_F(LogRecordBatchTest, AsyncBatchIsEncodedBeforeAppendAsyncReturns) {
  // Strict: the callback waits for the background sync, well after
  // append_async has returned and the caller has reused its data.
  auto w = open_writer(kDefaultSegmentSize, kDefaultMaxRecordSize,
                       DurabilityMode::strict());
  std::atomic<int> done{0};
  std::vector<std::string> expect;
  for (int i = 0; i < 20; ++i) {
    StringBatch b({payload_for(i, 64), payload_for(i + 100, 64)});
    auto r = w->append_async(b.batch(), [&](const Status& s) {
      EXPECT_TRUE(s.ok()) << s.to_string();
      ++done;
    });
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(b.calls.load(), 2);
    expect.insert(expect.end(), b.records.begin(), b.records.end());
    // The caller's data may go now.
    for (auto& s : b.records) s.assign(s.size(), 'X');
  }
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(done.load(), 20);
  EXPECT_EQ(read_all(env_.get(), dir_).payloads, expect);
}

TEST_F(LogRecordBatchTest, BatchOfManyRecordsKeepsItsSizesOffTheInlineArray) {
  // append(span<string_view>) keeps up to 16 sizes on the stack; past that
  // they go to the heap. Both must frame the same way.
  auto w = open_writer();
  std::vector<std::string> records;
  for (int i = 0; i < 40; ++i) records.push_back(payload_for(i, 7 + i));
  std::vector<std::string_view> views(records.begin(), records.end());
  std::vector<Lsn> lsns(records.size());
  auto r = w->append(views, {}, lsns);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(w->close().ok());
  std::string file = must_read(env_.get(), segment_path(dir_, 1));
  auto [header, seed] = header_of(file);
  EXPECT_TRUE(file == file.substr(0, kSegmentHeaderSize) +
                          reference_batch(seed, records));
  EXPECT_EQ(read_all(env_.get(), dir_).lsns, lsns);
}

}  // namespace
}  // namespace strata::durability::log
