// Transaction Log types: entry type ranges, reserved vs unknown values,
// helpers, ids, the WalEntry record encoding and its marker payloads, size
// limits, and decoding of damaged bytes.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "strata/durability/txlog/wal_entry.h"
#include "strata/durability/txlog/wal_entry_type.h"

namespace strata::durability::txlog {
namespace {

TEST(WalEntryType, ValuesMatchTheOriginal) {
  EXPECT_EQ(to_byte(WalEntryType::kTransactionCommit), 0x00);
  EXPECT_EQ(to_byte(WalEntryType::kTransactionAbort), 0x01);
  EXPECT_EQ(to_byte(WalEntryType::kSnapshotMarker), 0x02);
  EXPECT_EQ(to_byte(WalEntryType::kKvPut), 0x10);
  EXPECT_EQ(to_byte(WalEntryType::kKvDelete), 0x11);
  EXPECT_EQ(to_byte(WalEntryType::kJsonCreate), 0x20);
  EXPECT_EQ(to_byte(WalEntryType::kJsonSet), 0x21);
  EXPECT_EQ(to_byte(WalEntryType::kJsonDelete), 0x22);
  EXPECT_EQ(to_byte(WalEntryType::kJsonDestroy), 0x23);
  EXPECT_EQ(to_byte(WalEntryType::kJsonPatch), 0x24);
  EXPECT_EQ(to_byte(WalEntryType::kEventAppend), 0x30);
  EXPECT_EQ(to_byte(WalEntryType::kStateInit), 0x40);
  EXPECT_EQ(to_byte(WalEntryType::kStateSet), 0x41);
  EXPECT_EQ(to_byte(WalEntryType::kStateTransition), 0x42);
  EXPECT_EQ(to_byte(WalEntryType::kRunCreate), 0x60);
  EXPECT_EQ(to_byte(WalEntryType::kRunUpdate), 0x61);
  EXPECT_EQ(to_byte(WalEntryType::kRunEnd), 0x62);
  EXPECT_EQ(to_byte(WalEntryType::kRunBegin), 0x63);
  EXPECT_EQ(to_byte(WalEntryType::kVectorCollectionCreate), 0x70);
  EXPECT_EQ(to_byte(WalEntryType::kVectorCollectionDelete), 0x71);
  EXPECT_EQ(to_byte(WalEntryType::kVectorUpsert), 0x72);
  EXPECT_EQ(to_byte(WalEntryType::kVectorDelete), 0x73);
  EXPECT_EQ(std::size(kAllWalEntryTypes), 22U);
}

TEST(WalEntryType, EveryByteHasExactlyOneClass) {
  int known = 0;
  int unknown = 0;
  int reserved = 0;
  for (int v = 0; v < 256; ++v) {
    auto b = static_cast<uint8_t>(v);
    switch (classify_entry_type(b)) {
      case EntryTypeClass::kKnown:
        ++known;
        EXPECT_TRUE(is_known(b));
        EXPECT_FALSE(is_reserved(b));
        EXPECT_TRUE(entry_type_from_byte(b).ok());
        break;
      case EntryTypeClass::kUnknownInRange:
        ++unknown;
        EXPECT_FALSE(is_known(b));
        EXPECT_FALSE(is_reserved(b));
        EXPECT_TRUE(entry_type_from_byte(b).status().is_not_supported());
        break;
      case EntryTypeClass::kReserved:
        ++reserved;
        EXPECT_FALSE(is_known(b));
        EXPECT_TRUE(is_reserved(b));
        EXPECT_TRUE(entry_type_from_byte(b).status().is_corruption());
        break;
    }
  }
  EXPECT_EQ(known, 22);
  EXPECT_EQ(reserved, 16 + 128);
  EXPECT_EQ(known + unknown + reserved, 256);
}

TEST(WalEntryType, ReservedIsOneRuleForBothReservedRanges) {
  for (int v = 0x50; v <= 0x5F; ++v) EXPECT_TRUE(is_reserved(v)) << v;
  for (int v = 0x80; v <= 0xFF; ++v) EXPECT_TRUE(is_reserved(v)) << v;
  // 0x74-0x7F lie inside the Vector range: unknown, not reserved.
  for (int v = 0x74; v <= 0x7F; ++v) {
    EXPECT_FALSE(is_reserved(v)) << v;
    EXPECT_EQ(classify_entry_type(v), EntryTypeClass::kUnknownInRange);
  }
  EXPECT_FALSE(is_reserved(0x4F));
  EXPECT_FALSE(is_reserved(0x60));
  EXPECT_FALSE(is_reserved(0x7F));
}

TEST(WalEntryType, UnknownAndReservedErrorsAreDistinctAndClear) {
  auto unknown = entry_type_from_byte(0x17);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.status().is_not_supported());
  EXPECT_NE(unknown.status().message().find(
                "unknown entry type 0x17 in the KV range"),
            std::string::npos)
      << unknown.status().to_string();

  auto reserved = entry_type_from_byte(0x55);
  ASSERT_FALSE(reserved.ok());
  EXPECT_TRUE(reserved.status().is_corruption());
  EXPECT_NE(reserved.status().message().find("reserved entry type 0x55"),
            std::string::npos)
      << reserved.status().to_string();

  auto high = entry_type_from_byte(0xC3);
  EXPECT_NE(high.status().message().find("reserved entry type 0xc3"),
            std::string::npos);
  auto vec = entry_type_from_byte(0x7A);
  EXPECT_NE(vec.status().message().find("in the Vector range"),
            std::string::npos);
  auto core = entry_type_from_byte(0x03);
  EXPECT_NE(core.status().message().find("in the Core range"),
            std::string::npos);
}

TEST(WalEntryType, ControlAndBoundaryHelpers) {
  for (WalEntryType t : kAllWalEntryTypes) {
    bool control = t == WalEntryType::kTransactionCommit ||
                   t == WalEntryType::kTransactionAbort ||
                   t == WalEntryType::kSnapshotMarker;
    EXPECT_EQ(is_control(t), control) << name(t);
    bool boundary = t == WalEntryType::kTransactionCommit ||
                    t == WalEntryType::kTransactionAbort;
    EXPECT_EQ(is_transaction_boundary(t), boundary) << name(t);
  }
}

TEST(WalEntryType, PrimitiveKindFollowsTheRange) {
  EXPECT_EQ(primitive_kind(WalEntryType::kSnapshotMarker),
            PrimitiveKind::kCore);
  EXPECT_EQ(primitive_kind(WalEntryType::kKvDelete), PrimitiveKind::kKv);
  EXPECT_EQ(primitive_kind(WalEntryType::kJsonPatch), PrimitiveKind::kJson);
  EXPECT_EQ(primitive_kind(WalEntryType::kEventAppend), PrimitiveKind::kEvent);
  EXPECT_EQ(primitive_kind(WalEntryType::kStateTransition),
            PrimitiveKind::kState);
  EXPECT_EQ(primitive_kind(WalEntryType::kRunBegin), PrimitiveKind::kRun);
  EXPECT_EQ(primitive_kind(WalEntryType::kVectorDelete),
            PrimitiveKind::kVector);
  for (WalEntryType t : kAllWalEntryTypes) {
    EXPECT_EQ(primitive_kind_of_byte(to_byte(t)), primitive_kind(t));
    EXPECT_EQ(range_name(t), range_name_of_byte(to_byte(t)));
  }
  EXPECT_EQ(primitive_kind_of_byte(0x55), std::nullopt);
  EXPECT_EQ(primitive_kind_of_byte(0x90), std::nullopt);
  EXPECT_EQ(range_name_of_byte(0x55), "Reserved");
  EXPECT_EQ(range_name_of_byte(0xF0), "Reserved");
  EXPECT_EQ(range_name(WalEntryType::kKvPut), "KV");
  EXPECT_EQ(range_name(WalEntryType::kJsonSet), "JSON");
  EXPECT_EQ(range_name(WalEntryType::kTransactionAbort), "Core");
}

TEST(WalEntryType, NamesAndDescriptionsAreDistinctAndNonEmpty) {
  std::set<std::string_view> names;
  std::set<std::string_view> descriptions;
  for (WalEntryType t : kAllWalEntryTypes) {
    EXPECT_FALSE(name(t).empty());
    EXPECT_FALSE(description(t).empty());
    names.insert(name(t));
    descriptions.insert(description(t));
  }
  EXPECT_EQ(names.size(), std::size(kAllWalEntryTypes));
  EXPECT_EQ(descriptions.size(), std::size(kAllWalEntryTypes));
  EXPECT_EQ(name(WalEntryType::kKvPut), "KvPut");
  EXPECT_EQ(name(WalEntryType::kTransactionCommit), "TransactionCommit");
  EXPECT_EQ(name(WalEntryType::kVectorUpsert), "VectorUpsert");
}

// ---------------------------------------------------------------- ids

TEST(TxIds, NewIdsAreTimeOrderedV7AndNilMeansNoTransaction) {
  TxId a = TxId::new_v7();
  TxId b = TxId::new_v7();
  EXPECT_EQ(a.version(), 7);
  EXPECT_LT(a, b);
  EXPECT_TRUE(TxId::nil().is_nil());
  EXPECT_FALSE(
      WalEntry::make(WalEntryType::kKvPut, TxId::nil(), "").is_transactional());
  EXPECT_TRUE(WalEntry::make(WalEntryType::kKvPut, a, "").is_transactional());
}

RC_GTEST_PROP(TxIds, TextRoundTrip, ()) {
  Uuid::Bytes bytes{};
  for (auto& b : bytes) b = *rc::gen::arbitrary<uint8_t>();
  RunId id(bytes);
  auto parsed = RunId::parse(id.to_string());
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == id);
}

// ---------------------------------------------------------------- entries

TEST(WalEntry, ConstructorsSetTheFields) {
  TxId tx = TxId::new_v7();
  RunId run = RunId::new_v7();
  WalEntry e = WalEntry::make(WalEntryType::kKvPut, tx, "abc");
  EXPECT_EQ(e.entry_type, WalEntryType::kKvPut);
  EXPECT_EQ(e.version, kWalEntryFormatVersion);
  EXPECT_EQ(e.tx_id, tx);
  EXPECT_FALSE(e.run_id.has_value());
  EXPECT_EQ(e.payload, "abc");

  WalEntry r = WalEntry::for_run(WalEntryType::kEventAppend, tx, run, "x");
  EXPECT_EQ(r.run_id, run);

  WalEntry c = WalEntry::commit_marker(tx, CommitInfo{1234, 99, std::nullopt});
  EXPECT_EQ(c.entry_type, WalEntryType::kTransactionCommit);
  EXPECT_FALSE(c.run_id.has_value());
  auto info = c.commit_info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->commit_time_micros, 1234U);
  EXPECT_EQ(info->commit_version, 99U);

  WalEntry a = WalEntry::abort_marker(tx);
  EXPECT_EQ(a.entry_type, WalEntryType::kTransactionAbort);
  EXPECT_TRUE(a.payload.empty());
  EXPECT_TRUE(a.is_control());

  Uuid snap = Uuid::new_v7();
  WalEntry s = WalEntry::snapshot_marker(snap, 4096);
  EXPECT_TRUE(s.tx_id.is_nil());
  EXPECT_FALSE(s.run_id.has_value());
  auto sinfo = s.snapshot_info();
  ASSERT_TRUE(sinfo.ok());
  EXPECT_EQ(sinfo->snapshot_id, snap);
  EXPECT_EQ(sinfo->wal_lsn, 4096U);

  WalEntry rb = WalEntry::run_begin_marker(run, 77);
  EXPECT_TRUE(rb.tx_id.is_nil());
  EXPECT_EQ(rb.run_id, run);
  EXPECT_EQ(*decode_run_begin_payload(rb.payload), (RunBeginInfo{run, 77}));
  WalEntry re = WalEntry::run_end_marker(run, 88, 5);
  EXPECT_EQ(*decode_run_end_payload(re.payload), (RunEndInfo{run, 88, 5}));

  EXPECT_TRUE(e.commit_info().status().is_invalid_argument());
  EXPECT_TRUE(e.snapshot_info().status().is_invalid_argument());
}

TEST(WalEntry, EncodingLayoutIsAsDocumented) {
  TxId tx = TxId::new_v7();
  RunId run = RunId::new_v7();
  auto plain =
      encode_wal_entry(WalEntry::make(WalEntryType::kKvPut, tx, "hello"));
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->size(), 19U + 5U);
  EXPECT_EQ(static_cast<uint8_t>((*plain)[0]), 1);
  EXPECT_EQ(static_cast<uint8_t>((*plain)[1]), 0x10);
  EXPECT_EQ(static_cast<uint8_t>((*plain)[2]), 0);
  EXPECT_EQ(plain->substr(3, 16), tx.raw());
  EXPECT_EQ(plain->substr(19), "hello");

  auto with_run = encode_wal_entry(
      WalEntry::for_run(WalEntryType::kKvPut, tx, run, "hello"));
  ASSERT_TRUE(with_run.ok());
  ASSERT_EQ(with_run->size(), 35U + 5U);
  EXPECT_EQ(static_cast<uint8_t>((*with_run)[2]), kFlagHasRunId);
  EXPECT_EQ(with_run->substr(19, 16), run.raw());
  EXPECT_EQ(
      encoded_size(WalEntry::for_run(WalEntryType::kKvPut, tx, run, "hello")),
      40U);

  // Commit payload: u64 time | u8 flags | [u64 version] | [u32 count].
  EXPECT_EQ(
      encode_commit_payload(CommitInfo{5, std::nullopt, std::nullopt}).size(),
      9U);
  EXPECT_EQ(encode_commit_payload(CommitInfo{5, 6, std::nullopt}).size(), 17U);
  EXPECT_EQ(encode_commit_payload(CommitInfo{5, std::nullopt, 3}).size(), 13U);
  std::string full = encode_commit_payload(CommitInfo{5, 6, 3});
  ASSERT_EQ(full.size(), 21U);
  EXPECT_EQ(static_cast<uint8_t>(full[8]), 0x03);
  EXPECT_EQ(static_cast<uint8_t>(full[17]), 3);
}

TEST(WalEntry, RoundTripsEveryType) {
  TxId tx = TxId::new_v7();
  RunId run = RunId::new_v7();
  for (WalEntryType t : kAllWalEntryTypes) {
    WalEntry e;
    switch (t) {
      case WalEntryType::kTransactionCommit:
        e = WalEntry::commit_marker(tx, CommitInfo{42, std::nullopt, 0});
        break;
      case WalEntryType::kTransactionAbort:
        e = WalEntry::abort_marker(tx);
        break;
      case WalEntryType::kSnapshotMarker:
        e = WalEntry::snapshot_marker(Uuid::new_v7(), 100);
        break;
      default:
        e = WalEntry::for_run(t, tx, run,
                              std::string("payload-") + std::string(name(t)));
    }
    auto enc = encode_wal_entry(e);
    ASSERT_TRUE(enc.ok()) << name(t) << ": " << enc.status().to_string();
    auto dec = decode_wal_entry(*enc);
    ASSERT_TRUE(dec.ok()) << name(t) << ": " << dec.status().to_string();
    EXPECT_EQ(*dec, e) << name(t);
  }
}

TEST(WalEntry, PayloadLimitIsEnforcedOnWriteAndOnRead) {
  TxId tx = TxId::new_v7();
  std::string big(1025, 'x');
  WalEntry e = WalEntry::make(WalEntryType::kEventAppend, tx, big);
  auto too_big = encode_wal_entry(e, 1024);
  ASSERT_FALSE(too_big.ok());
  EXPECT_TRUE(too_big.status().is_invalid_argument());
  EXPECT_NE(too_big.status().message().find("exceeds the limit of 1024"),
            std::string::npos)
      << too_big.status().to_string();
  std::string out = "keep";
  EXPECT_FALSE(encode_wal_entry(e, &out, 1024).ok());
  EXPECT_EQ(out, "keep");  // nothing appended

  auto fits = encode_wal_entry(e, 1025);
  ASSERT_TRUE(fits.ok());
  auto read_small = decode_wal_entry(*fits, 1024);
  ASSERT_FALSE(read_small.ok());
  EXPECT_TRUE(read_small.status().is_corruption());
  EXPECT_NE(read_small.status().message().find("limit of 1024"),
            std::string::npos);
  EXPECT_TRUE(decode_wal_entry(*fits, 1025).ok());

  // The default limit is 16 MiB, inclusive.
  EXPECT_EQ(kDefaultMaxPayloadSize, 16U * 1024 * 1024);
  WalEntry edge = WalEntry::make(WalEntryType::kEventAppend, tx,
                                 std::string(kDefaultMaxPayloadSize, 'y'));
  EXPECT_TRUE(encode_wal_entry(edge).ok());
  edge.payload.push_back('z');
  EXPECT_FALSE(encode_wal_entry(edge).ok());
}

TEST(WalEntry, MalformedMarkersAreRefusedOnWrite) {
  EXPECT_TRUE(encode_wal_entry(WalEntry::abort_marker(TxId::nil()))
                  .status()
                  .is_invalid_argument());
  EXPECT_TRUE(encode_wal_entry(WalEntry::commit_marker(TxId::nil(), {}))
                  .status()
                  .is_invalid_argument());
  WalEntry snap = WalEntry::snapshot_marker(Uuid::new_v7(), 1);
  snap.tx_id = TxId::new_v7();
  EXPECT_TRUE(encode_wal_entry(snap).status().is_invalid_argument());
  WalEntry bad_commit =
      WalEntry::make(WalEntryType::kTransactionCommit, TxId::new_v7(), "junk");
  EXPECT_TRUE(encode_wal_entry(bad_commit).status().is_invalid_argument());
  WalEntry old = WalEntry::make(WalEntryType::kKvPut, TxId::new_v7(), "");
  old.version = 2;
  EXPECT_TRUE(encode_wal_entry(old).status().is_invalid_argument());
}

TEST(WalEntry, DecodeGivesClearErrorsNamingFieldAndOffset) {
  TxId tx = TxId::new_v7();
  std::string good = *encode_wal_entry(
      WalEntry::for_run(WalEntryType::kKvPut, tx, RunId::new_v7(), "v"));

  auto empty = decode_wal_entry("");
  EXPECT_TRUE(empty.status().is_corruption());

  std::string v0 = good;
  v0[0] = 0;
  EXPECT_NE(decode_wal_entry(v0).status().message().find("version 0"),
            std::string::npos);

  std::string newer = good;
  newer[0] = 2;
  auto n = decode_wal_entry(newer);
  EXPECT_TRUE(n.status().is_not_supported());
  EXPECT_NE(n.status().message().find("newer"), std::string::npos);

  auto short_header = decode_wal_entry(good.substr(0, 10));
  EXPECT_TRUE(short_header.status().is_corruption());
  EXPECT_NE(short_header.status().message().find("19-byte header"),
            std::string::npos);

  auto short_run = decode_wal_entry(good.substr(0, 25));
  EXPECT_TRUE(short_run.status().is_corruption());
  EXPECT_NE(short_run.status().message().find("run id at offset 19"),
            std::string::npos);

  std::string unknown = good;
  unknown[1] = 0x17;
  auto u = decode_wal_entry(unknown);
  EXPECT_TRUE(u.status().is_not_supported());
  EXPECT_NE(u.status().message().find("offset 1"), std::string::npos);

  std::string reserved = good;
  reserved[1] = static_cast<char>(0x90);
  EXPECT_TRUE(decode_wal_entry(reserved).status().is_corruption());

  std::string flags = good;
  flags[2] = static_cast<char>(0x81);
  auto f = decode_wal_entry(flags);
  EXPECT_TRUE(f.status().is_corruption());
  EXPECT_NE(f.status().message().find("flag bits 0x80 at offset 2"),
            std::string::npos)
      << f.status().to_string();
}

TEST(WalEntry, DecodeValidatesMarkerPayloads) {
  TxId tx = TxId::new_v7();
  std::string commit =
      *encode_wal_entry(WalEntry::commit_marker(tx, {1, 2, std::nullopt}));
  // Cut the version off: the flag still says one follows.
  auto cut = decode_wal_entry(commit.substr(0, commit.size() - 8));
  EXPECT_TRUE(cut.status().is_corruption());
  EXPECT_NE(cut.status().message().find("commit marker"), std::string::npos);

  std::string abort = *encode_wal_entry(WalEntry::abort_marker(tx));
  EXPECT_TRUE(decode_wal_entry(abort + "x").status().is_corruption());

  std::string nil_commit = commit;
  for (int i = 3; i < 19; ++i) nil_commit[static_cast<std::size_t>(i)] = 0;
  EXPECT_TRUE(decode_wal_entry(nil_commit).status().is_corruption());

  std::string snap =
      *encode_wal_entry(WalEntry::snapshot_marker(Uuid::new_v7(), 9));
  EXPECT_TRUE(decode_wal_entry(snap.substr(0, snap.size() - 1))
                  .status()
                  .is_corruption());
}

TEST(MarkerPayloads, RejectWrongSizes) {
  EXPECT_TRUE(decode_commit_payload("").status().is_corruption());
  EXPECT_TRUE(
      decode_commit_payload(std::string(10, '\0')).status().is_corruption());
  std::string bad_flags(9, '\0');
  bad_flags[8] = 0x04;
  EXPECT_TRUE(decode_commit_payload(bad_flags).status().is_corruption());
  std::string count_missing(9, '\0');
  count_missing[8] = 0x02;  // says a count follows; none does
  EXPECT_TRUE(decode_commit_payload(count_missing).status().is_corruption());
  EXPECT_TRUE(decode_snapshot_payload("abc").status().is_corruption());
  EXPECT_TRUE(
      decode_run_begin_payload(std::string(32, '\0')).status().is_corruption());
  EXPECT_TRUE(
      decode_run_end_payload(std::string(24, '\0')).status().is_corruption());
}

RC_GTEST_PROP(WalEntry, EncodeDecodeRoundTrip,
              (const std::string& payload, bool with_run)) {
  std::vector<WalEntryType> data_types;
  for (WalEntryType t : kAllWalEntryTypes) {
    if (!is_control(t)) data_types.push_back(t);
  }
  WalEntryType t = *rc::gen::elementOf(data_types);
  TxId tx = TxId::new_v7();
  WalEntry e = with_run ? WalEntry::for_run(t, tx, RunId::new_v7(), payload)
                        : WalEntry::make(t, tx, payload);
  auto enc = encode_wal_entry(e);
  RC_ASSERT(enc.ok());
  RC_ASSERT(enc->size() == encoded_size(e));
  auto dec = decode_wal_entry(*enc);
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == e);
}

RC_GTEST_PROP(WalEntry, CommitInfoRoundTrip,
              (uint64_t time, bool has_version, uint64_t version,
               bool has_count, uint32_t count)) {
  CommitInfo info{time,
                  has_version ? std::optional<uint64_t>(version) : std::nullopt,
                  has_count ? std::optional<uint32_t>(count) : std::nullopt};
  auto dec = decode_commit_payload(encode_commit_payload(info));
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == info);
}

// Arbitrary bytes never crash the decoder; a success re-encodes to the
// same bytes (the encoding is canonical).
RC_GTEST_PROP(WalEntry, DecodeOfArbitraryBytesNeverCrashes,
              (const std::string& bytes)) {
  auto dec = decode_wal_entry(bytes);
  if (dec.ok()) {
    auto enc = encode_wal_entry(*dec);
    RC_ASSERT(enc.ok());
    RC_ASSERT(*enc == bytes);
  } else {
    RC_ASSERT(dec.status().is_corruption() || dec.status().is_not_supported());
  }
}

// The same with a valid header in front, so the type and flag checks and
// marker payload validation are actually reached.
RC_GTEST_PROP(WalEntry, DecodeOfDamagedEntriesNeverCrashes,
              (uint8_t type, uint8_t flags, const std::string& tail)) {
  std::string bytes;
  bytes.push_back(1);
  bytes.push_back(static_cast<char>(type));
  bytes.push_back(static_cast<char>(flags & 0x03));
  bytes.append(TxId::new_v7().raw());
  bytes.append(tail);
  auto dec = decode_wal_entry(bytes);
  if (dec.ok()) {
    RC_ASSERT(*encode_wal_entry(*dec) == bytes);
  }
}

}  // namespace
}  // namespace strata::durability::txlog
