// Uuid: version 7 layout and ordering, text round trips, bad input.

#include "strata/durability/uuid.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <set>

namespace strata::durability {
namespace {

TEST(Uuid, NilIsAllZero) {
  EXPECT_TRUE(Uuid::nil().is_nil());
  EXPECT_EQ(Uuid::nil().to_string(), "00000000-0000-0000-0000-000000000000");
}

TEST(Uuid, NewIdsAreVersion7WithTheRfc9562Variant) {
  Uuid id = Uuid::new_v7();
  EXPECT_EQ(id.version(), 7);
  EXPECT_EQ(id.bytes()[8] & 0xC0, 0x80);
  EXPECT_FALSE(id.is_nil());
}

TEST(Uuid, TimestampIsTheCurrentMillisecond) {
  auto now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  uint64_t ms = Uuid::new_v7().unix_ms();
  EXPECT_LE(now, ms + 1);
  EXPECT_LE(ms, now + 1000);
  EXPECT_EQ(Uuid::v7_at(1234567890123).unix_ms(), 1234567890123U);
}

TEST(Uuid, IdsFromOneProcessAreStrictlyIncreasing) {
  Uuid prev = Uuid::new_v7();
  std::set<Uuid> seen{prev};
  for (int i = 0; i < 100000; ++i) {
    Uuid next = Uuid::new_v7();
    ASSERT_LT(prev, next);
    prev = next;
  }
}

TEST(Uuid, ParsesCanonicalTextInEitherCase) {
  auto id = Uuid::parse("0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F506");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->to_string(), "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f506");
}

TEST(Uuid, RejectsMalformedText) {
  for (const char* bad : {"", "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f50",
                          "0192f3a4x5b6c-7d8e-9fa0-b1c2d3e4f506",
                          "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5g6"}) {
    auto r = Uuid::parse(bad);
    EXPECT_TRUE(r.status().is_invalid_argument()) << bad;
  }
  EXPECT_TRUE(Uuid::from_bytes("short").status().is_invalid_argument());
}

RC_GTEST_PROP(Uuid, TextAndBytesRoundTrip, ()) {
  auto raw = *rc::gen::container<std::string>(16, rc::gen::arbitrary<char>());
  auto id = Uuid::from_bytes(raw);
  RC_ASSERT(id.ok());
  RC_ASSERT(id->raw() == raw);
  auto back = Uuid::parse(id->to_string());
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == *id);
}

}  // namespace
}  // namespace strata::durability
