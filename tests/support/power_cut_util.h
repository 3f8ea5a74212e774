// Scaffolding shared by the power-cut properties of the MVCC WAL and the
// Transaction Log (tests/crash/{mvcc,txlog}_power_cut_test.cc): the
// rapidcheck generators of a run of transactions, the durability mode each
// property writes in, and the crash side of a run: an injected fault,
// tracking whether the last write can still be torn, and the power cut.
//
// A generated transaction is a TxnSpec of OpSpecs (small numbers, so that
// rapidcheck shrinks them well); each test turns an OpSpec into an entry
// of its own log.

#ifndef STRATA_DURABILITY_TESTS_SUPPORT_POWER_CUT_UTIL_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_POWER_CUT_UTIL_H_

#include <rapidcheck.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "strata/durability/durability_mode.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/testing/fault_injection_env.h"

namespace strata::durability::crashtest {

// One data operation.
struct OpSpec {
  int kind = 0;  // 0..7
  int key = 0;   // 0..5
  int size = 0;  // payload bytes
};

// How a generated transaction is written.
enum class TxnStyle : int {
  kAtomic = 0,        // one batch (append_transaction, commit_atomic)
  kEntryByEntry = 1,  // one append per entry, then the commit
  kAborted = 2,       // one append per entry, then the abort
};

struct TxnSpec {
  int style = 0;  // a TxnStyle
  int run = 0;    // which test run id (0: none, where the log allows it)
  std::vector<OpSpec> ops;
  bool sync_after = false;    // None/Batched: call sync() after it
  bool marker_after = false;  // a checkpoint / snapshot marker after it
};

inline rc::Gen<OpSpec> gen_op() {
  return rc::gen::build<OpSpec>(
      rc::gen::set(&OpSpec::kind, rc::gen::inRange(0, 8)),
      rc::gen::set(&OpSpec::key, rc::gen::inRange(0, 6)),
      rc::gen::set(&OpSpec::size, rc::gen::weightedOneOf<int>(
                                      {{4, rc::gen::inRange(0, 64)},
                                       {1, rc::gen::inRange(64, 900)}})));
}

// Transactions with a run in [min_run, 3) and up to 8 ops (at least one
// unless empty ones are allowed).
inline rc::Gen<TxnSpec> gen_txn(int min_run, bool allow_empty) {
  auto ops = rc::gen::container<std::vector<OpSpec>>(gen_op());
  return rc::gen::build<TxnSpec>(
      rc::gen::set(&TxnSpec::style,
                   rc::gen::weightedOneOf<int>({{5, rc::gen::just(0)},
                                                {2, rc::gen::just(1)},
                                                {1, rc::gen::just(2)}})),
      rc::gen::set(&TxnSpec::run, rc::gen::inRange(min_run, 3)),
      rc::gen::set(
          &TxnSpec::ops,
          rc::gen::resize(8, allow_empty ? ops : rc::gen::nonEmpty(ops))),
      rc::gen::set(&TxnSpec::sync_after, rc::gen::arbitrary<bool>()),
      rc::gen::set(&TxnSpec::marker_after,
                   rc::gen::weightedOneOf<bool>(
                       {{5, rc::gen::just(false)}, {1, rc::gen::just(true)}})));
}

enum class ModeChoice : int { kStrict = 0, kBatched = 1, kNone = 2 };

inline DurabilityMode mode_of(ModeChoice m) {
  switch (m) {
    case ModeChoice::kStrict:
      return DurabilityMode::strict();
    case ModeChoice::kBatched:
      // The syncer never fires on its own during the test, so what is
      // durable is decided by the explicit sync() calls.
      return DurabilityMode::batched(3600 * 1000, 1U << 30);
    case ModeChoice::kNone:
      break;
  }
  return DurabilityMode::none();
}

// How a log written in that mode is recovered after a power cut.
inline log::RecoveryMode recovery_of(ModeChoice m) {
  return m == ModeChoice::kStrict ? log::RecoveryMode::kTolerateCorruptedTail
                                  : log::RecoveryMode::kPointInTime;
}

// Whether `got` is exactly the first got.size() of `written`.
template <typename T>
bool is_prefix(const std::vector<T>& got, const std::vector<T>& written) {
  return got.size() <= written.size() &&
         std::equal(got.begin(), got.end(), written.begin());
}

// The trace up to and including its last append to a segment file (the
// writer's PROGRESS file is rewritten after each write, so the trace's last
// op is not the log's last append).
inline std::vector<testing::EnvOp> through_last_segment_append(
    std::vector<testing::EnvOp> trace) {
  auto is_segment_append = [](const testing::EnvOp& op) {
    return op.type == testing::EnvOp::Type::kAppend &&
           op.path.ends_with(".seg");
  };
  while (!trace.empty() && !is_segment_append(trace.back())) trace.pop_back();
  return trace;
}

// How many of the acknowledged commits (their LSNs, ascending) lie below
// the LSN the writer reports durable.
inline std::size_t commits_below(const std::vector<log::Lsn>& commit_lsns,
                                 log::Lsn durable_lsn) {
  std::size_t n = 0;
  while (n < commit_lsns.size() && commit_lsns[n] < durable_lsn) ++n;
  return n;
}

// The crash side of one generated run on `env`. The constructor draws and
// injects an optional fault: 0 none, 1 EIO on append, 2 ENOSPC on append
// (with part of the data written), 3 EIO on sync, 4 to 6 a failed rotation
// step (ENOSPC on create, EIO on rename or directory sync).
class PowerCut {
 public:
  // `bytes_written` reads the writer's count of bytes written.
  PowerCut(testing::FaultInjectionEnv* env,
           std::function<uint64_t()> bytes_written)
      : env_(env), bytes_written_(std::move(bytes_written)) {
    using testing::FaultOp;
    fault_ = *rc::gen::weightedOneOf<int>(
        {{3, rc::gen::just(0)}, {2, rc::gen::inRange(1, 7)}});
    fault_nth_ = *rc::gen::inRange<uint64_t>(1, 25);
    if (fault_ == 1) env_->inject_error(FaultOp::kAppend, fault_nth_, EIO);
    fault_partial_ = *rc::gen::inRange<std::size_t>(0, 40);
    if (fault_ == 2) {
      env_->inject_error(FaultOp::kAppend, fault_nth_, ENOSPC, fault_partial_);
    }
    if (fault_ == 3) env_->inject_error(FaultOp::kSync, fault_nth_, EIO);
    // Failures of a segment rotation's steps (small nth: rotations are few).
    if (fault_ == 4) {
      env_->inject_error(FaultOp::kCreate, fault_nth_ % 4 + 1, ENOSPC);
    }
    if (fault_ == 5) {
      env_->inject_error(FaultOp::kRename, fault_nth_ % 4 + 1, EIO);
    }
    if (fault_ == 6) {
      env_->inject_error(FaultOp::kSyncDir, fault_nth_ % 4 + 1, EIO);
    }
  }

  // Runs one log call (fn returns whether it succeeded), noting whether
  // its last file append is unsynced (then the cut may tear it) and
  // whether it failed.
  template <typename Fn>
  bool call(Fn&& fn) {
    using testing::FaultOp;
    const uint64_t a0 = env_->op_count(FaultOp::kAppend);
    const uint64_t s0 = env_->op_count(FaultOp::kSync);
    const uint64_t b0 = bytes_written_();
    const bool ok = fn();
    const uint64_t a1 = env_->op_count(FaultOp::kAppend);
    const uint64_t s1 = env_->op_count(FaultOp::kSync);
    // No successful sync after the append: either none at all, or the one
    // sync of the call is the injected failure (nothing syncs after it).
    const bool no_good_sync =
        s1 == s0 || (!ok && fault_ == 3 && s1 == s0 + 1 && s1 >= fault_nth_);
    // A failed append that wrote nothing is not the env's last append.
    const bool wrote_nothing =
        !ok &&
        (fault_ == 1 || (fault_ == 2 && fault_partial_ == 0) || fault_ >= 4);
    if (a1 > a0) {
      last_call_tearable_ = no_good_sync && !wrote_nothing;
      last_call_bytes_ = bytes_written_() - b0;
    } else if (s1 > s0) {
      last_call_tearable_ = false;
    }
    if (!ok) failed_ = true;
    return ok;
  }

  // Whether a call has failed (the writer is poisoned).
  bool failed() const { return failed_; }

  // Sometimes tears the last write if it was never synced, clears the
  // injected errors and cuts the power: mostly a full cut; sometimes the
  // disk kept unsynced directory changes or unsynced data (as after a
  // process crash).
  void cut() {
    using testing::TearMode;
    if (last_call_tearable_ && *rc::gen::arbitrary<bool>()) {
      const auto mode = *rc::gen::element(TearMode::kCut, TearMode::kZeros,
                                          TearMode::kGarbage);
      const auto keep = *rc::gen::inRange<std::size_t>(
          0, static_cast<std::size_t>(std::max<uint64_t>(1, last_call_bytes_)));
      RC_LOG() << "tear " << static_cast<int>(mode) << " keep " << keep
               << " of " << last_call_bytes_ << "\n";
      Status s = env_->tear_last_write(mode, keep);
      if (s.is_invalid_argument()) s = env_->tear_last_write(mode, 0);
      RC_ASSERT(s.ok());
    }
    env_->clear_errors();
    testing::PowerCutOptions opts;
    opts.drop_unsynced_data = *rc::gen::weightedOneOf<bool>(
        {{4, rc::gen::just(true)}, {1, rc::gen::just(false)}});
    opts.drop_unsynced_dir_ops = *rc::gen::weightedOneOf<bool>(
        {{4, rc::gen::just(true)}, {1, rc::gen::just(false)}});
    RC_ASSERT(env_->simulate_power_cut(opts).ok());
  }

 private:
  testing::FaultInjectionEnv* env_;
  std::function<uint64_t()> bytes_written_;
  int fault_ = 0;
  uint64_t fault_nth_ = 0;
  std::size_t fault_partial_ = 0;
  bool failed_ = false;
  bool last_call_tearable_ = false;
  uint64_t last_call_bytes_ = 0;
};

}  // namespace strata::durability::crashtest

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_POWER_CUT_UTIL_H_
