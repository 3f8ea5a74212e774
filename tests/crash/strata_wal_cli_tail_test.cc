// Black-box tests of `strata-wal tail` in a process of its own beside a
// `strata-wal write` process: every acknowledged transaction arrives once
// and in order, with --follow until SIGINT, and across restarts on a slot.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_process.h"

namespace {

using namespace strata_wal_test;  // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;
using nlohmann::json;

// Commit LSNs of an ack file, in order.
bool is_commit(const json& j) {
  const std::string type = j.value("type", "");
  return type == "CommitTxn" || type == "TransactionCommit";
}

// Every entry once, in LSN order; returns the commit LSNs.
std::vector<uint64_t> check_stream(const std::vector<json>& entries) {
  std::vector<uint64_t> commits;
  uint64_t prev = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const uint64_t lsn = entries[i]["lsn"].get<uint64_t>();
    if (i > 0) {
      EXPECT_GT(lsn, prev) << "entry " << i << " repeats or goes back";
    }
    prev = lsn;
    if (is_commit(entries[i])) commits.push_back(lsn);
  }
  return commits;
}

void expect_every_acked_commit_arrived(const std::vector<uint64_t>& commits,
                                       const std::vector<uint64_t>& acked) {
  ASSERT_FALSE(acked.empty());
  std::set<uint64_t> seen(commits.begin(), commits.end());
  for (uint64_t lsn : acked) {
    EXPECT_EQ(seen.count(lsn), 1u)
        << "acknowledged commit at LSN " << lsn << " never arrived";
  }
}

// Waits until `path` holds at least `commits` commit entries.
void wait_for_commits(const std::string& path, std::size_t commits) {
  for (int i = 0; i < 400; ++i) {
    std::size_t n = 0;
    std::istringstream in(slurp(path));
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("\"CommitTxn\"") != std::string::npos ||
          line.find("\"TransactionCommit\"") != std::string::npos) {
        ++n;
      }
    }
    if (n >= commits) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

const std::vector<std::string> kKinds{"mvcc", "txlog"};

// Creates the log at `dir` with one acknowledged transaction (in t/ack), so
// that it exists before a tailer starts; returns the writer's exit code.
int write_first_txn(const TempDir& t, const std::string& dir,
                    const std::string& kind) {
  return wait_exit(spawn({"write", dir, "--log", kind, "--txns", "1",
                          "--ack-file", t / "ack", "--quiet"},
                         t / "w0", t / "w0err"));
}

TEST(StrataWalCliTail, FollowReceivesEveryAcknowledgedTransactionOnceInOrder) {
  for (const std::string& kind : kKinds) {
    SCOPED_TRACE(kind);
    TempDir t;
    const std::string dir = t / "log";
    // The log exists before the tailer starts; the writer then runs in
    // batched mode, so the tailer waits for each sync.
    ASSERT_EQ(write_first_txn(t, dir, kind), 0);
    const pid_t tail = spawn({"tail", dir, "--follow", "--json"},
                             t / "tail.out", t / "tail.err");
    const pid_t writer =
        spawn({"write", dir, "--log", kind, "--txns", "150", "--entries", "2",
               "--value-size", "40", "--mode", "batched", "--interval-ms", "5",
               "--segment-size", "4096", "--ack-file", t / "ack", "--quiet"},
              t / "w1", t / "w1err");
    ASSERT_EQ(wait_exit(writer), 0) << slurp(t / "w1err");
    const auto acked = acked_lsns(t / "ack");
    wait_for_commits(t / "tail.out", acked.size());
    ::kill(tail, SIGINT);
    EXPECT_EQ(wait_exit(tail), 0) << slurp(t / "tail.err");
    const auto entries = json_lines(slurp(t / "tail.out"));
    const auto commits = check_stream(entries);
    expect_every_acked_commit_arrived(commits, acked);
    EXPECT_EQ(commits, acked);
  }
}

TEST(StrataWalCliTail, RestartOnASlotResumesWithoutLossOrDuplicates) {
  for (const std::string& kind : kKinds) {
    SCOPED_TRACE(kind);
    TempDir t;
    const std::string dir = t / "log";
    ASSERT_EQ(write_first_txn(t, dir, kind), 0);
    const pid_t writer =
        spawn({"write", dir, "--log", kind, "--txns", "100", "--entries", "2",
               "--value-size", "40", "--mode", "strict", "--segment-size",
               "4096", "--ack-file", t / "ack", "--quiet"},
              t / "w1", t / "w1err");
    std::string all;
    bool writer_done = false;
    for (int round = 0; round < 40; ++round) {
      const pid_t tail =
          spawn({"tail", dir, "--follow", "--json", "--slot", "replica"},
                t / "tail.out", t / "tail.err");
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      const int sig = round % 2 == 0 ? SIGTERM : SIGINT;
      ::kill(tail, sig);
      // On a loaded machine the signal can land before the tool has set its
      // handlers; it then dies of it, having acknowledged nothing, which the
      // slot must survive just as well.
      const int code = wait_exit(tail);
      ASSERT_TRUE(code == 0 || code == 128 + sig)
          << code << ": " << slurp(t / "tail.err");
      all += slurp(t / "tail.out");
      if (writer_done) break;
      int status = 0;
      if (::waitpid(writer, &status, WNOHANG) == writer) {
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << slurp(t / "w1err");
        writer_done = true;  // one more round drains the rest
      }
    }
    if (!writer_done) {
      ASSERT_EQ(wait_exit(writer), 0);
      const pid_t tail = spawn({"tail", dir, "--json", "--slot", "replica"},
                               t / "tail.out", t / "tail.err");
      ASSERT_EQ(wait_exit(tail), 0) << slurp(t / "tail.err");
      all += slurp(t / "tail.out");
    }
    const auto commits = check_stream(json_lines(all));
    EXPECT_EQ(commits, acked_lsns(t / "ack"));

    // The slot is listed where the last tail left it, and can be dropped.
    ASSERT_EQ(wait_exit(spawn({"slots", dir, "--json"}, t / "s", t / "serr")),
              0);
    const auto listed = json_lines(slurp(t / "s"));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["name"], "replica");
    EXPECT_EQ(listed[0]["state"], "active");
    EXPECT_GT(listed[0]["restart_lsn"].get<uint64_t>(), commits.back());
    EXPECT_EQ(wait_exit(spawn({"slots", dir, "--drop", "replica"}, t / "s",
                              t / "serr")),
              0);
    ASSERT_EQ(wait_exit(spawn({"slots", dir, "--json"}, t / "s", t / "serr")),
              0);
    EXPECT_TRUE(json_lines(slurp(t / "s")).empty());
  }
}

// The writer is killed with SIGKILL again and again while one tail
// follows: the tail never prints what the next writer's recovery drops, so
// at the end it printed exactly what `dump` reads, and every acknowledged
// commit. A second consumer is killed with SIGKILL too and restarts at the
// LSN after the last line it printed whole: exactly once as well.
TEST(StrataWalCliTail, FollowThroughWriterKillsPrintsExactlyTheLog) {
  for (const std::string& kind : kKinds) {
    SCOPED_TRACE(kind);
    TempDir t;
    const std::string dir = t / "log";
    ASSERT_EQ(write_first_txn(t, dir, kind), 0);
    const pid_t tail = spawn({"tail", dir, "--follow", "--json"},
                             t / "tail.out", t / "tail.err");
    std::string restarted;  // the killed consumer's lines, whole ones only
    uint64_t next_lsn = 0;
    const std::vector<std::string> modes{"strict", "batched", "none"};
    for (int round = 0; round < 3; ++round) {
      const pid_t consumer = spawn({"tail", dir, "--follow", "--json",
                                    "--from-lsn", std::to_string(next_lsn)},
                                   t / "c.out", t / "c.err");
      const pid_t writer = spawn(
          {"write", dir, "--log", kind, "--txns", "1000000", "--entries", "2",
           "--value-size", "40", "--mode", modes[round % 3], "--interval-ms",
           "5", "--segment-size", "4096", "--ack-file", t / "ack", "--quiet"},
          t / "w1", t / "w1err");
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + 30 * round));
      ::kill(writer, SIGKILL);
      wait_exit(writer);
      ::kill(consumer, SIGKILL);
      wait_exit(consumer);
      const std::string out = slurp(t / "c.out");
      const std::size_t whole = out.rfind('\n');
      if (whole != std::string::npos) {
        const std::string lines = out.substr(0, whole + 1);
        restarted += lines;
        const auto parsed = json_lines(lines);
        if (!parsed.empty()) {
          next_lsn = parsed.back()["lsn"].get<uint64_t>() + 1;
        }
      }
    }
    // A last writer that closes cleanly: everything it recovered and wrote
    // is then durable.
    ASSERT_EQ(wait_exit(spawn({"write", dir, "--log", kind, "--txns", "3",
                               "--ack-file", t / "ack", "--quiet"},
                              t / "w2", t / "w2err")),
              0);
    const pid_t dump = spawn({"dump", dir, "--json"}, t / "dump", t / "derr");
    ASSERT_EQ(wait_exit(dump), 0) << slurp(t / "derr");
    const auto expected = json_lines(slurp(t / "dump"));
    const std::size_t expected_commits = check_stream(expected).size();
    wait_for_commits(t / "tail.out", expected_commits);
    ::kill(tail, SIGTERM);
    EXPECT_EQ(wait_exit(tail), 0) << slurp(t / "tail.err");
    const auto printed = json_lines(slurp(t / "tail.out"));
    EXPECT_EQ(printed, expected);
    expect_every_acked_commit_arrived(check_stream(printed),
                                      acked_lsns(t / "ack"));

    const pid_t last =
        spawn({"tail", dir, "--json", "--from-lsn", std::to_string(next_lsn)},
              t / "c.out", t / "c.err");
    ASSERT_EQ(wait_exit(last), 0) << slurp(t / "c.err");
    restarted += slurp(t / "c.out");
    EXPECT_EQ(json_lines(restarted), expected);
  }
}

TEST(StrataWalCliTail, BadInputExitsNonZeroWithOneLine) {
  TempDir t;
  const std::string dir = t / "log";
  ASSERT_EQ(
      wait_exit(spawn({"write", dir, "--log", "mvcc", "--txns", "2", "--quiet"},
                      t / "w0", t / "w0err")),
      0);
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"tail", t / "missing"}, "not a log"},
      {{"tail", dir, "--from-lsn", "-3"}, "--from-lsn"},
      {{"tail", dir, "--slot", "no/slash"}, "slot"},
  };
  for (const Case& c : cases) {
    const int code = wait_exit(spawn(c.args, t / "out", t / "err"));
    const std::string err = slurp(t / "err");
    EXPECT_NE(code, 0) << c.args.back();
    EXPECT_NE(err.find(c.needle), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

}  // namespace
