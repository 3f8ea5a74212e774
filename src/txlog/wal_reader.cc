// WalReader: Transaction Log entries from the shared log core, with
// entry-level problems handled by the recovery mode.

#include "strata/durability/txlog/wal_reader.h"

#include <algorithm>
#include <string>
#include <utility>

#include "strata/durability/txlog/recovery.h"
#include "util/status_macros.h"

namespace strata::durability::txlog {

namespace {

// The core's per-record header (CRC, length, type) in front of a payload.
constexpr uint64_t kCoreRecordHeaderSize = 9;

// The tx id of an entry that did not decode, when its header is readable.
std::optional<TxId> peek_tx_id(std::string_view record) {
  if (record.size() < kEntryHeaderSize ||
      static_cast<uint8_t>(record[0]) != kWalEntryFormatVersion) {
    return std::nullopt;
  }
  auto id = Uuid::from_bytes(record.substr(3, 16));
  if (!id.ok() || id->is_nil()) return std::nullopt;
  return *id;
}

}  // namespace

WalReader::~WalReader() = default;

Result<std::unique_ptr<WalReader>> WalReader::open(
    const std::string& dir, const WalReaderOptions& options) {
  if (options.max_payload_size > kMaxPayloadSizeLimit) {
    return Status::invalid_argument(
        "max_payload_size " + std::to_string(options.max_payload_size) +
        " is above the limit of " + std::to_string(kMaxPayloadSizeLimit));
  }
  log::LogReaderOptions ro;
  ro.env = options.env;
  ro.start_lsn = options.start_lsn;
  ro.recovery_mode = options.recovery_mode;
  ro.max_record_size = options.max_payload_size + kEntryHeaderSizeWithRun;
  ro.check_kind = true;
  ro.expected_kind = log::LogKind::kTxLog;
  STRATA_ASSIGN_OR_RETURN(auto core, log::LogReader::open(dir, ro));
  return std::unique_ptr<WalReader>(new WalReader(options, std::move(core)));
}

Result<std::unique_ptr<WalReader>> WalReader::open_at(
    const std::string& dir, log::Lsn lsn, WalReaderOptions options) {
  options.start_lsn = lsn;
  return open(dir, options);
}

Result<bool> WalReader::next_entry(WalEntry* entry, log::Lsn* lsn) {
  if (stopped_) return false;
  log::LogRecord rec;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(bool more, log_->next(&rec));
    if (!more) return false;
    auto decoded = decode_wal_entry(rec.payload, options_.max_payload_size);
    if (decoded.ok()) {
      *entry = std::move(decoded).value();
      if (lsn != nullptr) *lsn = rec.lsn;
      return true;
    }
    // The record is intact (the core checked its CRC) but the entry in it
    // is not one this reader can use.
    Status why = decoded.status();
    log::LogProblem p;
    p.kind = log::ProblemKind::kCorruption;
    p.segment = rec.segment;
    p.offset = rec.offset;
    p.length = kCoreRecordHeaderSize + rec.payload.size();
    p.lsn = rec.lsn;
    for (const auto& seg : log_->segments()) {
      if (seg.number == rec.segment) p.file = seg.file;
    }
    p.reason = std::string(why.message());
    bool damage = !why.is_not_supported();
    if (damage) ++entry_corruptions_;

    switch (options_.recovery_mode) {
      case log::RecoveryMode::kSkipAnyCorrupted:
        p.reason += " (entry skipped)";
        entry_problems_.push_back(std::move(p));
        skipped_.push_back(SkippedEntry{rec.lsn, peek_tx_id(rec.payload), why});
        continue;
      case log::RecoveryMode::kPointInTime:
        p.reason += " (the log ends here)";
        entry_problems_.push_back(std::move(p));
        stopped_ = true;
        return false;
      case log::RecoveryMode::kTolerateCorruptedTail:
      case log::RecoveryMode::kAbsoluteConsistency:
        break;
    }
    entry_problems_.push_back(p);
    return why.with_context(p.to_string());
  }
}

Result<std::vector<LoggedEntry>> WalReader::read_all() {
  std::vector<LoggedEntry> out;
  while (true) {
    LoggedEntry e;
    STRATA_ASSIGN_OR_RETURN(bool more, next_entry(&e.entry, &e.lsn));
    if (!more) break;
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<CommittedTransaction>> WalReader::read_committed() {
  RecoveryOptions o;
  o.recovery_mode = options_.recovery_mode;
  o.max_payload_size = options_.max_payload_size;
  // The reader's own mode decides what fails; no extra limit here.
  o.max_corrupt_entries = UINT64_MAX;
  STRATA_ASSIGN_OR_RETURN(auto out, RecoveryEngine::replay(*this, o));
  return std::move(out.transactions);
}

std::vector<log::LogProblem> WalReader::problems() const {
  std::vector<log::LogProblem> all = log_->problems();
  all.insert(all.end(), entry_problems_.begin(), entry_problems_.end());
  std::stable_sort(all.begin(), all.end(),
                   [](const log::LogProblem& a, const log::LogProblem& b) {
                     return a.lsn < b.lsn;
                   });
  return all;
}

uint64_t WalReader::corruption_count() const {
  return log_->corruption_count() + entry_corruptions_;
}

log::Lsn WalReader::end_lsn() const { return log_->end_lsn(); }

uint64_t WalReader::bytes_read() const { return log_->bytes_read(); }

}  // namespace strata::durability::txlog
