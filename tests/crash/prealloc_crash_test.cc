// Power cuts around preallocated segments: a Strict raw log with small
// segments is recorded through FaultInjectionEnv, waiting for the preparer
// after every append so that each rotation takes a prepared file and the
// trace is the same on every run. Then every prefix of the trace (a power
// cut after it: while a prepared file is zero-filled, while its header is
// written, before or after its rename, before the seal, while records go
// over its zeros), with the last append torn three ways, is rebuilt and
// must:
//   - read without corruption (a torn tail at most), holding a prefix of
//     the records written that includes every acknowledged one;
//   - reopen for writing, take one more record, and read back as before
//     plus that one, with no prepared file left behind.

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "strata/durability/testing/fault_injection_env.h"
#include "log/progress_file.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testing::CrashStateOptions;
using testing::EnvOp;
using testing::FaultInjectionEnv;
using testing::TearMode;
using testutil::payload_for;
using testutil::read_all;

constexpr const char* kDir = "/db/log";
constexpr uint64_t kSegment = 512;
constexpr int kRecords = 80;

struct Recorded {
  std::vector<EnvOp> trace;
  std::vector<std::string> payloads;
  std::vector<std::size_t> acked_at;  // trace length when append returned
  LogWriterStats stats;
};

LogWriterOptions writer_options(Env* env) {
  LogWriterOptions o;
  o.env = env;
  o.mode = DurabilityMode::strict();
  o.segment_size = kSegment;
  o.publish_progress = false;  // fewer ops; PROGRESS is not under test here
  return o;
}

void record(Recorded* r) {
  FaultInjectionEnv env(new_mem_env());
  ASSERT_TRUE(env.create_dir("/db").ok());
  ASSERT_TRUE(env.start_recording("/db").ok());
  {
    auto w = LogWriter::open(kDir, writer_options(&env));
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (int i = 0; i < kRecords; ++i) {
      r->payloads.push_back(payload_for(i, 30 + (i % 4) * 10));
      auto a = (*w)->append(r->payloads.back());
      ASSERT_TRUE(a.ok()) << a.status().to_string();
      r->acked_at.push_back(env.trace().size());
      // The preparer's ops land in the trace before the next append's.
      WriterAccess::wait_preparer_idle(w->get());
    }
    r->stats = (*w)->stats();
    ASSERT_TRUE((*w)->close().ok());
  }
  env.stop_recording();
  r->trace = env.trace();
}

// Whether got is a prefix of want.
bool is_prefix(const std::vector<std::string>& got,
               const std::vector<std::string>& want) {
  return got.size() <= want.size() &&
         std::equal(got.begin(), got.end(), want.begin());
}

TEST(PreallocCrash, EveryPowerCutAroundPreallocatedSegmentsKeepsAckedRecords) {
  Recorded r;
  record(&r);
  if (::testing::Test::HasFatalFailure()) return;
  // The workload's own sanity: it rotated into prepared files.
  ASSERT_GE(r.stats.rotations, 4U);
  EXPECT_EQ(r.stats.preallocated_segments, r.stats.rotations);
  std::size_t states = 0;
  std::size_t prepared_renames = 0;
  for (const EnvOp& op : r.trace) {
    if (op.type == EnvOp::Type::kRename && op.path.ends_with(kPreparedSuffix)) {
      ++prepared_renames;
    }
  }
  EXPECT_EQ(prepared_renames, r.stats.preallocated_segments);

  for (std::size_t p = 0; p <= r.trace.size(); ++p) {
    std::vector<CrashStateOptions> cases = {{}};
    // The OS kept what the process wrote (the data survives, unsynced
    // directory operations do not).
    CrashStateOptions kept;
    kept.drop_unsynced_data = false;
    cases.push_back(kept);
    if (p > 0 && r.trace[p - 1].type == EnvOp::Type::kAppend) {
      const std::size_t len = r.trace[p - 1].data.size();
      for (TearMode m :
           {TearMode::kCut, TearMode::kZeros, TearMode::kGarbage}) {
        for (std::size_t keep : {std::size_t{0}, len / 2}) {
          if (keep >= len) continue;
          CrashStateOptions o;
          o.tear_mode = m;
          o.tear_keep_bytes = keep;
          cases.push_back(o);
        }
      }
    }
    for (const CrashStateOptions& c : cases) {
      ++states;
      const std::string where =
          "crash after " + std::to_string(p) + " of " +
          std::to_string(r.trace.size()) + " ops" +
          (p > 0 ? " (last: " + testing::describe(r.trace[p - 1]) + ")"
                 : std::string()) +
          ", tear " + std::to_string(static_cast<int>(c.tear_mode)) +
          " keeping " + std::to_string(c.tear_keep_bytes) +
          (c.drop_unsynced_data ? "" : ", unsynced data kept");
      auto env = testing::materialize_crash_state(r.trace, p, c);
      ASSERT_TRUE(env.ok()) << where << ": " << env.status().to_string();
      auto before = read_all(env->get(), kDir);
      if (before.status.is_not_found()) {
        // Before the log's first segment was durable: nothing acked.
        ASSERT_TRUE(r.acked_at.empty() || r.acked_at[0] > p) << where;
        continue;
      }
      ASSERT_TRUE(before.status.ok())
          << where << ": " << before.status.to_string();
      for (const LogProblem& pr : before.problems) {
        ASSERT_EQ(pr.kind, ProblemKind::kTornTail)
            << where << ": " << pr.to_string();
      }
      ASSERT_TRUE(is_prefix(before.payloads, r.payloads)) << where;
      std::size_t acked = 0;
      while (acked < r.acked_at.size() && r.acked_at[acked] <= p) ++acked;
      ASSERT_GE(before.payloads.size(), acked) << where;

      auto w = LogWriter::open(kDir, writer_options(env->get()));
      ASSERT_TRUE(w.ok()) << where << ": " << w.status().to_string();
      ASSERT_TRUE((*w)->append("after the crash").ok()) << where;
      ASSERT_TRUE((*w)->close().ok()) << where;
      auto after = read_all(env->get(), kDir);
      ASSERT_TRUE(after.status.ok()) << where;
      ASSERT_TRUE(after.problems.empty())
          << where << ": " << after.problems[0].to_string();
      std::vector<std::string> expect = before.payloads;
      expect.push_back("after the crash");
      ASSERT_EQ(after.payloads, expect) << where;
      auto names = (*env)->list_dir(kDir);
      ASSERT_TRUE(names.ok());
      for (const std::string& n : *names) {
        ASSERT_FALSE(is_prepared_segment_file_name(n)) << where << ": " << n;
      }
    }
  }
  std::cout << "preallocation crash states: " << states << " over "
            << r.trace.size() << " trace ops, " << r.stats.rotations
            << " rotations into prepared segments\n";
}

}  // namespace
}  // namespace strata::durability::log
