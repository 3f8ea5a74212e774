// Status and Result: codes, messages, context, copying and moving.

#include "strata/durability/status.h"
#include "strata/durability/result.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

namespace strata::durability {
namespace {

TEST(Status, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.to_string(), "OK");
  EXPECT_TRUE(s.message().empty());
}

TEST(Status, EachFactorySetsItsCode) {
  EXPECT_TRUE(Status::corruption("x").is_corruption());
  EXPECT_TRUE(Status::io_error("x").is_io_error());
  EXPECT_TRUE(Status::invalid_argument("x").is_invalid_argument());
  EXPECT_TRUE(Status::not_found("x").is_not_found());
  EXPECT_TRUE(Status::busy("x").is_busy());
  EXPECT_TRUE(Status::not_supported("x").is_not_supported());
  EXPECT_EQ(Status::busy("locked").to_string(), "Busy: locked");
}

TEST(Status, FromErrnoNamesTheOperationThePathAndTheError) {
  Status s = Status::from_errno("fdatasync", "/data/1.seg", EIO);
  EXPECT_TRUE(s.is_io_error());
  EXPECT_EQ(s.sys_errno(), EIO);
  EXPECT_NE(s.message().find("fdatasync"), std::string_view::npos);
  EXPECT_NE(s.message().find("/data/1.seg"), std::string_view::npos);
  EXPECT_NE(s.message().find("Input/output error"), std::string_view::npos);
}

TEST(Status, WithContextPrefixesAndKeepsCodeAndErrno) {
  Status s = Status::from_errno("write", "f", ENOSPC).with_context("append");
  EXPECT_TRUE(s.is_io_error());
  EXPECT_EQ(s.sys_errno(), ENOSPC);
  EXPECT_EQ(s.message().substr(0, 8), "append: ");
  EXPECT_TRUE(Status().with_context("ctx").ok());
}

TEST(Status, CopiesAreIndependent) {
  Status a = Status::corruption("first");
  Status b = a;
  a = Status::not_found("second");
  EXPECT_TRUE(b.is_corruption());
  EXPECT_EQ(b.message(), "first");
  Status c = std::move(a);
  EXPECT_TRUE(c.is_not_found());
}

TEST(Result, HoldsAValueOrAnError) {
  Result<int> good = 5;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  Result<int> bad = Status::not_found("nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().is_not_found());
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, OkStatusBecomesAnError) {
  Result<int> r = Status();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is_invalid_argument());
}

TEST(Result, MovesMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 3);
}

TEST(ResultDeathTest, ValueOfAnErrorAborts) {
  Result<int> bad = Status::corruption("broken");
  EXPECT_DEATH((void)bad.value(), "broken");
}

}  // namespace
}  // namespace strata::durability
