// libFuzzer target: the Transaction Log decoders: decode_wal_entry (the
// record encoding), the marker payload codecs, and
// TxEntry::from_wal_payload for every entry type. Whatever decodes must
// re-encode to the same bytes (each layout is a function of its fields),
// and no decoder may read out of bounds.
//
// Input: 1 byte choosing the payload limit (0: the default, n: n * 8
// bytes), then the bytes, fed to every decoder.

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_entry.h"
#include "strata/durability/txlog/wal_entry_type.h"
#include "fuzz_util.h"

namespace {

using namespace strata::durability::
    txlog;  // NOLINT(google-build-using-namespace)

void check_entry(std::string_view bytes, std::size_t limit) {
  auto e = decode_wal_entry(bytes, limit);
  if (!e.ok()) {
    FUZZ_CHECK(e.status().is_corruption() || e.status().is_not_supported());
    FUZZ_CHECK(!e.status().message().empty());
    return;
  }
  FUZZ_CHECK(e->payload.size() <= limit);
  FUZZ_CHECK(encoded_size(*e) == bytes.size());
  auto again = encode_wal_entry(*e, limit);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == bytes);
  (void)describe(*e);
  if (e->entry_type == WalEntryType::kTransactionCommit) {
    FUZZ_CHECK(e->commit_info().ok());
  }
  if (e->entry_type == WalEntryType::kSnapshotMarker) {
    FUZZ_CHECK(e->snapshot_info().ok());
  }
  if (TxEntry::has_tx_entry(e->entry_type)) {
    auto op = TxEntry::from_wal_entry(*e);
    if (op.ok()) FUZZ_CHECK(op->to_wal_payload() == e->payload);
  }
}

void check_payloads(std::string_view bytes) {
  for (WalEntryType type : kAllWalEntryTypes) {
    auto op = TxEntry::from_wal_payload(type, bytes);
    if (!TxEntry::has_tx_entry(type)) {
      FUZZ_CHECK(!op.ok());
      continue;
    }
    if (!op.ok()) {
      FUZZ_CHECK(op.status().is_corruption());
      continue;
    }
    FUZZ_CHECK(op->entry_type() == type);
    FUZZ_CHECK(op->to_wal_payload() == bytes);
  }
  if (auto c = decode_commit_payload(bytes); c.ok()) {
    FUZZ_CHECK(encode_commit_payload(*c) == bytes);
  }
  if (auto s = decode_snapshot_payload(bytes); s.ok()) {
    FUZZ_CHECK(encode_snapshot_payload(*s) == bytes);
  }
  if (auto b = decode_run_begin_payload(bytes); b.ok()) {
    FUZZ_CHECK(encode_run_begin_payload(*b) == bytes);
  }
  if (auto r = decode_run_end_payload(bytes); r.ok()) {
    FUZZ_CHECK(encode_run_end_payload(*r) == bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t limit = data[0] == 0 ? kDefaultMaxPayloadSize
                                   : static_cast<std::size_t>(data[0]) * 8;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_entry(bytes, limit);
  check_payloads(bytes);
  // The payload of a well-formed entry, for every type as well.
  auto e = decode_wal_entry(bytes, limit);
  if (e.ok()) check_payloads(e->payload);
  return 0;
}
