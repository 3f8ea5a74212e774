// Env implementations under concurrent use (run under TSan): a writer
// appending while other threads sync and read, many threads changing one
// in-memory namespace, and lock contention.

#include <stdlib.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/testing/fault_injection_env.h"

namespace strata::durability {
namespace {

constexpr int kRecords = 2000;
constexpr std::size_t kRecordSize = 16;

// Record i is kRecordSize copies of one byte derived from i, so a reader
// can check any prefix it sees without coordination.
char record_byte(std::size_t i) { return static_cast<char>('a' + i % 26); }

// A writer appends records; one thread syncs in a loop (allowed to overlap
// append); another re-reads the file and checks every byte it sees.
void append_sync_and_read(Env* env, const std::string& path) {
  auto w = env->new_writable_file(path);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  auto r = env->new_random_access_file(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  WritableFile* writer = w->get();
  RandomAccessFile* reader = r->get();

  std::atomic<bool> done{false};
  std::atomic<int> sync_failures{0};
  std::atomic<int> bad_bytes{0};
  std::thread syncer([&] {
    while (!done.load(std::memory_order_acquire)) {
      if (!writer->sync().ok()) sync_failures.fetch_add(1);
    }
  });
  std::thread checker([&] {
    std::vector<char> buf(4096);
    while (!done.load(std::memory_order_acquire)) {
      auto size = reader->size();
      if (!size.ok()) {
        bad_bytes.fetch_add(1);
        continue;
      }
      uint64_t offset = (*size / 2) / kRecordSize * kRecordSize;
      auto n = reader->read(offset, std::span<char>(buf));
      if (!n.ok()) {
        bad_bytes.fetch_add(1);
        continue;
      }
      for (std::size_t i = 0; i < *n; ++i) {
        if (buf[i] != record_byte((offset + i) / kRecordSize)) {
          bad_bytes.fetch_add(1);
        }
      }
    }
  });
  for (int i = 0; i < kRecords; ++i) {
    std::string rec(kRecordSize, record_byte(static_cast<std::size_t>(i)));
    ASSERT_TRUE(writer->append(rec).ok());
  }
  done.store(true, std::memory_order_release);
  syncer.join();
  checker.join();
  ASSERT_TRUE(writer->sync().ok());
  ASSERT_TRUE(writer->close().ok());
  EXPECT_EQ(sync_failures.load(), 0);
  EXPECT_EQ(bad_bytes.load(), 0);
  auto all = read_file(env, path);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), kRecords * kRecordSize);
  for (std::size_t i = 0; i < all->size(); ++i) {
    ASSERT_EQ((*all)[i], record_byte(i / kRecordSize)) << i;
  }
}

TEST(EnvConcurrent, MemEnvAppendWhileSyncingAndReading) {
  auto env = new_mem_env();
  append_sync_and_read(env.get(), "/log");
}

TEST(EnvConcurrent, PosixEnvAppendWhileSyncingAndReading) {
  char templ[] = "/tmp/strata-env-concurrent-XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  const std::string dir = templ;
  append_sync_and_read(Env::posix(), dir + "/log");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(EnvConcurrent, FaultInjectionEnvAppendWhileSyncingAndReading) {
  auto mem = new_mem_env();
  testing::FaultInjectionEnv env(mem.get());
  append_sync_and_read(&env, "/log");
  ASSERT_TRUE(env.simulate_power_cut().ok());
  // The final sync made everything durable; only the name was never synced.
  EXPECT_FALSE(*env.file_exists("/log"));
}

// Threads create, write, rename, list and remove files in their own
// directories of one MemEnv while also sharing one directory.
TEST(EnvConcurrent, MemEnvNamespaceIsThreadSafe) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/shared").ok());
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "/t" + std::to_string(t);
      if (!env->create_dir(own).ok()) errors.fetch_add(1);
      for (int i = 0; i < kRounds; ++i) {
        const std::string name = std::to_string(i);
        const std::string tmp = own + "/" + name + ".tmp";
        auto f = env->new_writable_file(tmp);
        if (!f.ok() || !(*f)->append(name).ok() || !(*f)->close().ok()) {
          errors.fetch_add(1);
          continue;
        }
        const std::string shared = "/shared/" + std::to_string(t) + "-" + name;
        if (!env->rename_file(tmp, shared).ok()) errors.fetch_add(1);
        auto back = read_file(env.get(), shared);
        if (!back.ok() || *back != name) errors.fetch_add(1);
        if (!env->list_dir("/shared").ok()) errors.fetch_add(1);
        if (!env->sync_dir("/shared").ok()) errors.fetch_add(1);
        if (i % 2 == 0 && !env->remove_file(shared).ok()) errors.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  auto names = env->list_dir("/shared");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), static_cast<std::size_t>(kThreads * kRounds / 2));
}

// At most one thread at a time holds the lock, and every thread gets it.
void lock_contention(Env* env, const std::string& path) {
  constexpr int kThreads = 4;
  constexpr int kAcquisitions = 50;
  std::atomic<int> holders{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      int got = 0;
      while (got < kAcquisitions) {
        auto lock = env->lock_file(path);
        if (!lock.ok()) {
          if (!lock.status().is_busy()) other_errors.fetch_add(1);
          std::this_thread::yield();
          continue;
        }
        if (holders.fetch_add(1) != 0) overlaps.fetch_add(1);
        std::this_thread::yield();
        holders.fetch_sub(1);
        ++got;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(other_errors.load(), 0);
}

TEST(EnvConcurrent, MemEnvLockIsExclusiveAcrossThreads) {
  auto env = new_mem_env();
  lock_contention(env.get(), "/LOCK");
}

TEST(EnvConcurrent, PosixLockIsExclusiveAcrossThreads) {
  char templ[] = "/tmp/strata-env-concurrent-XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  const std::string dir = templ;
  lock_contention(Env::posix(), dir + "/LOCK");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// A power cut while other threads write: they see clean errors, never a
// crash, and the result is the durable state.
TEST(EnvConcurrent, PowerCutDuringWritesInvalidatesCleanly) {
  auto mem = new_mem_env();
  testing::FaultInjectionEnv env(mem.get());
  ASSERT_TRUE(env.create_dir("/db").ok());
  constexpr int kThreads = 3;
  std::vector<std::unique_ptr<WritableFile>> files;
  for (int t = 0; t < kThreads; ++t) {
    auto f = env.new_writable_file("/db/f" + std::to_string(t));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->append("durable").ok());
    ASSERT_TRUE((*f)->sync().ok());
    files.push_back(std::move(*f));
  }
  ASSERT_TRUE(env.sync_dir("/db").ok());
  std::atomic<bool> start{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!start.load()) std::this_thread::yield();
      for (int i = 0; i < 500; ++i) {
        if (!files[static_cast<std::size_t>(t)]->append("x").ok()) break;
      }
    });
  }
  start.store(true);
  ASSERT_TRUE(env.simulate_power_cut().ok());
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    auto bytes = read_file(&env, "/db/f" + std::to_string(t));
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(*bytes, "durable");
    EXPECT_FALSE(files[static_cast<std::size_t>(t)]->append("y").ok());
  }
}

}  // namespace
}  // namespace strata::durability
