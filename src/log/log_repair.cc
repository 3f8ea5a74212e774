// repair_log: quarantines and pads damaged spans (SkipAnyCorrupted), then
// lets LogWriter::open cut torn tails and set aside what the mode drops.

#include "strata/durability/log/log_repair.h"

#include <map>

#include "log/format.h"
#include "log/log_reader_impl.h"
#include "util/status_macros.h"

namespace strata::durability::log {

namespace {

// Replaces the span [offset, offset + length) of a segment file with one
// padding record of the same length, atomically (a rewritten copy is
// renamed over the file), after copying the span to a quarantine file.
Status pad_span(Env* env, const std::string& dir, const SegmentEntry& seg,
                uint64_t offset, uint64_t length) {
  STRATA_ASSIGN_OR_RETURN(std::string bytes, read_file(env, seg.path));
  if (offset + length > bytes.size() || length < kRecordHeaderSize) {
    return Status::invalid_argument("cannot pad span at offset " +
                                    std::to_string(offset) + " of " + seg.path);
  }
  std::string name = "quarantine-" + std::to_string(seg.number) + "-" +
                     std::to_string(offset) + ".bin";
  STRATA_RETURN_IF_ERROR(write_file_atomically(
      env, dir, name,
      std::string_view(bytes).substr(static_cast<std::size_t>(offset),
                                     static_cast<std::size_t>(length))));
  std::string padding;
  uint32_t seed =
      segment_seed(seg.header.log_id, seg.header.number, seg.header.salt);
  append_record(
      &padding, seed, RecordType::kPadding,
      std::string(static_cast<std::size_t>(length) - kRecordHeaderSize, '\0'));
  bytes.replace(static_cast<std::size_t>(offset), padding.size(), padding);
  std::string file_name = seg.path.substr(seg.path.find_last_of('/') + 1);
  return write_file_atomically(env, dir, file_name, bytes);
}

// Quarantines and cuts off the bytes after a sealed segment's seal.
Status cut_after_seal(Env* env, const std::string& dir, const SegmentEntry& seg,
                      uint64_t offset) {
  STRATA_ASSIGN_OR_RETURN(std::string bytes, read_file(env, seg.path));
  std::string name = "quarantine-" + std::to_string(seg.number) + "-" +
                     std::to_string(offset) + ".bin";
  STRATA_RETURN_IF_ERROR(write_file_atomically(
      env, dir, name,
      std::string_view(bytes).substr(static_cast<std::size_t>(offset))));
  STRATA_ASSIGN_OR_RETURN(auto file, env->reopen_writable_file(seg.path));
  STRATA_RETURN_IF_ERROR(file->truncate(offset));
  STRATA_RETURN_IF_ERROR(file->fsync());
  return file->close();
}

}  // namespace

Result<RepairReport> repair_log(const std::string& dir,
                                const RepairOptions& options) {
  Env* env = options.env != nullptr ? options.env : Env::posix();
  RepairReport report;
  {
    // Hold the lock while padding, so no writer appends meanwhile.
    STRATA_ASSIGN_OR_RETURN(auto lock,
                            env->lock_file(join_path(dir, kLockFileName)));
    LogReaderOptions ro;
    ro.env = env;
    ro.recovery_mode = RecoveryMode::kSkipAnyCorrupted;
    ro.max_record_size = options.max_record_size;
    LogReader::Impl scan(env, dir, ro);
    STRATA_RETURN_IF_ERROR(scan.open());
    LogRecord rec;
    while (true) {
      STRATA_ASSIGN_OR_RETURN(bool more, scan.next(&rec));
      if (!more) break;
    }
    report.kind = scan.kind();
    if (options.recovery_mode == RecoveryMode::kSkipAnyCorrupted) {
      std::map<uint64_t, const SegmentEntry*> by_number;
      for (const SegmentEntry& e : scan.entries()) by_number[e.number] = &e;
      for (const LogProblem& p : scan.problems()) {
        auto it = by_number.find(p.segment);
        bool paddable =
            p.kind == ProblemKind::kCorruption && it != by_number.end() &&
            it->second->header_status.ok() && p.offset >= kSegmentHeaderSize &&
            p.length >= kRecordHeaderSize &&
            p.offset + p.length <= it->second->file_size;
        if (!paddable) continue;
        if (it->second->sealed &&
            p.offset + p.length == it->second->file_size) {
          // Nothing may follow a seal, not even padding: cut it off.
          STRATA_RETURN_IF_ERROR(
              cut_after_seal(env, dir, *it->second, p.offset));
        } else {
          STRATA_RETURN_IF_ERROR(
              pad_span(env, dir, *it->second, p.offset, p.length));
        }
        ++report.padded_spans;
        report.padded_bytes += p.length;
      }
    }
  }

  LogWriterOptions wo;
  wo.env = env;
  wo.kind = report.kind;
  wo.mode = DurabilityMode::strict();
  wo.create_if_missing = false;
  wo.max_record_size = options.max_record_size;
  wo.recovery_mode = options.recovery_mode;
  STRATA_ASSIGN_OR_RETURN(auto writer, LogWriter::open(dir, wo, &report.open));
  STRATA_RETURN_IF_ERROR(writer->close());
  writer.reset();

  // Is the log clean for a default-mode writer now?
  LogReaderOptions check;
  check.env = env;
  check.max_record_size = options.max_record_size;
  auto reader = LogReader::open(dir, check);
  if (!reader.ok()) return reader.status();
  LogRecord rec;
  Status read_status;
  while (true) {
    auto more = (*reader)->next(&rec);
    if (!more.ok()) {
      read_status = more.status();
      break;
    }
    if (!*more) break;
  }
  report.remaining = (*reader)->problems();
  report.writable = read_status.ok();
  return report;
}

}  // namespace strata::durability::log
