// EntryStream: batch-wise decoding of an MVCC log (see entry_stream.h).

#include "mvcc/entry_stream.h"

#include <algorithm>
#include <span>

#include "strata/durability/mvcc/entry_codec.h"

namespace strata::durability::mvcc::internal {
namespace {

// The core's record header: masked CRC, length, type.
constexpr uint64_t kRecordHeaderSize = 9;
constexpr uint8_t kCheckpointTypeByte =
    static_cast<uint8_t>(WalEntryKind::kCheckpoint);

}  // namespace

Result<std::unique_ptr<EntryStream>> EntryStream::open(
    const std::string& dir, const EntryStreamOptions& options) {
  log::LogReaderOptions ro;
  ro.env = options.env;
  ro.start_lsn = options.start_lsn;
  ro.recovery_mode = options.mode;
  ro.max_record_size = options.max_record_size;
  ro.check_kind = true;
  ro.expected_kind = log::LogKind::kMvcc;
  auto reader = log::LogReader::open(dir, ro);
  if (!reader.ok()) return std::move(reader).status();
  return std::unique_ptr<EntryStream>(
      new EntryStream(std::move(reader).value(), options));
}

std::string EntryStream::segment_file(uint64_t segment) const {
  for (const auto& s : reader_->segments()) {
    if (s.number == segment) return s.file;
  }
  return std::string();
}

Result<bool> EntryStream::next_batch(std::vector<StreamEntry>* batch) {
  batch->clear();
  auto more = next_batch(&scratch_);
  if (!more.ok() || !*more) return more;
  for (StreamEntry& e : scratch_) batch->push_back(std::move(e));
  return true;
}

Result<bool> EntryStream::next_batch(EntryBatch* batch) {
  batch->clear();
  if (done_) return false;
  bool poisoned = false;  // a record of this batch did not decode
  std::span<const log::LogRecord> records;
  while (true) {
    auto more = reader_->next_batch(&records);
    if (!more.ok()) {
      done_ = true;
      return std::move(more).status();
    }
    if (!*more) {
      done_ = true;
      // The reader hands out whole batches only, so nothing is pending.
      return !batch->empty();
    }
    for (const log::LogRecord& rec : records) {
      if (past_limit(rec.lsn)) {
        done_ = true;
        return !batch->empty();
      }
      const log::Lsn next_lsn =
          rec.lsn + kRecordHeaderSize + rec.payload.size();
      // The rest of a poisoned batch is still decoded (each bad record is a
      // problem of its own), into a scratch entry, as it is dropped anyway.
      StreamEntry* e = poisoned ? nullptr : &batch->add();
      WALEntry* into = e != nullptr ? &e->entry : &poisoned_entry_;
      if (e != nullptr) {
        e->lsn = rec.lsn;
        e->next_lsn = next_lsn;
        e->skipped_decode = false;
        e->is_view = false;
      }
      const bool decode =
          !options_.checkpoints_only ||
          (rec.payload.size() >= 2 &&
           static_cast<uint8_t>(rec.payload[1]) == kCheckpointTypeByte);
      if (decode) {
        Status d;
        if (options_.views && e != nullptr) {
          Result<bool> v = decode_entry_view(rec.payload, &e->view);
          if (!v.ok()) {
            d = std::move(v).status();
          } else if (*v) {
            e->is_view = true;
          } else {
            d = decode_entry_into(rec.payload, into);
          }
        } else {
          d = decode_entry_into(rec.payload, into);
        }
        if (!d.ok()) {
          log::LogProblem p;
          p.kind = log::ProblemKind::kCorruption;
          p.segment = rec.segment;
          p.offset = rec.offset;
          p.length = kRecordHeaderSize + rec.payload.size();
          p.lsn = rec.lsn;
          p.file = segment_file(rec.segment);
          p.reason = "entry decode: " + d.to_string() +
                     " (the record's batch is dropped whole)";
          decode_problems_.push_back(p);
          if (options_.mode == log::RecoveryMode::kPointInTime) {
            // The log ends before this batch: what came before is kept.
            done_ = true;
            batch->clear();
            return false;
          }
          if (options_.mode != log::RecoveryMode::kSkipAnyCorrupted) {
            done_ = true;
            batch->clear();
            return d.with_context("mvcc log " + p.file + " (segment " +
                                  std::to_string(rec.segment) + ", offset " +
                                  std::to_string(rec.offset) + ", LSN " +
                                  std::to_string(rec.lsn) + ")");
          }
          poisoned = true;
          batch->clear();
        }
      } else if (e != nullptr) {
        e->entry = WALEntry();
        e->skipped_decode = true;
      }
      if (!poisoned || rec.last_in_batch) end_lsn_ = next_lsn;
      if (rec.last_in_batch) {
        if (poisoned) {
          // Skip the whole batch and go on with the next one.
          batch->clear();
          poisoned = false;
          continue;
        }
        return true;
      }
    }
  }
}

std::vector<log::LogProblem> EntryStream::problems() const {
  std::vector<log::LogProblem> out;
  for (const auto& p : reader_->problems()) {
    if (past_limit(p.lsn)) continue;
    out.push_back(p);
  }
  out.insert(out.end(), decode_problems_.begin(), decode_problems_.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const log::LogProblem& a, const log::LogProblem& b) {
                     return a.lsn < b.lsn;
                   });
  return out;
}

uint64_t EntryStream::corrupted_entries() const {
  uint64_t n = decode_problems_.size();
  for (const auto& p : reader_->problems()) {
    if (past_limit(p.lsn)) continue;
    if (p.kind == log::ProblemKind::kCorruption) ++n;
  }
  return n;
}

}  // namespace strata::durability::mvcc::internal
