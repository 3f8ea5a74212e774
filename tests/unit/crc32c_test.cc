// CRC32C: RFC 3720 B.4 vectors, both implementations agreeing, extension
// and masking.

#include "util/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace strata::durability::crc32c {
namespace {

TEST(Crc32c, MatchesRfc3720Vectors) {
  std::string buf(32, '\0');
  EXPECT_EQ(value(buf), 0x8A9136AAU);
  buf.assign(32, '\xff');
  EXPECT_EQ(value(buf), 0x62A8AB43U);
  for (int i = 0; i < 32; ++i)
    buf[static_cast<std::size_t>(i)] = static_cast<char>(i);
  EXPECT_EQ(value(buf), 0x46DD794EU);
  for (int i = 0; i < 32; ++i)
    buf[static_cast<std::size_t>(i)] = static_cast<char>(31 - i);
  EXPECT_EQ(value(buf), 0x113FDB5CU);
  EXPECT_EQ(value("123456789"), 0xE3069283U);
}

TEST(Crc32c, EmptyInputIsZero) { EXPECT_EQ(value("", 0), 0U); }

RC_GTEST_PROP(Crc32c, HardwareAndPortableAgree, (const std::string& data)) {
  RC_ASSERT(extend_hardware(0, data.data(), data.size()) ==
            extend_portable(0, data.data(), data.size()));
}

RC_GTEST_PROP(Crc32c, ExtendIsConcatenation,
              (const std::string& a, const std::string& b)) {
  uint32_t whole = value(a + b);
  RC_ASSERT(extend(value(a), b.data(), b.size()) == whole);
  RC_ASSERT(extend_portable(extend_portable(0, a.data(), a.size()), b.data(),
                            b.size()) == whole);
}

TEST(Crc32c, UnalignedStartsAgree) {
  std::string data(1000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 7 + 3);
  for (std::size_t start = 0; start < 16; ++start) {
    EXPECT_EQ(extend_hardware(0, data.data() + start, data.size() - start),
              extend_portable(0, data.data() + start, data.size() - start));
  }
}

TEST(Crc32c, MaskIsReversibleAndChangesTheValue) {
  uint32_t crc = value("foo");
  EXPECT_NE(mask(crc), crc);
  EXPECT_NE(mask(mask(crc)), crc);
  EXPECT_EQ(unmask(mask(crc)), crc);
  EXPECT_EQ(unmask(unmask(mask(mask(crc)))), crc);
}

}  // namespace
}  // namespace strata::durability::crc32c
