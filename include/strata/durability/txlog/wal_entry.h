// WalEntry: one entry of the Transaction Log, its ids, the payloads of its
// marker entries, and its encoding into one log-core record payload.
//
// The record encoding (docs/format.md, section 7 gives every byte):
//
//   u8  entry format version (1)
//   u8  entry type (WalEntryType)
//   u8  flags: bit 0 = a run id follows; other bits must be 0 in version 1
//   16  tx id (nil = not part of a transaction)
//   16  run id, only when flag bit 0 is set
//   ..  payload, to the end of the record
//
// The log core frames each record with its length and a CRC32C, so the
// entry carries neither. Unlike the original, the version byte is checked on
// read: a newer version is NotSupported, never a misread.

#ifndef STRATA_DURABILITY_TXLOG_WAL_ENTRY_H_
#define STRATA_DURABILITY_TXLOG_WAL_ENTRY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"
#include "strata/durability/txlog/wal_entry_type.h"
#include "strata/durability/uuid.h"

namespace strata::durability::txlog {

// Transaction and run ids are UUIDs; new ones are version 7 (time-ordered).
// The nil TxId means "not part of a transaction" (snapshot and run markers).
using TxId = Uuid;
using RunId = Uuid;

// The entry format version this library writes and the newest it reads.
inline constexpr uint8_t kWalEntryFormatVersion = 1;
// Bytes before the payload without and with a run id.
inline constexpr std::size_t kEntryHeaderSize = 19;
inline constexpr std::size_t kEntryHeaderSizeWithRun = 35;
// Flag bits of the header's third byte.
inline constexpr uint8_t kFlagHasRunId = 0x01;
inline constexpr uint8_t kKnownFlags = kFlagHasRunId;

// Payload limits. The default is the original's 16 MiB; a writer and reader
// may be configured with any limit up to kMaxPayloadSizeLimit (the log
// core's largest record less the entry header).
inline constexpr std::size_t kDefaultMaxPayloadSize = 16U << 20;
inline constexpr std::size_t kMaxPayloadSizeLimit =
    log::kMaxRecordSizeLimit - kEntryHeaderSizeWithRun;

// What a commit marker says about its transaction. Commit markers carry the
// commit time and, when the caller tracks versions, a commit version: the
// seed's "version tracking in the Transaction Log". The original's markers
// had an empty payload.
//
// A commit marker also carries how many data entries its transaction has,
// so that recovery can tell a whole transaction from one that lost an
// entry to a skipped damaged span (or that began before the replay's start
// LSN). The original could not: in its skip mode a transaction with a
// skipped entry came back as committed, partial.
struct CommitInfo {
  uint64_t commit_time_micros = 0;  // wall clock, µs since the Unix epoch
  std::optional<uint64_t> commit_version;
  std::optional<uint32_t> entry_count;  // data entries of the transaction

  friend bool operator==(const CommitInfo&, const CommitInfo&) = default;
};

// A snapshot marker says: a snapshot with this id holds the state produced
// by every entry below `wal_lsn`.
struct SnapshotInfo {
  Uuid snapshot_id;
  log::Lsn wal_lsn = 0;

  friend bool operator==(const SnapshotInfo&, const SnapshotInfo&) = default;
};

// The structured payloads of the markers WalWriter::write_run_begin and
// write_run_end write (RunBegin and RunEnd entries with a nil tx id).
struct RunBeginInfo {
  RunId run_id;
  uint64_t timestamp_micros = 0;

  friend bool operator==(const RunBeginInfo&, const RunBeginInfo&) = default;
};
struct RunEndInfo {
  RunId run_id;
  uint64_t timestamp_micros = 0;
  uint64_t event_count = 0;

  friend bool operator==(const RunEndInfo&, const RunEndInfo&) = default;
};

// Payload codecs for the markers. Each decode checks the exact length and
// returns Corruption naming the field, never reads out of bounds.
std::string encode_commit_payload(const CommitInfo& info);
Result<CommitInfo> decode_commit_payload(std::string_view payload);
std::string encode_snapshot_payload(const SnapshotInfo& info);
Result<SnapshotInfo> decode_snapshot_payload(std::string_view payload);
std::string encode_run_begin_payload(const RunBeginInfo& info);
Result<RunBeginInfo> decode_run_begin_payload(std::string_view payload);
std::string encode_run_end_payload(const RunEndInfo& info);
Result<RunEndInfo> decode_run_end_payload(std::string_view payload);

struct WalEntry {
  WalEntryType entry_type = WalEntryType::kKvPut;
  uint8_t version = kWalEntryFormatVersion;
  TxId tx_id;
  std::optional<RunId> run_id;
  std::string payload;

  // The original's constructor was `new`, which C++ cannot name; `make` is
  // its counterpart: an entry of a transaction, with no run id.
  static WalEntry make(WalEntryType type, const TxId& tx_id,
                       std::string payload);
  // An entry of a transaction that belongs to a run.
  static WalEntry for_run(WalEntryType type, const TxId& tx_id,
                          const RunId& run_id, std::string payload);
  // Ends `tx_id` as committed. No run id: markers pass every run filter.
  static WalEntry commit_marker(const TxId& tx_id, const CommitInfo& info);
  // Ends `tx_id` as aborted; empty payload, no run id.
  static WalEntry abort_marker(const TxId& tx_id);
  // A snapshot marker: nil tx id, no run id.
  static WalEntry snapshot_marker(const Uuid& snapshot_id, log::Lsn wal_lsn);
  // Run lifecycle markers: nil tx id, run id set.
  static WalEntry run_begin_marker(const RunId& run_id,
                                   uint64_t timestamp_micros);
  static WalEntry run_end_marker(const RunId& run_id, uint64_t timestamp_micros,
                                 uint64_t event_count);

  bool is_control() const { return txlog::is_control(entry_type); }
  bool is_transactional() const { return !tx_id.is_nil(); }
  // The decoded payload of a marker; InvalidArgument for another type,
  // Corruption for a malformed payload.
  Result<CommitInfo> commit_info() const;
  Result<SnapshotInfo> snapshot_info() const;

  friend bool operator==(const WalEntry&, const WalEntry&) = default;
};

// Bytes of the record encoding of `entry`.
std::size_t encoded_size(const WalEntry& entry);

// Appends the record encoding of `entry` to `*out`. InvalidArgument, with
// nothing appended, when the payload passes `max_payload_size`, the version
// is not kWalEntryFormatVersion, or a marker is malformed (a commit or
// abort with a nil tx id, a snapshot marker with a tx id, a commit payload
// that does not decode).
Status encode_wal_entry(const WalEntry& entry, std::string* out,
                        std::size_t max_payload_size = kDefaultMaxPayloadSize);
Result<std::string> encode_wal_entry(
    const WalEntry& entry,
    std::size_t max_payload_size = kDefaultMaxPayloadSize);
// encode_wal_entry in two steps, for a log that encodes straight into its
// write buffer: the checks alone (the same errors), then the encoding of a
// checked entry written at `out`, exactly encoded_size(entry) bytes.
// Returns the end of what was written.
Status check_wal_entry(const WalEntry& entry,
                       std::size_t max_payload_size = kDefaultMaxPayloadSize);
char* write_wal_entry(const WalEntry& entry, char* out);

// Appends what encode_wal_entry writes before the payload (version, type,
// flags, tx id, run id), for an encoder that then appends a data entry's
// payload in place (WalWriter's commits, without building WalEntry
// objects). The payload follows to the end of the record.
void encode_wal_entry_header(WalEntryType type, const TxId& tx_id,
                             const std::optional<RunId>& run_id,
                             std::string* out);
// The same header written at `out` (wal_entry_header_size(run_id) bytes);
// returns its end.
char* write_wal_entry_header(WalEntryType type, const TxId& tx_id,
                             const std::optional<RunId>& run_id, char* out);
inline std::size_t wal_entry_header_size(const std::optional<RunId>& run_id) {
  return run_id ? kEntryHeaderSizeWithRun : kEntryHeaderSize;
}

// Decodes one record payload. Never reads out of bounds on any input.
//   NotSupported  a newer entry format version, or a type value unused in
//                 its range (entry_type_from_byte): bytes a newer writer
//                 may legitimately have written;
//   Corruption    anything else: too short, version 0, a reserved type,
//                 unknown flag bits, a payload past `max_payload_size`, or
//                 a marker whose payload or tx id is malformed.
// Every message names the field and its byte offset in the record.
Result<WalEntry> decode_wal_entry(
    std::string_view record,
    std::size_t max_payload_size = kDefaultMaxPayloadSize);

// "KvPut tx=0192... run=0192... payload=12 bytes", for logs and tools.
std::string describe(const WalEntry& entry);

}  // namespace strata::durability::txlog

#endif  // STRATA_DURABILITY_TXLOG_WAL_ENTRY_H_
