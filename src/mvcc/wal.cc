// WAL: the MVCC write-ahead log handle on the shared log core.

#include "strata/durability/mvcc/wal.h"

#include <utility>

#include "strata/durability/mvcc/entry_codec.h"
#include "mvcc/entry_stream.h"
#include "util/record_sizes.h"
#include "util/status_macros.h"

namespace strata::durability::mvcc {
namespace {

// The size of `entry`'s record, checked against the limit before anything
// is appended.
Result<std::size_t> record_size(const WALEntry& entry,
                                std::size_t max_record_size) {
  STRATA_ASSIGN_OR_RETURN(std::size_t size, encoded_entry_size(entry));
  if (size > max_record_size) {
    return Status::invalid_argument(
        "mvcc WAL: " + std::string(entry.type_name()) + " entry encodes to " +
        std::to_string(size) + " bytes, more than max_record_size " +
        std::to_string(max_record_size));
  }
  return size;
}

// Reads a whole stream into a WalReadResult.
Result<WalReadResult> collect(internal::EntryStream* stream) {
  WalReadResult out;
  std::vector<internal::StreamEntry> batch;
  while (true) {
    auto more = stream->next_batch(&batch);
    if (!more.ok()) return std::move(more).status();
    if (!*more) break;
    for (auto& e : batch) out.entries.push_back({e.lsn, std::move(e.entry)});
  }
  out.problems = stream->problems();
  out.corrupted_entries = stream->corrupted_entries();
  out.bytes_read = stream->bytes_read();
  out.end_lsn = stream->end_lsn();
  return out;
}

Status bad_txn(std::size_t index, const std::string& what) {
  return Status::invalid_argument("append_transaction: entry " +
                                  std::to_string(index) + ": " + what);
}

// The shape append_transaction accepts (see wal.h).
Status check_transaction(std::span<const WALEntry> entries) {
  if (entries.size() < 2) {
    return Status::invalid_argument(
        "append_transaction: a transaction needs at least BeginTxn and "
        "CommitTxn, got " +
        std::to_string(entries.size()) + " entries");
  }
  const auto* begin = entries.front().get_if<BeginTxn>();
  if (begin == nullptr) {
    return bad_txn(0, "expected BeginTxn, got " +
                          std::string(entries.front().type_name()));
  }
  const auto* commit = entries.back().get_if<CommitTxn>();
  if (commit == nullptr) {
    return bad_txn(
        entries.size() - 1,
        "expected CommitTxn, got " + std::string(entries.back().type_name()));
  }
  if (commit->txn_id != begin->txn_id || commit->run_id != begin->run_id) {
    return bad_txn(entries.size() - 1,
                   "CommitTxn (txn " + std::to_string(commit->txn_id) +
                       ", run " + commit->run_id.to_string() +
                       ") does not match BeginTxn (txn " +
                       std::to_string(begin->txn_id) + ", run " +
                       begin->run_id.to_string() + ")");
  }
  for (std::size_t i = 1; i + 1 < entries.size(); ++i) {
    const WALEntry& e = entries[i];
    if (!e.is_data()) {
      return bad_txn(i, std::string(e.type_name()) +
                            " is not allowed inside a transaction");
    }
    // A data entry joins the open transaction of its own run on replay, so
    // one of another run would silently land elsewhere.
    if (e.run_id() != begin->run_id) {
      return bad_txn(
          i, std::string(e.type_name()) + " of run " + e.run_id()->to_string() +
                 " inside a transaction of run " + begin->run_id.to_string());
    }
  }
  return Status::ok_status();
}

}  // namespace

WAL::WAL(std::string dir, const WalOptions& options,
         std::unique_ptr<log::LogWriter> writer)
    : dir_(std::move(dir)), options_(options), writer_(std::move(writer)) {}

WAL::~WAL() { (void)close(); }

Env* WAL::env() const {
  return options_.env != nullptr ? options_.env : Env::posix();
}

Result<std::unique_ptr<WAL>> WAL::open(const std::string& dir,
                                       const WalOptions& options,
                                       log::OpenReport* report) {
  log::LogWriterOptions lo;
  lo.env = options.env;
  lo.mode = options.mode;
  lo.kind = log::LogKind::kMvcc;
  lo.create_if_missing = options.create_if_missing;
  lo.segment_size = options.segment_size;
  lo.preallocate_segments = options.preallocate_segments;
  lo.preallocate_new_log = options.preallocate_new_log;
  lo.max_slot_retained_bytes = options.max_slot_retained_bytes;
  lo.max_record_size = options.max_record_size;
  lo.recovery_mode = options.recovery_mode;
  auto writer = log::LogWriter::open(dir, lo, report);
  if (!writer.ok()) {
    return std::move(writer).status().with_context("mvcc WAL open " + dir);
  }
  return std::unique_ptr<WAL>(new WAL(dir, options, std::move(writer).value()));
}

Result<log::Lsn> WAL::append(const WALEntry& entry) {
  return append_one(entry, nullptr);
}

Result<log::Lsn> WAL::append_async(const WALEntry& entry,
                                   log::AppendCallback done) {
  return append_one(entry, &done);
}

Result<TxnAppendResult> WAL::append_transaction(
    std::span<const WALEntry> entries) {
  return append_txn(entries, nullptr);
}

Result<TxnAppendResult> WAL::append_transaction_async(
    std::span<const WALEntry> entries, log::AppendCallback done) {
  return append_txn(entries, &done);
}

Result<log::Lsn> WAL::append_one(const WALEntry& entry,
                                 log::AppendCallback* done) {
  STRATA_ASSIGN_OR_RETURN(std::size_t size,
                          record_size(entry, options_.max_record_size));
  // Encoded by the log's leader straight into its write buffer: the only
  // copy of the entry's keys and values.
  auto encode = [&entry](std::size_t, char* out) {
    encode_entry_to(entry, out);
  };
  const log::RecordBatch batch{std::span<const std::size_t>(&size, 1), encode};
  auto r = done != nullptr ? writer_->append_async(batch, std::move(*done))
                           : writer_->append(batch);
  if (!r.ok()) return std::move(r).status();
  return r->first_lsn;
}

Result<TxnAppendResult> WAL::append_txn(std::span<const WALEntry> entries,
                                        log::AppendCallback* done) {
  STRATA_RETURN_IF_ERROR(check_transaction(entries));
  // Every entry is sized and checked first, so that a bad one writes
  // nothing; then the log's leader encodes them into its write buffer.
  RecordSizes sizes(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto size = record_size(entries[i], options_.max_record_size);
    if (!size.ok()) {
      return size.status().with_context("append_transaction: entry " +
                                        std::to_string(i));
    }
    sizes[i] = *size;
  }
  auto encode = [entries](std::size_t i, char* out) {
    encode_entry_to(entries[i], out);
  };
  const log::RecordBatch batch{sizes.span(), encode};
  auto r = done != nullptr ? writer_->append_async(batch, std::move(*done))
                           : writer_->append(batch);
  if (!r.ok()) return std::move(r).status();
  return TxnAppendResult{r->first_lsn, r->last_lsn, r->end_lsn};
}

Result<WalReadResult> WAL::read_entries_detailed(log::Lsn from,
                                                 log::RecoveryMode mode) const {
  internal::EntryStreamOptions so;
  so.env = env();
  so.start_lsn = from;
  so.mode = mode;
  so.max_record_size = options_.max_record_size;
  // Only what was appended when the call started: bytes a concurrent
  // append is still writing are not a torn tail.
  so.limit = writer_->end_lsn();
  auto stream = internal::EntryStream::open(dir_, so);
  if (!stream.ok()) return std::move(stream).status();
  return collect(stream->get());
}

Result<std::vector<WALEntry>> WAL::read_entries(log::Lsn from) const {
  STRATA_ASSIGN_OR_RETURN(WalReadResult r, read_entries_detailed(from));
  std::vector<WALEntry> out;
  out.reserve(r.entries.size());
  for (auto& e : r.entries) out.push_back(std::move(e.entry));
  return out;
}

Result<log::Lsn> WAL::checkpoint(const Uuid& snapshot_id, uint64_t version,
                                 std::vector<RunId> active_runs) {
  const WALEntry entry =
      Checkpoint{snapshot_id, version, std::move(active_runs)};
  STRATA_ASSIGN_OR_RETURN(std::size_t size,
                          record_size(entry, options_.max_record_size));
  auto encode = [&entry](std::size_t, char* out) {
    encode_entry_to(entry, out);
  };
  log::AppendOptions ao;
  ao.sync = true;  // a checkpoint may license truncation: make it durable
  auto r = writer_->append(
      log::RecordBatch{std::span<const std::size_t>(&size, 1), encode}, ao);
  if (!r.ok()) return std::move(r).status();
  return r->first_lsn;
}

namespace {

Result<std::optional<CheckpointInfo>> scan_for_checkpoint(
    const std::string& dir, Env* env, std::optional<log::Lsn> limit,
    std::size_t max_record_size) {
  internal::EntryStreamOptions so;
  so.env = env;
  so.mode = log::RecoveryMode::kPointInTime;
  so.limit = limit;
  so.checkpoints_only = true;
  so.max_record_size = max_record_size;
  auto stream = internal::EntryStream::open(dir, so);
  if (!stream.ok()) return std::move(stream).status();
  std::optional<CheckpointInfo> last;
  std::vector<internal::StreamEntry> batch;
  while (true) {
    auto more = (*stream)->next_batch(&batch);
    if (!more.ok()) return std::move(more).status();
    if (!*more) break;
    for (auto& e : batch) {
      if (e.skipped_decode) continue;
      if (auto* cp = e.entry.get_if<Checkpoint>()) {
        last = CheckpointInfo{e.lsn, e.next_lsn, cp->snapshot_id, cp->version,
                              std::move(cp->active_runs)};
      }
    }
  }
  return last;
}

}  // namespace

Result<std::optional<CheckpointInfo>> WAL::find_last_checkpoint() const {
  return scan_for_checkpoint(dir_, env(), writer_->end_lsn(),
                             options_.max_record_size);
}

Result<std::optional<CheckpointInfo>> find_last_checkpoint(
    const std::string& dir, Env* env) {
  return scan_for_checkpoint(dir, env != nullptr ? env : Env::posix(),
                             std::nullopt, log::kDefaultMaxRecordSize);
}

Result<uint64_t> WAL::truncate_before(log::Lsn lsn) {
  return writer_->remove_segments_before(lsn);
}

Status WAL::sync() { return writer_->sync(); }
Status WAL::close() { return writer_->close(); }
log::Lsn WAL::end_lsn() const { return writer_->end_lsn(); }
log::Lsn WAL::durable_lsn() const { return writer_->durable_lsn(); }
const std::string& WAL::dir() const { return dir_; }
log::LogWriterStats WAL::stats() const { return writer_->stats(); }

Result<WalReadResult> read_wal_entries(const std::string& dir, Env* env,
                                       log::Lsn from, log::RecoveryMode mode) {
  internal::EntryStreamOptions so;
  so.env = env != nullptr ? env : Env::posix();
  so.start_lsn = from;
  so.mode = mode;
  so.max_record_size = log::kDefaultMaxRecordSize;
  auto stream = internal::EntryStream::open(dir, so);
  if (!stream.ok()) return std::move(stream).status();
  return collect(stream->get());
}

}  // namespace strata::durability::mvcc
