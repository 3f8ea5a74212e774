// Golden logs: logs written by each released format version are committed
// under tests/data/golden/v<N>/ and must always stay readable, byte for
// byte as written. Set STRATA_WRITE_GOLDEN=1 to regenerate the newest
// version's logs (never an older one's).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

const std::string kGoldenDir = std::string(STRATA_TEST_DATA_DIR) + "/golden";

// The records of the raw golden log: single records, batches, an empty
// record, and enough bytes to span several 512-byte segments.
std::vector<std::vector<std::string>> golden_batches() {
  std::vector<std::vector<std::string>> out;
  for (int i = 0; i < 24; ++i) {
    std::vector<std::string> batch;
    int n = 1 + i % 4;
    for (int j = 0; j < n; ++j) {
      batch.push_back(testutil::payload_for(
          i * 10 + j, static_cast<std::size_t>(i * 7 % 60)));
    }
    out.push_back(batch);
  }
  return out;
}

TEST(GoldenLog, WriteNewestVersionWhenAsked) {
  if (std::getenv("STRATA_WRITE_GOLDEN") == nullptr) {
    GTEST_SKIP() << "set STRATA_WRITE_GOLDEN=1 to regenerate";
  }
  std::string dir = kGoldenDir + "/v" + std::to_string(kFormatVersion) + "/raw";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(kGoldenDir + "/v" +
                                      std::to_string(kFormatVersion));
  LogWriterOptions o;
  o.mode = DurabilityMode::strict();
  o.segment_size = 512;
  auto w = LogWriter::open(dir, o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  for (const auto& batch : golden_batches()) {
    std::vector<std::string_view> views(batch.begin(), batch.end());
    ASSERT_TRUE((*w)->append(views).ok());
  }
  ASSERT_TRUE((*w)->close().ok());
  std::filesystem::remove(dir + "/LOCK");
}

TEST(GoldenLog, EveryVersionStillReads) {
  std::vector<std::string> expect;
  for (const auto& batch : golden_batches()) {
    expect.insert(expect.end(), batch.begin(), batch.end());
  }
  int versions = 0;
  for (uint16_t v = 1; v <= kFormatVersion; ++v) {
    std::string dir = kGoldenDir + "/v" + std::to_string(v) + "/raw";
    ASSERT_TRUE(std::filesystem::exists(dir)) << dir;
    auto all = testutil::read_all(Env::posix(), dir,
                                  RecoveryMode::kAbsoluteConsistency);
    ASSERT_TRUE(all.status.ok()) << all.status.to_string();
    EXPECT_EQ(all.payloads, expect) << "format version " << v;
    ++versions;
  }
  EXPECT_EQ(versions, kFormatVersion);
}

}  // namespace
}  // namespace strata::durability::log
