// Tests for the MVCC entry encoding: round trips of every kind (fixed
// samples and a rapidcheck property), golden bytes, and that damaged,
// truncated, unknown or hostile bytes give a clear error and never a crash.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "support/mvcc_test_util.h"
#include "util/coding.h"

namespace strata::durability::mvcc {
namespace {

using testing::encoded;
using testing::encoded_as;
using testing::sample_entries;
using testing::test_run;

std::string hex(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 15]);
  }
  return out;
}

TEST(MvccCodec, EverySampleRoundTrips) {
  for (const WALEntry& e : sample_entries()) {
    SCOPED_TRACE(e.to_string());
    std::string bytes;
    ASSERT_TRUE(encode_entry(e, &bytes).ok());
    // Only Write and Delete have a version-2 form.
    const bool v2 = e.is<Write>() || e.is<Delete>();
    EXPECT_EQ(static_cast<uint8_t>(bytes[0]), v2 ? kEntryEncodingVersion : 1);
    EXPECT_EQ(static_cast<uint8_t>(bytes[1]), static_cast<uint8_t>(e.kind()));
    auto d = decode_entry(bytes);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(*d, e);
    EXPECT_EQ(encoded(*d), bytes);
  }
}

TEST(MvccCodec, EverySampleInVersionOneStillDecodes) {
  for (const WALEntry& e : sample_entries()) {
    SCOPED_TRACE(e.to_string());
    const std::string old = encoded_as(e, 1);
    EXPECT_EQ(old[0], 1);
    auto d = decode_entry(old);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(*d, e);
    EXPECT_EQ(encoded_as(*d, 1), old);
  }
}

TEST(MvccCodec, SizeAndDirectEncodingMatchEncodeEntry) {
  for (const WALEntry& e : sample_entries()) {
    SCOPED_TRACE(e.to_string());
    const std::string bytes = encoded(e);
    auto n = encoded_entry_size(e);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, bytes.size());
    std::string direct(*n + 1, '#');
    char* end = encode_entry_to(e, direct.data());
    EXPECT_EQ(end, direct.data() + *n);
    EXPECT_EQ(direct.substr(0, *n), bytes);
    EXPECT_EQ(direct.back(), '#');  // nothing written past the size
  }
  std::string out;
  EXPECT_TRUE(encode_entry_as(CommitTxn{}, 3, &out).is_invalid_argument());
  EXPECT_TRUE(encode_entry_as(CommitTxn{}, 0, &out).is_invalid_argument());
  EXPECT_TRUE(out.empty());
}

TEST(MvccCodec, VersionTwoWriteIsFortyBytesSmallerForADefaultNamespace) {
  const RunId run = test_run(1);
  WALEntry w = Write{run, Key::new_kv(Namespace::for_run(run), "key-1"),
                     Value::string(std::string(128, 'v')), 1000};
  // Three "default" names (8 bytes each) and the key's run id (16) folded
  // into one form byte that also carries the type tag.
  EXPECT_EQ(encoded_as(w, 1).size() - encoded(w).size(), 40U);
}

TEST(MvccCodec, EncodeAppends) {
  std::string out = "prefix";
  ASSERT_TRUE(encode_entry(CommitTxn{1, test_run(1)}, &out).ok());
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(decode_entry(std::string_view(out).substr(6)).value(),
            WALEntry(CommitTxn{1, test_run(1)}));
}

// Golden vectors: if these change, the on-disk format changed, and
// docs/format.md (section 6) and kEntryEncodingVersion must change with it.
TEST(MvccCodec, GoldenCommitTxn) {
  Uuid::Bytes b;
  for (int i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(hex(encoded(CommitTxn{300, Uuid(b)})),
            "0104"                                // version 1, CommitTxn
            "ac02"                                // txn_id 300 as a varint
            "000102030405060708090a0b0c0d0e0f");  // run_id
}

TEST(MvccCodec, GoldenWriteVersionOne) {
  Uuid::Bytes b;
  b.fill(0xaa);
  RunId run(b);
  WALEntry w = Write{
      run, Key::new_kv(Namespace::for_run(run), "k"),
      Value::object({{"b", Value::integer(-1)}, {"a", Value::boolean(true)}}),
      7};
  const std::string run_hex(32, 'a');
  EXPECT_EQ(hex(encoded_as(w, 1)),
            "0102" + run_hex +      // version, Write, run_id
                "0764656661756c74"  // tenant "default"
                "0764656661756c74"  // app
                "0764656661756c74" +
                run_hex +  // agent, namespace run
                "00"       // tag KV (index 0)
                "016b"     // user_key "k"
                "0702"     // Object, 2 members
                "0161"
                "0101"  // "a": Bool true
                "0162"
                "0201"  // "b": Int -1 (zig-zag 1)
                "07");  // version 7
}

TEST(MvccCodec, GoldenWriteVersionTwo) {
  Uuid::Bytes b;
  b.fill(0xaa);
  RunId run(b);
  b.fill(0xbb);
  RunId other(b);
  WALEntry w = Write{run, Key::new_kv(Namespace::for_run(run), "k"),
                     Value::string("v"), 7};
  const std::string run_hex(32, 'a');
  EXPECT_EQ(hex(encoded(w)),
            "0202"           // version 2, Write
            "18"             // form: KV, default names, same run
                + run_hex +  // run_id
                "016b"       // user_key "k"
                "040176"     // String "v"
                "07");       // version 7
  // A namespace of its own: the names and its run id spelled out.
  WALEntry d =
      Delete{run, Key::new_event(Namespace{"t", "a", "g", other}, 1), 9};
  EXPECT_EQ(hex(encoded(d)),
            "0203"                          // version 2, Delete
            "01"                            // form: Event (index 1), no flags
                + run_hex + "017401610167"  // "t" "a" "g"
                + std::string(32, 'b') +
                "080000000000000001"  // user key: seq 1
                "09");                // version 9
}

TEST(MvccCodec, GoldenFloatAndVector) {
  EXPECT_EQ(hex(encoded(VectorDelete{Uuid::nil(), "c", "k", 1, 2})),
            "0173" + std::string(32, '0') +
                "0163"
                "016b"
                "01"
                "02");
  std::string f =
      encoded(JsonCreate{Uuid::nil(), "", Value::floating(1.0), 0, 0});
  EXPECT_EQ(hex(f), "0120" + std::string(32, '0') +
                        "00"
                        "03000000000000f03f"
                        "00"
                        "00");
}

TEST(MvccCodec, TruncationAtEveryByteIsCorruption) {
  for (const WALEntry& e : sample_entries()) {
    std::string bytes = encoded(e);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto d = decode_entry(std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(d.ok()) << e.type_name() << " cut to " << n;
      EXPECT_TRUE(d.status().is_corruption())
          << e.type_name() << " cut to " << n << ": " << d.status().to_string();
    }
  }
}

TEST(MvccCodec, ErrorsNameTheEntryTypeOfEveryKind) {
  for (const WALEntry& e : sample_entries()) {
    std::string bytes = encoded(e);
    bytes.pop_back();
    auto d = decode_entry(bytes);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message().rfind(
                  "mvcc entry: " + std::string(e.type_name()) + ".", 0),
              0U)
        << d.status().to_string();
  }
}

TEST(MvccCodec, TrailingBytesAreCorruption) {
  for (const WALEntry& e : sample_entries()) {
    std::string bytes = encoded(e) + std::string(1, '\0');
    auto d = decode_entry(bytes);
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(d.status().is_corruption());
    EXPECT_NE(d.status().message().find("1 trailing bytes"), std::string::npos)
        << d.status().to_string();
  }
}

TEST(MvccCodec, UnknownTypeByteIsCorruption) {
  for (int t = 0; t < 256; ++t) {
    if (wal_entry_kind_from_byte(static_cast<uint8_t>(t))) continue;
    std::string bytes = {static_cast<char>(kEntryEncodingVersion),
                         static_cast<char>(t), 0, 0, 0};
    auto d = decode_entry(bytes);
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(d.status().is_corruption());
    EXPECT_NE(d.status().message().find("unknown entry type byte"),
              std::string::npos);
  }
  auto d = decode_entry(std::string("\x01\x07", 2));
  EXPECT_EQ(d.status().message(),
            "mvcc entry: type: unknown entry type byte 0x07 at byte 1 of 2");
}

TEST(MvccCodec, NewerEncodingVersionIsNotSupportedAndZeroIsCorruption) {
  std::string bytes = encoded(CommitTxn{1, test_run(1)});
  bytes[0] = kEntryEncodingVersion + 1;
  auto d = decode_entry(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(d.status().is_not_supported()) << d.status().to_string();
  bytes[0] = 0;
  EXPECT_TRUE(decode_entry(bytes).status().is_corruption());
  EXPECT_TRUE(decode_entry("").status().is_corruption());
}

TEST(MvccCodec, VersionTwoOnTypesWithoutAVersionTwoFormIsCorruption) {
  for (const WALEntry& e : sample_entries()) {
    if (e.is<Write>() || e.is<Delete>()) continue;
    std::string bytes = encoded(e);
    bytes[0] = 2;
    auto d = decode_entry(bytes);
    ASSERT_FALSE(d.ok()) << e.type_name();
    EXPECT_TRUE(d.status().is_corruption());
    EXPECT_NE(d.status().message().find("has no " + std::string(e.type_name()) +
                                        " form"),
              std::string::npos)
        << d.status().to_string();
  }
}

TEST(MvccCodec, VersionTwoKeyFieldsSpelledOutAreCorruption) {
  const RunId run = test_run(1);
  // Default names written out in full, with the flag clear.
  std::string names =
      encoded(Delete{run, Key::new_kv(Namespace{"x", "y", "z", run}, "k"), 1});
  // form byte at 2; names at 19: "\x01x\x01y\x01z" -> three "default"s.
  ASSERT_EQ(names.substr(19, 6), std::string("\x01x\x01y\x01z", 6));
  std::string dflt =
      "\x07"
      "default"
      "\x07"
      "default"
      "\x07"
      "default";
  names.replace(19, 6, dflt);
  auto d = decode_entry(names);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find(
                "Delete.key.tenant: default namespace names spelled out"),
            std::string::npos)
      << d.status().to_string();
  // The entry's own run id written out as the key's, with the flag clear.
  std::string same = encoded(
      Delete{run, Key::new_kv(Namespace::for_run(test_run(2)), "k"), 1});
  ASSERT_EQ(same[2], 0x08);
  same.replace(19, 16, run.raw());
  d = decode_entry(same);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find(
                "Delete.key.run_id: the entry's own run id spelled out"),
            std::string::npos)
      << d.status().to_string();
  // Reserved form bits.
  std::string reserved =
      encoded(Delete{run, Key::new_kv(Namespace::for_run(run), "k"), 1});
  reserved[2] = static_cast<char>(reserved[2] | 0x20);
  d = decode_entry(reserved);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("Delete.key.form: reserved bits"),
            std::string::npos)
      << d.status().to_string();
}

TEST(MvccCodec, ErrorsNameTheFieldAndOffset) {
  std::string bytes = encoded(
      Write{test_run(1), Key::new_kv(Namespace::for_run(test_run(1)), "abc"),
            Value::string("hello"), 5});
  // Cut in the middle of the value's string.
  std::size_t cut = bytes.size() - 3;
  auto d = decode_entry(std::string_view(bytes).substr(0, cut));
  ASSERT_FALSE(d.ok());
  std::string msg(d.status().message());
  EXPECT_NE(msg.find("Write.value"), std::string::npos) << msg;
  EXPECT_NE(msg.find("runs past the end"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at byte "), std::string::npos) << msg;
  EXPECT_NE(msg.find(" of " + std::to_string(cut)), std::string::npos) << msg;
}

// Builds an entry's bytes by hand: a Write with a hand-made value.
std::string write_with_raw_value(std::string_view raw_value) {
  std::string out = encoded(Write{Uuid::nil(), Key{}, Value::null(), 0});
  out.resize(out.size() - 2);  // drop Null tag and version 0
  out.append(raw_value);
  out.push_back(0);  // version
  return out;
}

TEST(MvccCodec, OutOfRangeValuesAreCorruption) {
  // Sanity: the hand-built form decodes when it is valid.
  ASSERT_TRUE(
      decode_entry(write_with_raw_value(std::string_view("\x00", 1))).ok());
  const std::pair<std::string, const char*> cases[] = {
      {std::string("\x01\x02", 2), "not 0 or 1"},         // bool byte 2
      {std::string("\x08", 1), "unknown value tag 8"},    // value tag
      {std::string("\x02\x80\x00", 3), "shortest form"},  // non-minimal
      {std::string("\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11),
       "longer than 64 bits"},
      {std::string("\x07\x02\x01\x62\x00\x01\x61\x00", 8), "ascending"},
      {std::string("\x07\x02\x01\x61\x00\x01\x61\x00", 8), "ascending"},
      {std::string("\x06\x85\x80\x80\x80\x80\x01", 7), "cannot fit"},
  };
  for (const auto& [raw, want] : cases) {
    auto d = decode_entry(write_with_raw_value(raw));
    ASSERT_FALSE(d.ok()) << hex(raw);
    EXPECT_TRUE(d.status().is_corruption());
    EXPECT_NE(d.status().message().find(want), std::string::npos)
        << hex(raw) << ": " << d.status().to_string();
  }
  // Metric byte 3.
  std::string vc = encoded(
      VectorCollectionCreate{Uuid::nil(), "", 1, DistanceMetric::kCosine, 0});
  vc[vc.size() - 2] = 3;
  EXPECT_NE(decode_entry(vc).status().message().find("unknown metric 3"),
            std::string::npos);
  // Key type tag 8 (version 1; version 2's three tag bits hold only 0-7).
  std::string del = encoded_as(Delete{Uuid::nil(), Key{}, 0}, 1);
  del[del.size() - 3] = 8;
  EXPECT_NE(decode_entry(del).status().message().find("unknown type tag 8"),
            std::string::npos)
      << decode_entry(del).status().to_string();
}

TEST(MvccCodec, HostileCountsAreRejectedBeforeAllocating) {
  // A Checkpoint claiming 2^62 active runs, in 30 bytes.
  std::string c = encoded(Checkpoint{Uuid::nil(), 0, {}});
  c.pop_back();
  put_varint64(&c, 1ULL << 62);
  auto d = decode_entry(c);
  EXPECT_TRUE(d.status().is_corruption());
  EXPECT_NE(d.status().message().find("Checkpoint.active_runs: count"),
            std::string::npos)
      << d.status().to_string();
  // An embedding of 2^40 floats.
  std::string v = encoded(
      VectorUpsert{Uuid::nil(), "", "", 0, {}, std::nullopt, 0, std::nullopt});
  v.resize(v.size() - 4);  // embedding count, metadata, version, source_ref
  put_varint64(&v, 1ULL << 40);
  EXPECT_TRUE(decode_entry(v).status().is_corruption());
  // A string whose length runs past the end.
  std::string s = write_with_raw_value("");
  s.pop_back();
  s.push_back(4);
  put_varint64(&s, UINT64_MAX);
  EXPECT_TRUE(decode_entry(s).status().is_corruption());
}

Value nested(int depth) {
  Value v = Value::integer(1);
  for (int i = 0; i < depth; ++i) v = Value::array({std::move(v)});
  return v;
}

TEST(MvccCodec, NestingDepthIsBounded) {
  // kMaxValueDepth levels encode and decode.
  WALEntry ok = Write{Uuid::nil(), Key{}, nested(kMaxValueDepth), 1};
  std::string bytes;
  ASSERT_TRUE(encode_entry(ok, &bytes).ok());
  EXPECT_EQ(decode_entry(bytes).value(), ok);
  // One more is refused at encode time, leaving the output alone...
  std::string out = "x";
  Status s = encode_entry(
      JsonSet{Uuid::nil(), "d", {}, nested(kMaxValueDepth + 1), 1}, &out);
  EXPECT_TRUE(s.is_invalid_argument());
  EXPECT_EQ(out, "x");
  // ...and is corruption when met on read.
  std::string raw;
  for (int i = 0; i < kMaxValueDepth + 1; ++i) raw.append("\x06\x01", 2);
  raw.append("\x00", 1);
  auto d = decode_entry(write_with_raw_value(raw));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("nest deeper than 64"),
            std::string::npos);
  // A million levels do not blow the stack.
  std::string deep;
  for (int i = 0; i < 1000000; ++i) deep.append("\x06\x01", 2);
  EXPECT_TRUE(
      decode_entry(write_with_raw_value(deep)).status().is_corruption());
}

TEST(MvccCodec, EncodedSizeRefusesWhatEncodeEntryRefuses) {
  Value deep = Value::integer(1);
  for (int i = 0; i < kMaxValueDepth + 1; ++i) deep = Value::array({deep});
  WALEntry e = Write{test_run(1), Key{}, deep, 1};
  std::string bytes;
  Status s = encode_entry(e, &bytes);
  auto size = encoded_entry_size(e);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().to_string(), s.to_string());
}

TEST(MvccCodec, StringsAreBytesNotNecessarilyUtf8) {
  std::string junk("\xff\xfe\x00\xc3\x28", 5);
  WALEntry e =
      Write{test_run(1), Key::new_kv(Namespace{junk, "", "", {}}, junk),
            Value::string(junk), 1};
  EXPECT_EQ(decode_entry(encoded(e)).value(), e);
}

// --------------------------------------------------------------- properties

RC_GTEST_PROP(MvccCodecProp, EveryEntryRoundTrips, ()) {
  WALEntry e = *testing::gen::entry();
  std::string bytes;
  RC_ASSERT(encode_entry(e, &bytes).ok());
  auto d = decode_entry(bytes);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->kind() == e.kind());
  // Bytes compare floats bitwise, so this holds with NaNs too.
  RC_ASSERT(encoded(*d) == bytes);
  RC_ASSERT(d->to_string() == e.to_string());
}

RC_GTEST_PROP(MvccCodecProp, SizeThenEncodeToWritesExactlyEncodeEntrysBytes,
              ()) {
  // The WAL sizes each entry, then has the log's leader write it in place:
  // both steps must agree with encode_entry to the byte.
  WALEntry e = *testing::gen::entry();
  std::string bytes;
  RC_ASSERT(encode_entry(e, &bytes).ok());
  auto size = encoded_entry_size(e);
  RC_ASSERT(size.ok());
  RC_ASSERT(*size == bytes.size());
  std::string out(*size + 1, '\x5a');
  RC_ASSERT(encode_entry_to(e, out.data()) == out.data() + *size);
  RC_ASSERT(out.substr(0, *size) == bytes);
  RC_ASSERT(out.back() == '\x5a');
}

RC_GTEST_PROP(MvccCodecProp, EntriesWithoutFloatsDecodeEqual, ()) {
  // Write/Delete/framing with integer-only values: operator== must hold.
  WALEntry e = *rc::gen::oneOf(
      rc::gen::map(
          rc::gen::arbitrary<int64_t>(),
          [](int64_t i) {
            return WALEntry(Write{
                test_run(1),
                Key::new_kv(Namespace::for_run(test_run(1)), std::to_string(i)),
                Value::integer(i), static_cast<uint64_t>(i)});
          }),
      rc::gen::map(testing::gen::u64(), [](uint64_t t) {
        return WALEntry(BeginTxn{t, test_run(2), t * 3});
      }));
  RC_ASSERT(decode_entry(encoded(e)).value() == e);
}

RC_GTEST_PROP(MvccCodecProp, RandomBytesNeverCrashAndDecodeCanonically, ()) {
  auto bytes = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
  // Often make it look like a real entry so that decoding gets deep.
  if (*rc::gen::arbitrary<bool>() && bytes.size() >= 2) {
    bytes[0] = 1;
    bytes[1] = static_cast<char>(
        *rc::gen::element<uint8_t>(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x20,
                                   0x21, 0x22, 0x23, 0x70, 0x71, 0x72, 0x73));
  }
  auto d = decode_entry(bytes);
  if (d.ok()) {
    // The encoding is canonical: anything that decodes re-encodes to itself
    // in the version it was written in.
    RC_ASSERT(encoded_as(*d, static_cast<uint8_t>(bytes[0])) == bytes);
  } else {
    RC_ASSERT(d.status().is_corruption() || d.status().is_not_supported());
  }
}

RC_GTEST_PROP(MvccCodecProp, MutatedEncodingsNeverCrash, ()) {
  WALEntry e = *testing::gen::entry();
  std::string bytes = encoded(e);
  const int flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; ++i) {
    auto pos = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes[pos] = static_cast<char>(*rc::gen::arbitrary<uint8_t>());
  }
  if (*rc::gen::arbitrary<bool>()) {
    bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size() + 1));
  }
  auto d = decode_entry(bytes);
  if (d.ok()) {
    RC_ASSERT(encoded_as(*d, static_cast<uint8_t>(bytes[0])) == bytes);
  }
}

RC_GTEST_PROP(MvccCodecProp, EveryEntryRoundTripsInVersionOne, ()) {
  WALEntry e = *testing::gen::entry();
  const std::string old = encoded_as(e, 1);
  auto d = decode_entry(old);
  RC_ASSERT(d.ok());
  RC_ASSERT(encoded_as(*d, 1) == old);
  RC_ASSERT(encoded(*d) == encoded(e));
}

// The view decoder sees exactly what the owning one does, for both
// versions, and rejects exactly what it rejects.
RC_GTEST_PROP(MvccCodecProp, ViewsDecodeTheSameEntry, ()) {
  WALEntry e = *testing::gen::entry();
  const uint8_t version = *rc::gen::element<uint8_t>(1, 2);
  std::string bytes = encoded_as(e, version);
  if (*rc::gen::arbitrary<bool>()) {
    auto pos = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes[pos] = static_cast<char>(*rc::gen::arbitrary<uint8_t>());
  }
  auto owned = decode_entry(bytes);
  EntryView view;
  auto v = decode_entry_view(bytes, &view);
  const bool viewable =
      bytes.size() >= 2 && (bytes[1] == 0x02 || bytes[1] == 0x03);
  if (!viewable) {
    RC_ASSERT(v.ok() && !*v);
    return;
  }
  RC_ASSERT(v.ok() == owned.ok());
  if (!owned.ok()) {
    RC_ASSERT(v.status().to_string() == owned.status().to_string());
    return;
  }
  RC_ASSERT(*v);
  WALEntry from_view = view.kind == WalEntryKind::kWrite
                           ? WALEntry(view.write.to_write())
                           : WALEntry(view.del.to_delete());
  // Compared through the encoding: NaN values are unequal to themselves.
  RC_ASSERT(encoded(from_view) == encoded(*owned));
}

}  // namespace
}  // namespace strata::durability::mvcc
