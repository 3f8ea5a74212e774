// LogShipper: copies a source log's durable segments to a replica
// directory, validating every record first (docs/replication.md).

#include "strata/durability/log/log_shipper.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/durability/log/progress.h"
#include "strata/durability/log/slot.h"
#include "strata/durability/uuid.h"
#include "log/format.h"
#include "log/log_reader_impl.h"
#include "log/progress_file.h"
#include "log/slot_file.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace strata::durability::log {

namespace {

std::string lsn_str(Lsn lsn) { return std::to_string(lsn); }
std::string uuid_hex(const LogId& id) { return Uuid(id).to_string(); }

// The result of validating a run of record bytes.
struct UnitScan {
  // Bytes of whole units (a record outside a batch, or a whole batch) from
  // the start of the scanned bytes.
  std::size_t unit_end = 0;
  uint64_t records = 0;  // records inside those units
  // The seal, when the units end with one; seal_end is the offset just past
  // it.
  std::optional<SealPayload> seal;
  // Why the scan stopped before the end of the bytes: kIncomplete when a
  // record or a batch runs past them, kInvalid when a record does not
  // validate (reason and the offset of the record).
  enum class Stop { kEnd, kIncomplete, kInvalid } stop = Stop::kEnd;
  std::size_t stop_offset = 0;
  std::string reason;
};

// Validates `bytes`, which start at a unit boundary of a segment whose
// records are seeded with `seed`.
UnitScan scan_units(std::string_view bytes, uint32_t seed,
                    std::size_t max_record_size) {
  UnitScan scan;
  std::size_t pos = 0;
  bool in_batch = false;
  uint64_t batch_records = 0;
  auto invalid = [&](std::size_t at, std::string reason) {
    scan.stop = UnitScan::Stop::kInvalid;
    scan.stop_offset = at;
    scan.reason = std::move(reason);
    return scan;
  };
  while (pos < bytes.size()) {
    std::string_view rest = bytes.substr(pos);
    // Zeros are the unwritten rest of a preallocated segment
    // (docs/format.md): after a seal they stay, elsewhere they are bytes
    // not yet written.
    const bool zeros =
        std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; });
    if (scan.seal) {
      if (zeros) return scan;
      return invalid(pos, "bytes follow the segment's seal");
    }
    if (zeros) {
      scan.stop = UnitScan::Stop::kIncomplete;
      scan.stop_offset = pos;
      return scan;
    }
    if (rest.size() < kRecordHeaderSize) {
      scan.stop = UnitScan::Stop::kIncomplete;
      scan.stop_offset = pos;
      return scan;
    }
    uint32_t length = decode_fixed32(rest.data() + 4);
    auto type = static_cast<uint8_t>(rest[8]);
    if (type != 0 && length <= max_record_size &&
        kRecordHeaderSize + static_cast<std::size_t>(length) > rest.size()) {
      scan.stop = UnitScan::Stop::kIncomplete;
      scan.stop_offset = pos;
      return scan;
    }
    ParsedRecord rec;
    std::string reason;
    if (parse_record(rest, seed, max_record_size, &rec, &reason) !=
        ParseResult::kValid) {
      return invalid(pos, reason);
    }
    switch (static_cast<RecordType>(rec.type)) {
      case RecordType::kFull:
      case RecordType::kSeal:
        if (in_batch) {
          return invalid(pos, "a batch's records are interrupted by a " +
                                  std::string(rec.type == 1 ? "FULL" : "SEAL") +
                                  " record");
        }
        if (rec.type == static_cast<uint8_t>(RecordType::kSeal)) {
          auto seal = decode_seal(rec.payload);
          if (!seal) return invalid(pos, "the seal's payload does not decode");
          scan.seal = *seal;
        }
        pos += rec.total_size;
        scan.unit_end = pos;
        ++scan.records;
        break;
      case RecordType::kFirst:
        if (in_batch) return invalid(pos, "a FIRST record inside a batch");
        in_batch = true;
        batch_records = 1;
        pos += rec.total_size;
        break;
      case RecordType::kMiddle:
      case RecordType::kLast:
        if (!in_batch) {
          return invalid(pos, "a MIDDLE or LAST record outside a batch");
        }
        pos += rec.total_size;
        ++batch_records;
        if (rec.type == static_cast<uint8_t>(RecordType::kLast)) {
          in_batch = false;
          scan.unit_end = pos;
          scan.records += batch_records;
        }
        break;
      default:  // an ignorable type (PADDING and future ones)
        pos += rec.total_size;
        if (in_batch) {
          ++batch_records;
        } else {
          scan.unit_end = pos;
          ++scan.records;
        }
        break;
    }
  }
  if (in_batch) {
    scan.stop = UnitScan::Stop::kIncomplete;
    scan.stop_offset = pos;
  }
  return scan;
}

// The offset of the first record at or after `from` that validates, if
// any: what tells damage inside a segment from a torn tail.
std::optional<uint64_t> find_valid_record(std::string_view segment,
                                          uint64_t from, uint32_t seed,
                                          std::size_t max_record_size) {
  for (uint64_t at = from; at + kRecordHeaderSize <= segment.size(); ++at) {
    ParsedRecord rec;
    if (parse_record(segment.substr(at), seed, max_record_size, &rec,
                     nullptr) == ParseResult::kValid) {
      return at;
    }
  }
  return std::nullopt;
}

}  // namespace

class LogShipper::Impl {
 public:
  Impl(std::string src, std::string dst, const LogShipperOptions& options)
      : env_(options.env != nullptr ? options.env : Env::posix()),
        src_(std::move(src)),
        dst_(std::move(dst)),
        options_(options) {}

  Status open(ShipResumeReport* report);
  Result<ShipReport> ship_once();
  Status close();

  Lsn shipped_lsn() const {
    return has_cur_ ? lsn_at(cur_, cur_size_) : dest_start_.first_lsn;
  }
  const LogId& log_id() const { return log_id_; }

 private:
  std::string src_path(uint64_t number) const {
    return join_path(src_, segment_file_name(number));
  }
  std::string dst_path(uint64_t number) const {
    return join_path(dst_, segment_file_name(number));
  }
  Status diverged(const std::string& what) const {
    return Status::invalid_argument("replica " + dst_ + " diverges from " +
                                    src_ + ": " + what +
                                    "; refusing to overwrite it");
  }

  Result<StartRecord> read_start(const std::string& dir) const;
  // A segment's header bytes and size; nullopt when the file is missing.
  struct RawSegment {
    std::string header_bytes;
    SegmentHeader header;
    uint64_t size = 0;
  };
  Result<std::optional<RawSegment>> read_segment(const std::string& path) const;
  Result<std::string> read_range(const std::string& path, uint64_t offset,
                                 uint64_t length) const;

  // Re-verifies the destination against the source and sets the state
  // below. Writes only to cut off an unsynced tail.
  Status resume(ShipResumeReport* report);
  // Validates a destination segment's records against the source's bytes:
  // the valid length, and whether it ends with a seal.
  struct TailCheck {
    uint64_t valid_end = 0;
    uint64_t file_size = 0;
    bool sealed = false;
  };
  Result<TailCheck> check_tail(const RawSegment& dest) const;
  // Writes a new segment file durably: tmp, sync, rename, directory sync.
  Status create_segment(uint64_t number, const std::string& header_bytes);
  Status ensure_cur_file();
  // Ships what is durable of the current segment; moves to its successor
  // when the seal was shipped. Sets *moved in that case.
  Status ship_segment(Lsn durable, ShipReport* report, bool* moved);
  Status enter_successor(const SealPayload& seal, ShipReport* report);
  Status mirror_retirement(const StartRecord& src_start, ShipReport* report);
  // Creates the slot at the resume LSN, or moves it there.
  Status attach_slot(ShipResumeReport* report);
  // OK while the slot is active; the loud error when it was dropped or
  // removed.
  Status check_slot() const;
  // Moves the slot to shipped_lsn(): only once the replica holds
  // everything below it durably.
  Status ack_slot();
  Status slot_error(const Status& s) const {
    return s.with_context("shipping " + src_ + " to " + dst_ +
                          " through slot '" + options_.slot + "'");
  }

  Env* env_;
  std::string src_;
  std::string dst_;
  LogShipperOptions options_;
  std::unique_ptr<FileLock> lock_;
  bool verified_ = false;

  LogId log_id_{};
  LogKind kind_ = LogKind::kRaw;
  StartRecord dest_start_;
  // The segment being shipped into, once the destination has one.
  bool has_cur_ = false;
  SegmentHeader cur_;
  std::string cur_header_bytes_;
  uint64_t cur_size_ = 0;
  bool cur_sealed_ = false;        // its seal was shipped already
  bool successor_exists_ = false;  // the destination has cur_ + 1 (empty)
  std::unique_ptr<WritableFile> cur_file_;
  // The replica's own PROGRESS, so tailers in other processes can follow
  // the replica as they follow a primary.
  std::unique_ptr<ProgressPublisher> progress_;
  // The slot's restart LSN as last written by this shipper.
  Lsn slot_lsn_ = 0;
};

Result<StartRecord> LogShipper::Impl::read_start(const std::string& dir) const {
  std::string path = join_path(dir, kStartFileName);
  auto bytes = read_file(env_, path);
  if (!bytes.ok()) {
    if (bytes.status().is_not_found()) {
      return Status::not_found(dir + " is not a log: it has no START file");
    }
    return bytes.status();
  }
  auto start = decode_start(*bytes);
  if (!start.ok()) return start.status().with_context(path);
  return start;
}

Result<std::optional<LogShipper::Impl::RawSegment>>
LogShipper::Impl::read_segment(const std::string& path) const {
  auto file = env_->new_random_access_file(path);
  if (!file.ok()) {
    if (file.status().is_not_found()) return std::optional<RawSegment>();
    return file.status();
  }
  RawSegment seg;
  STRATA_ASSIGN_OR_RETURN(seg.size, (*file)->size());
  seg.header_bytes.assign(kSegmentHeaderSize, '\0');
  STRATA_ASSIGN_OR_RETURN(std::size_t got,
                          (*file)->read(0, std::span<char>(seg.header_bytes)));
  if (got < kSegmentHeaderSize) {
    return Status::corruption(path + ": segment header cut short (" +
                              std::to_string(got) + " of " +
                              std::to_string(kSegmentHeaderSize) + " bytes)");
  }
  auto header = decode_segment_header(seg.header_bytes);
  if (!header.ok()) return header.status().with_context(path);
  seg.header = *header;
  return std::optional<RawSegment>(std::move(seg));
}

Result<std::string> LogShipper::Impl::read_range(const std::string& path,
                                                 uint64_t offset,
                                                 uint64_t length) const {
  STRATA_ASSIGN_OR_RETURN(auto file, env_->new_random_access_file(path));
  std::string out(static_cast<std::size_t>(length), '\0');
  STRATA_ASSIGN_OR_RETURN(std::size_t got,
                          file->read(offset, std::span<char>(out)));
  out.resize(got);
  return out;
}

Status LogShipper::Impl::open(ShipResumeReport* report) {
  if (!options_.slot.empty() && !is_valid_slot_name(options_.slot)) {
    return Status::invalid_argument("invalid slot name '" + options_.slot +
                                    "' (1-64 characters of A-Z a-z 0-9 _ -)");
  }
  STRATA_ASSIGN_OR_RETURN(bool src_exists, env_->file_exists(src_));
  if (!src_exists) return Status::not_found("no log at " + src_);
  STRATA_ASSIGN_OR_RETURN(bool dst_exists, env_->file_exists(dst_));
  if (!dst_exists) {
    STRATA_RETURN_IF_ERROR(env_->create_dir(dst_));
    std::size_t slash = dst_.find_last_of('/');
    std::string parent = slash == std::string::npos ? "."
                         : slash == 0               ? "/"
                                                    : dst_.substr(0, slash);
    STRATA_RETURN_IF_ERROR(env_->sync_dir(parent));
  }
  STRATA_ASSIGN_OR_RETURN(lock_,
                          env_->lock_file(join_path(dst_, kLockFileName)));
  ShipResumeReport local;
  if (report == nullptr) report = &local;
  // A dropped slot explains a gap that resume() would otherwise report
  // bare.
  if (!options_.slot.empty()) {
    auto found = read_slot(env_, src_, options_.slot);
    if (found.ok() && found->dropped) {
      return slot_error(slot_dropped_error(src_, *found));
    }
  }
  STRATA_RETURN_IF_ERROR(resume(report));
  progress_ = std::make_unique<ProgressPublisher>(env_, dst_, log_id_);
  STRATA_RETURN_IF_ERROR(progress_->open(shipped_lsn()));
  return attach_slot(report);
}

Status LogShipper::Impl::attach_slot(ShipResumeReport* report) {
  if (options_.slot.empty()) return Status();
  // resume() synced the replica: everything below the resume LSN is
  // durable there, so the slot may stand at it, whichever side it was on.
  const Lsn resume_lsn = shipped_lsn();
  auto found = read_slot(env_, src_, options_.slot);
  if (!found.ok()) {
    if (!found.status().is_not_found()) return slot_error(found.status());
    STRATA_RETURN_IF_ERROR(create_slot(env_, src_, options_.slot, resume_lsn));
    report->slot_created = true;
    report->slot_found_lsn = resume_lsn;
    slot_lsn_ = resume_lsn;
    return Status();
  }
  if (found->dropped) return slot_error(slot_dropped_error(src_, *found));
  report->slot_found_lsn = found->restart_lsn;
  if (found->restart_lsn != resume_lsn) {
    STRATA_RETURN_IF_ERROR(advance_slot(env_, src_, options_.slot, resume_lsn)
                               .with_context("moving slot '" + options_.slot +
                                             "' to the replica's resume LSN"));
  }
  slot_lsn_ = resume_lsn;
  return Status();
}

Status LogShipper::Impl::check_slot() const {
  if (options_.slot.empty()) return Status();
  auto s = read_slot(env_, src_, options_.slot);
  if (!s.ok()) {
    if (s.status().is_not_found()) {
      return slot_error(Status::not_found(
          "slot '" + options_.slot + "' was removed from " + src_ +
          " while shipping, so the source no longer keeps the replica's "
          "segments; reopen the shipper to recreate it"));
    }
    return slot_error(s.status());
  }
  if (s->dropped) return slot_error(slot_dropped_error(src_, *s));
  return Status();
}

Status LogShipper::Impl::ack_slot() {
  if (options_.slot.empty() || shipped_lsn() == slot_lsn_) return Status();
  Status s = advance_slot(env_, src_, options_.slot, shipped_lsn());
  if (!s.ok()) {
    // advance_slot's NotFound covers both a removed and a dropped slot.
    Status why = check_slot();
    return why.ok() ? slot_error(s) : why;
  }
  slot_lsn_ = shipped_lsn();
  return Status();
}

Result<LogShipper::Impl::TailCheck> LogShipper::Impl::check_tail(
    const RawSegment& dest) const {
  const std::string path = dst_path(dest.header.number);
  TailCheck check;
  check.file_size = dest.size;
  STRATA_ASSIGN_OR_RETURN(std::string bytes, read_range(path, 0, dest.size));
  uint32_t seed = segment_seed(log_id_, dest.header.number, dest.header.salt);
  UnitScan scan = scan_units(std::string_view(bytes).substr(kSegmentHeaderSize),
                             seed, options_.max_record_size);
  check.valid_end = kSegmentHeaderSize + scan.unit_end;
  check.sealed = scan.seal.has_value();
  // An unsynced tail a crash left is cut off by the caller; damage with
  // valid records after it is not a tail, and shipped data is never cut.
  // (Records of an unfinished batch before the stop are not damage.)
  uint64_t stop = kSegmentHeaderSize + scan.stop_offset;
  if (auto after = scan.stop == UnitScan::Stop::kEnd
                       ? std::nullopt
                       : find_valid_record(bytes, stop + 1, seed,
                                           options_.max_record_size)) {
    return Status::corruption(
        path + " (segment " + std::to_string(dest.header.number) +
        ") is damaged at offset " + std::to_string(check.valid_end) +
        " with a valid record after it at offset " + std::to_string(*after) +
        "; refusing to cut shipped data (re-seed the replica)");
  }
  // What validated on the destination must be the source's bytes.
  STRATA_ASSIGN_OR_RETURN(bool src_has,
                          env_->file_exists(src_path(dest.header.number)));
  if (!src_has) {
    return Status::not_found(
        "the source retired segment " + std::to_string(dest.header.number) +
        " before the replica's copy of it was complete: the replica has a "
        "gap; re-seed it");
  }
  STRATA_ASSIGN_OR_RETURN(
      std::string src_bytes,
      read_range(src_path(dest.header.number), 0, check.valid_end));
  if (src_bytes.size() < check.valid_end) {
    return diverged("segment " + std::to_string(dest.header.number) +
                    " holds " + std::to_string(check.valid_end) +
                    " valid bytes on the replica but only " +
                    std::to_string(src_bytes.size()) +
                    " on the source (the replica is ahead: was the source "
                    "restored or recovered to an earlier point?)");
  }
  for (uint64_t i = 0; i < check.valid_end; ++i) {
    if (src_bytes[i] != bytes[i]) {
      return diverged("segment " + std::to_string(dest.header.number) +
                      " differs at offset " + std::to_string(i) + " (" + path +
                      ")");
    }
  }
  return check;
}

Status LogShipper::Impl::resume(ShipResumeReport* report) {
  ShipResumeReport local;
  if (report == nullptr) report = &local;
  *report = ShipResumeReport();
  cur_file_.reset();
  has_cur_ = false;
  cur_sealed_ = false;
  successor_exists_ = false;

  STRATA_ASSIGN_OR_RETURN(StartRecord src_start, read_start(src_));
  log_id_ = src_start.log_id;
  kind_ = src_start.kind;

  STRATA_ASSIGN_OR_RETURN(auto names, env_->list_dir(dst_));
  std::vector<uint64_t> numbers;
  bool has_start = false;
  for (const auto& name : names) {
    if (name == kStartFileName) has_start = true;
    if (auto n = parse_segment_file_name(name)) numbers.push_back(*n);
  }
  std::sort(numbers.begin(), numbers.end());

  if (!has_start) {
    if (!numbers.empty()) {
      return Status::invalid_argument(
          dst_ +
          " holds segment files but no START: it is not a replica "
          "made by ship; refusing to write into it");
    }
    // A new replica. START first, as a writer creating a log does.
    report->created = true;
    STRATA_RETURN_IF_ERROR(write_file_atomically(env_, dst_, kStartFileName,
                                                 encode_start(src_start)));
    dest_start_ = src_start;
    report->resume_lsn = src_start.first_lsn;
    verified_ = true;
    return Status();
  }

  STRATA_ASSIGN_OR_RETURN(dest_start_, read_start(dst_));
  if (dest_start_.log_id != log_id_) {
    return diverged("the replica is of log " + uuid_hex(dest_start_.log_id) +
                    ", the source is log " + uuid_hex(log_id_));
  }
  if (dest_start_.kind != kind_) {
    return diverged(
        "the replica is a " + std::string(log_kind_name(dest_start_.kind)) +
        " log, the source a " + std::string(log_kind_name(kind_)) + " log");
  }
  // Segments older than START are left over from an interrupted
  // retirement; readers ignore them and so does the shipper.
  numbers.erase(
      std::remove_if(numbers.begin(), numbers.end(),
                     [&](uint64_t n) { return n < dest_start_.first_segment; }),
      numbers.end());
  report->segments = numbers.size();
  if (numbers.empty()) {
    // START was written but no segment yet: follow the source's START.
    if (dest_start_.first_segment != src_start.first_segment) {
      STRATA_RETURN_IF_ERROR(write_file_atomically(env_, dst_, kStartFileName,
                                                   encode_start(src_start)));
      dest_start_ = src_start;
    }
    report->resume_lsn = dest_start_.first_lsn;
    verified_ = true;
    return Status();
  }
  if (numbers.front() != dest_start_.first_segment) {
    return Status::corruption(dst_ + ": START names segment " +
                              std::to_string(dest_start_.first_segment) +
                              " first but the replica's first is " +
                              std::to_string(numbers.front()));
  }
  for (std::size_t i = 1; i < numbers.size(); ++i) {
    if (numbers[i] != numbers[i - 1] + 1) {
      return Status::corruption(dst_ + ": segment " +
                                std::to_string(numbers[i - 1] + 1) +
                                " is missing from the replica");
    }
  }

  std::vector<RawSegment> dest;
  for (uint64_t n : numbers) {
    STRATA_ASSIGN_OR_RETURN(auto seg, read_segment(dst_path(n)));
    if (!seg) return Status::not_found(dst_path(n) + " vanished");
    if (seg->header.number != n) {
      return Status::corruption(dst_path(n) + ": header names segment " +
                                std::to_string(seg->header.number));
    }
    if (seg->header.log_id != log_id_) {
      return diverged(dst_path(n) + " belongs to log " +
                      uuid_hex(seg->header.log_id));
    }
    STRATA_ASSIGN_OR_RETURN(auto src, read_segment(src_path(n)));
    if (src && src->header_bytes != seg->header_bytes) {
      return diverged("segment " + std::to_string(n) +
                      " has a different header on the source");
    }
    if (!src && n >= src_start.first_segment) {
      return diverged("the replica has segment " + std::to_string(n) +
                      ", which the source does not (the replica is ahead)");
    }
    dest.push_back(std::move(*seg));
  }

  // The last segment, and the one before it when the last is empty (a
  // crash between making the successor and shipping the seal), are checked
  // record by record; the others are whole sealed copies.
  std::size_t last = dest.size() - 1;
  bool last_empty = dest[last].size <= kSegmentHeaderSize;
  std::size_t first_checked = last_empty && last > 0 ? last - 1 : last;
  for (std::size_t i = 0; i < first_checked; ++i) {
    STRATA_ASSIGN_OR_RETURN(auto src,
                            read_segment(src_path(dest[i].header.number)));
    // A preallocated source segment goes on with zeros past its seal,
    // which are not shipped.
    bool zero_rest = false;
    if (src && src->size > dest[i].size) {
      STRATA_ASSIGN_OR_RETURN(
          zero_rest, file_is_zero_from(env_, src_path(dest[i].header.number),
                                       dest[i].size));
    }
    if (src && src->size != dest[i].size && !zero_rest) {
      return diverged("segment " + std::to_string(dest[i].header.number) +
                      " is " + std::to_string(dest[i].size) +
                      " bytes on the replica and " + std::to_string(src->size) +
                      " on the source");
    }
  }
  std::vector<TailCheck> checks;
  for (std::size_t i = first_checked; i <= last; ++i) {
    STRATA_ASSIGN_OR_RETURN(TailCheck check, check_tail(dest[i]));
    if (check.valid_end < check.file_size) {
      // Bytes a crash left unsynced (cut, zeros or garbage): never
      // acknowledged as shipped, so cut them off.
      STRATA_ASSIGN_OR_RETURN(
          auto w, env_->reopen_writable_file(dst_path(dest[i].header.number)));
      STRATA_RETURN_IF_ERROR(w->truncate(check.valid_end));
      STRATA_RETURN_IF_ERROR(w->sync());
      STRATA_RETURN_IF_ERROR(w->close());
      report->truncated_bytes += check.file_size - check.valid_end;
      check.file_size = check.valid_end;
    }
    checks.push_back(check);
  }

  std::size_t cur = last;
  if (checks.size() == 2) {
    if (!checks[0].sealed) {
      cur = last - 1;
      successor_exists_ = true;
    }
  } else if (last_empty && checks[0].sealed) {
    return Status::corruption(dst_path(dest[last].header.number) +
                              " is sealed but empty");
  }
  if (cur != last && dest[last].size > kSegmentHeaderSize) {
    return Status::corruption(dst_path(dest[cur].header.number) +
                              " is not sealed but its successor holds data");
  }
  const TailCheck& cur_check = checks[cur - first_checked];
  has_cur_ = true;
  cur_ = dest[cur].header;
  cur_header_bytes_ = dest[cur].header_bytes;
  cur_size_ = cur_check.valid_end;
  cur_sealed_ = cur_check.sealed;
  // What a process crash left in the page cache must be durable before
  // anything is built on it.
  STRATA_RETURN_IF_ERROR(ensure_cur_file());
  STRATA_RETURN_IF_ERROR(cur_file_->sync());
  report->resume_lsn = shipped_lsn();
  verified_ = true;
  return Status();
}

Status LogShipper::Impl::create_segment(uint64_t number,
                                        const std::string& header_bytes) {
  std::string tmp = dst_path(number) + ".tmp";
  STRATA_ASSIGN_OR_RETURN(auto file, env_->new_writable_file(tmp));
  STRATA_RETURN_IF_ERROR(file->append(header_bytes));
  STRATA_RETURN_IF_ERROR(file->sync());
  STRATA_RETURN_IF_ERROR(file->close());
  STRATA_RETURN_IF_ERROR(env_->rename_file(tmp, dst_path(number)));
  return env_->sync_dir(dst_);
}

Status LogShipper::Impl::ensure_cur_file() {
  if (cur_file_) return Status();
  STRATA_ASSIGN_OR_RETURN(cur_file_,
                          env_->reopen_writable_file(dst_path(cur_.number)));
  if (cur_file_->position() != cur_size_) {
    uint64_t pos = cur_file_->position();
    cur_file_.reset();
    return Status::corruption(dst_path(cur_.number) + " is " +
                              std::to_string(pos) + " bytes, expected " +
                              std::to_string(cur_size_) +
                              " (changed behind the shipper?)");
  }
  return Status();
}

Status LogShipper::Impl::enter_successor(const SealPayload& seal,
                                         ShipReport* report) {
  const std::string sp = src_path(seal.next_number);
  STRATA_ASSIGN_OR_RETURN(auto next, read_segment(sp));
  if (!next) {
    return Status::corruption(src_path(cur_.number) +
                              " is sealed but its successor " + sp +
                              " is missing on the source");
  }
  const SegmentHeader& h = next->header;
  if (seal.next_number != cur_.number + 1 || h.number != seal.next_number ||
      h.log_id != log_id_ || h.salt != seal.next_salt ||
      h.prev_salt != cur_.salt || h.first_lsn != seal.end_lsn) {
    return Status::corruption(sp + " does not match the seal of segment " +
                              std::to_string(cur_.number) +
                              " (number, log id, salt or first LSN)");
  }
  if (successor_exists_) {
    STRATA_ASSIGN_OR_RETURN(auto mine, read_segment(dst_path(h.number)));
    if (!mine || mine->header_bytes != next->header_bytes) {
      return diverged("segment " + std::to_string(h.number) +
                      " has a different header on the source");
    }
  } else {
    STRATA_RETURN_IF_ERROR(create_segment(h.number, next->header_bytes));
    ++report->segments_created;
  }
  successor_exists_ = true;
  return Status();
}

Status LogShipper::Impl::ship_segment(Lsn durable, ShipReport* report,
                                      bool* moved) {
  *moved = false;
  const std::string sp = src_path(cur_.number);
  if (cur_sealed_) {
    // The seal is shipped; the successor may still be missing (a replica
    // cut between the two by hand). Make it and move on.
    // Read the seal back from the replica to find the successor.
    STRATA_ASSIGN_OR_RETURN(
        std::string tail,
        read_range(dst_path(cur_.number), cur_size_ - kSealRecordSize,
                   kSealRecordSize));
    auto seal = decode_seal(std::string_view(tail).substr(kRecordHeaderSize));
    if (!seal) {
      return Status::corruption(dst_path(cur_.number) +
                                ": the seal does not decode");
    }
    STRATA_RETURN_IF_ERROR(enter_successor(*seal, report));
  } else {
    auto file = env_->new_random_access_file(sp);
    if (!file.ok()) {
      if (file.status().is_not_found()) {
        return Status::not_found(
            "the source retired segment " + std::to_string(cur_.number) +
            " before it was shipped (the replica stops at LSN " +
            lsn_str(shipped_lsn()) + "): the replica has a gap; re-seed it");
      }
      return file.status();
    }
    STRATA_ASSIGN_OR_RETURN(uint64_t src_size, (*file)->size());
    uint64_t limit = src_size;
    if (!options_.ship_unsynced) {
      uint64_t durable_end = durable <= cur_.first_lsn
                                 ? kSegmentHeaderSize
                                 : offset_of(cur_, durable);
      limit = std::min(limit, durable_end);
    }
    const uint32_t seed = segment_seed(log_id_, cur_.number, cur_.salt);
    std::size_t want = options_.chunk_bytes;
    while (cur_size_ < limit) {
      uint64_t len = std::min<uint64_t>(limit - cur_size_, want);
      std::string bytes(static_cast<std::size_t>(len), '\0');
      STRATA_ASSIGN_OR_RETURN(std::size_t got,
                              (*file)->read(cur_size_, std::span<char>(bytes)));
      bytes.resize(got);
      UnitScan scan = scan_units(bytes, seed, options_.max_record_size);
      if (scan.stop == UnitScan::Stop::kInvalid) {
        bool in_durable = !options_.ship_unsynced;
        if (in_durable || scan.unit_end == 0) {
          if (in_durable) {
            return Status::corruption(
                "source " + sp + " (segment " + std::to_string(cur_.number) +
                ") is damaged at offset " +
                std::to_string(cur_size_ + scan.stop_offset) +
                ", inside its durable part (below LSN " + lsn_str(durable) +
                "): " + scan.reason + "; not shipped");
          }
          break;  // unsynced mode: the writer's bytes in flight
        }
      }
      if (scan.unit_end == 0) {
        if (got == len && cur_size_ + len < limit) {
          want *= 2;  // a batch larger than a chunk: read it whole
          continue;
        }
        break;  // the rest is not yet durable as a whole unit
      }
      std::string_view ship(bytes.data(), scan.unit_end);
      if (scan.seal) {
        STRATA_RETURN_IF_ERROR(enter_successor(*scan.seal, report));
      }
      STRATA_RETURN_IF_ERROR(ensure_cur_file());
      Status s = cur_file_->append(ship);
      if (s.ok()) s = cur_file_->sync();
      if (!s.ok()) {
        verified_ = false;
        return s;
      }
      cur_size_ += ship.size();
      report->bytes += ship.size();
      report->records += scan.records;
      want = options_.chunk_bytes;
      if (scan.seal) {
        cur_sealed_ = true;
        break;
      }
    }
    if (!cur_sealed_) return Status();
  }
  // Move to the successor.
  if (cur_file_) {
    Status s = cur_file_->close();
    cur_file_.reset();
    STRATA_RETURN_IF_ERROR(s);
  }
  STRATA_ASSIGN_OR_RETURN(auto next, read_segment(dst_path(cur_.number + 1)));
  if (!next) return Status::not_found(dst_path(cur_.number + 1) + " vanished");
  cur_ = next->header;
  cur_header_bytes_ = next->header_bytes;
  cur_size_ = kSegmentHeaderSize;
  cur_sealed_ = false;
  successor_exists_ = false;
  *moved = true;
  return Status();
}

Status LogShipper::Impl::mirror_retirement(const StartRecord& src_start,
                                           ShipReport* report) {
  STRATA_ASSIGN_OR_RETURN(auto names, env_->list_dir(dst_));
  uint64_t new_first = dest_start_.first_segment;
  if (src_start.first_segment > dest_start_.first_segment && has_cur_) {
    new_first = std::min(src_start.first_segment, cur_.number);
  }
  if (new_first != dest_start_.first_segment) {
    STRATA_ASSIGN_OR_RETURN(auto seg, read_segment(dst_path(new_first)));
    if (!seg) return Status::not_found(dst_path(new_first) + " is missing");
    StartRecord start = dest_start_;
    start.first_segment = new_first;
    start.first_lsn = seg->header.first_lsn;
    // START moves first, so a crash leaves only ignored older files.
    STRATA_RETURN_IF_ERROR(
        write_file_atomically(env_, dst_, kStartFileName, encode_start(start)));
    dest_start_ = start;
  }
  bool removed = false;
  for (const auto& name : names) {
    auto n = parse_segment_file_name(name);
    if (n && *n < dest_start_.first_segment) {
      STRATA_RETURN_IF_ERROR(env_->remove_file(join_path(dst_, name)));
      ++report->segments_retired;
      removed = true;
    }
  }
  if (removed) STRATA_RETURN_IF_ERROR(env_->sync_dir(dst_));
  return Status();
}

Result<ShipReport> LogShipper::Impl::ship_once() {
  if (!lock_) return Status::invalid_argument("the shipper is closed");
  // Before resume(): a dropped slot explains the gap it would report.
  STRATA_RETURN_IF_ERROR(check_slot());
  if (!verified_) STRATA_RETURN_IF_ERROR(resume(nullptr));
  ShipReport report;
  Result<ShipReport> result = [&]() -> Result<ShipReport> {
    STRATA_ASSIGN_OR_RETURN(StartRecord src_start, read_start(src_));
    if (src_start.log_id != log_id_) {
      return diverged("the source is now log " + uuid_hex(src_start.log_id) +
                      ", the replica is of log " + uuid_hex(log_id_));
    }
    Lsn durable = 0;
    auto progress = read_published_progress(env_, src_);
    if (progress.ok() && progress->log_id == log_id_) {
      report.source_progress_ok = true;
      report.source_durable_lsn = progress->durable_lsn;
      report.source_writer_open = progress->writer_open;
      durable = progress->durable_lsn;
    } else if (!progress.ok() && !progress.status().is_not_found() &&
               !progress.status().is_corruption()) {
      return progress.status();
    }
    if (options_.ship_unsynced) durable = ~Lsn{0};

    if (!has_cur_) {
      STRATA_ASSIGN_OR_RETURN(auto first,
                              read_segment(src_path(src_start.first_segment)));
      if (first) {
        if (first->header.log_id != log_id_ ||
            first->header.number != src_start.first_segment) {
          return Status::corruption(src_path(src_start.first_segment) +
                                    ": header does not match START");
        }
        if (dest_start_.first_segment != src_start.first_segment) {
          STRATA_RETURN_IF_ERROR(write_file_atomically(
              env_, dst_, kStartFileName, encode_start(src_start)));
          dest_start_ = src_start;
        }
        STRATA_RETURN_IF_ERROR(
            create_segment(first->header.number, first->header_bytes));
        ++report.segments_created;
        has_cur_ = true;
        cur_ = first->header;
        cur_header_bytes_ = first->header_bytes;
        cur_size_ = kSegmentHeaderSize;
      }
    }
    if (has_cur_) {
      bool moved = true;
      while (moved) {
        Status s = ship_segment(durable, &report, &moved);
        if (!s.ok()) {
          // A gap under a slot means the writer dropped it: say so.
          if (s.is_not_found()) STRATA_RETURN_IF_ERROR(check_slot());
          return s;
        }
      }
    }
    if (options_.mirror_retirement) {
      STRATA_RETURN_IF_ERROR(mirror_retirement(src_start, &report));
    }
    report.shipped_lsn = shipped_lsn();
    // Everything below it was synced above.
    progress_->publish(report.shipped_lsn, report.shipped_lsn);
    STRATA_RETURN_IF_ERROR(ack_slot());
    report.slot_lsn = slot_lsn_;
    report.first_segment = dest_start_.first_segment;
    report.last_segment = has_cur_ ? cur_.number : 0;
    return report;
  }();
  if (!result.ok()) {
    // Start from what is on disk next time.
    cur_file_.reset();
    verified_ = false;
  }
  return result;
}

Status LogShipper::Impl::close() {
  Status s;
  if (progress_) s = progress_->close(shipped_lsn(), shipped_lsn());
  progress_.reset();
  if (cur_file_) {
    Status c = cur_file_->close();
    if (s.ok()) s = c;
  }
  cur_file_.reset();
  lock_.reset();
  return s;
}

LogShipper::LogShipper(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogShipper::~LogShipper() {
  if (impl_) (void)impl_->close();
}

Result<std::unique_ptr<LogShipper>> LogShipper::open(
    const std::string& source_dir, const std::string& dest_dir,
    const LogShipperOptions& options, ShipResumeReport* report) {
  if (source_dir == dest_dir) {
    return Status::invalid_argument("source and destination are the same: " +
                                    source_dir);
  }
  auto impl = std::make_unique<Impl>(source_dir, dest_dir, options);
  STRATA_RETURN_IF_ERROR(impl->open(report));
  return std::unique_ptr<LogShipper>(new LogShipper(std::move(impl)));
}

Result<ShipReport> LogShipper::ship_once() { return impl_->ship_once(); }
Lsn LogShipper::shipped_lsn() const { return impl_->shipped_lsn(); }
const std::array<uint8_t, 16>& LogShipper::log_id() const {
  return impl_->log_id();
}
Status LogShipper::close() { return impl_->close(); }

}  // namespace strata::durability::log
