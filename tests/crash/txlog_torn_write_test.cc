// Crash tests for the Transaction Log that need only the Env interface: the
// log is cut at every byte offset (a write torn by a crash) or has a byte
// flipped, and recovery must return whole transactions only, a prefix of
// the committed ones, and accept new commits after the writer repairs the
// tail. (Power cuts with lost unsynced writes are FaultInjectionEnv's job.)

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "strata/durability/txlog/transaction.h"
#include "support/txlog_test_util.h"

namespace strata::durability::txlog {
namespace {

using testutil::must;

struct Written {
  std::vector<TxId> ids;              // committed, in commit order
  std::map<TxId, std::size_t> sizes;  // entries per transaction
};

// Writes a mix of atomic and entry-by-entry transactions.
Written write_log(WalWriter& w) {
  Written out;
  for (int i = 0; i < 12; ++i) {
    if (i % 3 == 2) {
      TxId tx = w.begin_transaction();
      must(w.write_tx_entry(tx, std::nullopt, WalEntryType::kKvPut,
                            "slow-" + std::to_string(i)));
      must(w.write_tx_entry(tx, std::nullopt, WalEntryType::kEventAppend, "e"));
      must(w.commit_transaction(tx));
      out.ids.push_back(tx);
      out.sizes[tx] = 2;
    } else {
      Transaction tx = Transaction::create();
      tx.kv_put("k" + std::to_string(i), std::string(i * 7, 'v'))
          .json_create("d", "{}")
          .state_transition("s", "a", "b");
      must(w.commit_atomic(tx));
      out.ids.push_back(tx.id());
      out.sizes[tx.id()] = 3;
    }
  }
  return out;
}

class TxlogTornWrite : public testutil::TxlogTest {
 protected:
  // Copies the log directory into a fresh MemEnv, with the segment file
  // rewritten by `damage`.
  std::unique_ptr<Env> copy_with(
      const std::function<void(std::string*)>& damage) {
    auto copy = new_mem_env();
    EXPECT_TRUE(copy->create_dir(dir_).ok());
    auto names = must(env_.list_dir(dir_));
    for (const std::string& n : names) {
      if (n == "LOCK") continue;
      std::string bytes = must(read_file(&env_, join_path(dir_, n)));
      if (n.size() > 4 && n.substr(n.size() - 4) == ".seg") damage(&bytes);
      auto f = copy->new_writable_file(join_path(dir_, n));
      EXPECT_TRUE(f.ok());
      EXPECT_TRUE((*f)->append(bytes).ok());
      EXPECT_TRUE((*f)->close().ok());
    }
    return copy;
  }

  std::string segment_bytes() {
    for (const std::string& n : must(env_.list_dir(dir_))) {
      if (n.size() > 4 && n.substr(n.size() - 4) == ".seg") {
        return must(read_file(&env_, join_path(dir_, n)));
      }
    }
    ADD_FAILURE() << "no segment";
    return {};
  }

  // Checks that `out` holds whole transactions forming a prefix of
  // `written`; returns how many.
  static std::size_t check_prefix(const ReplayOutput& out,
                                  const Written& written) {
    EXPECT_LE(out.transactions.size(), written.ids.size());
    for (std::size_t i = 0; i < out.transactions.size(); ++i) {
      const auto& tx = out.transactions[i];
      EXPECT_EQ(tx.tx_id, written.ids[i]) << "transaction " << i;
      EXPECT_EQ(tx.entries.size(), written.sizes.at(tx.tx_id))
          << "transaction " << i << " is not whole";
    }
    return out.transactions.size();
  }
};

TEST_F(TxlogTornWrite, EveryCutRecoversWholeTransactionsAsAPrefix) {
  Written written;
  {
    auto w = open_writer();
    written = write_log(*w);
  }
  const std::string seg = segment_bytes();
  ASSERT_GT(seg.size(), 64U);
  std::size_t last_count = 0;
  for (std::size_t cut = 64; cut <= seg.size(); ++cut) {
    auto copy = copy_with([&](std::string* b) { b->resize(cut); });
    RecoveryOptions o;
    o.env = copy.get();
    auto out = RecoveryEngine::replay_wal_committed(dir_, 0, o);
    ASSERT_TRUE(out.ok()) << "cut at " << cut << ": "
                          << out.status().to_string();
    std::size_t n = check_prefix(*out, written);
    EXPECT_GE(n, last_count) << "cut at " << cut;
    last_count = n;
    for (const auto& p : out->result.problems) {
      EXPECT_EQ(p.kind, log::ProblemKind::kTornTail) << p.to_string();
    }
  }
  EXPECT_EQ(last_count, written.ids.size());
}

TEST_F(TxlogTornWrite, WriterRepairsATornTailAndNewCommitsAreRecovered) {
  Written written;
  {
    auto w = open_writer();
    written = write_log(*w);
  }
  const std::string seg = segment_bytes();
  for (std::size_t cut :
       {seg.size() - 1, seg.size() - 20, seg.size() / 2, std::size_t{70}}) {
    auto copy = copy_with([&](std::string* b) { b->resize(cut); });
    WalWriterOptions wo;
    wo.env = copy.get();
    wo.mode = DurabilityMode::strict();
    auto w = WalWriter::open(dir_, wo);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    Transaction tx = Transaction::create();
    tx.kv_put("after-crash", "v");
    must((*w)->commit_atomic(tx));
    ASSERT_TRUE((*w)->close().ok());
    RecoveryOptions o;
    o.env = copy.get();
    auto out = RecoveryEngine::replay_wal_committed(dir_, 0, o);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ASSERT_FALSE(out->transactions.empty());
    EXPECT_EQ(out->transactions.back().tx_id, tx.id()) << "cut " << cut;
    ReplayOutput trimmed = *out;
    trimmed.transactions.pop_back();
    check_prefix(trimmed, written);
  }
}

TEST_F(TxlogTornWrite, AFlippedByteNeverYieldsAPartialTransaction) {
  Written written;
  {
    auto w = open_writer();
    written = write_log(*w);
  }
  const std::string seg = segment_bytes();
  for (std::size_t at = 64; at < seg.size(); at += 7) {
    auto copy = copy_with([&](std::string* b) { (*b)[at] ^= 0x20; });
    for (RecoveryOptions o :
         {RecoveryOptions::default_options(), RecoveryOptions::permissive(),
          RecoveryOptions::fast()}) {
      o.env = copy.get();
      o.max_corrupt_entries = 1000;
      auto out = RecoveryEngine::replay_wal_committed(dir_, 0, o);
      if (!out.ok()) {
        // Only a strict-ish mode may refuse, and only with Corruption.
        EXPECT_TRUE(out.status().is_corruption()) << out.status().to_string();
        continue;
      }
      for (const auto& tx : out->transactions) {
        auto it = written.sizes.find(tx.tx_id);
        ASSERT_NE(it, written.sizes.end()) << "invented transaction";
        EXPECT_EQ(tx.entries.size(), it->second)
            << "byte " << at << " gave a partial transaction";
      }
    }
  }
}

}  // namespace
}  // namespace strata::durability::txlog
