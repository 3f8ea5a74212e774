// The reading commands' pass over a log (see log_scan.h).

#include "log_scan.h"

#include <algorithm>
#include <memory>
#include <string>

#include "progress.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/mvcc/entry_codec.h"

namespace strata_wal {

namespace sd = strata::durability;
using sd::log::ProblemKind;

bool ScanResult::has_torn_tail() const {
  return std::any_of(problems.begin(), problems.end(), [](const auto& p) {
    return p.kind == ProblemKind::kTornTail;
  });
}

bool ScanResult::has_damage() const {
  return std::any_of(problems.begin(), problems.end(), [](const auto& p) {
    return p.kind != ProblemKind::kTornTail;
  });
}

const char* scan_status(const ScanResult& result) {
  if (result.has_damage()) return "corrupt";
  if (result.has_torn_tail()) return "torn_tail";
  return "ok";
}

sd::Result<ScanResult> scan_log(const LogDir& log, bool quiet,
                                const MvccVisitor& on_mvcc,
                                const TxlogVisitor& on_txlog) {
  sd::log::LogReaderOptions options;
  // Skip mode reads every valid record and reports every damaged span; the
  // commands decide what the problems mean for their exit code.
  options.recovery_mode = sd::log::RecoveryMode::kSkipAnyCorrupted;
  options.max_record_size = sd::log::kMaxRecordSizeLimit;
  auto opened = sd::log::LogReader::open(log.dir, options);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<sd::log::LogReader> reader = std::move(opened).value();

  ScanResult out;
  std::vector<sd::log::LogProblem> decode_problems;
  ProgressBar bar("reading", log.total_bytes, quiet);
  const auto kind = log.kind.value_or(sd::log::LogKind::kRaw);
  sd::log::LogRecord rec;
  while (true) {
    auto more = reader->next(&rec);
    if (!more.ok()) {
      // Skip mode goes past damage; an error here means the read itself
      // failed. Keep what was read, with the error as a problem.
      sd::log::LogProblem p;
      p.kind = ProblemKind::kCorruption;
      p.lsn = reader->end_lsn();
      p.reason = std::string(more.status().message());
      decode_problems.push_back(std::move(p));
      break;
    }
    if (!*more) break;
    ++out.records;
    if (!out.any_record) out.first_lsn = rec.lsn;
    out.any_record = true;
    out.last_lsn = rec.lsn;
    sd::Status bad;
    if (kind == sd::log::LogKind::kMvcc) {
      auto e = sd::mvcc::decode_entry(rec.payload);
      if (e.ok()) {
        if (on_mvcc) on_mvcc(rec.lsn, std::move(e).value());
      } else {
        bad = e.status();
      }
    } else if (kind == sd::log::LogKind::kTxLog) {
      auto e = sd::txlog::decode_wal_entry(rec.payload,
                                           sd::txlog::kMaxPayloadSizeLimit);
      if (e.ok()) {
        if (on_txlog) on_txlog(rec.lsn, std::move(e).value());
      } else {
        bad = e.status();
      }
    }
    if (!bad.ok()) {
      sd::log::LogProblem p;
      p.kind = ProblemKind::kCorruption;
      p.segment = rec.segment;
      p.offset = rec.offset;
      p.length = rec.payload.size() + 9;  // record header + payload
      p.lsn = rec.lsn;
      for (const auto& s : reader->segments()) {
        if (s.number == rec.segment) p.file = s.file;
      }
      p.reason = "entry decode: " + std::string(bad.message());
      decode_problems.push_back(std::move(p));
    }
    bar.update(reader->bytes_read());
  }
  bar.finish();
  out.problems = reader->problems();
  out.problems.insert(out.problems.end(), decode_problems.begin(),
                      decode_problems.end());
  out.segments = reader->segments().size();
  out.bytes = reader->bytes_read();
  out.end_lsn = reader->end_lsn();
  return out;
}

}  // namespace strata_wal
