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
// With a replication slot (LogShipperOptions::slot, log/slot.h) the shipper
// holds the source's segment retirement back to what the replica still
// needs, as a PostgreSQL physical replication slot does: the slot is moved
// only after the shipped bytes are durable on the replica, so it is never
// ahead of the replica, and a slot the source's writer dropped for its size
// cap is a loud error, never a silent gap.
//
// One shipper per destination: open() takes the destination's LOCK, so
// neither a second shipper nor a writer can use it meanwhile. The source is
// never locked, and never written except for the slot's file. Not
// thread-safe.

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
  // A replication slot on the source (1-64 characters of A-Z a-z 0-9 _ -),
  // or empty for none. open() creates it at the replica's resume LSN when
  // missing and otherwise moves it there; each ship_once() moves it to the
  // shipped LSN once the replica holds everything below durably. The
  // source's writer then keeps every segment the replica still needs,
  // unless that passes its max_slot_retained_bytes: it drops the slot, and
  // the shipper's next call fails with NotFound naming the slot and the cap.
  std::string slot;
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
  // With a slot: its restart LSN on the source after this pass (the
  // replica's durable shipped_lsn).
  Lsn slot_lsn = 0;
};

// What open() found on the destination.
struct ShipResumeReport {
  bool created = false;          // the destination was empty: a new replica
  Lsn resume_lsn = 0;            // where shipping goes on
  uint64_t truncated_bytes = 0;  // unsynced tail a crash left, cut off
  uint64_t segments = 0;         // destination segments found
  // With a slot: whether open() created it, and where it stood before
  // open() moved it to resume_lsn (behind after a crash between the
  // replica's sync and the slot's update; never ahead unless another
  // consumer moved it).
  bool slot_created = false;
  Lsn slot_found_lsn = 0;
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
  // the part that was already synced. With a slot: InvalidArgument for an
  // invalid name, NotFound when the writer dropped it.
  static Result<std::unique_ptr<LogShipper>> open(
      const std::string& source_dir, const std::string& dest_dir,
      const LogShipperOptions& options = {},
      ShipResumeReport* report = nullptr);

  // Ships everything the source has made durable since the last pass, and
  // mirrors retirement if asked. Corruption, naming the source file and
  // offset, when a record in the source's durable range does not validate;
  // NotFound when the source retired a segment before it was shipped (the
  // replica has a gap and must be re-seeded), or, with a slot, when the
  // source's writer dropped the slot or it was removed. After an error the
  // next call re-verifies the destination first.
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
