// Black-box test of `strata-wal ship --follow` (STRATA_WAL_BIN): while
// `strata-wal write` is killed with SIGKILL again and again, the shipper
// keeps running, and the replica it leaves passes `verify` and holds a
// prefix of the primary's committed transactions that contains every
// acknowledged one.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
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

// Committed transaction ids in commit order, and entries per id.
struct Committed {
  std::vector<std::string> order;
  std::map<std::string, int> entries;
};

Committed committed(const std::string& dir) {
  RunResult r = run({"dump", dir, "--committed", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  Committed c;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line);
    const json& id = j["txn_id"];
    std::string key = id.is_string() ? id.get<std::string>() : id.dump();
    if (c.entries[key]++ == 0) c.order.push_back(key);
  }
  return c;
}

// Whether every primary segment has its full copy in the replica: the
// same bytes, except that the primary's may go on with zeros (the unwritten
// rest of a preallocated segment, which is not shipped).
bool caught_up(const std::string& primary, const std::string& replica) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(primary, ec)) {
    if (e.path().extension() != ".seg") continue;
    fs::path copy = fs::path(replica) / e.path().filename();
    if (!fs::exists(copy, ec)) return false;
    const std::string src = slurp(e.path());
    const std::string dst = slurp(copy);
    if (dst.size() > src.size() || src.compare(0, dst.size(), dst) != 0 ||
        src.find_first_not_of('\0', dst.size()) != std::string::npos) {
      return false;
    }
  }
  return true;
}

TEST(StrataWalCliShip, ReplicaUnderAWriterKilledRepeatedlyIsAVerifiedPrefix) {
  TempDir t;
  const std::string primary = t / "primary";
  const std::string replica = t / "replica";
  const std::string ack = t / "ack";
  RunResult first =
      run({"write", primary, "--log", "mvcc", "--txns", "5", "--segment-size",
           "8192", "--ack-file", ack, "--quiet"});
  ASSERT_EQ(first.code, 0) << first.err;

  // Through a slot, which the shipper moves on the primary while writers
  // come and go.
  const pid_t shipper = spawn({"ship", primary, replica, "--follow",
                               "--interval-ms", "10", "--slot", "r", "--json"},
                              t / "ship.out", t / "ship.err");

  std::mt19937 rng(20261204);
  const std::vector<std::string> modes{"strict", "batched", "none"};
  for (int round = 0; round < 4; ++round) {
    const pid_t writer =
        spawn({"write", primary, "--log", "mvcc", "--txns", "1000000", "--mode",
               modes[round % 3], "--interval-ms", "5", "--segment-size", "8192",
               "--ack-file", ack, "--quiet"},
              t / "write.out", t / "write.err");
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 150));
    ::kill(writer, SIGKILL);
    ASSERT_EQ(wait_exit(writer), 128 + SIGKILL) << slurp(t / "write.err");
    int status = 0;
    ASSERT_EQ(::waitpid(shipper, &status, WNOHANG), 0)
        << "ship stopped: " << slurp(t / "ship.err");
  }
  // A last writer recovers the log and closes it cleanly, so that every
  // acknowledged transaction is durable on the primary; the shipper's next
  // pass must then bring all of them over.
  RunResult last =
      run({"write", primary, "--log", "mvcc", "--txns", "3", "--segment-size",
           "8192", "--ack-file", ack, "--quiet"});
  ASSERT_EQ(last.code, 0) << last.err;
  for (int i = 0; i < 500 && !caught_up(primary, replica); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(shipper, SIGTERM);
  ASSERT_EQ(wait_exit(shipper), 0) << slurp(t / "ship.err");
  ASSERT_TRUE(caught_up(primary, replica));

  // The shipper reported its passes as JSON Lines, ending with "done".
  std::istringstream lines(slurp(t / "ship.out"));
  std::string line, final_line;
  int shipped_passes = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    json j = json::parse(line);
    if (j["event"] == "shipped") ++shipped_passes;
    final_line = line;
  }
  EXPECT_GT(shipped_passes, 1);
  ASSERT_FALSE(final_line.empty());
  const json done = json::parse(final_line);
  EXPECT_EQ(done["event"], "done");
  EXPECT_EQ(done["slot_lsn"], done["shipped_lsn"]) << final_line;

  RunResult verify = run({"verify", replica, "--json"});
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
  EXPECT_EQ(json::parse(verify.out)["status"], "ok") << verify.out;

  const Committed on_primary = committed(primary);
  const Committed on_replica = committed(replica);
  // A prefix of the primary's committed transactions, in the same order...
  ASSERT_LE(on_replica.order.size(), on_primary.order.size());
  for (std::size_t i = 0; i < on_replica.order.size(); ++i) {
    ASSERT_EQ(on_replica.order[i], on_primary.order[i]) << "position " << i;
  }
  for (const auto& [id, n] : on_replica.entries) {
    EXPECT_EQ(n, 4) << "partial transaction " << id;
  }
  // ...holding every acknowledged one.
  const auto ids = acked_ids(ack);
  ASSERT_GT(ids.size(), 8U);
  for (const auto& id : ids) {
    ASSERT_TRUE(on_replica.entries.count(id))
        << "acknowledged " << id << " missing on the replica";
  }
}

TEST(StrataWalCliShip, BadInputIsRefusedWithAClearMessage) {
  TempDir t;
  RunResult missing = run({"ship", t / "nope", t / "replica"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("no log at"), std::string::npos) << missing.err;

  ASSERT_EQ(
      run({"write", t / "a", "--log", "mvcc", "--txns", "3", "--quiet"}).code,
      0);
  ASSERT_EQ(
      run({"write", t / "b", "--log", "mvcc", "--txns", "3", "--quiet"}).code,
      0);
  RunResult other = run({"ship", t / "a", t / "b"});
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("diverges"), std::string::npos) << other.err;

  RunResult ok = run({"ship", t / "a", t / "copy", "--json"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  // Damage the primary's first record: the next pass refuses to ship it.
  ASSERT_EQ(
      run({"write", t / "a", "--log", "mvcc", "--txns", "3", "--quiet"}).code,
      0);
  std::string seg = t / "a/00000000000000000001.seg";
  std::string bytes = slurp(seg);
  ASSERT_GT(bytes.size(), 2000U);
  bytes[bytes.size() - 100] ^= 0x55;  // in the last (unshipped) records
  std::ofstream(seg, std::ios::binary | std::ios::trunc) << bytes;
  RunResult damaged = run({"ship", t / "a", t / "copy"});
  EXPECT_EQ(damaged.code, 1);
  EXPECT_NE(damaged.err.find("damaged"), std::string::npos) << damaged.err;
}

TEST(StrataWalCliShip, SlotIsCreatedOnThePrimaryAndFollowsTheReplica) {
  TempDir t;
  const std::string primary = t / "primary";
  const std::string replica = t / "replica";
  ASSERT_EQ(
      run({"write", primary, "--log", "mvcc", "--txns", "3", "--quiet"}).code,
      0);
  auto last_json = [](const std::string& out) {
    std::istringstream in(out);
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    return json::parse(last);
  };
  RunResult first = run({"ship", primary, replica, "--slot", "r1", "--json"});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(
      json::parse(first.out.substr(0, first.out.find('\n')))["slot_created"],
      true)
      << first.out;
  json done = last_json(first.out);
  EXPECT_EQ(done["slot"], "r1");
  EXPECT_EQ(done["slot_lsn"], done["shipped_lsn"]) << first.out;
  EXPECT_TRUE(fs::exists(fs::path(primary) / "slot-r1"));

  ASSERT_EQ(
      run({"write", primary, "--log", "mvcc", "--txns", "3", "--quiet"}).code,
      0);
  RunResult second = run({"ship", primary, replica, "--slot", "r1", "--json"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(
      json::parse(second.out.substr(0, second.out.find('\n')))["slot_created"],
      false)
      << second.out;
  json again = last_json(second.out);
  EXPECT_GT(again["slot_lsn"].get<uint64_t>(),
            done["slot_lsn"].get<uint64_t>());
  EXPECT_EQ(again["slot_lsn"], again["shipped_lsn"]) << second.out;

  RunResult bad = run({"ship", primary, replica, "--slot", "a/b"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("invalid slot name"), std::string::npos) << bad.err;
}

}  // namespace
