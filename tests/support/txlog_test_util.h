// Helpers shared by the Transaction Log tests: an in-memory Env with a
// settable wall clock, and short ways to open a writer and replay a log.

#ifndef STRATA_DURABILITY_TESTS_SUPPORT_TXLOG_TEST_UTIL_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_TXLOG_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "strata/durability/env.h"
#include "strata/durability/txlog/recovery.h"
#include "strata/durability/txlog/wal_reader.h"
#include "strata/durability/txlog/wal_writer.h"

namespace strata::durability::txlog::testutil {

// An EnvWrapper whose wall clock the test sets (0 = the real clock).
class ClockEnv : public EnvWrapper {
 public:
  explicit ClockEnv(Env* target) : EnvWrapper(target) {}
  void set_now_micros(uint64_t t) { now_.store(t); }
  uint64_t now_micros() override {
    uint64_t t = now_.load();
    return t != 0 ? t : target()->now_micros();
  }

 private:
  std::atomic<uint64_t> now_{0};
};

// A test fixture base: a private MemEnv, a clock, and a log directory.
class TxlogTest : public ::testing::Test {
 protected:
  TxlogTest() : mem_(new_mem_env()), env_(mem_.get()) {}

  WalWriterOptions writer_options(
      DurabilityMode mode = DurabilityMode::strict()) {
    WalWriterOptions o;
    o.env = &env_;
    o.mode = mode;
    return o;
  }

  std::unique_ptr<WalWriter> open_writer(
      DurabilityMode mode = DurabilityMode::strict()) {
    return open_writer_with(writer_options(mode));
  }
  std::unique_ptr<WalWriter> open_writer_with(const WalWriterOptions& o) {
    auto w = WalWriter::open(dir_, o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(w).value() : nullptr;
  }

  RecoveryOptions recovery_options(
      RecoveryOptions o = RecoveryOptions::default_options()) {
    o.env = &env_;
    return o;
  }

  // Replays from the start with default options; fails the test on error.
  ReplayOutput replay(RecoveryOptions o = RecoveryOptions::default_options(),
                      log::Lsn from = 0) {
    o.env = &env_;
    auto out = RecoveryEngine::replay_wal_committed(dir_, from, o);
    EXPECT_TRUE(out.ok()) << out.status().to_string();
    return out.ok() ? std::move(out).value() : ReplayOutput{};
  }

  std::unique_ptr<Env> mem_;
  ClockEnv env_;
  std::string dir_ = "/txlog";
};

// The value of a Result, or a test failure and T{}.
template <typename T>
T must(Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.status().to_string();
    return T{};
  }
  return std::move(r).value();
}

}  // namespace strata::durability::txlog::testutil

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_TXLOG_TEST_UTIL_H_
