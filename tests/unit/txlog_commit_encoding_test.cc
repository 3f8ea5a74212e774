// commit_atomic encodes each operation straight into its record (no
// WalEntry in between): the records must be exactly what encoding
// Transaction::to_wal_entries() gives, for every operation type, with and
// without a run id; and an operation past the payload limit writes nothing.

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
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

TEST(TxlogCommitEncodingTest,
     PayloadSizeAndInPlaceWriteMatchTheAppendedPayload) {
  // commit_atomic sizes each operation, then the log's leader writes it in
  // place: both steps must agree with append_wal_payload to the byte.
  auto tx = every_operation(Transaction::for_run(Uuid::new_v7()));
  for (std::size_t i = 0; i < tx.len(); ++i) {
    const TxEntry& op = tx.entries()[i];
    SCOPED_TRACE(std::string(name(op.entry_type())));
    std::string want;
    op.append_wal_payload(&want);
    EXPECT_EQ(op.wal_payload_size(), want.size());
    std::string out(want.size() + 1, '#');
    EXPECT_EQ(op.write_wal_payload(out.data()), out.data() + want.size());
    EXPECT_EQ(out, want + "#");
  }
  for (const auto& run : {std::optional<RunId>(), std::optional(tx.run_id())}) {
    std::string want;
    encode_wal_entry_header(WalEntryType::kKvPut, tx.id(), run, &want);
    ASSERT_EQ(want.size(), wal_entry_header_size(run));
    std::string out(want.size(), '#');
    EXPECT_EQ(
        write_wal_entry_header(WalEntryType::kKvPut, tx.id(), run, out.data()),
        out.data() + out.size());
    EXPECT_EQ(out, want);
  }
}

TEST(TxlogCommitEncodingTest,
     AsyncCommitsAndEntryBatchesWriteTheEncodedEntries) {
  auto env = new_mem_env();
  WalWriterOptions o;
  o.env = env.get();
  o.mode = DurabilityMode::strict();
  auto w = WalWriter::open("/tx", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  std::atomic<int> done{0};
  auto tx = every_operation(Transaction::create());
  ASSERT_TRUE((*w)->commit_atomic_async(tx,
                                        [&](const Status& s) {
                                          EXPECT_TRUE(s.ok());
                                          ++done;
                                        })
                  .ok());
  const std::vector<std::pair<WalEntryType, std::string>> ops = {
      {WalEntryType::kKvPut, std::string(4, '\0') + "value"},
      {WalEntryType::kEventAppend, std::string(128, 'e')}};
  auto written = (*w)->write_transaction(std::nullopt, ops);
  ASSERT_TRUE(written.ok()) << written.status().to_string();
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(done.load(), 1);

  auto all = log::testutil::read_all(env.get(), "/tx");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  const auto entries = tx.to_wal_entries();
  ASSERT_EQ(all.payloads.size(), entries.size() + 1 + ops.size() + 1);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(all.payloads[i], encode_wal_entry(entries[i]).value());
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto e = decode_wal_entry(all.payloads[entries.size() + 1 + i]);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(e->entry_type, ops[i].first);
    EXPECT_EQ(e->payload, ops[i].second);
    EXPECT_EQ(all.payloads[entries.size() + 1 + i],
              encode_wal_entry(*e).value());
  }
}

TEST(TxlogCommitEncodingTest,
     TxEntriesAndWriteTransactionWriteTheEncodedEntries) {
  // write_tx_entry and write_transaction write the caller's payloads
  // straight into the log (no WalEntry): the records must be what
  // encoding the equivalent WalEntry gives.
  auto env = new_mem_env();
  WalWriterOptions o;
  o.env = env.get();
  o.max_payload_size = 200;
  auto w = WalWriter::open("/tx", o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  const RunId run = Uuid::new_v7();
  const TxId tx = (*w)->begin_transaction();
  std::vector<WalEntry> want;
  for (const auto& run_id : {std::optional<RunId>(), std::optional(run)}) {
    const std::string payload(150, 'p');
    ASSERT_TRUE(
        (*w)->write_tx_entry(tx, run_id, WalEntryType::kKvPut, payload).ok());
    WalEntry e = WalEntry::make(WalEntryType::kKvPut, tx, payload);
    e.run_id = run_id;
    want.push_back(e);
  }
  const std::vector<std::pair<WalEntryType, std::string>> ops = {
      {WalEntryType::kEventAppend, "event"}, {WalEntryType::kKvDelete, ""}};
  auto written = (*w)->write_transaction(run, ops);
  ASSERT_TRUE(written.ok()) << written.status().to_string();
  for (const auto& [type, payload] : ops) {
    WalEntry e = WalEntry::make(type, written->tx_id, payload);
    e.run_id = run;
    want.push_back(e);
  }
  // Past the limit: refused with encode_wal_entry's message, nothing
  // written.
  const log::Lsn before = (*w)->position();
  auto big = (*w)->write_tx_entry(tx, run, WalEntryType::kKvPut,
                                  std::string(201, 'x'));
  ASSERT_TRUE(big.status().is_invalid_argument());
  EXPECT_EQ(big.status().message(),
            "txlog KvPut payload of 201 bytes exceeds the limit of 200 bytes");
  const std::vector<std::pair<WalEntryType, std::string>> big_ops = {
      {WalEntryType::kKvPut, "ok"},
      {WalEntryType::kKvPut, std::string(201, 'x')}};
  EXPECT_TRUE(
      (*w)->write_transaction(run, big_ops).status().is_invalid_argument());
  EXPECT_EQ((*w)->position(), before);
  ASSERT_TRUE((*w)->close().ok());

  auto all = log::testutil::read_all(env.get(), "/tx");
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  ASSERT_EQ(all.payloads.size(), want.size() + 1);
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(all.payloads[i], encode_wal_entry(want[i]).value()) << i;
  }
  auto marker = decode_wal_entry(all.payloads.back());
  ASSERT_TRUE(marker.ok());
  EXPECT_EQ(marker->entry_type, WalEntryType::kTransactionCommit);
  EXPECT_EQ(marker->tx_id, written->tx_id);
  EXPECT_EQ(marker->commit_info()->entry_count, 2U);
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
