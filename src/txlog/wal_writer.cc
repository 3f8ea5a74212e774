// WalWriter: Transaction Log entries onto the shared log core.

#include "strata/durability/txlog/wal_writer.h"

#include <string>
#include <vector>

#include "strata/durability/log/log_reader.h"
#include "util/encode_scratch.h"
#include "util/status_macros.h"

namespace strata::durability::txlog {

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
  // Encode every entry first, so that a bad one writes nothing.
  EncodeScratch scratch;
  for (const WalEntry& e : entries) {
    STRATA_RETURN_IF_ERROR(
        encode_wal_entry(e, scratch.bytes(), options_.max_payload_size));
    scratch.end_record();
  }
  log::AppendOptions ao;
  ao.sync = force_sync;
  auto batch = scratch.records();
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
  WalEntry e = WalEntry::make(type, tx_id, std::string(payload));
  e.run_id = run_id;
  STRATA_ASSIGN_OR_RETURN(log::Lsn lsn, write_entry(e));
  std::lock_guard<std::mutex> l(counts_mu_);
  ++entry_counts_[tx_id];
  return lsn;
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
  std::vector<WalEntry> batch;
  batch.reserve(entries.size() + 1);
  for (const auto& [type, payload] : entries) {
    if (is_control(type)) {
      return Status::invalid_argument(
          "write_transaction: " + std::string(name(type)) +
          " is a control type and cannot be a transaction's entry");
    }
    WalEntry e = WalEntry::make(type, out.tx_id, payload);
    e.run_id = run_id;
    batch.push_back(std::move(e));
  }
  batch.push_back(WalEntry::commit_marker(
      out.tx_id, CommitInfo{env_->now_micros(), commit_version,
                            static_cast<uint32_t>(entries.size())}));
  STRATA_ASSIGN_OR_RETURN(auto r, append_entries(batch, false));
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
  // Each operation is encoded straight into the thread's scratch (no
  // WalEntry, no payload string of its own); the core's framing is the
  // only other copy.
  EncodeScratch scratch;
  for (std::size_t i = 0; i < tx.len(); ++i) {
    const TxEntry& op = tx.entries()[i];
    encode_wal_entry_header(op.entry_type(), tx.id(), tx.run_id(),
                            scratch.bytes());
    const std::size_t payload_start = scratch.size();
    op.append_wal_payload(scratch.bytes());
    const std::size_t payload = scratch.size() - payload_start;
    if (payload > options_.max_payload_size) {
      return Status::invalid_argument(
          "commit_atomic: entry " + std::to_string(i) + ": txlog " +
          std::string(name(op.entry_type())) + " payload of " +
          std::to_string(payload) + " bytes exceeds the limit of " +
          std::to_string(options_.max_payload_size) + " bytes");
    }
    scratch.end_record();
  }
  STRATA_RETURN_IF_ERROR(encode_wal_entry(
      WalEntry::commit_marker(tx.id(),
                              CommitInfo{env_->now_micros(), commit_version,
                                         static_cast<uint32_t>(tx.len())}),
      scratch.bytes(), options_.max_payload_size));
  scratch.end_record();
  log::AppendOptions ao;
  auto records = scratch.records();
  auto r = done != nullptr ? log_->append_async(records, std::move(*done), ao)
                           : log_->append(records, ao);
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
