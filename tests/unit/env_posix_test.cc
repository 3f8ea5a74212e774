// The POSIX Env on real files in a fresh directory under /tmp: the shared
// Env contract plus what only a real file system shows (errno values,
// locks across processes, large writes, preallocation).

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "unit/env_contract.h"

namespace strata::durability {
namespace {

std::string make_temp_dir() {
  char templ[] = "/tmp/strata-env-test-XXXXXX";
  char* dir = ::mkdtemp(templ);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
    return "/tmp";
  }
  return dir;
}

EnvUnderTest posix_env() {
  EnvUnderTest t;
  t.env = Env::posix();
  t.root = make_temp_dir();
  std::string root = t.root;
  t.cleanup = [root] {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  };
  return t;
}

INSTANTIATE_TEST_SUITE_P(Posix, EnvContractTest, ::testing::Values(&posix_env),
                         [](const auto&) { return std::string("Env"); });

class PosixEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = make_temp_dir(); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string path(std::string_view name) const {
    return join_path(root_, name);
  }

  Env* env_ = Env::posix();
  std::string root_;
};

TEST_F(PosixEnvTest, PosixIsOneLongLivedInstance) {
  EXPECT_EQ(Env::posix(), Env::posix());
  EXPECT_NE(Env::posix(), nullptr);
}

TEST_F(PosixEnvTest, LargeAppendsAreWrittenCompletely) {
  std::string chunk(3 * 1024 * 1024 + 11, 'x');
  for (std::size_t i = 0; i < chunk.size(); i += 4096) {
    chunk[i] = static_cast<char>(i / 4096);
  }
  auto w = env_->new_writable_file(path("big"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append(chunk).ok());
  ASSERT_TRUE((*w)->append(chunk).ok());
  EXPECT_EQ((*w)->position(), 2 * chunk.size());
  ASSERT_TRUE((*w)->sync().ok());
  ASSERT_TRUE((*w)->close().ok());
  auto back = read_file(env_, path("big"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, chunk + chunk);
}

TEST_F(PosixEnvTest, PreallocateDoesNotChangeTheVisibleSize) {
  auto w = env_->new_writable_file(path("p"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("abc").ok());
  ASSERT_TRUE((*w)->preallocate(1 << 20).ok());
  struct stat st;
  ASSERT_EQ(::stat(path("p").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3);
  ASSERT_TRUE((*w)->append("def").ok());
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(*read_file(env_, path("p")), "abcdef");
}

TEST_F(PosixEnvTest, SystemCallErrorsCarryErrnoAndPath) {
  auto f = env_->new_writable_file(path("plain"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->close().ok());
  // A regular file used as a directory: ENOTDIR, not "not found".
  auto w = env_->new_writable_file(path("plain/child"));
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().is_io_error()) << w.status().to_string();
  EXPECT_EQ(w.status().sys_errno(), ENOTDIR);
  EXPECT_NE(w.status().message().find(path("plain/child")), std::string::npos);
  Status s = env_->sync_dir(path("plain"));
  EXPECT_EQ(s.sys_errno(), ENOTDIR) << s.to_string();
  auto l = env_->list_dir(path("plain"));
  EXPECT_EQ(l.status().sys_errno(), ENOTDIR);
  s = env_->remove_dir(path("plain"));
  EXPECT_EQ(s.sys_errno(), ENOTDIR);
}

TEST_F(PosixEnvTest, SecondLockFromTheSameProcessIsBusy) {
  // flock() locks belong to an open file description, so unlike fcntl
  // locks a second open() in the same process conflicts.
  auto a = env_->lock_file(path("LOCK"));
  ASSERT_TRUE(a.ok());
  for (int i = 0; i < 3; ++i) {
    auto b = env_->lock_file(path("LOCK"));
    ASSERT_FALSE(b.ok());
    EXPECT_TRUE(b.status().is_busy());
  }
}

TEST_F(PosixEnvTest, LockHeldInAnotherProcessIsBusy) {
  auto held = env_->lock_file(path("LOCK"));
  ASSERT_TRUE(held.ok());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = Env::posix()->lock_file(path("LOCK"));
    ::_exit(!r.ok() && r.status().is_busy() ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);

  held->reset();
  pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = Env::posix()->lock_file(path("LOCK"));
    ::_exit(r.ok() ? 0 : 1);
  }
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

TEST_F(PosixEnvTest, LockConflictsWithARawFlock) {
  int fd = ::open(path("LOCK").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto r = env_->lock_file(path("LOCK"));
  EXPECT_TRUE(r.status().is_busy()) << r.status().to_string();
  ::close(fd);
  EXPECT_TRUE(env_->lock_file(path("LOCK")).ok());
}

TEST_F(PosixEnvTest, NowMicrosFollowsTheSystemClock) {
  const auto sys = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const uint64_t ours = env_->now_micros();
  EXPECT_LT(std::llabs(static_cast<long long>(ours) - sys), 5'000'000LL);
}

TEST_F(PosixEnvTest, FilesAreCreatedCloseOnExec) {
  auto w = env_->new_writable_file(path("f"));
  ASSERT_TRUE(w.ok());
  // The descriptor is private; check through /proc that none of ours
  // lacks FD_CLOEXEC for this path.
  bool found = false;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (ec || target != path("f")) continue;
    found = true;
    int fd = std::atoi(e.path().filename().c_str());
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace strata::durability
