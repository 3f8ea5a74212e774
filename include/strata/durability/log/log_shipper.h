// LogShipper: keeps a destination directory a byte-identical, verified copy
// of a source log's segments (docs/replication.md), for a replica on
// another disk or machine.
//
// It ships only what the source's writer has published as durable (the
// PROGRESS file, strata/durability/log/progress.h), so a replica is never
// ahead of what a power cut on the source keeps. Every record is validated
// (CRC, framing, batch structure, seals and segment chaining) before its
// bytes are written to the destination, and the destination is made
// durable in the order the writer itself uses: appended data is synced
// before the next segment is written to, a new segment is written under a
// temporary name, synced, renamed and its directory synced, and the START
// file is replaced atomically before any retired segment is removed.
//
// The destination keeps no bookkeeping of its own: its valid content is the
// resume point. open() re-verifies it against the source (segment headers,
// sizes of full segments, and the bytes of the segments being shipped), cuts
// off a tail that a crash left unsynced, and refuses, without writing, a
// destination that belongs to another log or holds bytes the source does
// not. The destination can be read and recovered like any log (LogReader,
// LogWriter::open, `strata-wal verify`).
//
// One shipper per destination: open() takes the destination's LOCK, so
// neither a second shipper nor a writer can use it meanwhile. The source is
// never locked or written. Not thread-safe.

#ifndef STRATA_DURABILITY_LOG_LOG_SHIPPER_H_
#define STRATA_DURABILITY_LOG_LOG_SHIPPER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "strata/durability/env.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::log {

struct LogShipperOptions {
  // The file system of both directories; nullptr means Env::posix().
  Env* env = nullptr;
  // Remove segments from the destination once the source has retired them
  // (its START moved past them). Off: the replica keeps its whole history.
  bool mirror_retirement = false;
  // Records longer than this are refused as damage, as a reader would.
  std::size_t max_record_size = kDefaultMaxRecordSize;
  // Bytes read from the source at a time (a larger batch is read whole).
  std::size_t chunk_bytes = 4U << 20;
  // Ship every valid record the source has, durable or not. Off by default:
  // then a replica never holds a record that a power cut on the source
  // could undo. For sources whose writer does not publish progress.
  bool ship_unsynced = false;
};

// What one ship_once() did, and where the replica stands.
struct ShipReport {
  uint64_t segments_created = 0;  // new segment files on the destination
  uint64_t segments_retired = 0;  // destination segments removed (mirror)
  uint64_t records = 0;           // records shipped (seals included)
  uint64_t bytes = 0;             // bytes appended to destination segments
  // The destination holds every record below this LSN.
  Lsn shipped_lsn = 0;
  // The source's published durable LSN at this pass (the upper bound of
  // what was shipped), and whether a writer held it then.
  Lsn source_durable_lsn = 0;
  bool source_writer_open = false;
  // False when the source's PROGRESS was missing, undecodable or named
  // another log: nothing could be shipped (unless ship_unsynced).
  bool source_progress_ok = false;
  uint64_t first_segment = 0;  // the destination's first and last segment
  uint64_t last_segment = 0;
};

// What open() found on the destination.
struct ShipResumeReport {
  bool created = false;          // the destination was empty: a new replica
  Lsn resume_lsn = 0;            // where shipping goes on
  uint64_t truncated_bytes = 0;  // unsynced tail a crash left, cut off
  uint64_t segments = 0;         // destination segments found
};

class LogShipper {
 public:
  LogShipper(const LogShipper&) = delete;
  LogShipper& operator=(const LogShipper&) = delete;
  ~LogShipper();

  // Opens a shipper from the log in `source_dir` to `dest_dir` (created if
  // missing). NotFound when the source is not a log; InvalidArgument when
  // the destination is a different log, or holds bytes or segments the
  // source does not (it diverged); Busy when something else holds the
  // destination's lock; Corruption when the destination is damaged inside
  // the part that was already synced.
  static Result<std::unique_ptr<LogShipper>> open(
      const std::string& source_dir, const std::string& dest_dir,
      const LogShipperOptions& options = {},
      ShipResumeReport* report = nullptr);

  // Ships everything the source has made durable since the last pass, and
  // mirrors retirement if asked. Corruption, naming the source file and
  // offset, when a record in the source's durable range does not validate;
  // NotFound when the source retired a segment before it was shipped (the
  // replica has a gap and must be re-seeded). After an error the next call
  // re-verifies the destination first.
  Result<ShipReport> ship_once();

  // The destination holds every record below this LSN.
  Lsn shipped_lsn() const;
  const std::array<uint8_t, 16>& log_id() const;

  // Releases the destination's lock. Idempotent.
  Status close();

  class Impl;

 private:
  explicit LogShipper(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_LOG_LOG_SHIPPER_H_
