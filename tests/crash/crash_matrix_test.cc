// The ALICE-style crash matrix (issue 7, part 1). A workload on each kind
// of log (raw core log, MVCC WAL, Transaction Log) in each DurabilityMode
// (Strict, Batched, None), with segments small enough to rotate and a
// retirement of old segments in the middle (truncate_before /
// remove_segments_before), is recorded through FaultInjectionEnv. Then, for
// every prefix of the trace (a fixed-seed sample in CI; all of them with
// -DSTRATA_LONG_TESTS=ON), with the prefix's last operation torn when it is
// an append (cut, zero-filled or garbage-filled at several points), and
// with unsynced data and directory operations dropped or kept, the crash
// state is rebuilt and recovered (PointInTime for Batched and None logs,
// the default mode for Strict ones). Each must hold:
//   - recovery succeeds (NotFound only before the first transaction);
//   - no partial transaction;
//   - the transactions recovered are exactly a contiguous run of the
//     committed ones in commit order, starting at the first one or at the
//     first one the retirement kept;
//   - every transaction acknowledged by a Strict append before the crash
//     point is there, and in every mode every transaction whose bytes a
//     sync of their file covered before the crash point;
//   - in Batched mode, every transaction acknowledged longer ago than the
//     interval is there. The Batched workloads run on a manual clock
//     (testing::ManualClockEnv) that the workload moves in 1 ms ticks
//     between transactions; each tick returns only once the syncer has
//     done what it calls for, so the trace is the same on every run and
//     each op in it has a known time. A crash between ops p-1 and p can
//     happen as late as op p's time, so every transaction acknowledged
//     more than interval_ms before that time must be recovered;
//   - nothing that was never written (a transaction whose append is not in
//     the prefix);
//   - the log then reopens for writing, takes one more transaction, and
//     reads back as before plus that one.
// Strict and Batched workloads preallocate segments (the default), so the
// writer's preparer zero-fills the next segment on its own thread: its ops
// interleave with the workload's as the scheduler has it, and how many
// rotations take a prepared file varies from run to run (the count is
// printed; a failure names the crash state's ops). A few workloads run
// without preallocation too; tests/crash/prealloc_crash_test.cc checks
// every crash state of a deterministic preallocating run.
// The number of crash states checked goes to stdout.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "strata/durability/testing/fault_injection_env.h"
#include "strata/durability/testing/manual_clock_env.h"
#include "log/format.h"
#include "support/crash_test_util.h"

namespace strata::durability::crashtest {
namespace {

using log::LogKind;
using log::RecoveryMode;
using testing::CrashStateOptions;
using testing::EnvOp;
using testing::FaultInjectionEnv;
using testing::ManualClockEnv;
using testing::TearMode;

constexpr const char* kRoot = "/db";
constexpr const char* kDir = "/db/log";
constexpr uint64_t kSegmentSize = 400;
constexpr int kTxns = 14;
constexpr int kRetireAfter = 7;  // retire old segments after this many
constexpr int kAfterCrashId = 100000;
// Crash states checked per workload in CI. With LONG_TESTS every state is
// checked, and a torn append is torn at every byte, not just three points.
constexpr std::size_t kCiStatesPerWorkload = 1000;
constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();
// Batched mode: the interval, and how many 1 ms ticks of the manual clock
// pass after transaction i (kTicks[i % size]), so that some transactions
// are synced by the syncer, some wait for a later one, and some crash
// states fall inside an interval.
constexpr uint64_t kIntervalMs = 3;
constexpr int kTicks[] = {0, 1, 0, 2, 4, 1, 3};
constexpr uint64_t kTickNanos = 1000 * 1000;

enum class Mode { kStrict, kBatched, kNone };

const char* mode_label(Mode m) {
  switch (m) {
    case Mode::kStrict:
      return "strict";
    case Mode::kBatched:
      return "batched";
    case Mode::kNone:
      return "none";
  }
  return "?";
}

DurabilityMode durability(Mode m) {
  switch (m) {
    case Mode::kStrict:
      return DurabilityMode::strict();
    case Mode::kBatched:
      return DurabilityMode::batched(kIntervalMs, 1000);
    case Mode::kNone:
      return DurabilityMode::none();
  }
  return DurabilityMode::none();
}

RecoveryMode recovery_mode(Mode m) {
  return m == Mode::kStrict ? RecoveryMode::kTolerateCorruptedTail
                            : RecoveryMode::kPointInTime;
}

int parts_of(int id) { return 1 + id % 3; }

// A recorded workload and what it acknowledged, in trace positions (a
// position is a prefix length: the number of ops before the crash).
struct Workload {
  LogKind kind = LogKind::kRaw;
  Mode mode = Mode::kStrict;
  // Segments zero-filled ahead of use (the default; the preparer's ops are
  // in the trace, so crash states fall inside a preparation and inside a
  // rotation into a prepared file) or growing with each append.
  bool preallocate = true;
  std::vector<EnvOp> trace;
  // Strict only: the trace length when write(i) returned.
  std::vector<std::size_t> acked_at;
  // The shortest prefix holding transaction i's append / a sync covering it.
  std::vector<std::size_t> written_at;
  std::vector<std::size_t> durable_at;
  std::size_t retire_begin = 0;  // trace length when the retirement began
  int first_kept = 0;            // the first transaction left after it
  // Batched only: the manual clock when write(i) returned, and the clock's
  // moves as (trace length when it moved, new time), in order.
  std::vector<uint64_t> ack_nanos;
  std::vector<std::pair<std::size_t, uint64_t>> clock_moves;
  uint64_t end_nanos = 0;  // the clock when the run ended

  // The latest time a crash after the first p ops can happen: the time of
  // op p (when the crash has to come before it), or the end of the run.
  uint64_t latest_crash_nanos(std::size_t p) const {
    if (p >= trace.size()) return end_nanos;
    uint64_t t = 0;
    for (const auto& [at, nanos] : clock_moves) {
      if (at <= p) t = nanos;
    }
    return t;
  }
};

void record_workload(Workload* w) {
  auto base = new_mem_env();
  ASSERT_TRUE(base->create_dir(kRoot).ok());
  ManualClockEnv clock(base.get());
  FaultInjectionEnv env(&clock);
  ASSERT_TRUE(env.start_recording(kRoot).ok());
  w->acked_at.assign(kTxns, kNever);
  w->ack_nanos.assign(kTxns, std::numeric_limits<uint64_t>::max());
  {
    auto log =
        TxnLog::open(w->kind, &env, kDir, durability(w->mode), kSegmentSize,
                     RecoveryMode::kTolerateCorruptedTail, w->preallocate);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    for (int i = 0; i < kTxns; ++i) {
      if (i == kRetireAfter) {
        // The Batched syncer does nothing between ticks of the manual
        // clock, so the trace's length is stable here.
        ASSERT_TRUE((*log)->sync().ok());
        w->retire_begin = env.trace().size();
        auto removed = (*log)->retire_to_end();
        ASSERT_TRUE(removed.ok()) << removed.status().to_string();
        ASSERT_GT(*removed, 0u) << "the workload should retire a segment";
      }
      Status s = (*log)->write(i, parts_of(i));
      ASSERT_TRUE(s.ok()) << s.to_string();
      if (w->mode == Mode::kStrict) w->acked_at[i] = env.trace().size();
      if (w->mode == Mode::kNone && i % 5 == 3) {
        ASSERT_TRUE((*log)->sync().ok());
      }
      if (w->mode == Mode::kBatched) {
        w->ack_nanos[i] = clock.monotonic_nanos();
        for (int t = 0; t < kTicks[i % std::size(kTicks)]; ++t) {
          // advance() waits for the syncer to finish what the last tick
          // started, so the ops before the move are all in the trace.
          clock.wait_until_quiet();
          w->clock_moves.emplace_back(env.trace().size(),
                                      clock.monotonic_nanos() + kTickNanos);
          clock.advance(kTickNanos);
        }
      }
    }
    ASSERT_TRUE((*log)->close().ok());
  }
  w->end_nanos = clock.monotonic_nanos();
  env.stop_recording();
  w->trace = env.trace();

  // Where each transaction's bytes were appended, and first synced.
  w->written_at.assign(kTxns, kNever);
  w->durable_at.assign(kTxns, kNever);
  for (int i = 0; i < kTxns; ++i) {
    const std::string mark = part_name(i, 0, parts_of(i));
    for (std::size_t x = 0; x < w->trace.size(); ++x) {
      const EnvOp& op = w->trace[x];
      if (op.type != EnvOp::Type::kAppend ||
          op.data.find(mark) == std::string::npos) {
        continue;
      }
      w->written_at[i] = x + 1;
      for (std::size_t y = x + 1; y < w->trace.size(); ++y) {
        const EnvOp& s = w->trace[y];
        if ((s.type == EnvOp::Type::kSync || s.type == EnvOp::Type::kFsync) &&
            s.handle == op.handle) {
          w->durable_at[i] = y + 1;
          break;
        }
      }
      break;
    }
    ASSERT_NE(w->written_at[i], kNever) << "transaction " << i;
  }

  // The first transaction the finished log still holds.
  Recovered all =
      recover(w->kind, &env, kDir, RecoveryMode::kTolerateCorruptedTail);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_FALSE(all.txns.empty());
  w->first_kept = all.txns.front();
  ASSERT_GT(w->first_kept, 0) << "the retirement should drop transactions";
  ASSERT_EQ(static_cast<int>(all.txns.size()), kTxns - w->first_kept);
}

struct CrashCase {
  std::size_t prefix = 0;
  CrashStateOptions opts;
};

std::string describe(const Workload& w, const CrashCase& c) {
  static const char* kTears[] = {"none", "cut", "zeros", "garbage"};
  std::string s = std::string(kind_label(w.kind)) + "/" + mode_label(w.mode) +
                  ": crash after " + std::to_string(c.prefix) + " of " +
                  std::to_string(w.trace.size()) + " ops";
  if (c.prefix > 0)
    s += " (last: " + testing::describe(w.trace[c.prefix - 1]) + ")";
  s += ", tear " + std::string(kTears[static_cast<int>(c.opts.tear_mode)]);
  if (c.opts.tear_mode != TearMode::kNone) {
    s += " keeping " + std::to_string(c.opts.tear_keep_bytes) + " bytes";
  }
  s += c.opts.drop_unsynced_data ? ", unsynced data dropped"
                                 : ", unsynced data kept";
  s += c.opts.drop_unsynced_dir_ops ? ", unsynced dir ops dropped"
                                    : ", unsynced dir ops kept";
  return s;
}

std::vector<CrashCase> all_cases(const Workload& w) {
  std::vector<CrashCase> cases;
  for (std::size_t p = 0; p <= w.trace.size(); ++p) {
    std::vector<CrashStateOptions> tears = {{}};
    if (p > 0 && w.trace[p - 1].type == EnvOp::Type::kAppend) {
      const std::size_t len = w.trace[p - 1].data.size();
      std::vector<std::size_t> keeps;
      if (STRATA_LONG_TESTS) {
        for (std::size_t k = 0; k < len; ++k) keeps.push_back(k);
      } else if (len > 0) {
        keeps = {0, len / 2, len - 1};
        keeps.erase(std::unique(keeps.begin(), keeps.end()), keeps.end());
      }
      for (TearMode m :
           {TearMode::kCut, TearMode::kZeros, TearMode::kGarbage}) {
        for (std::size_t keep : keeps) {
          CrashStateOptions o;
          o.tear_mode = m;
          o.tear_keep_bytes = keep;
          tears.push_back(o);
        }
      }
    }
    for (const CrashStateOptions& t : tears) {
      for (bool drop_data : {true, false}) {
        for (bool drop_dir : {true, false}) {
          CrashCase c;
          c.prefix = p;
          c.opts = t;
          c.opts.drop_unsynced_data = drop_data;
          c.opts.drop_unsynced_dir_ops = drop_dir;
          cases.push_back(c);
        }
      }
    }
  }
  return cases;
}

struct Stats {
  uint64_t recovered_txns = 0;          // summed over the states
  uint64_t states_losing_unsynced = 0;  // recovered fewer than written
  // Batched: (state, transaction) pairs where the interval had passed
  // since the acknowledgement, so the transaction had to be recovered.
  uint64_t interval_checks = 0;
};

// Checks one crash state; false when it failed (the caller stops early).
bool check_crash_state(const Workload& w, const CrashCase& c, Stats* stats) {
  SCOPED_TRACE(describe(w, c));
  auto state = testing::materialize_crash_state(w.trace, c.prefix, c.opts);
  EXPECT_TRUE(state.ok()) << state.status().to_string();
  if (!state.ok()) return false;
  Env* env = state->get();
  const std::size_t p = c.prefix;

  Recovered got = recover(w.kind, env, kDir, recovery_mode(w.mode));
  if (got.status.is_not_found()) {
    // No log yet: only before the first transaction's bytes.
    EXPECT_LT(p, w.written_at[0]) << got.status.to_string();
  } else {
    EXPECT_TRUE(got.status.ok()) << got.status.to_string();
  }
  EXPECT_TRUE(got.partial.empty()) << got.partial.front();
  if (::testing::Test::HasFailure()) return false;

  // A contiguous run of the committed transactions, from the start or
  // from the first one the retirement kept.
  int a = got.txns.empty() ? 0 : got.txns.front();
  EXPECT_TRUE(a == 0 || a == w.first_kept) << "recovery starts at " << a;
  if (a != 0) {
    EXPECT_GT(p, w.retire_begin) << "retired before it began";
  }
  for (std::size_t k = 0; k < got.txns.size(); ++k) {
    EXPECT_EQ(got.txns[k], a + static_cast<int>(k)) << "not in commit order";
  }
  int end = a + static_cast<int>(got.txns.size());
  stats->recovered_txns += got.txns.size();
  int written = 0;
  while (written < kTxns && w.written_at[written] <= p) ++written;
  if (end < written) ++stats->states_losing_unsynced;
  for (int i = 0; i < kTxns; ++i) {
    bool recovered = i >= a && i < end;
    if (recovered) {
      EXPECT_LE(w.written_at[i], p)
          << "transaction " << i << " was never written";
    }
    // A log that lost its retired prefix starts at first_kept.
    int floor = got.txns.empty() && p > w.retire_begin ? w.first_kept : a;
    if (i < floor) continue;
    if (w.acked_at[i] <= p) {
      EXPECT_TRUE(recovered)
          << "transaction " << i << " was acknowledged (Strict) but is lost";
    }
    if (w.durable_at[i] <= p) {
      EXPECT_TRUE(recovered)
          << "transaction " << i << " was synced but is lost";
    }
    if (w.mode == Mode::kBatched &&
        w.ack_nanos[i] + kIntervalMs * kTickNanos < w.latest_crash_nanos(p)) {
      ++stats->interval_checks;
      EXPECT_TRUE(recovered)
          << "transaction " << i << " was acknowledged at "
          << w.ack_nanos[i] / kTickNanos << " ms, more than " << kIntervalMs
          << " ms (the interval) before the crash at "
          << w.latest_crash_nanos(p) / kTickNanos << " ms, but is lost";
    }
  }
  if (::testing::Test::HasFailure()) return false;

  // The log reopens, takes a transaction, and reads back.
  {
    auto log = TxnLog::open(w.kind, env, kDir, DurabilityMode::strict(),
                            kSegmentSize, recovery_mode(w.mode));
    EXPECT_TRUE(log.ok()) << "reopen: " << log.status().to_string();
    if (!log.ok()) return false;
    Status s = (*log)->write(kAfterCrashId, 2);
    EXPECT_TRUE(s.ok()) << s.to_string();
    EXPECT_TRUE((*log)->close().ok());
  }
  Recovered after =
      recover(w.kind, env, kDir, RecoveryMode::kTolerateCorruptedTail);
  EXPECT_TRUE(after.status.ok())
      << "after reopen: " << after.status.to_string();
  std::vector<int> expect = got.txns;
  expect.push_back(kAfterCrashId);
  EXPECT_EQ(after.txns, expect);
  return !::testing::Test::HasFailure();
}

void run_matrix(LogKind kind, Mode mode, bool preallocate = true) {
  Workload w;
  w.kind = kind;
  w.mode = mode;
  w.preallocate = preallocate;
  record_workload(&w);
  if (::testing::Test::HasFatalFailure()) return;
  std::vector<CrashCase> cases = all_cases(w);
  const std::size_t total = cases.size();
  if (!STRATA_LONG_TESTS && cases.size() > kCiStatesPerWorkload) {
    std::mt19937_64 rng(0x5eed0000u + static_cast<unsigned>(kind) * 16u +
                        static_cast<unsigned>(mode));
    std::shuffle(cases.begin(), cases.end(), rng);
    cases.resize(kCiStatesPerWorkload);
  }
  std::size_t checked = 0;
  Stats stats;
  for (const CrashCase& c : cases) {
    ++checked;
    if (!check_crash_state(w, c, &stats)) break;
  }
  int synced = 0;
  for (int i = 0; i < kTxns; ++i) synced += w.durable_at[i] != kNever;
  // The workload's own sanity: some transactions are synced mid-run, and
  // some crash states lose unsynced ones (else the matrix tests little).
  EXPECT_GT(synced, 0);
  EXPECT_GT(stats.recovered_txns, 0u);
  if (mode == Mode::kBatched) {
    EXPECT_GT(stats.interval_checks, 0u);
  }
  std::size_t prepared = 0;  // rotations into a prepared file
  for (const EnvOp& op : w.trace) {
    if (op.type == EnvOp::Type::kRename &&
        op.path.ends_with(log::kPreparedSuffix)) {
      ++prepared;
    }
  }
  if (!preallocate || mode == Mode::kNone) {
    EXPECT_EQ(prepared, 0U);
  }
  std::cout << "crash matrix " << kind_label(kind) << "/" << mode_label(mode)
            << (preallocate ? "" : " (no preallocation)") << ": "
            << w.trace.size() << " trace ops (" << prepared
            << " rotations into prepared segments), checked " << checked
            << " of " << total << " crash states (" << stats.recovered_txns
            << " transactions recovered in all, "
            << stats.states_losing_unsynced << " states lost unsynced ones; "
            << synced << " of " << kTxns
            << " transactions synced by the end of the run"
            << (mode == Mode::kBatched
                    ? "; " + std::to_string(stats.interval_checks) +
                          " checks of a transaction acknowledged more than "
                          "the interval before the crash"
                    : std::string())
            << ")" << (STRATA_LONG_TESTS ? " [long]" : " [CI sample]") << "\n";
}

TEST(CrashMatrix, RawLogStrictRecoversAPrefixWithEveryAcknowledgedBatch) {
  run_matrix(LogKind::kRaw, Mode::kStrict);
}
TEST(CrashMatrix, RawLogBatchedRecoversEveryBatchOlderThanTheInterval) {
  run_matrix(LogKind::kRaw, Mode::kBatched);
}
TEST(CrashMatrix, RawLogNoneRecoversAPrefixWithEverySyncedBatch) {
  run_matrix(LogKind::kRaw, Mode::kNone);
}
TEST(CrashMatrix, MvccWalStrictRecoversAPrefixWithEveryAcknowledgedTxn) {
  run_matrix(LogKind::kMvcc, Mode::kStrict);
}
TEST(CrashMatrix, MvccWalBatchedRecoversEveryTxnOlderThanTheInterval) {
  run_matrix(LogKind::kMvcc, Mode::kBatched);
}
TEST(CrashMatrix, MvccWalNoneRecoversAPrefixWithEverySyncedTxn) {
  run_matrix(LogKind::kMvcc, Mode::kNone);
}
TEST(CrashMatrix, TxLogStrictRecoversAPrefixWithEveryAcknowledgedTxn) {
  run_matrix(LogKind::kTxLog, Mode::kStrict);
}
TEST(CrashMatrix, TxLogBatchedRecoversEveryTxnOlderThanTheInterval) {
  run_matrix(LogKind::kTxLog, Mode::kBatched);
}
TEST(CrashMatrix, TxLogNoneRecoversAPrefixWithEverySyncedTxn) {
  run_matrix(LogKind::kTxLog, Mode::kNone);
}
// The same without preallocated segments (the default preallocates in
// Strict and Batched modes).
TEST(CrashMatrix, RawLogStrictWithoutPreallocationRecoversEveryAckedBatch) {
  run_matrix(LogKind::kRaw, Mode::kStrict, /*preallocate=*/false);
}
TEST(CrashMatrix, RawLogBatchedWithoutPreallocationRecoversOlderBatches) {
  run_matrix(LogKind::kRaw, Mode::kBatched, /*preallocate=*/false);
}
TEST(CrashMatrix, MvccWalStrictWithoutPreallocationRecoversEveryAckedTxn) {
  run_matrix(LogKind::kMvcc, Mode::kStrict, /*preallocate=*/false);
}
TEST(CrashMatrix, TxLogBatchedWithoutPreallocationRecoversOlderTxns) {
  run_matrix(LogKind::kTxLog, Mode::kBatched, /*preallocate=*/false);
}

}  // namespace
}  // namespace strata::durability::crashtest
