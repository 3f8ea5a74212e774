// libFuzzer target: the MVCC entry decoder (mvcc::decode_entry) and its
// view form (decode_entry_view). The encoding is canonical in each version
// (docs/format.md, section 6), so every input that decodes must re-encode,
// in the version its first byte names, to exactly the same bytes; decoding
// must never crash, the view decoder must agree with the owning one, and
// the entry's accessors and to_string() must work on whatever decoded.

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/durability/mvcc/entry_codec.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace strata::durability::
      mvcc;  // NOLINT(google-build-using-namespace)
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto entry = decode_entry(bytes);
  EntryView view;
  auto viewed = decode_entry_view(bytes, &view);
  if (!viewed.ok()) {
    // Only Writes and Deletes are viewed, and they fail as decode_entry.
    FUZZ_CHECK(!entry.ok());
    FUZZ_CHECK(viewed.status().to_string() == entry.status().to_string());
  } else if (*viewed) {
    FUZZ_CHECK(entry.ok());
    std::string a;
    std::string b;
    WALEntry from_view = view.kind == WalEntryKind::kWrite
                             ? WALEntry(view.write.to_write())
                             : WALEntry(view.del.to_delete());
    FUZZ_CHECK(encode_entry(from_view, &a).ok());
    FUZZ_CHECK(encode_entry(*entry, &b).ok());
    FUZZ_CHECK(a == b);
  }
  if (!entry.ok()) {
    FUZZ_CHECK(entry.status().is_corruption() ||
               entry.status().is_not_supported());
    FUZZ_CHECK(!entry.status().message().empty());
    return 0;
  }
  const auto version = static_cast<uint8_t>(bytes[0]);
  std::string again;
  strata::durability::Status s = encode_entry_as(*entry, version, &again);
  FUZZ_CHECK(s.ok());
  FUZZ_CHECK(again == bytes);
  auto twice = decode_entry(again);
  FUZZ_CHECK(twice.ok());
  // Equality is structural; NaN values compare unequal to themselves, so
  // compare the encodings instead of the entries.
  std::string third;
  FUZZ_CHECK(encode_entry_as(*twice, version, &third).ok());
  FUZZ_CHECK(third == bytes);
  // The newest encoding of anything that decodes decodes too.
  std::string newest;
  FUZZ_CHECK(encode_entry(*entry, &newest).ok());
  FUZZ_CHECK(decode_entry(newest).ok());
  (void)entry->to_string();
  (void)entry->run_id();
  (void)entry->txn_id();
  (void)entry->version();
  FUZZ_CHECK(entry->is_data() !=
             (entry->is_txn_boundary() || entry->is_checkpoint()));
  return 0;
}
