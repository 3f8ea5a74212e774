// The in-memory Env: the shared Env contract, what is particular to it
// (path spelling, independence of instances, locks outliving the Env),
// and join_path.

#include "unit/env_contract.h"

namespace strata::durability {
namespace {

EnvUnderTest mem_env() {
  auto owned = std::shared_ptr<Env>(new_mem_env());
  EnvUnderTest t;
  t.env = owned.get();
  t.root = "/test";
  EXPECT_TRUE(owned->create_dir(t.root).ok());
  t.cleanup = [owned]() mutable { owned.reset(); };
  return t;
}

INSTANTIATE_TEST_SUITE_P(Mem, EnvContractTest, ::testing::Values(&mem_env),
                         [](const auto&) { return std::string("Env"); });

TEST(MemEnv, RootExistsAndStartsEmpty) {
  auto env = new_mem_env();
  auto names = env->list_dir("/");
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
  EXPECT_TRUE(*env->file_exists("/"));
  EXPECT_TRUE(env->sync_dir("/").ok());
}

TEST(MemEnv, InstancesAreIndependent) {
  auto a = new_mem_env();
  auto b = new_mem_env();
  ASSERT_TRUE(a->create_dir("/d").ok());
  auto w = a->new_writable_file("/d/f");
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(*b->file_exists("/d"));
  EXPECT_FALSE(*b->file_exists("/d/f"));
  auto la = a->lock_file("/LOCK");
  auto lb = b->lock_file("/LOCK");
  EXPECT_TRUE(la.ok());
  EXPECT_TRUE(lb.ok());
}

TEST(MemEnv, DifferentSpellingsOfAPathAreTheSameFile) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/a/").ok());
  ASSERT_TRUE(env->create_dir("//a//b").ok());
  contract_write(env.get(), "/a/b//f", "x");
  EXPECT_TRUE(*env->file_exists("/a/b/f"));
  EXPECT_EQ(*env->list_dir("/a/b/"), std::vector<std::string>{"f"});
  EXPECT_EQ(*env->list_dir("/a"), std::vector<std::string>{"b"});
  auto l1 = env->lock_file("/a/LOCK");
  ASSERT_TRUE(l1.ok());
  EXPECT_TRUE(env->lock_file("/a//LOCK").status().is_busy());
}

TEST(MemEnv, RelativePathsLiveInTheCurrentDirectory) {
  auto env = new_mem_env();
  contract_write(env.get(), "f", "rel");
  ASSERT_TRUE(env->create_dir("d").ok());
  contract_write(env.get(), "d/g", "x");
  EXPECT_EQ(*env->list_dir("."), (std::vector<std::string>{"d", "f"}));
  EXPECT_EQ(contract_read_all(env.get(), "f"), "rel");
}

TEST(MemEnv, ListingAFileIsAnError) {
  auto env = new_mem_env();
  contract_write(env.get(), "/f", "");
  auto r = env->list_dir("/f");
  EXPECT_TRUE(r.status().is_io_error());
  EXPECT_EQ(r.status().sys_errno(), ENOTDIR);
}

TEST(MemEnv, RemovingTheRootIsRefused) {
  auto env = new_mem_env();
  EXPECT_FALSE(env->remove_dir("/").ok());
  EXPECT_TRUE(*env->file_exists("/"));
}

TEST(MemEnv, RenamingADirectoryIsNotSupported) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/d").ok());
  Status s = env->rename_file("/d", "/e");
  EXPECT_TRUE(s.is_not_supported()) << s.to_string();
  EXPECT_NE(s.message().find("/d"), std::string::npos);
}

TEST(MemEnv, RenameIntoAMissingDirectoryIsNotFound) {
  auto env = new_mem_env();
  contract_write(env.get(), "/f", "x");
  EXPECT_TRUE(env->rename_file("/f", "/nodir/f").is_not_found());
  EXPECT_TRUE(*env->file_exists("/f"));
}

TEST(MemEnv, RenameOntoItselfKeepsTheFile) {
  auto env = new_mem_env();
  contract_write(env.get(), "/f", "x");
  EXPECT_TRUE(env->rename_file("/f", "//f").ok());
  EXPECT_EQ(contract_read_all(env.get(), "/f"), "x");
}

TEST(MemEnv, WriterOfARemovedFileDoesNotResurrectIt) {
  auto env = new_mem_env();
  auto w = env->new_writable_file("/f");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(env->remove_file("/f").ok());
  EXPECT_TRUE((*w)->append("orphan").ok());
  EXPECT_FALSE(*env->file_exists("/f"));
}

TEST(MemEnv, FilesAndLocksMayOutliveTheEnv) {
  auto env = new_mem_env();
  auto lock = env->lock_file("/LOCK");
  ASSERT_TRUE(lock.ok());
  auto w = env->new_writable_file("/f");
  ASSERT_TRUE(w.ok());
  env.reset();
  EXPECT_TRUE((*w)->append("x").ok());
  lock->reset();  // must not touch freed memory (ASan/valgrind would say)
}

TEST(JoinPath, JoinsWithExactlyOneSlash) {
  EXPECT_EQ(join_path("/a", "b"), "/a/b");
  EXPECT_EQ(join_path("/a/", "b"), "/a/b");
  EXPECT_EQ(join_path("/a//", "/b"), "/a/b");
  EXPECT_EQ(join_path("/", "b"), "/b");
  EXPECT_EQ(join_path("a", "b"), "a/b");
  EXPECT_EQ(join_path("", "b"), "b");
  EXPECT_EQ(join_path("/a", "b/c"), "/a/b/c");
}

}  // namespace
}  // namespace strata::durability
