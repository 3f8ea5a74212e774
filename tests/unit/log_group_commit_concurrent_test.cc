// Group commit under many threads: a Strict append returns only once its
// batch is durable, durable_lsn never goes backwards, and when a sync
// fails part way through a run, every batch that was acknowledged before
// it survives a power cut while every later one fails with the error.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "strata/durability/testing/fault_injection_env.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testing::FaultInjectionEnv;
using testing::FaultOp;
using testutil::read_all;

std::string record_of(int thread, int i) {
  return "t" + std::to_string(thread) + "-" + std::to_string(i);
}

// Makes every sync() of a writable file sleep first, as a disk's flush
// takes time, so that batches queue up behind the leader and a failing
// sync has followers in its group.
class SlowSyncEnv final : public EnvWrapper {
 public:
  explicit SlowSyncEnv(Env* target) : EnvWrapper(target) {}
  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) override {
    return wrap(target()->new_writable_file(path));
  }
  Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& path) override {
    return wrap(target()->reopen_writable_file(path));
  }

 private:
  class File final : public WritableFile {
   public:
    explicit File(std::unique_ptr<WritableFile> f) : f_(std::move(f)) {}
    Status append(std::string_view data) override { return f_->append(data); }
    Status flush() override { return f_->flush(); }
    Status sync() override {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      return f_->sync();
    }
    Status fsync() override { return f_->fsync(); }
    Status preallocate(uint64_t bytes) override {
      return f_->preallocate(bytes);
    }
    Status truncate(uint64_t size) override { return f_->truncate(size); }
    Status overwrite(uint64_t offset, std::string_view data) override {
      return f_->overwrite(offset, data);
    }
    uint64_t position() const override { return f_->position(); }
    Status close() override { return f_->close(); }
    const std::string& path() const override { return f_->path(); }

   private:
    std::unique_ptr<WritableFile> f_;
  };

  static Result<std::unique_ptr<WritableFile>> wrap(
      Result<std::unique_ptr<WritableFile>> f) {
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new File(std::move(*f)));
  }
};

// Samples durable_lsn() until `stop` and counts the times it went down.
class DurableWatcher {
 public:
  explicit DurableWatcher(LogWriter* w)
      : thread_([this, w] {
          Lsn last = 0;
          while (!stop_.load()) {
            Lsn now = w->durable_lsn();
            if (now < last) ++backwards_;
            last = now;
            std::this_thread::yield();
          }
        }) {}
  ~DurableWatcher() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int backwards() const { return backwards_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> backwards_{0};
  std::thread thread_;
};

TEST(LogGroupCommitConcurrent, ThirtyTwoStrictThreadsReturnOnlyOnceDurable) {
  auto env = new_mem_env();
  LogWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::strict();
  o.segment_size = 8192;  // rotations between groups, too
  auto w = LogWriter::open("/log", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  DurableWatcher watcher(w->get());
  constexpr int kThreads = 32;
  constexpr int kBatches = 40;
  std::atomic<int> failures{0};
  std::atomic<int> not_durable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        auto r = (*w)->append(record_of(t, i));
        if (!r.ok()) {
          ++failures;
          continue;
        }
        if ((*w)->durable_lsn() < r->end_lsn) ++not_durable;
      }
    });
  }
  for (auto& th : threads) th.join();
  watcher.stop();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(not_durable.load(), 0);
  EXPECT_EQ(watcher.backwards(), 0);
  LogWriterStats stats = (*w)->stats();
  EXPECT_EQ(stats.appends, static_cast<uint64_t>(kThreads * kBatches));
  EXPECT_LE(stats.groups, stats.appends);
  ASSERT_TRUE((*w)->close().ok());
  auto all = read_all(env.get(), "/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(all.payloads.size(), static_cast<std::size_t>(kThreads * kBatches));
}

TEST(LogGroupCommitConcurrent, FailedSyncLosesNoAcknowledgedBatch) {
  auto env = std::make_unique<FaultInjectionEnv>(new_mem_env());
  SlowSyncEnv slow(env.get());
  LogWriterOptions o;
  o.env = &slow;
  o.mode = DurabilityMode::strict();
  o.publish_progress = false;
  auto w = LogWriter::open("/log", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  // Some syncs succeed first, so that groups are acknowledged on both sides
  // of the failure.
  env->inject_error(FaultOp::kSync, 25, EIO);
  DurableWatcher watcher(w->get());
  constexpr int kThreads = 16;
  constexpr int kMaxBatches = 200;
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<int> failed{0};
  std::atomic<int> wrong_error{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kMaxBatches; ++i) {
        std::string rec = record_of(t, i);
        auto r = (*w)->append(rec);
        if (!r.ok()) {
          ++failed;
          if (r.status().sys_errno() != EIO) ++wrong_error;
          return;  // poisoned: every later append fails too
        }
        std::lock_guard<std::mutex> l(mu);
        acknowledged.insert(rec);
      }
    });
  }
  for (auto& th : threads) th.join();
  watcher.stop();
  EXPECT_EQ(watcher.backwards(), 0);
  EXPECT_EQ(failed.load(), kThreads);
  EXPECT_EQ(wrong_error.load(), 0);
  EXPECT_EQ((*w)->poisoned().sys_errno(), EIO);
  // Groups had followers, whose acknowledgement the failure must hold back.
  EXPECT_GT((*w)->stats().max_group_size, 1U);
  EXPECT_FALSE((*w)->close().ok());
  w->reset();

  ASSERT_TRUE(env->simulate_power_cut().ok());
  auto all = read_all(env.get(), "/log");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  std::set<std::string> survived(all.payloads.begin(), all.payloads.end());
  std::vector<std::string> lost;
  std::set_difference(acknowledged.begin(), acknowledged.end(),
                      survived.begin(), survived.end(),
                      std::back_inserter(lost));
  EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged batches lost, "
                            << "the first " << lost.front();
  EXPECT_FALSE(acknowledged.empty());
}

}  // namespace
}  // namespace strata::durability::log
