// Transaction builder and TxEntry: every operation round-trips through its
// payload layout and through a WalEntry record; truncated and garbage
// payloads decode to Corruption, never a crash.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "strata/durability/txlog/transaction.h"
#include "util/coding.h"

namespace strata::durability::txlog {
namespace {

// One transaction with all fifteen operations.
Transaction all_operations(Transaction tx) {
  tx.kv_put("k1", "v1")
      .kv_delete("k2")
      .json_create("doc1", "{\"a\":1}")
      .json_set("doc1", "{\"a\":2}")
      .json_delete("doc1/a")
      .json_destroy("doc2")
      .json_patch("doc1", "[{\"op\":\"remove\",\"path\":\"/a\"}]")
      .event_append("event-bytes")
      .state_init("cell", "idle")
      .state_set("cell", "busy")
      .state_transition("cell", "busy", "done")
      .run_create("run-meta")
      .run_update("run-meta-2")
      .run_begin("begin")
      .run_end("end");
  return tx;
}

const std::vector<WalEntryType> kAllOpTypes = {
    WalEntryType::kKvPut,           WalEntryType::kKvDelete,
    WalEntryType::kJsonCreate,      WalEntryType::kJsonSet,
    WalEntryType::kJsonDelete,      WalEntryType::kJsonDestroy,
    WalEntryType::kJsonPatch,       WalEntryType::kEventAppend,
    WalEntryType::kStateInit,       WalEntryType::kStateSet,
    WalEntryType::kStateTransition, WalEntryType::kRunCreate,
    WalEntryType::kRunUpdate,       WalEntryType::kRunBegin,
    WalEntryType::kRunEnd,
};

TEST(Transaction, ConstructorsAndAccessors) {
  Transaction a = Transaction::create();
  Transaction b = Transaction::create();
  EXPECT_EQ(a.id().version(), 7);
  EXPECT_LT(a.id(), b.id());
  EXPECT_FALSE(a.run_id().has_value());
  EXPECT_TRUE(a.is_empty());
  EXPECT_EQ(a.len(), 0U);

  RunId run = RunId::new_v7();
  Transaction r = Transaction::for_run(run);
  EXPECT_EQ(r.run_id(), run);
  EXPECT_FALSE(r.id().is_nil());

  TxId id = TxId::new_v7();
  EXPECT_EQ(Transaction::with_id(id).id(), id);
  EXPECT_FALSE(Transaction::with_id(id).run_id().has_value());
  Transaction both = Transaction::with_id_and_run(id, run);
  EXPECT_EQ(both.id(), id);
  EXPECT_EQ(both.run_id(), run);

  a.kv_put("k", "v").kv_delete("k");
  EXPECT_EQ(a.len(), 2U);
  EXPECT_FALSE(a.is_empty());
  ASSERT_NE(a.entries()[0].get_if<KvPutOp>(), nullptr);
  EXPECT_EQ(a.entries()[0].get_if<KvPutOp>()->value, "v");
}

TEST(Transaction, EveryOperationHasItsTypeInOrder) {
  Transaction tx = all_operations(Transaction::create());
  ASSERT_EQ(tx.len(), kAllOpTypes.size());
  for (std::size_t i = 0; i < kAllOpTypes.size(); ++i) {
    EXPECT_EQ(tx.entries()[i].entry_type(), kAllOpTypes[i]) << i;
  }
}

TEST(Transaction, ToWalEntriesShareIdAndRunAndHaveNoCommit) {
  RunId run = RunId::new_v7();
  Transaction tx = all_operations(Transaction::for_run(run));
  std::vector<WalEntry> entries = tx.to_wal_entries();
  ASSERT_EQ(entries.size(), tx.len());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].tx_id, tx.id());
    EXPECT_EQ(entries[i].run_id, run);
    EXPECT_EQ(entries[i].entry_type, kAllOpTypes[i]);
    EXPECT_FALSE(entries[i].is_control());
  }
  Transaction no_run = all_operations(Transaction::create());
  for (const WalEntry& e : no_run.to_wal_entries()) {
    EXPECT_FALSE(e.run_id.has_value());
  }
}

TEST(Transaction, EveryOperationRoundTripsThroughItsPayloadAndRecord) {
  Transaction tx = all_operations(Transaction::for_run(RunId::new_v7()));
  for (const TxEntry& op : tx.entries()) {
    auto back = TxEntry::from_wal_payload(op.entry_type(), op.to_wal_payload());
    ASSERT_TRUE(back.ok()) << name(op.entry_type()) << ": "
                           << back.status().to_string();
    EXPECT_EQ(*back, op) << name(op.entry_type());
  }
  for (const WalEntry& e : tx.to_wal_entries()) {
    auto rec = encode_wal_entry(e);
    ASSERT_TRUE(rec.ok());
    auto dec = decode_wal_entry(*rec);
    ASSERT_TRUE(dec.ok());
    EXPECT_EQ(*dec, e);
  }
  auto rebuilt = rebuild_transaction(tx.id(), tx.to_wal_entries());
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(rebuilt->id(), tx.id());
  EXPECT_EQ(rebuilt->run_id(), tx.run_id());
  EXPECT_EQ(rebuilt->entries(), tx.entries());
}

TEST(TxEntry, PayloadLayoutsAreTheOriginals) {
  // put-like: u32 key_len | key | value.
  std::string put = TxEntry(KvPutOp{"key", "value"}).to_wal_payload();
  ASSERT_EQ(put.size(), 4U + 3U + 5U);
  EXPECT_EQ(decode_fixed32(put.data()), 3U);
  EXPECT_EQ(put.substr(4), "keyvalue");
  // StateTransition: u32 key_len | key | u32 from_len | from | to.
  std::string st =
      TxEntry(StateTransitionOp{"c", "from", "to"}).to_wal_payload();
  ASSERT_EQ(st.size(), 4U + 1U + 4U + 4U + 2U);
  EXPECT_EQ(decode_fixed32(st.data()), 1U);
  EXPECT_EQ(decode_fixed32(st.data() + 5), 4U);
  EXPECT_EQ(st.substr(9), "fromto");
  // raw.
  EXPECT_EQ(TxEntry(KvDeleteOp{"gone"}).to_wal_payload(), "gone");
  EXPECT_EQ(TxEntry(EventAppendOp{"ev"}).to_wal_payload(), "ev");
  EXPECT_EQ(TxEntry(RunEndOp{"r"}).to_wal_payload(), "r");
}

TEST(TxEntry, EmptyFieldsRoundTrip) {
  for (TxEntry op :
       {TxEntry(KvPutOp{"", ""}), TxEntry(KvDeleteOp{""}),
        TxEntry(StateTransitionOp{"", "", ""}), TxEntry(JsonPatchOp{"", ""}),
        TxEntry(EventAppendOp{""})}) {
    auto back = TxEntry::from_wal_payload(op.entry_type(), op.to_wal_payload());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, op);
  }
}

TEST(TxEntry, ControlAndVectorTypesHaveNone) {
  for (WalEntryType t : kAllWalEntryTypes) {
    bool expect = !is_control(t) && primitive_kind(t) != PrimitiveKind::kVector;
    EXPECT_EQ(TxEntry::has_tx_entry(t), expect) << name(t);
    if (!expect) {
      EXPECT_TRUE(
          TxEntry::from_wal_payload(t, "").status().is_invalid_argument())
          << name(t);
    }
  }
  std::vector<WalEntry> with_marker = {
      WalEntry::commit_marker(TxId::new_v7(), {})};
  EXPECT_FALSE(entries_to_tx_entries(with_marker).ok());
}

TEST(TxEntry, TruncatedPayloadsAreCorruptionNamingTheField) {
  auto short_len = TxEntry::from_wal_payload(WalEntryType::kKvPut, "ab");
  ASSERT_FALSE(short_len.ok());
  EXPECT_TRUE(short_len.status().is_corruption());
  EXPECT_NE(short_len.status().message().find("KvPut payload: key length"),
            std::string::npos)
      << short_len.status().to_string();

  std::string payload = TxEntry(KvPutOp{"longkey", "v"}).to_wal_payload();
  auto cut =
      TxEntry::from_wal_payload(WalEntryType::kKvPut, payload.substr(0, 6));
  ASSERT_FALSE(cut.ok());
  EXPECT_TRUE(cut.status().is_corruption());
  EXPECT_NE(cut.status().message().find("claims 7 bytes but only 2 remain"),
            std::string::npos)
      << cut.status().to_string();

  std::string st =
      TxEntry(StateTransitionOp{"k", "from", "to"}).to_wal_payload();
  auto st_cut = TxEntry::from_wal_payload(WalEntryType::kStateTransition,
                                          st.substr(0, 7));
  ASSERT_FALSE(st_cut.ok());
  EXPECT_NE(st_cut.status().message().find("from length at offset 5"),
            std::string::npos)
      << st_cut.status().to_string();

  // A length of 0xFFFFFFFF must not wrap or read out of bounds.
  std::string huge(4, '\xff');
  huge += "abc";
  EXPECT_TRUE(TxEntry::from_wal_payload(WalEntryType::kStateSet, huge)
                  .status()
                  .is_corruption());
}

// Every prefix of every payload decodes or fails cleanly.
TEST(TxEntry, EveryPrefixDecodesOrFailsCleanly) {
  Transaction tx = all_operations(Transaction::create());
  for (const TxEntry& op : tx.entries()) {
    std::string p = op.to_wal_payload();
    for (std::size_t n = 0; n <= p.size(); ++n) {
      auto r = TxEntry::from_wal_payload(op.entry_type(), p.substr(0, n));
      if (!r.ok()) {
        EXPECT_TRUE(r.status().is_corruption());
      }
    }
  }
}

RC_GTEST_PROP(TxEntry, PutLikeRoundTrip,
              (const std::string& key, const std::string& value)) {
  for (TxEntry op :
       {TxEntry(KvPutOp{key, value}), TxEntry(JsonSetOp{key, value}),
        TxEntry(StateInitOp{key, value}), TxEntry(JsonPatchOp{key, value})}) {
    auto back = TxEntry::from_wal_payload(op.entry_type(), op.to_wal_payload());
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == op);
  }
}

RC_GTEST_PROP(TxEntry, StateTransitionRoundTrip,
              (const std::string& key, const std::string& from,
               const std::string& to)) {
  TxEntry op(StateTransitionOp{key, from, to});
  auto back = TxEntry::from_wal_payload(op.entry_type(), op.to_wal_payload());
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == op);
}

RC_GTEST_PROP(TxEntry, GarbagePayloadsNeverCrash,
              (const std::string& bytes, uint8_t type_index)) {
  WalEntryType t = kAllOpTypes[type_index % kAllOpTypes.size()];
  auto r = TxEntry::from_wal_payload(t, bytes);
  if (r.ok()) {
    // Decoding is exact: re-encoding gives the same bytes.
    RC_ASSERT(r->to_wal_payload() == bytes);
  } else {
    RC_ASSERT(r.status().is_corruption());
  }
}

RC_GTEST_PROP(Transaction, BuiltTransactionsSurviveRecordEncoding,
              (const std::vector<std::string>& keys, bool with_run)) {
  Transaction tx =
      with_run ? Transaction::for_run(RunId::new_v7()) : Transaction::create();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    switch (i % 4) {
      case 0:
        tx.kv_put(keys[i], keys[(i + 1) % keys.size()]);
        break;
      case 1:
        tx.event_append(keys[i]);
        break;
      case 2:
        tx.state_transition(keys[i], "a", keys[i]);
        break;
      default:
        tx.json_create(keys[i], "{}");
    }
  }
  std::vector<WalEntry> decoded;
  for (const WalEntry& e : tx.to_wal_entries()) {
    auto dec = decode_wal_entry(*encode_wal_entry(e));
    RC_ASSERT(dec.ok());
    decoded.push_back(std::move(dec).value());
  }
  auto rebuilt = rebuild_transaction(tx.id(), decoded);
  RC_ASSERT(rebuilt.ok());
  RC_ASSERT(rebuilt->entries() == tx.entries());
}

}  // namespace
}  // namespace strata::durability::txlog
