// commit_atomic encodes each operation straight into its record (no
// WalEntry in between): the records must be exactly what encoding
// Transaction::to_wal_entries() gives, for every operation type, with and
// without a run id; and an operation past the payload limit writes nothing.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_entry.h"
#include "strata/durability/txlog/wal_writer.h"
#include "support/log_test_util.h"

namespace strata::durability::txlog {
namespace {

Transaction every_operation(Transaction tx) {
  tx.kv_put("k", "v")
      .kv_delete("k")
      .json_create("doc", "{}")
      .json_set("doc", "[1]")
      .json_delete("doc/a")
      .json_destroy("doc")
      .json_patch("doc", "{\"a\":1}")
      .event_append("event")
      .state_init("s", "0")
      .state_set("s", "1")
      .state_transition("s", "1", "2")
      .run_create("rc")
      .run_update("ru")
      .run_begin("rb")
      .run_end("re");
  return tx;
}

TEST(TxlogCommitEncodingTest, CommitRecordsEqualTheEncodedWalEntries) {
  auto env = new_mem_env();
  WalWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::none();
  auto w = WalWriter::open("/tx", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  std::vector<Transaction> txs = {
      every_operation(Transaction::create()),
      every_operation(Transaction::for_run(Uuid::new_v7()))};
  for (const Transaction& tx : txs) ASSERT_TRUE((*w)->commit_atomic(tx).ok());
  ASSERT_TRUE((*w)->close().ok());

  auto all = log::testutil::read_all(env.get(), "/tx");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  std::size_t at = 0;
  for (const Transaction& tx : txs) {
    for (const WalEntry& want : tx.to_wal_entries()) {
      ASSERT_LT(at, all.payloads.size());
      auto encoded = encode_wal_entry(want);
      ASSERT_TRUE(encoded.ok());
      EXPECT_EQ(all.payloads[at], *encoded) << "record " << at;
      ++at;
    }
    ASSERT_LT(at, all.payloads.size());
    auto marker = decode_wal_entry(all.payloads[at]);
    ASSERT_TRUE(marker.ok());
    EXPECT_EQ(marker->entry_type, WalEntryType::kTransactionCommit);
    EXPECT_EQ(marker->tx_id, tx.id());
    ++at;
  }
  EXPECT_EQ(at, all.payloads.size());
}

TEST(TxlogCommitEncodingTest, OperationPastThePayloadLimitWritesNothing) {
  auto env = new_mem_env();
  WalWriterOptions o;
  o.env = env.get();
  o.max_payload_size = 64;
  auto w = WalWriter::open("/tx", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  auto tx = Transaction::create();
  tx.kv_put("small", "v").kv_put("big", std::string(100, 'x'));
  const log::Lsn before = (*w)->position();
  auto r = (*w)->commit_atomic(tx);
  EXPECT_TRUE(r.status().is_invalid_argument()) << r.status().to_string();
  EXPECT_EQ((*w)->position(), before);
}

}  // namespace
}  // namespace strata::durability::txlog
