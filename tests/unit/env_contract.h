// The behaviour every Env must share (POSIX, in-memory, fault-injecting),
// as value-parameterized tests. Each test file that includes this header
// instantiates EnvContractTest with a factory for its Env.

#ifndef STRATA_DURABILITY_TESTS_UNIT_ENV_CONTRACT_H_
#define STRATA_DURABILITY_TESTS_UNIT_ENV_CONTRACT_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "strata/durability/env.h"

namespace strata::durability {

// An Env with an empty, existing directory to work in.
struct EnvUnderTest {
  Env* env = nullptr;
  std::string root;
  std::function<void()> cleanup;  // removes root, frees the Env
};
using EnvFactory = EnvUnderTest (*)();

inline std::string contract_read_all(Env* env, const std::string& path) {
  Result<std::string> r = read_file(env, path);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::string();
}

inline void contract_write(Env* env, const std::string& path,
                           std::string_view data) {
  auto f = env->new_writable_file(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_TRUE((*f)->append(data).ok());
  ASSERT_TRUE((*f)->close().ok());
}

class EnvContractTest : public ::testing::TestWithParam<EnvFactory> {
 protected:
  void SetUp() override {
    under_test_ = GetParam()();
    env_ = under_test_.env;
    root_ = under_test_.root;
  }
  void TearDown() override {
    if (under_test_.cleanup) under_test_.cleanup();
  }
  std::string path(std::string_view name) const {
    return join_path(root_, name);
  }

  EnvUnderTest under_test_;
  Env* env_ = nullptr;
  std::string root_;
};

TEST_P(EnvContractTest, AppendThenReadBack) {
  auto f = env_->new_writable_file(path("a"));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)->position(), 0U);
  ASSERT_TRUE((*f)->append("hello ").ok());
  ASSERT_TRUE((*f)->append("world").ok());
  EXPECT_EQ((*f)->position(), 11U);
  EXPECT_EQ((*f)->path(), path("a"));
  ASSERT_TRUE((*f)->close().ok());
  EXPECT_EQ(contract_read_all(env_, path("a")), "hello world");
}

TEST_P(EnvContractTest, NewWritableFileTruncatesAnExistingFile) {
  contract_write(env_, path("a"), "old contents");
  auto f = env_->new_writable_file(path("a"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->position(), 0U);
  ASSERT_TRUE((*f)->append("new").ok());
  ASSERT_TRUE((*f)->close().ok());
  EXPECT_EQ(contract_read_all(env_, path("a")), "new");
}

TEST_P(EnvContractTest, ReopenPositionsAtTheEnd) {
  contract_write(env_, path("a"), "abc");
  auto f = env_->reopen_writable_file(path("a"));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)->position(), 3U);
  ASSERT_TRUE((*f)->append("def").ok());
  ASSERT_TRUE((*f)->close().ok());
  EXPECT_EQ(contract_read_all(env_, path("a")), "abcdef");
}

TEST_P(EnvContractTest, SeekMakesAppendsOverwriteInPlace) {
  contract_write(env_, path("a"), std::string(16, '\0'));
  auto f = env_->reopen_writable_file(path("a"));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)->position(), 16U);
  ASSERT_TRUE((*f)->seek(4).ok());
  EXPECT_EQ((*f)->position(), 4U);
  ASSERT_TRUE((*f)->append("abcd").ok());
  EXPECT_EQ((*f)->position(), 8U);
  ASSERT_TRUE((*f)->sync().ok());
  // The file keeps its size: the bytes after the write are still there.
  auto size = env_->file_size(path("a"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 16U);
  EXPECT_EQ(contract_read_all(env_, path("a")),
            std::string("\0\0\0\0abcd\0\0\0\0\0\0\0\0", 16));
  // Past the end it grows the file as an append at the end would.
  ASSERT_TRUE((*f)->seek(14).ok());
  ASSERT_TRUE((*f)->append("wxyz").ok());
  EXPECT_EQ(contract_read_all(env_, path("a")),
            std::string("\0\0\0\0abcd\0\0\0\0\0\0wxyz", 18));
  ASSERT_TRUE((*f)->close().ok());
}

TEST_P(EnvContractTest, SeekPastTheEndIsRefused) {
  contract_write(env_, path("a"), "abc");
  auto f = env_->reopen_writable_file(path("a"));
  ASSERT_TRUE(f.ok());
  Status s = (*f)->seek(4);
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_NE(s.to_string().find(path("a")), std::string::npos);
  EXPECT_EQ((*f)->position(), 3U);
  ASSERT_TRUE((*f)->close().ok());
  EXPECT_FALSE((*f)->seek(0).ok());
}

TEST_P(EnvContractTest, MissingFilesAreNotFoundAndNamed) {
  auto w = env_->reopen_writable_file(path("missing"));
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().is_not_found()) << w.status().to_string();
  EXPECT_NE(w.status().message().find(path("missing")), std::string::npos);
  auto r = env_->new_random_access_file(path("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is_not_found());
  EXPECT_NE(r.status().message().find(path("missing")), std::string::npos);
  auto size = env_->file_size(path("missing"));
  EXPECT_TRUE(size.status().is_not_found());
  Status s = env_->remove_file(path("missing"));
  EXPECT_TRUE(s.is_not_found()) << s.to_string();
  s = env_->rename_file(path("missing"), path("b"));
  EXPECT_TRUE(s.is_not_found()) << s.to_string();
  auto exists = env_->file_exists(path("missing"));
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
}

TEST_P(EnvContractTest, ReadsAreShortAtTheEndAndEmptyPastIt) {
  contract_write(env_, path("a"), "0123456789");
  auto r = env_->new_random_access_file(path("a"));
  ASSERT_TRUE(r.ok());
  char buf[8];
  auto n = (*r)->read(4, std::span<char>(buf, 4));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4U);
  EXPECT_EQ(std::string(buf, 4), "4567");
  n = (*r)->read(7, std::span<char>(buf, 8));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3U);
  EXPECT_EQ(std::string(buf, 3), "789");
  n = (*r)->read(10, std::span<char>(buf, 8));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0U);
  n = (*r)->read(1000, std::span<char>(buf, 8));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0U);
  auto size = (*r)->size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 10U);
  EXPECT_EQ((*r)->path(), path("a"));
}

TEST_P(EnvContractTest, ReaderSeesLaterAppends) {
  auto w = env_->new_writable_file(path("a"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("first").ok());
  auto r = env_->new_random_access_file(path("a"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*(*r)->size(), 5U);
  ASSERT_TRUE((*w)->append("second").ok());
  EXPECT_EQ(*(*r)->size(), 11U);
  char buf[6];
  auto n = (*r)->read(5, std::span<char>(buf, 6));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "second");
}

TEST_P(EnvContractTest, TruncateSetsSizeAndPosition) {
  auto w = env_->new_writable_file(path("a"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("0123456789").ok());
  ASSERT_TRUE((*w)->truncate(4).ok());
  EXPECT_EQ((*w)->position(), 4U);
  ASSERT_TRUE((*w)->append("xy").ok());
  EXPECT_EQ(contract_read_all(env_, path("a")), "0123xy");
  // Growing fills with zeros, as ftruncate does.
  ASSERT_TRUE((*w)->truncate(8).ok());
  EXPECT_EQ((*w)->position(), 8U);
  EXPECT_EQ(contract_read_all(env_, path("a")), std::string("0123xy\0\0", 8));
  ASSERT_TRUE((*w)->close().ok());
}

TEST_P(EnvContractTest, SyncFlushAndPreallocateKeepTheContents) {
  auto w = env_->new_writable_file(path("a"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("data").ok());
  EXPECT_TRUE((*w)->flush().ok());
  EXPECT_TRUE((*w)->sync().ok());
  EXPECT_TRUE((*w)->fsync().ok());
  EXPECT_TRUE((*w)->preallocate(1 << 20).ok());
  EXPECT_TRUE((*w)->preallocate(0).ok());
  EXPECT_EQ((*w)->position(), 4U);
  EXPECT_EQ(*env_->file_size(path("a")), 4U);
  ASSERT_TRUE((*w)->append("more").ok());
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(contract_read_all(env_, path("a")), "datamore");
}

TEST_P(EnvContractTest, ClosedFileRejectsFurtherCalls) {
  auto w = env_->new_writable_file(path("a"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->close().ok());
  Status s = (*w)->append("x");
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  EXPECT_NE(s.message().find(path("a")), std::string::npos);
  EXPECT_FALSE((*w)->sync().ok());
  EXPECT_FALSE((*w)->close().ok());
}

TEST_P(EnvContractTest, FileExistsAndFileSize) {
  contract_write(env_, path("a"), "12345");
  EXPECT_TRUE(*env_->file_exists(path("a")));
  EXPECT_TRUE(*env_->file_exists(root_));
  auto size = env_->file_size(path("a"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 5U);
  EXPECT_FALSE(env_->file_size(root_).ok());
}

TEST_P(EnvContractTest, ListDirIsSortedWithoutDots) {
  contract_write(env_, path("b"), "");
  contract_write(env_, path("a"), "");
  ASSERT_TRUE(env_->create_dir(path("c")).ok());
  contract_write(env_, path("c/inner"), "");
  auto names = env_->list_dir(root_);
  ASSERT_TRUE(names.ok()) << names.status().to_string();
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c"}));
  auto inner = env_->list_dir(path("c"));
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(*inner, (std::vector<std::string>{"inner"}));
  auto missing = env_->list_dir(path("nope"));
  EXPECT_TRUE(missing.status().is_not_found()) << missing.status().to_string();
  EXPECT_NE(missing.status().message().find(path("nope")), std::string::npos);
}

TEST_P(EnvContractTest, CreateDirIsIdempotentAndNeedsItsParent) {
  EXPECT_TRUE(env_->create_dir(path("d")).ok());
  EXPECT_TRUE(env_->create_dir(path("d")).ok());
  Status s = env_->create_dir(path("x/y"));
  EXPECT_TRUE(s.is_not_found()) << s.to_string();
  contract_write(env_, path("f"), "");
  EXPECT_FALSE(env_->create_dir(path("f")).ok());
}

TEST_P(EnvContractTest, RemoveDirRefusesNonEmptyAndRemovesEmpty) {
  ASSERT_TRUE(env_->create_dir(path("d")).ok());
  contract_write(env_, path("d/f"), "x");
  Status s = env_->remove_dir(path("d"));
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  ASSERT_TRUE(env_->remove_file(path("d/f")).ok());
  EXPECT_TRUE(env_->remove_dir(path("d")).ok());
  EXPECT_FALSE(*env_->file_exists(path("d")));
  EXPECT_TRUE(env_->remove_dir(path("d")).is_not_found());
}

TEST_P(EnvContractTest, CreatingInAMissingDirectoryIsNotFound) {
  auto w = env_->new_writable_file(path("nodir/a"));
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().is_not_found()) << w.status().to_string();
  EXPECT_NE(w.status().message().find(path("nodir/a")), std::string::npos);
  EXPECT_TRUE(env_->sync_dir(path("nodir")).is_not_found());
}

TEST_P(EnvContractTest, RenameReplacesTheTarget) {
  contract_write(env_, path("a"), "new");
  contract_write(env_, path("b"), "old");
  ASSERT_TRUE(env_->rename_file(path("a"), path("b")).ok());
  EXPECT_FALSE(*env_->file_exists(path("a")));
  EXPECT_EQ(contract_read_all(env_, path("b")), "new");
  EXPECT_TRUE(env_->sync_dir(root_).ok());
}

TEST_P(EnvContractTest, OpenWriterFollowsTheFileAcrossRename) {
  auto w = env_->new_writable_file(path("a"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("one").ok());
  ASSERT_TRUE(env_->rename_file(path("a"), path("b")).ok());
  ASSERT_TRUE((*w)->append("two").ok());
  ASSERT_TRUE((*w)->sync().ok());
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(contract_read_all(env_, path("b")), "onetwo");
}

TEST_P(EnvContractTest, RemovedFileStaysReadableThroughAnOpenReader) {
  contract_write(env_, path("a"), "still here");
  auto r = env_->new_random_access_file(path("a"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(env_->remove_file(path("a")).ok());
  EXPECT_FALSE(*env_->file_exists(path("a")));
  char buf[16];
  auto n = (*r)->read(0, std::span<char>(buf, sizeof(buf)));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "still here");
}

TEST_P(EnvContractTest, LockIsExclusiveUntilReleased) {
  const std::string lock_path = path("LOCK");
  auto first = env_->lock_file(lock_path);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ((*first)->path(), lock_path);
  EXPECT_TRUE(*env_->file_exists(lock_path));
  auto second = env_->lock_file(lock_path);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().is_busy()) << second.status().to_string();
  EXPECT_NE(second.status().message().find("locked by another writer"),
            std::string::npos);
  EXPECT_NE(second.status().message().find(lock_path), std::string::npos);
  first->reset();
  auto third = env_->lock_file(lock_path);
  EXPECT_TRUE(third.ok()) << third.status().to_string();
}

TEST_P(EnvContractTest, WriteFileAtomicallyReplacesAndLeavesNoTemporary) {
  ASSERT_TRUE(write_file_atomically(env_, root_, "CURRENT", "v1").ok());
  ASSERT_TRUE(write_file_atomically(env_, root_, "CURRENT", "v2").ok());
  EXPECT_EQ(contract_read_all(env_, path("CURRENT")), "v2");
  auto names = env_->list_dir(root_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"CURRENT"});
}

TEST_P(EnvContractTest, ReadFileReadsFilesLargerThanOneChunk) {
  std::string big(200 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 131 + (i >> 9));
  }
  contract_write(env_, path("big"), big);
  EXPECT_EQ(contract_read_all(env_, path("big")), big);
  contract_write(env_, path("empty"), "");
  EXPECT_EQ(contract_read_all(env_, path("empty")), "");
  EXPECT_TRUE(read_file(env_, path("none")).status().is_not_found());
}

TEST_P(EnvContractTest, ClocksMoveForward) {
  const uint64_t wall = env_->now_micros();
  EXPECT_GT(wall, 1600000000ULL * 1000000ULL);  // after September 2020
  const uint64_t a = env_->monotonic_nanos();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const uint64_t b = env_->monotonic_nanos();
  EXPECT_GE(b - a, 2000000U);
  EXPECT_GE(env_->now_micros(), wall);
}

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_TESTS_UNIT_ENV_CONTRACT_H_
