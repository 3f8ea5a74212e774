// libFuzzer target: the MVCC entry decoder (mvcc::decode_entry). The
// encoding is canonical (docs/format-mvcc.md), so every input that decodes
// must re-encode to exactly the same bytes; decoding must never crash, and
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
  if (!entry.ok()) {
    FUZZ_CHECK(entry.status().is_corruption() ||
               entry.status().is_not_supported());
    FUZZ_CHECK(!entry.status().message().empty());
    return 0;
  }
  std::string again;
  strata::durability::Status s = encode_entry(*entry, &again);
  FUZZ_CHECK(s.ok());
  FUZZ_CHECK(again == bytes);
  auto twice = decode_entry(again);
  FUZZ_CHECK(twice.ok());
  // Equality is structural; NaN values compare unequal to themselves, so
  // compare the encodings instead of the entries.
  std::string third;
  FUZZ_CHECK(encode_entry(*twice, &third).ok());
  FUZZ_CHECK(third == bytes);
  (void)entry->to_string();
  (void)entry->run_id();
  (void)entry->txn_id();
  (void)entry->version();
  FUZZ_CHECK(entry->is_data() !=
             (entry->is_txn_boundary() || entry->is_checkpoint()));
  return 0;
}
