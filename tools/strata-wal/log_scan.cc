// The reading commands' pass over a log (see log_scan.h).

#include "log_scan.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include <fmt/core.h>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/mvcc/entry_codec.h"
#include "progress.h"

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

namespace {

// A reader lists the directory once, when it opens. A live writer makes the
// successor of a full segment durable before it writes the seal, so a seal
// whose successor was not listed, but whose successor exists now, means the
// log grew during the read, not that a segment is missing.
bool grew_past(const sd::log::LogReader& reader, const LogDir& log) {
  const auto& problems = reader.problems();
  if (problems.empty() || reader.segments().empty()) return false;
  const auto& last = problems.back();
  const uint64_t last_segment = reader.segments().back().number;
  if (last.kind != ProblemKind::kMissingSegment ||
      last.segment != last_segment) {
    return false;
  }
  auto exists = sd::Env::posix()->file_exists(
      sd::join_path(log.dir, fmt::format("{:020d}.seg", last_segment + 1)));
  return exists.ok() && *exists;
}

}  // namespace

sd::Result<ScanResult> scan_log(const LogDir& log, bool quiet,
                                const MvccVisitor& on_mvcc,
                                const TxlogVisitor& on_txlog) {
  sd::log::LogReaderOptions options;
  // Skip mode reads every valid record and reports every damaged span; the
  // commands decide what the problems mean for their exit code.
  options.recovery_mode = sd::log::RecoveryMode::kSkipAnyCorrupted;
  options.max_record_size = sd::log::kMaxRecordSizeLimit;

  ScanResult out;
  std::vector<sd::log::LogProblem> decode_problems;
  std::set<uint64_t> segments_seen;
  ProgressBar bar("reading", log.total_bytes, quiet);
  const auto kind = log.kind.value_or(sd::log::LogKind::kRaw);
  std::unique_ptr<sd::log::LogReader> reader;
  // Bounded so that a writer rotating faster than we read cannot keep us
  // here forever; each round makes progress by at least one segment.
  for (int round = 0; round < 100000; ++round) {
    auto opened = sd::log::LogReader::open(log.dir, options);
    if (!opened.ok()) return opened.status();
    reader = std::move(opened).value();
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
        for (const auto& seg : reader->segments()) {
          if (seg.number == rec.segment) p.file = seg.file;
        }
        p.reason = "entry decode: " + std::string(bad.message());
        decode_problems.push_back(std::move(p));
      }
      bar.update(out.bytes + reader->bytes_read());
    }
    for (const auto& seg : reader->segments()) segments_seen.insert(seg.number);
    out.bytes += reader->bytes_read();
    // Problems before the end of this round are real; only a missing
    // successor at the very end may be the log growing under us.
    if (!grew_past(*reader, log)) break;
    const auto& problems = reader->problems();
    out.problems.insert(out.problems.end(), problems.begin(),
                        problems.end() - 1);
    // Continue from where this round stopped, in the new segments.
    options.start_lsn = reader->end_lsn();
  }
  bar.finish();
  const auto& problems = reader->problems();
  out.problems.insert(out.problems.end(), problems.begin(), problems.end());
  out.problems.insert(out.problems.end(), decode_problems.begin(),
                      decode_problems.end());
  out.segments = segments_seen.size();
  out.end_lsn = reader->end_lsn();
  return out;
}

}  // namespace strata_wal
