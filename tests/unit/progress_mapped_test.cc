// PROGRESS on real files: the POSIX Env maps it (WritableFile::
// map_for_rewrite) so that publishing after a write group costs no system
// call; a reader through read() still sees every publication, the writer's
// close, and the next writer's open. Envs that cannot map keep overwrite().

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "strata/durability/env.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/log/progress.h"

namespace strata::durability::log {
namespace {

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/strata-progress-test-XXXXXX";
    char* dir = ::mkdtemp(templ);
    EXPECT_NE(dir, nullptr);
    path_ = dir != nullptr ? dir : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ProgressMappedTest, PosixFileMappedForRewriteIsReadBackThroughRead) {
  TempDir dir;
  Env* env = Env::posix();
  const std::string path = dir.path() + "/f";
  auto f = env->new_writable_file(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->append(std::string(64, 'a')).ok());
  EXPECT_TRUE((*f)->map_for_rewrite(65).status().is_invalid_argument());
  auto m = (*f)->map_for_rewrite(64);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  (*m)[0] = 'z';
  (*m)[63] = 'y';
  auto bytes = read_file(env, path);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "z" + std::string(62, 'a') + "y");
  ASSERT_TRUE((*f)->close().ok());
  bytes = read_file(env, path);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 64U);
  EXPECT_EQ(bytes->front(), 'z');
}

TEST(ProgressMappedTest, MemEnvFilesCannotBeMapped) {
  auto env = new_mem_env();
  auto f = env->new_writable_file("/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->append(std::string(64, 'a')).ok());
  EXPECT_TRUE((*f)->map_for_rewrite(64).status().is_not_supported());
}

TEST(ProgressMappedTest, PosixWriterPublishesEveryWriteGroupAndItsClose) {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  for (int round = 0; round < 2; ++round) {  // the second reopens the log
    LogWriterOptions o;
    o.mode = DurabilityMode::none();
    o.segment_size = 4096;
    auto w = LogWriter::open(log_dir, o);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (int i = 0; i < 200; ++i) {  // several rotations
      auto r = (*w)->append("record " + std::to_string(i));
      ASSERT_TRUE(r.ok());
      auto p = read_published_progress(Env::posix(), log_dir);
      ASSERT_TRUE(p.ok()) << p.status().to_string();
      EXPECT_TRUE(p->writer_open);
      EXPECT_EQ(p->end_lsn, r->end_lsn);
      EXPECT_EQ(p->log_id, (*w)->log_id());
    }
    const Lsn end = (*w)->end_lsn();
    ASSERT_TRUE((*w)->close().ok());
    auto p = read_published_progress(Env::posix(), log_dir);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_FALSE(p->writer_open);
    EXPECT_EQ(p->end_lsn, end);
  }
}

}  // namespace
}  // namespace strata::durability::log
