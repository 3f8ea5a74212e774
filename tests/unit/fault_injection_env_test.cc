// FaultInjectionEnv: power cuts (data and directory operations), process
// crashes, torn writes, injected errors, counters, and trace recording and
// replay; plus the shared Env contract run through the wrapper.

#include "strata/durability/testing/fault_injection_env.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cerrno>
#include <map>
#include <optional>
#include <tuple>

#include "unit/env_contract.h"

namespace strata::durability::testing {
namespace {

::testing::AssertionResult is_ok(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.to_string();
}
template <typename T>
::testing::AssertionResult is_ok(const Result<T>& r) {
  return is_ok(r.status());
}

EnvUnderTest fault_env() {
  struct Owner {
    std::unique_ptr<Env> mem = new_mem_env();
    FaultInjectionEnv fi{mem.get()};
  };
  auto owner = std::make_shared<Owner>();
  EnvUnderTest t;
  t.env = &owner->fi;
  t.root = "/test";
  EXPECT_TRUE(owner->fi.create_dir(t.root).ok());
  t.cleanup = [owner]() mutable { owner.reset(); };
  return t;
}

INSTANTIATE_TEST_SUITE_P(FaultInjection, EnvContractTest,
                         ::testing::Values(&fault_env),
                         [](const auto&) { return std::string("Env"); });

// Every file under `dir` (recursively) with its contents; directories map
// to "<dir>".
void dump_into(Env* env, const std::string& dir,
               std::map<std::string, std::string>* out) {
  auto names = env->list_dir(dir);
  ASSERT_TRUE(is_ok(names)) << dir;
  for (const std::string& name : *names) {
    const std::string p = join_path(dir, name);
    if (env->list_dir(p).ok()) {
      (*out)[p] = "<dir>";
      dump_into(env, p, out);
    } else {
      auto bytes = read_file(env, p);
      ASSERT_TRUE(is_ok(bytes)) << p;
      (*out)[p] = *bytes;
    }
  }
}

std::map<std::string, std::string> dump(Env* env) {
  std::map<std::string, std::string> out;
  dump_into(env, "/", &out);
  return out;
}

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(is_ok(env_.create_dir("/db"))); }

  std::unique_ptr<WritableFile> create(const std::string& path) {
    auto f = env_.new_writable_file(path);
    EXPECT_TRUE(is_ok(f));
    return f.ok() ? std::move(*f) : nullptr;
  }
  // Creates `path` with `data`, synced, and its directory synced.
  void durable_file(const std::string& path, std::string_view data) {
    auto f = create(path);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(is_ok(f->append(data)));
    ASSERT_TRUE(is_ok(f->sync()));
    ASSERT_TRUE(is_ok(f->close()));
    ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  }
  std::optional<std::string> contents(const std::string& path) {
    if (!*env_.file_exists(path)) return std::nullopt;
    auto r = read_file(&env_, path);
    EXPECT_TRUE(is_ok(r));
    return r.ok() ? std::optional<std::string>(*r) : std::nullopt;
  }
  void power_cut(bool drop_data = true, bool drop_dir_ops = true) {
    PowerCutOptions o;
    o.drop_unsynced_data = drop_data;
    o.drop_unsynced_dir_ops = drop_dir_ops;
    ASSERT_TRUE(is_ok(env_.simulate_power_cut(o)));
  }

  std::unique_ptr<Env> mem_ = new_mem_env();
  FaultInjectionEnv env_{mem_.get()};
};

// ------------------------------------------------------------ power cut

TEST_F(FaultInjectionEnvTest, UnsyncedAppendIsLostOnPowerCut) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("abc")));
  ASSERT_TRUE(is_ok(f->sync()));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  ASSERT_TRUE(is_ok(f->append("def")));
  EXPECT_EQ(contents("/db/f"), "abcdef");  // the OS has it until the cut
  power_cut();
  EXPECT_EQ(contents("/db/f"), "abc");
}

TEST_F(FaultInjectionEnvTest, SyncedDataSurvivesPowerCut) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("abc")));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  ASSERT_TRUE(is_ok(f->append("def")));
  ASSERT_TRUE(is_ok(f->fsync()));
  power_cut();
  EXPECT_EQ(contents("/db/f"), "abcdef");
}

TEST_F(FaultInjectionEnvTest, NeverSyncedFileIsEmptyAfterPowerCut) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("abc")));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  power_cut();
  EXPECT_EQ(contents("/db/f"), "");
}

TEST_F(FaultInjectionEnvTest, CreateWithoutDirSyncVanishesOnPowerCut) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("abc")));
  ASSERT_TRUE(is_ok(f->sync()));
  power_cut();
  EXPECT_EQ(contents("/db/f"), std::nullopt);
  EXPECT_TRUE(env_.list_dir("/db")->empty());
}

TEST_F(FaultInjectionEnvTest, RenameWithoutDirSyncIsUndone) {
  durable_file("/db/a", "payload");
  ASSERT_TRUE(is_ok(env_.rename_file("/db/a", "/db/b")));
  power_cut();
  EXPECT_EQ(contents("/db/a"), "payload");
  EXPECT_EQ(contents("/db/b"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, RenameFollowedByDirSyncSurvives) {
  durable_file("/db/a", "payload");
  ASSERT_TRUE(is_ok(env_.rename_file("/db/a", "/db/b")));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  power_cut();
  EXPECT_EQ(contents("/db/a"), std::nullopt);
  EXPECT_EQ(contents("/db/b"), "payload");
}

TEST_F(FaultInjectionEnvTest, RemoveWithoutDirSyncIsUndone) {
  durable_file("/db/f", "keep");
  auto f = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->append("lost")));
  ASSERT_TRUE(is_ok(env_.remove_file("/db/f")));
  EXPECT_EQ(contents("/db/f"), std::nullopt);
  power_cut();
  // Back, with its durable contents only.
  EXPECT_EQ(contents("/db/f"), "keep");
}

TEST_F(FaultInjectionEnvTest, RemoveFollowedByDirSyncIsPermanent) {
  durable_file("/db/f", "keep");
  ASSERT_TRUE(is_ok(env_.remove_file("/db/f")));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  power_cut();
  EXPECT_EQ(contents("/db/f"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, RenameOverAFileWithoutDirSyncRestoresTheOldOne) {
  durable_file("/db/CURRENT", "v1");
  auto tmp = create("/db/CURRENT.tmp");
  ASSERT_TRUE(is_ok(tmp->append("v2")));
  ASSERT_TRUE(is_ok(tmp->sync()));
  ASSERT_TRUE(is_ok(tmp->close()));
  ASSERT_TRUE(is_ok(env_.rename_file("/db/CURRENT.tmp", "/db/CURRENT")));
  EXPECT_EQ(contents("/db/CURRENT"), "v2");
  power_cut();
  EXPECT_EQ(contents("/db/CURRENT"), "v1");
  EXPECT_EQ(*env_.list_dir("/db"), std::vector<std::string>{"CURRENT"});
}

TEST_F(FaultInjectionEnvTest, WriteFileAtomicallySurvivesPowerCut) {
  ASSERT_TRUE(is_ok(write_file_atomically(&env_, "/db", "CURRENT", "v1")));
  ASSERT_TRUE(is_ok(write_file_atomically(&env_, "/db", "CURRENT", "v2")));
  power_cut();
  EXPECT_EQ(contents("/db/CURRENT"), "v2");
  EXPECT_EQ(*env_.list_dir("/db"), std::vector<std::string>{"CURRENT"});
}

TEST_F(FaultInjectionEnvTest, TruncatingOpenWithoutSyncRestoresOldContents) {
  durable_file("/db/f", "old");
  auto f = create("/db/f");  // O_TRUNC: same file, now empty
  ASSERT_TRUE(is_ok(f->append("new")));
  power_cut();
  EXPECT_EQ(contents("/db/f"), "old");
}

TEST_F(FaultInjectionEnvTest, TruncateWithoutSyncIsUndone) {
  durable_file("/db/f", "0123456789");
  auto f = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->truncate(3)));
  EXPECT_EQ(contents("/db/f"), "012");
  power_cut();
  EXPECT_EQ(contents("/db/f"), "0123456789");
}

TEST_F(FaultInjectionEnvTest, CrossDirectoryRenameSyncedOnlyAtTargetKeepsBoth) {
  durable_file("/db/a", "data");
  ASSERT_TRUE(is_ok(env_.create_dir("/other")));
  ASSERT_TRUE(is_ok(env_.rename_file("/db/a", "/other/a")));
  ASSERT_TRUE(is_ok(env_.sync_dir("/other")));
  power_cut();
  EXPECT_EQ(contents("/db/a"), "data");
  EXPECT_EQ(contents("/other/a"), "data");
  // They are two files now: writing one leaves the other alone.
  auto f = env_.reopen_writable_file("/other/a");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->append("+")));
  ASSERT_TRUE(is_ok((*f)->sync()));
  f->reset();
  power_cut();
  EXPECT_EQ(contents("/db/a"), "data");
  EXPECT_EQ(contents("/other/a"), "data+");
}

TEST_F(FaultInjectionEnvTest, FilesThatExistedBeforeAreTreatedAsDurable) {
  ASSERT_TRUE(is_ok(mem_->create_dir("/pre")));
  contract_write(mem_.get(), "/pre/touched", "base");
  contract_write(mem_.get(), "/pre/untouched", "as is");
  auto f = env_.reopen_writable_file("/pre/touched");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->append("+more")));
  power_cut();
  EXPECT_EQ(contents("/pre/touched"), "base");
  EXPECT_EQ(contents("/pre/untouched"), "as is");
}

TEST_F(FaultInjectionEnvTest, KeepingUnsyncedDataStillUndoesDirOps) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  ASSERT_TRUE(is_ok(f->append("unsynced")));
  auto g = create("/db/g");
  power_cut(/*drop_data=*/false, /*drop_dir_ops=*/true);
  EXPECT_EQ(contents("/db/f"), "unsynced");
  EXPECT_EQ(contents("/db/g"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, KeepingUnsyncedDirOpsStillDropsData) {
  auto g = create("/db/g");
  ASSERT_TRUE(is_ok(g->append("unsynced")));
  power_cut(/*drop_data=*/true, /*drop_dir_ops=*/false);
  EXPECT_EQ(contents("/db/g"), "");
}

TEST_F(FaultInjectionEnvTest, PowerCutInvalidatesOpenFilesAndReaders) {
  durable_file("/db/f", "abc");
  auto w = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok(w));
  auto r = env_.new_random_access_file("/db/f");
  ASSERT_TRUE(is_ok(r));
  power_cut();
  Status s = (*w)->append("x");
  EXPECT_TRUE(s.is_io_error());
  EXPECT_EQ(s.sys_errno(), EBADF);
  EXPECT_NE(s.message().find("/db/f"), std::string::npos);
  EXPECT_FALSE((*w)->sync().ok());
  EXPECT_FALSE((*w)->close().ok());
  char buf[4];
  EXPECT_FALSE((*r)->read(0, std::span<char>(buf, 4)).ok());
  EXPECT_FALSE((*r)->size().ok());
  // New handles work.
  auto w2 = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok(w2));
  EXPECT_TRUE(is_ok((*w2)->append("d")));
  EXPECT_EQ(contents("/db/f"), "abcd");
}

TEST_F(FaultInjectionEnvTest, PowerCutReleasesLocks) {
  auto lock = env_.lock_file("/db/LOCK");
  ASSERT_TRUE(is_ok(lock));
  EXPECT_TRUE(env_.lock_file("/db/LOCK").status().is_busy());
  power_cut();
  EXPECT_TRUE(is_ok(env_.lock_file("/db/LOCK")));
}

TEST_F(FaultInjectionEnvTest, ProcessCrashKeepsDataButClosesEverything) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("unsynced")));
  auto lock = env_.lock_file("/db/LOCK");
  ASSERT_TRUE(is_ok(lock));
  env_.simulate_process_crash();
  EXPECT_EQ(contents("/db/f"), "unsynced");
  EXPECT_TRUE(f->append("x").is_io_error());
  EXPECT_TRUE(is_ok(env_.lock_file("/db/LOCK")));
  // The crash changed nothing durable: a later cut still drops it all.
  power_cut();
  EXPECT_EQ(contents("/db/f"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, PowerCutStateIsTheNewBaseline) {
  durable_file("/db/f", "abc");
  auto f = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok((*f)->append("def")));
  auto g = create("/db/g");
  power_cut();
  const auto after_first = dump(&env_);
  power_cut();
  EXPECT_EQ(dump(&env_), after_first);
}

// ------------------------------------------------------------ torn writes

TEST_F(FaultInjectionEnvTest, TornWriteCutKeepsOnlyThePrefix) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("header")));
  ASSERT_TRUE(is_ok(f->append("0123456789")));
  ASSERT_TRUE(is_ok(env_.tear_last_write(TearMode::kCut, 4)));
  EXPECT_EQ(contents("/db/f"), "header0123");
  // The writer is gone with the crash the tear stands for.
  EXPECT_TRUE(f->append("x").is_io_error());
}

TEST_F(FaultInjectionEnvTest, WriteInsideAFileIsLostOnPowerCutUnlessSynced) {
  durable_file("/db/f", std::string(8, '\0'));
  auto f = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->seek(2)));
  ASSERT_TRUE(is_ok((*f)->append("ab")));
  ASSERT_TRUE(is_ok((*f)->sync()));
  ASSERT_TRUE(is_ok((*f)->append("cd")));
  power_cut();
  EXPECT_EQ(contents("/db/f"), std::string("\0\0ab\0\0\0\0", 8));
}

TEST_F(FaultInjectionEnvTest, TornWriteInsideAFileKeepsTheOldBytesAfterIt) {
  durable_file("/db/f", std::string(12, '.'));
  for (TearMode mode : {TearMode::kCut, TearMode::kZeros}) {
    auto f = env_.reopen_writable_file("/db/f");
    ASSERT_TRUE(is_ok(f));
    ASSERT_TRUE(is_ok((*f)->seek(2)));
    ASSERT_TRUE(is_ok((*f)->append("012345")));
    ASSERT_TRUE(is_ok(env_.tear_last_write(mode, 2)));
    // A cut leaves what was there; zeros replace the lost bytes. Either
    // way the file keeps its size and its bytes after the write.
    EXPECT_EQ(contents("/db/f"), mode == TearMode::kCut
                                     ? std::string("..01........")
                                     : std::string("..01\0\0\0\0....", 12));
    power_cut();
    EXPECT_EQ(contents("/db/f")->size(), 12U);
    durable_file("/db/f", std::string(12, '.'));
  }
}

TEST_F(FaultInjectionEnvTest, TornWriteCrossingTheEndCutsAtTheOldSize) {
  durable_file("/db/f", "abcdef");
  auto f = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->seek(4)));
  ASSERT_TRUE(is_ok((*f)->append("WXYZ")));
  ASSERT_TRUE(is_ok(env_.tear_last_write(TearMode::kCut, 1)));
  EXPECT_EQ(contents("/db/f"), "abcdWf");
}

TEST_F(FaultInjectionEnvTest, TornWriteZeroFillsTail) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("header")));
  ASSERT_TRUE(is_ok(f->append("0123456789")));
  ASSERT_TRUE(is_ok(env_.tear_last_write(TearMode::kZeros, 3)));
  EXPECT_EQ(contents("/db/f"), std::string("header012\0\0\0\0\0\0\0", 16));
}

TEST_F(FaultInjectionEnvTest, TornWriteGarbageIsDeterministic) {
  std::string results[2];
  for (std::string& result : results) {
    auto mem = new_mem_env();
    FaultInjectionEnv env(mem.get());
    auto f = env.new_writable_file("/f");
    ASSERT_TRUE(is_ok(f));
    ASSERT_TRUE(is_ok((*f)->append(std::string(64, 'a'))));
    ASSERT_TRUE(is_ok(env.tear_last_write(TearMode::kGarbage, 8)));
    f->reset();
    result = *read_file(&env, "/f");
  }
  EXPECT_EQ(results[0], results[1]);
  ASSERT_EQ(results[0].size(), 64U);
  EXPECT_EQ(results[0].substr(0, 8), std::string(8, 'a'));
  EXPECT_NE(results[0].substr(8), std::string(56, 'a'));
}

TEST_F(FaultInjectionEnvTest, TornWriteSurvivesPowerCut) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("synced|")));
  ASSERT_TRUE(is_ok(f->sync()));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  ASSERT_TRUE(is_ok(f->append("record")));
  ASSERT_TRUE(is_ok(env_.tear_last_write(TearMode::kZeros, 2)));
  power_cut();
  EXPECT_EQ(contents("/db/f"), std::string("synced|re\0\0\0\0", 13));
}

TEST_F(FaultInjectionEnvTest, TearNeedsAnAppendAndAShorterKeep) {
  EXPECT_TRUE(env_.tear_last_write(TearMode::kCut, 0).is_invalid_argument());
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("abc")));
  EXPECT_TRUE(env_.tear_last_write(TearMode::kCut, 3).is_invalid_argument());
  EXPECT_TRUE(is_ok(env_.tear_last_write(TearMode::kNone, 99)));
  EXPECT_EQ(contents("/db/f"), "abc");
}

// ------------------------------------------------------------ errors

TEST_F(FaultInjectionEnvTest, InjectedErrorFailsOnlyTheNthCall) {
  auto f = create("/db/f");
  env_.inject_error(FaultOp::kAppend, 2, EIO);
  EXPECT_TRUE(is_ok(f->append("a")));
  Status s = f->append("b");
  EXPECT_TRUE(s.is_io_error());
  EXPECT_EQ(s.sys_errno(), EIO);
  EXPECT_NE(s.message().find("append"), std::string::npos);
  EXPECT_NE(s.message().find("/db/f"), std::string::npos);
  EXPECT_TRUE(is_ok(f->append("c")));
  EXPECT_EQ(contents("/db/f"), "ac");
  EXPECT_EQ(f->position(), 2U);
}

TEST_F(FaultInjectionEnvTest, EnospcMidAppendWritesPartialData) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("head|")));
  env_.inject_error(FaultOp::kAppend, 1, ENOSPC, 3);
  Status s = f->append("abcdef");
  EXPECT_EQ(s.sys_errno(), ENOSPC) << s.to_string();
  EXPECT_EQ(contents("/db/f"), "head|abc");
  EXPECT_EQ(f->position(), 8U);
  EXPECT_TRUE(is_ok(f->append("!")));
  EXPECT_EQ(contents("/db/f"), "head|abc!");
}

TEST_F(FaultInjectionEnvTest, FailedSyncDoesNotMakeDataDurable) {
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("durable|")));
  ASSERT_TRUE(is_ok(f->sync()));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  ASSERT_TRUE(is_ok(f->append("not")));
  env_.inject_error(FaultOp::kSync, 1, EIO);
  env_.inject_error(FaultOp::kSync, 2, EIO);
  Status s = f->sync();
  EXPECT_EQ(s.sys_errno(), EIO) << s.to_string();
  EXPECT_EQ(f->fsync().sys_errno(), EIO);
  power_cut();
  EXPECT_EQ(contents("/db/f"), "durable|");
}

TEST_F(FaultInjectionEnvTest, FailedSyncDirDoesNotMakeCreationDurable) {
  durable_file("/db/f", "x");
  env_.inject_error(FaultOp::kSyncDir, 1, EIO);
  auto f = create("/db/g");
  ASSERT_TRUE(is_ok(f->sync()));
  EXPECT_EQ(env_.sync_dir("/db").sys_errno(), EIO);
  power_cut();
  EXPECT_EQ(contents("/db/g"), std::nullopt);
  EXPECT_EQ(contents("/db/f"), "x");
}

TEST_F(FaultInjectionEnvTest, InjectErrorEveryFailsUntilCleared) {
  durable_file("/db/a", "x");
  env_.inject_error_every(FaultOp::kRename, ENOSPC);
  for (int i = 0; i < 3; ++i) {
    Status s = env_.rename_file("/db/a", "/db/b");
    EXPECT_EQ(s.sys_errno(), ENOSPC);
    EXPECT_NE(s.message().find("/db/a -> /db/b"), std::string::npos);
  }
  EXPECT_EQ(contents("/db/a"), "x");
  env_.clear_errors();
  EXPECT_TRUE(is_ok(env_.rename_file("/db/a", "/db/b")));
}

TEST_F(FaultInjectionEnvTest, ClearErrorsDropsPendingInjections) {
  auto f = create("/db/f");
  env_.inject_error(FaultOp::kAppend, 1, EIO);
  env_.clear_errors();
  EXPECT_TRUE(is_ok(f->append("a")));
}

TEST_F(FaultInjectionEnvTest, InjectedFailuresChangeNothing) {
  durable_file("/db/f", "0123");
  env_.inject_error(FaultOp::kCreate, 1, EIO);
  EXPECT_EQ(env_.new_writable_file("/db/g").status().sys_errno(), EIO);
  EXPECT_FALSE(*env_.file_exists("/db/g"));
  env_.inject_error(FaultOp::kCreate, 1, EIO);
  EXPECT_FALSE(env_.new_writable_file("/db/f").ok());
  EXPECT_EQ(contents("/db/f"), "0123");  // not truncated
  env_.inject_error(FaultOp::kRemove, 1, EIO);
  EXPECT_EQ(env_.remove_file("/db/f").sys_errno(), EIO);
  EXPECT_TRUE(*env_.file_exists("/db/f"));
  env_.inject_error(FaultOp::kReopen, 1, EIO);
  EXPECT_FALSE(env_.reopen_writable_file("/db/f").ok());
  env_.inject_error(FaultOp::kCreateDir, 1, EIO);
  EXPECT_FALSE(env_.create_dir("/db/sub").ok());
  EXPECT_FALSE(*env_.file_exists("/db/sub"));

  auto w = env_.reopen_writable_file("/db/f");
  ASSERT_TRUE(is_ok(w));
  env_.inject_error(FaultOp::kTruncate, 1, EIO);
  EXPECT_EQ((*w)->truncate(1).sys_errno(), EIO);
  EXPECT_EQ((*w)->position(), 4U);
  EXPECT_EQ(contents("/db/f"), "0123");

  auto r = env_.new_random_access_file("/db/f");
  ASSERT_TRUE(is_ok(r));
  env_.inject_error(FaultOp::kRead, 1, EIO);
  char buf[4];
  EXPECT_EQ((*r)->read(0, std::span<char>(buf, 4)).status().sys_errno(), EIO);
  EXPECT_EQ(*(*r)->read(0, std::span<char>(buf, 4)), 4U);
}

TEST_F(FaultInjectionEnvTest, CountersCountEveryCallIncludingFailures) {
  env_.reset_op_counts();
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("a")));
  env_.inject_error(FaultOp::kAppend, 1, EIO);
  EXPECT_FALSE(f->append("b").ok());
  ASSERT_TRUE(is_ok(f->sync()));
  ASSERT_TRUE(is_ok(f->fsync()));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  EXPECT_EQ(env_.op_count(FaultOp::kCreate), 1U);
  EXPECT_EQ(env_.op_count(FaultOp::kAppend), 2U);
  EXPECT_EQ(env_.op_count(FaultOp::kSync), 2U);
  EXPECT_EQ(env_.op_count(FaultOp::kSyncDir), 1U);
  EXPECT_EQ(env_.op_count(FaultOp::kRename), 0U);
  // Resetting keeps a pending injection aimed at the same future call.
  env_.inject_error(FaultOp::kAppend, 2, EIO);
  env_.reset_op_counts();
  EXPECT_EQ(env_.op_count(FaultOp::kAppend), 0U);
  EXPECT_TRUE(is_ok(f->append("c")));
  EXPECT_FALSE(f->append("d").ok());
  EXPECT_EQ(env_.op_count(FaultOp::kAppend), 2U);
}

// ------------------------------------------------------------ traces

TEST_F(FaultInjectionEnvTest, TraceRecordsWhatReachedTheFiles) {
  ASSERT_TRUE(is_ok(env_.start_recording("/db")));
  auto f = create("/db/f");
  ASSERT_TRUE(is_ok(f->append("abc")));
  env_.inject_error(FaultOp::kAppend, 1, ENOSPC, 2);
  EXPECT_FALSE(f->append("xyz").ok());  // recorded as the 2 bytes written
  env_.inject_error(FaultOp::kSync, 1, EIO);
  EXPECT_FALSE(f->sync().ok());  // failed: not recorded
  ASSERT_TRUE(is_ok(f->truncate(4)));
  ASSERT_TRUE(is_ok(f->fsync()));
  ASSERT_TRUE(is_ok(f->close()));
  ASSERT_TRUE(is_ok(env_.rename_file("/db/f", "/db/g")));
  ASSERT_TRUE(is_ok(env_.sync_dir("/db")));
  ASSERT_TRUE(is_ok(env_.remove_file("/db/g")));
  env_.stop_recording();
  ASSERT_TRUE(is_ok(env_.create_dir("/db/after")));

  using T = EnvOp::Type;
  const auto& t = env_.trace();
  ASSERT_EQ(t.size(), 10U);
  EXPECT_EQ(t[0].type, T::kInitialState);
  EXPECT_EQ(t[1].type, T::kCreate);
  EXPECT_EQ(t[1].path, "/db/f");
  EXPECT_NE(t[1].handle, 0U);
  EXPECT_EQ(t[2].type, T::kAppend);
  EXPECT_EQ(t[2].data, "abc");
  EXPECT_EQ(t[2].size, 0U);
  EXPECT_EQ(t[2].handle, t[1].handle);
  EXPECT_EQ(t[3].type, T::kAppend);
  EXPECT_EQ(t[3].data, "xy");
  EXPECT_EQ(t[3].size, 3U);
  EXPECT_EQ(t[4].type, T::kTruncate);
  EXPECT_EQ(t[4].size, 4U);
  EXPECT_EQ(t[5].type, T::kFsync);
  EXPECT_EQ(t[6].type, T::kClose);
  EXPECT_EQ(t[7].type, T::kRename);
  EXPECT_EQ(t[7].path2, "/db/g");
  EXPECT_EQ(t[8].type, T::kSyncDir);
  EXPECT_EQ(t[9].type, T::kRemove);
  EXPECT_EQ(describe(t[3]), "append /db/f @3 +2 (handle 1)");
  EXPECT_EQ(describe(t[7]), "rename /db/f -> /db/g");
}

// A small log-like workload in which every step is one Env call that
// changes something, so step k corresponds to trace()[k + 1].
void run_workload(Env* env, std::size_t steps) {
  std::size_t done = 0;
  std::unique_ptr<WritableFile> log;
  std::unique_ptr<WritableFile> tmp;
  std::unique_ptr<WritableFile> log2;
  auto step = [&](auto&& fn) {
    if (done >= steps) return;
    Status s = fn();
    ASSERT_TRUE(is_ok(s)) << "step " << done;
    ++done;
  };
  auto open = [&](std::unique_ptr<WritableFile>* out, const char* path) {
    auto f = env->new_writable_file(path);
    if (f.ok()) *out = std::move(*f);
    return f.status();
  };
  step([&] { return env->create_dir("/db/sub"); });
  step([&] { return open(&log, "/db/000002.log"); });
  step([&] { return log->append("rec1|"); });
  step([&] { return log->sync(); });
  step([&] { return env->sync_dir("/db"); });
  step([&] { return log->append("rec2|"); });
  step([&] { return open(&tmp, "/db/CURRENT.tmp"); });
  step([&] { return tmp->append("000002"); });
  step([&] { return tmp->sync(); });
  step([&] { return tmp->close(); });
  step([&] { return env->rename_file("/db/CURRENT.tmp", "/db/CURRENT"); });
  step([&] { return log->append("rec3|"); });
  step([&] { return env->remove_file("/db/000001.log"); });
  step([&] { return env->sync_dir("/db"); });
  step([&] { return log->fsync(); });
  step([&] { return open(&log2, "/db/sub/000003.log"); });
  step([&] { return log2->append("other"); });
  step([&] { return log->truncate(7); });
  step([&] { return log->sync(); });
  step([&] { return env->rename_file("/db/pending", "/db/sub/pending"); });
  step([&] { return log->close(); });
}
constexpr std::size_t kWorkloadSteps = 21;

// State before recording: a durable old log, a file whose last bytes are
// unsynced, and a file whose creation was never made durable.
void set_up_before_recording(FaultInjectionEnv* env) {
  ASSERT_TRUE(is_ok(env->create_dir("/db")));
  ASSERT_TRUE(
      is_ok(write_file_atomically(env, "/db", "000001.log", "old log")));
  auto p = env->new_writable_file("/db/pending");
  ASSERT_TRUE(is_ok(p));
  ASSERT_TRUE(is_ok((*p)->append("synced")));
  ASSERT_TRUE(is_ok((*p)->sync()));
  ASSERT_TRUE(is_ok(env->sync_dir("/db")));
  ASSERT_TRUE(is_ok((*p)->append("+unsynced")));
  auto u = env->new_writable_file("/db/undurable");
  ASSERT_TRUE(is_ok(u));
  ASSERT_TRUE(is_ok((*u)->append("x")));
  ASSERT_TRUE(is_ok((*u)->sync()));
}

std::vector<EnvOp> record_workload() {
  auto mem = new_mem_env();
  FaultInjectionEnv env(mem.get());
  set_up_before_recording(&env);
  EXPECT_TRUE(is_ok(env.start_recording("/db")));
  run_workload(&env, kWorkloadSteps);
  env.stop_recording();
  return env.trace();
}

TEST(FaultInjectionTrace, TraceReplayPrefixReproducesState) {
  const std::vector<EnvOp> trace = record_workload();
  ASSERT_EQ(trace.size(), kWorkloadSteps + 1);
  const struct {
    bool drop_data;
    bool drop_dir_ops;
  } modes[] = {{true, true}, {false, false}, {true, false}, {false, true}};
  for (const auto& mode : modes) {
    for (std::size_t k = 0; k <= kWorkloadSteps; ++k) {
      SCOPED_TRACE("steps " + std::to_string(k) + " drop_data " +
                   std::to_string(mode.drop_data) + " drop_dir_ops " +
                   std::to_string(mode.drop_dir_ops));
      // The same run, live, cut after k steps...
      auto mem = new_mem_env();
      FaultInjectionEnv live(mem.get());
      set_up_before_recording(&live);
      run_workload(&live, k);
      PowerCutOptions cut;
      cut.drop_unsynced_data = mode.drop_data;
      cut.drop_unsynced_dir_ops = mode.drop_dir_ops;
      ASSERT_TRUE(is_ok(live.simulate_power_cut(cut)));
      // ...and rebuilt from the trace.
      CrashStateOptions opts;
      opts.drop_unsynced_data = mode.drop_data;
      opts.drop_unsynced_dir_ops = mode.drop_dir_ops;
      auto rebuilt = materialize_crash_state(trace, k + 1, opts);
      ASSERT_TRUE(is_ok(rebuilt));
      EXPECT_EQ(dump(rebuilt->get()), dump(&live));
    }
  }
}

TEST(FaultInjectionTrace, FullReplayWithoutDropsEqualsTheLiveFiles) {
  auto mem = new_mem_env();
  FaultInjectionEnv live(mem.get());
  set_up_before_recording(&live);
  ASSERT_TRUE(is_ok(live.start_recording("/db")));
  run_workload(&live, kWorkloadSteps);
  CrashStateOptions keep_all;
  keep_all.drop_unsynced_data = false;
  keep_all.drop_unsynced_dir_ops = false;
  auto rebuilt =
      materialize_crash_state(live.trace(), live.trace().size(), keep_all);
  ASSERT_TRUE(is_ok(rebuilt));
  EXPECT_EQ(dump(rebuilt->get()), dump(&live));
  EXPECT_EQ(*read_file(rebuilt->get(), "/db/sub/000003.log"), "other");
}

// Runs the first `steps` instructions of a random program over four file
// names; instructions that fail (say, renaming a missing file) are skipped,
// which is fine because both runs skip the same ones.
using Instruction = std::tuple<unsigned char, unsigned char, unsigned char>;
void run_program(Env* env, const std::vector<Instruction>& program,
                 std::size_t steps) {
  std::map<int, std::unique_ptr<WritableFile>> open;
  auto name = [](int i) { return "/db/f" + std::to_string(i % 4); };
  for (std::size_t i = 0; i < steps && i < program.size(); ++i) {
    const auto [op, a_raw, b_raw] = program[i];
    const int a = a_raw % 4;
    const int b = b_raw % 4;
    WritableFile* w = open.count(a) ? open[a].get() : nullptr;
    Status ignored;
    switch (op % 9) {
      case 0:
      case 8: {
        auto f = op % 9 == 0 ? env->new_writable_file(name(a))
                             : env->reopen_writable_file(name(a));
        if (f.ok()) open[a] = std::move(*f);
        break;
      }
      case 1:
        if (w) ignored = w->append(std::string(1 + b_raw % 7, 'a' + b));
        break;
      case 2:
        if (w) ignored = (b % 2) ? w->sync() : w->fsync();
        break;
      case 3:
        ignored = env->sync_dir("/db");
        break;
      case 4:
        ignored = env->rename_file(name(a), name(b));
        break;
      case 5:
        ignored = env->remove_file(name(a));
        break;
      case 6:
        if (w) ignored = w->truncate(b_raw % 5);
        break;
      case 7:
        if (w) ignored = w->close();
        break;
    }
  }
}

RC_GTEST_PROP(FaultInjectionTrace, RandomProgramReplayMatchesALiveCut,
              (const std::vector<Instruction>& program)) {
  const std::size_t steps =
      *rc::gen::inRange<std::size_t>(0, program.size() + 1);
  PowerCutOptions cut;
  cut.drop_unsynced_data = *rc::gen::arbitrary<bool>();
  cut.drop_unsynced_dir_ops = *rc::gen::arbitrary<bool>();

  std::vector<EnvOp> full_trace;
  {
    FaultInjectionEnv env(new_mem_env());
    RC_ASSERT(env.create_dir("/db").ok());
    RC_ASSERT(env.start_recording("/db").ok());
    run_program(&env, program, program.size());
    full_trace = env.trace();
  }
  FaultInjectionEnv live(new_mem_env());
  RC_ASSERT(live.create_dir("/db").ok());
  RC_ASSERT(live.start_recording("/db").ok());
  run_program(&live, program, steps);
  const std::size_t prefix = live.trace().size();
  RC_ASSERT(live.simulate_power_cut(cut).ok());

  CrashStateOptions opts;
  opts.drop_unsynced_data = cut.drop_unsynced_data;
  opts.drop_unsynced_dir_ops = cut.drop_unsynced_dir_ops;
  auto rebuilt = materialize_crash_state(full_trace, prefix, opts);
  RC_ASSERT(rebuilt.ok());
  RC_ASSERT(dump(rebuilt->get()) == dump(&live));
}

TEST(FaultInjectionTrace, PrefixesZeroAndOneAreTheInitialState) {
  const std::vector<EnvOp> trace = record_workload();
  auto zero = materialize_crash_state(trace, 0);
  auto one = materialize_crash_state(trace, 1);
  ASSERT_TRUE(is_ok(zero));
  ASSERT_TRUE(is_ok(one));
  const auto state = dump(zero->get());
  EXPECT_EQ(state, dump(one->get()));
  EXPECT_EQ(state.at("/db/000001.log"), "old log");
  EXPECT_EQ(state.at("/db/pending"), "synced");
  EXPECT_EQ(state.count("/db/undurable"), 0U);
}

TEST(FaultInjectionTrace, ReplayWithoutARootCreatesTheDirectoriesItNeeds) {
  auto mem = new_mem_env();
  FaultInjectionEnv env(mem.get());
  ASSERT_TRUE(is_ok(env.create_dir("/a")));
  ASSERT_TRUE(is_ok(env.create_dir("/a/b")));
  ASSERT_TRUE(is_ok(env.start_recording()));
  ASSERT_TRUE(is_ok(write_file_atomically(&env, "/a/b", "f", "data")));
  auto rebuilt = materialize_crash_state(env.trace(), env.trace().size());
  ASSERT_TRUE(is_ok(rebuilt));
  EXPECT_EQ(*read_file(rebuilt->get(), "/a/b/f"), "data");
}

TEST(FaultInjectionTrace, ReplayTearsTheLastAppendOfThePrefix) {
  auto mem = new_mem_env();
  FaultInjectionEnv env(mem.get());
  ASSERT_TRUE(is_ok(env.create_dir("/db")));
  ASSERT_TRUE(is_ok(env.start_recording("/db")));
  auto f = env.new_writable_file("/db/log");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok(env.sync_dir("/db")));
  ASSERT_TRUE(is_ok((*f)->append("first|")));
  ASSERT_TRUE(is_ok((*f)->sync()));
  ASSERT_TRUE(is_ok((*f)->append("second")));
  const auto& trace = env.trace();
  ASSERT_EQ(trace.size(), 6U);

  CrashStateOptions torn;
  torn.tear_mode = TearMode::kCut;
  torn.tear_keep_bytes = 3;
  auto r = materialize_crash_state(trace, trace.size(), torn);
  ASSERT_TRUE(is_ok(r));
  EXPECT_EQ(*read_file(r->get(), "/db/log"), "first|sec");
  torn.tear_mode = TearMode::kZeros;
  r = materialize_crash_state(trace, trace.size(), torn);
  ASSERT_TRUE(is_ok(r));
  EXPECT_EQ(*read_file(r->get(), "/db/log"),
            std::string("first|sec\0\0\0", 12));
  // Without a tear the unsynced append is simply gone.
  r = materialize_crash_state(trace, trace.size());
  ASSERT_TRUE(is_ok(r));
  EXPECT_EQ(*read_file(r->get(), "/db/log"), "first|");
  // A prefix without appends ignores the tear.
  r = materialize_crash_state(trace, 3, torn);
  ASSERT_TRUE(is_ok(r));
  EXPECT_EQ(*read_file(r->get(), "/db/log"), "");
}

TEST(FaultInjectionTrace, ReplayPutsAWriteAfterSeekAtItsOffset) {
  auto mem = new_mem_env();
  FaultInjectionEnv env(mem.get());
  ASSERT_TRUE(is_ok(env.create_dir("/db")));
  ASSERT_TRUE(is_ok(env.start_recording("/db")));
  auto f = env.new_writable_file("/db/seg");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->append(std::string(10, '\0'))));
  ASSERT_TRUE(is_ok((*f)->sync()));
  ASSERT_TRUE(is_ok(env.sync_dir("/db")));
  ASSERT_TRUE(is_ok((*f)->seek(0)));
  ASSERT_TRUE(is_ok((*f)->append("hdr")));
  ASSERT_TRUE(is_ok((*f)->sync()));
  ASSERT_TRUE(is_ok((*f)->append("rec")));
  const auto& trace = env.trace();
  auto r = materialize_crash_state(trace, trace.size());
  ASSERT_TRUE(is_ok(r));
  EXPECT_EQ(*read_file(r->get(), "/db/seg"),
            std::string("hdr\0\0\0\0\0\0\0", 10));
  CrashStateOptions torn;
  torn.tear_mode = TearMode::kCut;
  torn.tear_keep_bytes = 1;
  r = materialize_crash_state(trace, trace.size(), torn);
  ASSERT_TRUE(is_ok(r));
  EXPECT_EQ(*read_file(r->get(), "/db/seg"),
            std::string("hdrr\0\0\0\0\0\0", 10));
}

TEST(FaultInjectionTrace, MaterializedEnvTakesFurtherFaults) {
  const std::vector<EnvOp> trace = record_workload();
  auto r = materialize_crash_state(trace, trace.size());
  ASSERT_TRUE(is_ok(r));
  auto* fi = dynamic_cast<FaultInjectionEnv*>(r->get());
  ASSERT_NE(fi, nullptr);
  fi->inject_error(FaultOp::kCreate, 1, EIO);
  EXPECT_FALSE(fi->new_writable_file("/db/x").ok());
  auto f = fi->new_writable_file("/db/x");
  ASSERT_TRUE(is_ok(f));
  ASSERT_TRUE(is_ok((*f)->append("abc")));
  f->reset();
  ASSERT_TRUE(is_ok(fi->simulate_power_cut()));
  EXPECT_FALSE(*fi->file_exists("/db/x"));
}

TEST(FaultInjectionTrace, PrefixBeyondTheTraceIsInvalid) {
  const std::vector<EnvOp> trace = record_workload();
  auto r = materialize_crash_state(trace, trace.size() + 1);
  EXPECT_TRUE(r.status().is_invalid_argument()) << r.status().to_string();
}

TEST(FaultInjectionTrace, EveryOpTypeHasAName) {
  for (int t = 0; t <= static_cast<int>(EnvOp::Type::kRemoveDir); ++t) {
    EXPECT_NE(env_op_type_name(static_cast<EnvOp::Type>(t)), "unknown");
  }
}

TEST(FaultInjectionEnvLifetime, HandlesOutlivingTheEnvFailCleanly) {
  auto mem = new_mem_env();
  std::unique_ptr<WritableFile> f;
  {
    FaultInjectionEnv env(mem.get());
    auto w = env.new_writable_file("/f");
    ASSERT_TRUE(is_ok(w));
    f = std::move(*w);
  }
  EXPECT_TRUE(f->append("x").is_io_error());
}

TEST(FaultInjectionEnvLifetime, OwningConstructorKeepsTheBase) {
  FaultInjectionEnv env(new_mem_env());
  contract_write(&env, "/f", "abc");
  EXPECT_EQ(*read_file(&env, "/f"), "abc");
}

}  // namespace
}  // namespace strata::durability::testing
