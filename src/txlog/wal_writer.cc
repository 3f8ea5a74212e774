// WalWriter: Transaction Log entries onto the shared log core.

#include "strata/durability/txlog/wal_writer.h"

#include <cstring>
#include <string>
#include <vector>

#include "strata/durability/log/log_reader.h"
#include "util/record_sizes.h"
#include "util/status_macros.h"

namespace strata::durability::txlog {

namespace {

// encode_wal_entry's refusal of a data entry's payload, for the paths that
// write the caller's payload straight into the log without a WalEntry.
Status check_payload(WalEntryType type, std::size_t size,
                     std::size_t max_payload_size) {
  if (size <= max_payload_size) return Status::ok_status();
  return Status::invalid_argument("txlog " + std::string(name(type)) +
                                  " payload of " + std::to_string(size) +
                                  " bytes exceeds the limit of " +
                                  std::to_string(max_payload_size) + " bytes");
}

// Writes a data entry (header, then the caller's payload) at `out`.
void write_data_entry(WalEntryType type, const TxId& tx_id,
                      const std::optional<RunId>& run_id,
                      std::string_view payload, char* out) {
  out = write_wal_entry_header(type, tx_id, run_id, out);
  if (!payload.empty()) std::memcpy(out, payload.data(), payload.size());
}

}  // namespace

WalWriter::~WalWriter() = default;

Result<std::unique_ptr<WalWriter>> WalWriter::open(
    const std::string& dir, const WalWriterOptions& options,
    log::OpenReport* report) {
  if (options.max_payload_size > kMaxPayloadSizeLimit) {
    return Status::invalid_argument(
        "max_payload_size " + std::to_string(options.max_payload_size) +
        " is above the limit of " + std::to_string(kMaxPayloadSizeLimit));
  }
  Env* env = options.env != nullptr ? options.env : Env::posix();
  log::LogWriterOptions lo;
  lo.env = env;
  lo.mode = options.mode;
  lo.kind = log::LogKind::kTxLog;
  lo.create_if_missing = options.create_if_missing;
  lo.segment_size = options.segment_size;
  lo.preallocate_segments = options.preallocate_segments;
  lo.preallocate_new_log = options.preallocate_new_log;
  lo.max_slot_retained_bytes = options.max_slot_retained_bytes;
  // A record is the entry header plus the payload.
  lo.max_record_size = options.max_payload_size + kEntryHeaderSizeWithRun;
  lo.recovery_mode = options.recovery_mode;
  STRATA_ASSIGN_OR_RETURN(auto core, log::LogWriter::open(dir, lo, report));
  return std::unique_ptr<WalWriter>(
      new WalWriter(options, env, std::move(core)));
}

TxId WalWriter::begin_transaction() { return TxId::new_v7(); }

Result<log::AppendResult> WalWriter::append_entries(
    std::span<const WalEntry> entries, bool force_sync,
    log::AppendCallback* done) {
  // Check every entry first, so that a bad one writes nothing; the log's
  // leader then encodes them straight into its write buffer.
  RecordSizes sizes(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    STRATA_RETURN_IF_ERROR(
        check_wal_entry(entries[i], options_.max_payload_size));
    sizes[i] = encoded_size(entries[i]);
  }
  auto encode = [entries](std::size_t i, char* out) {
    write_wal_entry(entries[i], out);
  };
  const log::RecordBatch batch{sizes.span(), encode};
  log::AppendOptions ao;
  ao.sync = force_sync;
  if (done != nullptr) return log_->append_async(batch, std::move(*done), ao);
  return log_->append(batch, ao);
}

Result<log::Lsn> WalWriter::write_entry(const WalEntry& entry) {
  STRATA_ASSIGN_OR_RETURN(auto r, append_entries(std::span(&entry, 1), false));
  return r.first_lsn;
}

Result<log::Lsn> WalWriter::write_tx_entry(const TxId& tx_id,
                                           const std::optional<RunId>& run_id,
                                           WalEntryType type,
                                           std::string_view payload) {
  if (tx_id.is_nil()) {
    return Status::invalid_argument(
        "write_tx_entry: nil tx id (nil means no transaction)");
  }
  if (is_control(type)) {
    return Status::invalid_argument(
        "write_tx_entry: " + std::string(name(type)) +
        " is a control type; use commit_transaction, abort_transaction or "
        "write_snapshot_marker");
  }
  // No WalEntry (and no copy of the payload into one): the log's leader
  // writes the header and the caller's payload straight into its buffer.
  STRATA_RETURN_IF_ERROR(
      check_payload(type, payload.size(), options_.max_payload_size));
  const std::size_t size = wal_entry_header_size(run_id) + payload.size();
  auto encode = [&](std::size_t, char* out) {
    write_data_entry(type, tx_id, run_id, payload, out);
  };
  STRATA_ASSIGN_OR_RETURN(
      auto r, log_->append(log::RecordBatch{std::span(&size, 1), encode}));
  std::lock_guard<std::mutex> l(counts_mu_);
  ++entry_counts_[tx_id];
  return r.first_lsn;
}

uint32_t WalWriter::take_entry_count(const TxId& tx_id) {
  std::lock_guard<std::mutex> l(counts_mu_);
  auto it = entry_counts_.find(tx_id);
  if (it == entry_counts_.end()) return 0;
  uint32_t n = it->second;
  entry_counts_.erase(it);
  return n;
}

Result<log::Lsn> WalWriter::write_tx_entry_for_run(const TxId& tx_id,
                                                   const RunId& run_id,
                                                   WalEntryType type,
                                                   std::string_view payload) {
  return write_tx_entry(tx_id, run_id, type, payload);
}

Result<log::Lsn> WalWriter::commit_transaction(
    const TxId& tx_id, std::optional<uint64_t> commit_version) {
  if (tx_id.is_nil()) {
    return Status::invalid_argument("commit_transaction: nil tx id");
  }
  uint32_t count = take_entry_count(tx_id);
  return write_entry(WalEntry::commit_marker(
      tx_id, CommitInfo{env_->now_micros(), commit_version, count}));
}

Result<log::Lsn> WalWriter::abort_transaction(const TxId& tx_id) {
  if (tx_id.is_nil()) {
    return Status::invalid_argument("abort_transaction: nil tx id");
  }
  take_entry_count(tx_id);
  return write_entry(WalEntry::abort_marker(tx_id));
}

Result<TransactionWriteResult> WalWriter::write_transaction(
    const std::optional<RunId>& run_id,
    std::span<const std::pair<WalEntryType, std::string>> entries,
    std::optional<uint64_t> commit_version) {
  TransactionWriteResult out;
  out.tx_id = begin_transaction();
  if (entries.empty()) {
    out.first_lsn = out.commit_lsn = position();
    return out;
  }
  // The entries' payloads go straight from `entries` into the log's
  // buffer (no WalEntry per entry); every one is checked first, so that a
  // bad one writes nothing.
  const std::size_t n = entries.size();
  const std::size_t header = wal_entry_header_size(run_id);
  RecordSizes sizes(n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& [type, payload] = entries[i];
    if (is_control(type)) {
      return Status::invalid_argument(
          "write_transaction: " + std::string(name(type)) +
          " is a control type and cannot be a transaction's entry");
    }
    STRATA_RETURN_IF_ERROR(
        check_payload(type, payload.size(), options_.max_payload_size));
    sizes[i] = header + payload.size();
  }
  const WalEntry marker = WalEntry::commit_marker(
      out.tx_id,
      CommitInfo{env_->now_micros(), commit_version, static_cast<uint32_t>(n)});
  STRATA_RETURN_IF_ERROR(check_wal_entry(marker, options_.max_payload_size));
  sizes[n] = encoded_size(marker);
  auto encode = [&](std::size_t i, char* buf) {
    if (i == n) {
      write_wal_entry(marker, buf);
    } else {
      write_data_entry(entries[i].first, out.tx_id, run_id, entries[i].second,
                       buf);
    }
  };
  STRATA_ASSIGN_OR_RETURN(auto r,
                          log_->append(log::RecordBatch{sizes.span(), encode}));
  out.first_lsn = r.first_lsn;
  out.commit_lsn = r.last_lsn;
  return out;
}

Result<log::Lsn> WalWriter::commit_atomic(
    const Transaction& tx, std::optional<uint64_t> commit_version) {
  return commit(tx, commit_version, nullptr);
}

Result<log::Lsn> WalWriter::commit_atomic_async(
    const Transaction& tx, log::AppendCallback done,
    std::optional<uint64_t> commit_version) {
  return commit(tx, commit_version, &done);
}

Result<log::Lsn> WalWriter::commit(const Transaction& tx,
                                   std::optional<uint64_t> commit_version,
                                   log::AppendCallback* done) {
  if (tx.is_empty()) {
    if (done != nullptr && *done) (*done)(Status());
    return position();
  }
  if (tx.id().is_nil()) {
    return Status::invalid_argument("commit_atomic: nil tx id");
  }
  if (tx.len() > UINT32_MAX) {
    return Status::invalid_argument("commit_atomic: more than 2^32 entries");
  }
  // Each operation is sized and checked here, then encoded by the log's
  // leader straight into its write buffer (no WalEntry, no payload string
  // of its own): the keys and values are copied once.
  const std::size_t n = tx.len();
  const std::size_t header = wal_entry_header_size(tx.run_id());
  RecordSizes sizes(n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    const TxEntry& op = tx.entries()[i];
    const std::size_t payload = op.wal_payload_size();
    if (payload > options_.max_payload_size) {
      return Status::invalid_argument(
          "commit_atomic: entry " + std::to_string(i) + ": txlog " +
          std::string(name(op.entry_type())) + " payload of " +
          std::to_string(payload) + " bytes exceeds the limit of " +
          std::to_string(options_.max_payload_size) + " bytes");
    }
    sizes[i] = header + payload;
  }
  const WalEntry marker = WalEntry::commit_marker(
      tx.id(),
      CommitInfo{env_->now_micros(), commit_version, static_cast<uint32_t>(n)});
  STRATA_RETURN_IF_ERROR(check_wal_entry(marker, options_.max_payload_size));
  sizes[n] = encoded_size(marker);
  auto encode = [&tx, &marker, n](std::size_t i, char* out) {
    if (i == n) {
      write_wal_entry(marker, out);
      return;
    }
    const TxEntry& op = tx.entries()[i];
    out = write_wal_entry_header(op.entry_type(), tx.id(), tx.run_id(), out);
    op.write_wal_payload(out);
  };
  const log::RecordBatch batch{sizes.span(), encode};
  auto r = done != nullptr ? log_->append_async(batch, std::move(*done))
                           : log_->append(batch);
  if (!r.ok()) return std::move(r).status();
  return r->last_lsn;
}

Result<log::Lsn> WalWriter::write_snapshot_marker(const Uuid& snapshot_id,
                                                  log::Lsn wal_lsn) {
  WalEntry e = WalEntry::snapshot_marker(snapshot_id, wal_lsn);
  // Always synced: a snapshot marker is what truncation trusts.
  STRATA_ASSIGN_OR_RETURN(auto r, append_entries(std::span(&e, 1), true));
  return r.first_lsn;
}

Result<log::Lsn> WalWriter::write_run_begin(const RunId& run_id) {
  return write_entry(WalEntry::run_begin_marker(run_id, env_->now_micros()));
}

Result<log::Lsn> WalWriter::write_run_end(const RunId& run_id,
                                          uint64_t event_count) {
  return write_entry(
      WalEntry::run_end_marker(run_id, env_->now_micros(), event_count));
}

Status WalWriter::flush() { return log_->poisoned(); }

Status WalWriter::sync() { return log_->sync(); }

log::Lsn WalWriter::position() const { return log_->end_lsn(); }

Result<uint64_t> WalWriter::truncate_before(log::Lsn snapshot_marker_lsn) {
  // Read the record at that LSN to make sure it is a snapshot marker: the
  // original cut at any byte offset it was given.
  log::LogReaderOptions ro;
  ro.env = env_;
  ro.start_lsn = snapshot_marker_lsn;
  ro.max_record_size = options_.max_payload_size + kEntryHeaderSizeWithRun;
  ro.check_kind = true;
  ro.expected_kind = log::LogKind::kTxLog;
  STRATA_ASSIGN_OR_RETURN(auto reader, log::LogReader::open(dir(), ro));
  log::LogRecord rec;
  STRATA_ASSIGN_OR_RETURN(bool found, reader->next(&rec));
  std::string where =
      "truncate_before(" + std::to_string(snapshot_marker_lsn) + "): ";
  if (!found || rec.lsn != snapshot_marker_lsn) {
    return Status::invalid_argument(where + "no record starts at that LSN");
  }
  auto entry = decode_wal_entry(rec.payload, options_.max_payload_size);
  if (!entry.ok()) return entry.status().with_context(where);
  if (entry->entry_type != WalEntryType::kSnapshotMarker) {
    return Status::invalid_argument(where + "the entry there is a " +
                                    std::string(name(entry->entry_type)) +
                                    ", not a SnapshotMarker");
  }
  STRATA_ASSIGN_OR_RETURN(auto info, entry->snapshot_info());
  // Replay from the snapshot starts at its wal_lsn, so nothing at or after
  // it may go, even when the marker was written later.
  log::Lsn cut = std::min(snapshot_marker_lsn, info.wal_lsn);
  return log_->remove_segments_before(cut);
}

Status WalWriter::close() { return log_->close(); }

}  // namespace strata::durability::txlog
