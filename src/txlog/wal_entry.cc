// WalEntry: constructors, marker payload codecs and the record encoding.

#include "strata/durability/txlog/wal_entry.h"

#include <cstdio>
#include <utility>

#include "util/coding.h"

namespace strata::durability::txlog {

namespace {

// Commit payload: u64 commit time | u8 flags | [u64 commit version] |
// [u32 entry count].
constexpr uint8_t kCommitHasVersion = 0x01;
constexpr uint8_t kCommitHasEntryCount = 0x02;
constexpr uint8_t kCommitKnownFlags = kCommitHasVersion | kCommitHasEntryCount;
constexpr std::size_t kCommitPayloadMinSize = 9;
constexpr std::size_t kCommitPayloadMaxSize = 21;
constexpr std::size_t kSnapshotPayloadSize = 24;
constexpr std::size_t kRunBeginPayloadSize = 24;
constexpr std::size_t kRunEndPayloadSize = 32;

std::string hex_byte(uint8_t value) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", static_cast<unsigned>(value));
  return buf;
}

std::string size_mismatch(std::string_view what, std::size_t got,
                          std::string_view want) {
  return std::string(what) + " payload has " + std::to_string(got) +
         " bytes, want " + std::string(want);
}

template <class Out>
void put_uuid(Out* out, const Uuid& id) {
  out->append(id.raw());
}

Uuid uuid_at(const char* p) {
  Uuid::Bytes b{};
  for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(p[i]);
  return Uuid(b);
}

// Checks that a marker entry is well-formed; `bad` builds the error.
template <typename MakeError>
Status check_marker(const WalEntry& e, MakeError bad) {
  switch (e.entry_type) {
    case WalEntryType::kTransactionCommit: {
      if (e.tx_id.is_nil()) return bad("commit marker with a nil tx id");
      auto info = decode_commit_payload(e.payload);
      if (!info.ok()) return bad(info.status().message());
      return Status::ok_status();
    }
    case WalEntryType::kTransactionAbort:
      if (e.tx_id.is_nil()) return bad("abort marker with a nil tx id");
      if (!e.payload.empty()) {
        return bad(size_mismatch("abort marker", e.payload.size(), "0"));
      }
      return Status::ok_status();
    case WalEntryType::kSnapshotMarker: {
      if (!e.tx_id.is_nil()) return bad("snapshot marker with a tx id");
      auto info = decode_snapshot_payload(e.payload);
      if (!info.ok()) return bad(info.status().message());
      return Status::ok_status();
    }
    default:
      return Status::ok_status();
  }
}

}  // namespace

std::string encode_commit_payload(const CommitInfo& info) {
  std::string out;
  put_fixed64(&out, info.commit_time_micros);
  uint8_t flags = 0;
  if (info.commit_version) flags |= kCommitHasVersion;
  if (info.entry_count) flags |= kCommitHasEntryCount;
  put_u8(&out, flags);
  if (info.commit_version) put_fixed64(&out, *info.commit_version);
  if (info.entry_count) put_fixed32(&out, *info.entry_count);
  return out;
}

Result<CommitInfo> decode_commit_payload(std::string_view payload) {
  if (payload.size() < kCommitPayloadMinSize ||
      payload.size() > kCommitPayloadMaxSize) {
    return Status::corruption(
        size_mismatch("commit marker", payload.size(), "9 to 21"));
  }
  CommitInfo info;
  info.commit_time_micros = decode_fixed64(payload.data());
  auto flags = static_cast<uint8_t>(payload[8]);
  if ((flags & ~kCommitKnownFlags) != 0) {
    return Status::corruption("commit marker payload: unknown flag bits " +
                              hex_byte(flags) + " at offset 8");
  }
  bool has_version = (flags & kCommitHasVersion) != 0;
  bool has_count = (flags & kCommitHasEntryCount) != 0;
  std::size_t want = 9 + (has_version ? 8 : 0) + (has_count ? 4 : 0);
  if (payload.size() != want) {
    return Status::corruption(size_mismatch(
        "commit marker", payload.size(),
        std::to_string(want) + " (as its flags " + hex_byte(flags) + " say)"));
  }
  std::size_t pos = 9;
  if (has_version) {
    info.commit_version = decode_fixed64(payload.data() + pos);
    pos += 8;
  }
  if (has_count) info.entry_count = decode_fixed32(payload.data() + pos);
  return info;
}

std::string encode_snapshot_payload(const SnapshotInfo& info) {
  std::string out;
  put_uuid(&out, info.snapshot_id);
  put_fixed64(&out, info.wal_lsn);
  return out;
}

Result<SnapshotInfo> decode_snapshot_payload(std::string_view payload) {
  if (payload.size() != kSnapshotPayloadSize) {
    return Status::corruption(
        size_mismatch("snapshot marker", payload.size(), "24"));
  }
  return SnapshotInfo{uuid_at(payload.data()),
                      decode_fixed64(payload.data() + 16)};
}

std::string encode_run_begin_payload(const RunBeginInfo& info) {
  std::string out;
  put_uuid(&out, info.run_id);
  put_fixed64(&out, info.timestamp_micros);
  return out;
}

Result<RunBeginInfo> decode_run_begin_payload(std::string_view payload) {
  if (payload.size() != kRunBeginPayloadSize) {
    return Status::corruption(
        size_mismatch("run begin marker", payload.size(), "24"));
  }
  return RunBeginInfo{uuid_at(payload.data()),
                      decode_fixed64(payload.data() + 16)};
}

std::string encode_run_end_payload(const RunEndInfo& info) {
  std::string out;
  put_uuid(&out, info.run_id);
  put_fixed64(&out, info.timestamp_micros);
  put_fixed64(&out, info.event_count);
  return out;
}

Result<RunEndInfo> decode_run_end_payload(std::string_view payload) {
  if (payload.size() != kRunEndPayloadSize) {
    return Status::corruption(
        size_mismatch("run end marker", payload.size(), "32"));
  }
  return RunEndInfo{uuid_at(payload.data()),
                    decode_fixed64(payload.data() + 16),
                    decode_fixed64(payload.data() + 24)};
}

WalEntry WalEntry::make(WalEntryType type, const TxId& tx_id,
                        std::string payload) {
  WalEntry e;
  e.entry_type = type;
  e.tx_id = tx_id;
  e.payload = std::move(payload);
  return e;
}

WalEntry WalEntry::for_run(WalEntryType type, const TxId& tx_id,
                           const RunId& run_id, std::string payload) {
  WalEntry e = make(type, tx_id, std::move(payload));
  e.run_id = run_id;
  return e;
}

WalEntry WalEntry::commit_marker(const TxId& tx_id, const CommitInfo& info) {
  return make(WalEntryType::kTransactionCommit, tx_id,
              encode_commit_payload(info));
}

WalEntry WalEntry::abort_marker(const TxId& tx_id) {
  return make(WalEntryType::kTransactionAbort, tx_id, std::string());
}

WalEntry WalEntry::snapshot_marker(const Uuid& snapshot_id, log::Lsn wal_lsn) {
  return make(WalEntryType::kSnapshotMarker, TxId::nil(),
              encode_snapshot_payload(SnapshotInfo{snapshot_id, wal_lsn}));
}

WalEntry WalEntry::run_begin_marker(const RunId& run_id,
                                    uint64_t timestamp_micros) {
  return for_run(
      WalEntryType::kRunBegin, TxId::nil(), run_id,
      encode_run_begin_payload(RunBeginInfo{run_id, timestamp_micros}));
}

WalEntry WalEntry::run_end_marker(const RunId& run_id,
                                  uint64_t timestamp_micros,
                                  uint64_t event_count) {
  return for_run(WalEntryType::kRunEnd, TxId::nil(), run_id,
                 encode_run_end_payload(
                     RunEndInfo{run_id, timestamp_micros, event_count}));
}

Result<CommitInfo> WalEntry::commit_info() const {
  if (entry_type != WalEntryType::kTransactionCommit) {
    return Status::invalid_argument("commit_info() of a " +
                                    std::string(name(entry_type)) + " entry");
  }
  return decode_commit_payload(payload);
}

Result<SnapshotInfo> WalEntry::snapshot_info() const {
  if (entry_type != WalEntryType::kSnapshotMarker) {
    return Status::invalid_argument("snapshot_info() of a " +
                                    std::string(name(entry_type)) + " entry");
  }
  return decode_snapshot_payload(payload);
}

std::size_t encoded_size(const WalEntry& entry) {
  return (entry.run_id ? kEntryHeaderSizeWithRun : kEntryHeaderSize) +
         entry.payload.size();
}

Status check_wal_entry(const WalEntry& entry, std::size_t max_payload_size) {
  if (entry.version != kWalEntryFormatVersion) {
    return Status::invalid_argument("cannot write txlog entry format version " +
                                    std::to_string(entry.version) +
                                    "; this library writes version " +
                                    std::to_string(kWalEntryFormatVersion));
  }
  if (entry.payload.size() > max_payload_size) {
    return Status::invalid_argument(
        "txlog " + std::string(name(entry.entry_type)) + " payload of " +
        std::to_string(entry.payload.size()) + " bytes exceeds the limit of " +
        std::to_string(max_payload_size) + " bytes");
  }
  Status marker = check_marker(entry, [](std::string_view why) {
    return Status::invalid_argument("malformed txlog entry: " +
                                    std::string(why));
  });
  return marker;
}

namespace {

template <class Out>
void put_entry_header(Out* out, uint8_t version, WalEntryType type,
                      const TxId& tx_id, const std::optional<RunId>& run_id) {
  put_u8(out, version);
  put_u8(out, to_byte(type));
  put_u8(out, run_id ? kFlagHasRunId : 0);
  put_uuid(out, tx_id);
  if (run_id) put_uuid(out, *run_id);
}

}  // namespace

Status encode_wal_entry(const WalEntry& entry, std::string* out,
                        std::size_t max_payload_size) {
  if (Status s = check_wal_entry(entry, max_payload_size); !s.ok()) return s;
  out->reserve(out->size() + encoded_size(entry));
  put_entry_header(out, entry.version, entry.entry_type, entry.tx_id,
                   entry.run_id);
  out->append(entry.payload);
  return Status::ok_status();
}

char* write_wal_entry(const WalEntry& entry, char* out) {
  ByteWriter w(out);
  put_entry_header(&w, entry.version, entry.entry_type, entry.tx_id,
                   entry.run_id);
  w.append(entry.payload);
  return w.position();
}

void encode_wal_entry_header(WalEntryType type, const TxId& tx_id,
                             const std::optional<RunId>& run_id,
                             std::string* out) {
  put_entry_header(out, kWalEntryFormatVersion, type, tx_id, run_id);
}

char* write_wal_entry_header(WalEntryType type, const TxId& tx_id,
                             const std::optional<RunId>& run_id, char* out) {
  ByteWriter w(out);
  put_entry_header(&w, kWalEntryFormatVersion, type, tx_id, run_id);
  return w.position();
}

Result<std::string> encode_wal_entry(const WalEntry& entry,
                                     std::size_t max_payload_size) {
  std::string out;
  Status s = encode_wal_entry(entry, &out, max_payload_size);
  if (!s.ok()) return s;
  return out;
}

Result<WalEntry> decode_wal_entry(std::string_view record,
                                  std::size_t max_payload_size) {
  auto corrupt = [](std::string_view why) {
    return Status::corruption("txlog entry: " + std::string(why));
  };
  if (record.size() < 1) return corrupt("empty record, want at least 19 bytes");
  auto version = static_cast<uint8_t>(record[0]);
  if (version == 0) return corrupt("format version 0 at offset 0");
  if (version > kWalEntryFormatVersion) {
    return Status::not_supported("txlog entry: format version " +
                                 std::to_string(version) +
                                 " at offset 0 is newer than this reader's " +
                                 std::to_string(kWalEntryFormatVersion));
  }
  if (record.size() < kEntryHeaderSize) {
    return corrupt("record of " + std::to_string(record.size()) +
                   " bytes is shorter than the 19-byte header");
  }
  auto type_byte = static_cast<uint8_t>(record[1]);
  auto type = entry_type_from_byte(type_byte);
  if (!type.ok()) return type.status().with_context("txlog entry at offset 1");
  auto flags = static_cast<uint8_t>(record[2]);
  if ((flags & ~kKnownFlags) != 0) {
    return corrupt("unknown flag bits " + hex_byte(flags & ~kKnownFlags) +
                   " at offset 2");
  }
  WalEntry e;
  e.entry_type = *type;
  e.version = version;
  e.tx_id = uuid_at(record.data() + 3);
  std::size_t pos = kEntryHeaderSize;
  if ((flags & kFlagHasRunId) != 0) {
    if (record.size() < kEntryHeaderSizeWithRun) {
      return corrupt("run id at offset 19 truncated: record has " +
                     std::to_string(record.size()) + " bytes, want 35");
    }
    e.run_id = uuid_at(record.data() + kEntryHeaderSize);
    pos = kEntryHeaderSizeWithRun;
  }
  std::size_t payload_size = record.size() - pos;
  if (payload_size > max_payload_size) {
    return corrupt("payload at offset " + std::to_string(pos) + " has " +
                   std::to_string(payload_size) +
                   " bytes, more than the limit of " +
                   std::to_string(max_payload_size) +
                   " (raise max_payload_size to read it)");
  }
  e.payload.assign(record.substr(pos));
  Status marker = check_marker(e, [&](std::string_view why) {
    return Status::corruption("txlog entry: " + std::string(why) +
                              " (payload at offset " + std::to_string(pos) +
                              ")");
  });
  if (!marker.ok()) return marker;
  return e;
}

std::string describe(const WalEntry& entry) {
  std::string out(name(entry.entry_type));
  out += " tx=";
  out += entry.tx_id.is_nil() ? "nil" : entry.tx_id.to_string();
  if (entry.run_id) out += " run=" + entry.run_id->to_string();
  out += " payload=" + std::to_string(entry.payload.size()) + " bytes";
  return out;
}

}  // namespace strata::durability::txlog
