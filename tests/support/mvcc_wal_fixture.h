// A GoogleTest fixture for MVCC WAL and replay tests: an in-memory Env, a
// log directory, entry builders and a replay helper.

#ifndef STRATA_DURABILITY_TESTS_SUPPORT_MVCC_WAL_FIXTURE_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_MVCC_WAL_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/mvcc/mvcc_store.h"
#include "strata/durability/mvcc/replay.h"
#include "strata/durability/mvcc/wal.h"
#include "support/mvcc_test_util.h"

namespace strata::durability::mvcc::testing {

class MvccWalFixture : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_->create_dir("/db").ok()); }

  std::unique_ptr<WAL> open_wal(
      DurabilityMode mode = DurabilityMode::strict(),
      uint64_t segment_size = log::kDefaultSegmentSize) {
    WalOptions o;
    o.env = env_.get();
    o.mode = mode;
    o.segment_size = segment_size;
    auto w = WAL::open(dir_, o);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(w).value() : nullptr;
  }

  Key key(const std::string& k, const RunId* run = nullptr) const {
    return Key::new_kv(Namespace::for_run(run ? *run : run_), k);
  }
  WALEntry begin(uint64_t txn, RunId run = RunId()) const {
    return BeginTxn{txn, run.is_nil() ? run_ : run, 1000 + txn};
  }
  WALEntry commit(uint64_t txn, RunId run = RunId()) const {
    return CommitTxn{txn, run.is_nil() ? run_ : run};
  }
  WALEntry abort(uint64_t txn, RunId run = RunId()) const {
    return AbortTxn{txn, run.is_nil() ? run_ : run};
  }
  WALEntry write(const std::string& k, Value v, uint64_t version,
                 RunId run = RunId()) const {
    RunId r = run.is_nil() ? run_ : run;
    return Write{r, key(k, &r), std::move(v), version};
  }
  WALEntry del(const std::string& k, uint64_t version,
               RunId run = RunId()) const {
    RunId r = run.is_nil() ? run_ : run;
    return Delete{r, key(k, &r), version};
  }
  // BeginTxn, the entries, CommitTxn.
  std::vector<WALEntry> txn(uint64_t id, std::vector<WALEntry> body,
                            RunId run = RunId()) const {
    std::vector<WALEntry> out;
    out.push_back(begin(id, run));
    for (auto& e : body) out.push_back(std::move(e));
    out.push_back(commit(id, run));
    return out;
  }
  // Appends entries one by one.
  void append_all(WAL* wal, const std::vector<WALEntry>& entries) {
    for (const auto& e : entries) {
      auto r = wal->append(e);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
    }
  }

  Result<ReplayStats> replay(ReplayHandler* handler, ReplayOptions o = {}) {
    o.env = env_.get();
    return replay_wal(dir_, handler, o);
  }
  // Replays into a fresh store; fails the test on an error.
  ReplayStats replay_into(MvccStore* store, ReplayOptions o = {}) {
    auto r = replay(store, std::move(o));
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? std::move(r).value() : ReplayStats{};
  }

  std::optional<Value> get(const MvccStore& s, const std::string& k,
                           RunId run = RunId()) const {
    RunId r = run.is_nil() ? run_ : run;
    auto v = s.get(key(k, &r));
    if (!v) return std::nullopt;
    return v->value;
  }

  std::unique_ptr<Env> env_ = new_mem_env();
  std::string dir_ = "/db/wal";
  RunId run_ = test_run(1);
};

}  // namespace strata::durability::mvcc::testing

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_MVCC_WAL_FIXTURE_H_
