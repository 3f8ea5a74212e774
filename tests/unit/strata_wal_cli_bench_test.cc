// Black-box tests of `strata-wal bench` (STRATA_WAL_BIN, set by
// tools/strata-wal/CMakeLists.txt): a tiny run of each log kind whose JSON
// object must be complete and self-consistent (never its timings), the log
// it keeps must hold exactly the commits it reports, and wrong arguments
// end in one line on stderr and exit code 2.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_process.h"

namespace {

using namespace strata_wal_test;  // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;
using nlohmann::json;

void expect_near_rel(double a, double b, const char* what) {
  EXPECT_NEAR(a, b, 1e-9 + 1e-6 * std::abs(b)) << what;
}

void expect_latency(const json& l) {
  for (const char* k : {"p50", "p99", "p999", "max"}) {
    ASSERT_TRUE(l.contains(k) && l[k].is_number()) << k;
  }
  EXPECT_GT(l["p50"].get<double>(), 0);
  EXPECT_LE(l["p50"].get<double>(), l["p99"].get<double>());
  EXPECT_LE(l["p99"].get<double>(), l["p999"].get<double>());
  EXPECT_LE(l["p999"].get<double>(), l["max"].get<double>());
}

// The figures of one bench object agree with each other and with the run
// that was asked for.
void expect_consistent(const json& j, const std::string& log,
                       const std::string& mode, uint64_t threads, uint64_t txns,
                       uint64_t entries, uint64_t value_size) {
  EXPECT_EQ(j["log"], log);
  EXPECT_EQ(j["mode"], mode);
  EXPECT_EQ(j["threads"].get<uint64_t>(), threads);
  EXPECT_EQ(j["entries"].get<uint64_t>(), entries);
  EXPECT_EQ(j["value_size"].get<uint64_t>(), value_size);
  EXPECT_EQ(j["commits"].get<uint64_t>(), txns);
  EXPECT_EQ(j["entries_written"].get<uint64_t>(), txns * entries);
  const double seconds = j["seconds"].get<double>();
  ASSERT_GT(seconds, 0);
  const double cps = j["commits_per_sec"].get<double>();
  expect_near_rel(cps, static_cast<double>(txns) / seconds, "commits/s");
  expect_near_rel(j["entries_per_sec"].get<double>(),
                  cps * static_cast<double>(entries), "entries/s");
  expect_near_rel(j["mb_per_sec"].get<double>(),
                  cps * static_cast<double>(entries * value_size) / 1e6,
                  "MB/s");
  expect_latency(j["latency_us"]);
  // Every commit writes at least its payload.
  EXPECT_GE(j["log_bytes"].get<uint64_t>(), txns * entries * value_size);
  if (mode == "strict") {
    EXPECT_GE(j["syncs"].get<uint64_t>(), 1U);
  }
  if (mode == "none") {
    EXPECT_EQ(j["syncs"].get<uint64_t>(), 0U);
  }

  const json& c = j["ceilings"];
  const json& sync = c["write_fdatasync"];
  ASSERT_TRUE(sync.is_object());
  EXPECT_EQ(sync["op_bytes"].get<uint64_t>(), entries * value_size);
  EXPECT_GT(sync["ops"].get<uint64_t>(), 0U);
  expect_near_rel(sync["ops_per_sec"].get<double>(),
                  sync["ops"].get<double>() / sync["seconds"].get<double>(),
                  "ceiling ops/s");
  expect_latency(sync["latency_us"]);
  expect_near_rel(j["ratios"]["write_fdatasync"].get<double>(),
                  cps / sync["ops_per_sec"].get<double>(), "sync ratio");
  if (mode == "strict") {
    // A Strict run is compared with the durable ceiling only.
    EXPECT_TRUE(c["write"].is_null());
    EXPECT_TRUE(j["ratios"]["write"].is_null());
  } else {
    const json& w = c["write"];
    ASSERT_TRUE(w.is_object());
    EXPECT_EQ(w["op_bytes"].get<uint64_t>(), entries * value_size);
    expect_near_rel(j["ratios"]["write"].get<double>(),
                    cps / w["ops_per_sec"].get<double>(), "write ratio");
  }
}

json bench_json(const std::vector<std::string>& args) {
  RunResult r = run(args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

TEST(StrataWalCliBench, JsonFiguresAreConsistentForEveryKindAndMode) {
  struct Case {
    const char* log;
    const char* mode;
    uint64_t threads, txns, entries, value_size;
  };
  for (const Case& k :
       {Case{"raw", "strict", 1, 5, 1, 128}, Case{"mvcc", "none", 2, 40, 3, 64},
        Case{"txlog", "batched", 3, 30, 2, 100}}) {
    SCOPED_TRACE(k.log);
    TempDir dir;
    json j = bench_json(
        {"bench", dir / "b", "--log", k.log, "--mode", k.mode, "--threads",
         std::to_string(k.threads), "--txns", std::to_string(k.txns),
         "--entries", std::to_string(k.entries), "--value-size",
         std::to_string(k.value_size), "--ceiling-ms", "20", "--json"});
    if (HasFatalFailure() || j.is_discarded()) return;
    expect_consistent(j, k.log, k.mode, k.threads, k.txns, k.entries,
                      k.value_size);
    // Without --keep nothing is left behind, not even the directory the
    // run created.
    EXPECT_FALSE(fs::exists(dir / "b"));
  }
}

TEST(StrataWalCliBench, KeptLogHoldsExactlyTheReportedCommits) {
  TempDir dir;
  json j = bench_json({"bench", dir / "b", "--log", "txlog", "--mode", "none",
                       "--txns", "25", "--entries", "2", "--ceiling-ms", "0",
                       "--keep", "--json"});
  if (j.is_discarded()) return;
  // --ceiling-ms 0: no ceilings, no ratios.
  EXPECT_TRUE(j["ceilings"]["write_fdatasync"].is_null());
  EXPECT_TRUE(j["ratios"]["write_fdatasync"].is_null());
  ASSERT_EQ(j["dir"], dir / "b/log");
  EXPECT_FALSE(fs::exists(dir / "b/ceiling-sync"));
  RunResult stats = run({"stats", dir / "b/log", "--json", "--quiet"});
  ASSERT_EQ(stats.code, 0) << stats.err;
  json s = json::parse(stats.out);
  EXPECT_EQ(s["committed"].get<uint64_t>(), 25U) << s.dump();
  RunResult verify = run({"verify", dir / "b/log", "--quiet"});
  EXPECT_EQ(verify.code, 0) << verify.err;
}

TEST(StrataWalCliBench, CommitsPastTheRingOfReadyMadeCommitsAreAllCounted) {
  // Each thread cycles through 256 ready-made commits (a txlog commit
  // reuses its slot's tx id, an MVCC one gets a fresh id): 600 commits on
  // two threads go round the ring and must all be recovered as commits.
  for (const char* log : {"mvcc", "txlog"}) {
    SCOPED_TRACE(log);
    TempDir dir;
    json j = bench_json({"bench", dir / "b", "--log", log, "--mode", "none",
                         "--threads", "2", "--txns", "600", "--entries", "3",
                         "--ceiling-ms", "0", "--keep", "--json"});
    if (j.is_discarded()) return;
    EXPECT_EQ(j["commits"].get<uint64_t>(), 600U);
    RunResult stats = run({"stats", dir / "b/log", "--json", "--quiet"});
    ASSERT_EQ(stats.code, 0) << stats.err;
    json s = json::parse(stats.out);
    EXPECT_EQ(s["committed"].get<uint64_t>(), 600U) << s.dump();
    RunResult verify = run({"verify", dir / "b/log", "--quiet"});
    EXPECT_EQ(verify.code, 0) << verify.err;
  }
}

TEST(StrataWalCliBench, AsyncCommitsAreAllKeptAndCounted) {
  for (const char* log : {"raw", "mvcc", "txlog"}) {
    SCOPED_TRACE(log);
    TempDir dir;
    json j = bench_json({"bench", dir / "b", "--log", log, "--mode", "strict",
                         "--threads", "2", "--txns", "60", "--async", "8",
                         "--ceiling-ms", "0", "--keep", "--json"});
    if (j.is_discarded()) return;
    EXPECT_EQ(j["async_depth"].get<uint64_t>(), 8U);
    EXPECT_EQ(j["commits"].get<uint64_t>(), 60U);
    // Every commit was called back: the latency histogram counts them.
    EXPECT_GT(j["latency_us"]["p50"].get<double>(), 0.0);
    RunResult verify = run({"verify", dir / "b/log", "--quiet"});
    EXPECT_EQ(verify.code, 0) << verify.err;
  }
}

TEST(StrataWalCliBench, TextReportNamesEveryFigure) {
  TempDir dir;
  RunResult r = run({"bench", dir / "b", "--log", "mvcc", "--mode", "none",
                     "--duration", "0.05", "--ceiling-ms", "20"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* word : {"commits/s", "entries/s", "MB/s", "p50", "p99",
                           "p999", "write+fdatasync", "write()", "ratio"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
  }
}

TEST(StrataWalCliBench, BadArgumentsExit2WithOneLine) {
  TempDir dir;
  fs::create_directories(dir / "full");
  std::ofstream(dir / "full/file") << "x";
  const std::vector<std::vector<std::string>> bad = {
      {"bench", "--log", "sqlite"},
      {"bench", "--mode", "eventually"},
      {"bench", "--threads", "0"},
      {"bench", "--threads", "-1"},
      {"bench", "--entries", "0"},
      {"bench", "--value-size", "0"},
      {"bench", "--txns", "0"},
      {"bench", "--txns", "10", "--duration", "1"},
      {"bench", "--duration", "0"},
      {"bench", "--duration", "soon"},
      {"bench", "--mode", "batched", "--interval-ms", "0"},
      {"bench", dir / "full"},
      {"bench", "--no-such-option"},
  };
  for (const auto& args : bad) {
    RunResult r = run(args);
    std::string line;
    for (const auto& a : args) line += a + " ";
    EXPECT_EQ(r.code, 2) << line << r.err;
    ASSERT_FALSE(r.err.empty()) << line;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << line << r.err;
    EXPECT_TRUE(r.out.empty()) << line << r.out;
  }
  // The non-empty directory was left alone.
  EXPECT_TRUE(fs::exists(dir / "full/file"));
}

}  // namespace
