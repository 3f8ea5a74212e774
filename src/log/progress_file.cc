// The PROGRESS file: encoding, decoding, reading from another process, and
// the writer's publisher.

#include "log/progress_file.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "log/format.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace strata::durability::log {

namespace {
constexpr uint16_t kProgressVersion = 1;
constexpr uint16_t kFlagWriterOpen = 1;
// Where durable_lsn starts: the bytes before it stay the same while the
// writer is open.
constexpr std::size_t kLsnOffset = 32;
}  // namespace

std::string encode_progress(const PublishedProgress& p) {
  std::string out(kProgressFileSize, '\0');
  encode_progress_to(p, out.data());
  return out;
}

void encode_progress_to(const PublishedProgress& p, char* b) {
  std::memset(b, 0, kProgressFileSize);
  std::memcpy(b, kProgressMagic, 8);
  encode_fixed16(b + 8, kProgressVersion);
  encode_fixed16(b + 10, p.writer_open ? kFlagWriterOpen : 0);
  encode_fixed32(b + 12, p.writer_pid);
  std::memcpy(b + 16, p.log_id.data(), 16);
  encode_fixed64(b + 32, p.durable_lsn);
  encode_fixed64(b + 40, p.end_lsn);
  encode_fixed64(b + 48, p.sequence);
  // bytes 56-59 reserved
  encode_fixed32(b + 60, crc32c::mask(crc32c::value(b, 60)));
}

Result<PublishedProgress> decode_progress(std::string_view bytes) {
  if (bytes.size() != kProgressFileSize ||
      std::memcmp(bytes.data(), kProgressMagic, 8) != 0) {
    return Status::corruption("PROGRESS is not a progress record (" +
                              std::to_string(bytes.size()) + " bytes)");
  }
  const char* b = bytes.data();
  if (crc32c::unmask(decode_fixed32(b + 60)) != crc32c::value(b, 60)) {
    return Status::corruption("PROGRESS checksum mismatch");
  }
  uint16_t version = decode_fixed16(b + 8);
  if (version > kProgressVersion) {
    return Status::not_supported("PROGRESS has version " +
                                 std::to_string(version));
  }
  PublishedProgress p;
  p.writer_open = (decode_fixed16(b + 10) & kFlagWriterOpen) != 0;
  p.writer_pid = decode_fixed32(b + 12);
  std::memcpy(p.log_id.data(), b + 16, 16);
  p.durable_lsn = decode_fixed64(b + 32);
  p.end_lsn = decode_fixed64(b + 40);
  p.sequence = decode_fixed64(b + 48);
  if (p.durable_lsn > p.end_lsn) {
    return Status::corruption("PROGRESS has durable_lsn " +
                              std::to_string(p.durable_lsn) + " past end_lsn " +
                              std::to_string(p.end_lsn));
  }
  return p;
}

Result<PublishedProgress> read_published_progress(Env* env,
                                                  const std::string& dir) {
  if (env == nullptr) env = Env::posix();
  std::string path = join_path(dir, kProgressFileName);
  Status last;
  // A read racing the writer's in-place rewrite can see a mix of two
  // records; the checksum catches it and a second read gets a whole one.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto bytes = read_file(env, path);
    if (!bytes.ok()) return bytes.status();
    auto p = decode_progress(*bytes);
    if (p.ok() || p.status().code() == StatusCode::kNotSupported) return p;
    last = p.status();
    std::this_thread::yield();
  }
  return last.with_context(path);
}

ProgressPublisher::ProgressPublisher(Env* env, std::string dir,
                                     const LogId& log_id)
    : env_(env), dir_(std::move(dir)) {
  cur_.log_id = log_id;
  cur_.writer_pid = static_cast<uint32_t>(::getpid());
}

Status ProgressPublisher::open(Lsn lsn) {
  std::lock_guard<std::mutex> l(mu_);
  cur_.durable_lsn = lsn;
  cur_.end_lsn = lsn;
  cur_.writer_open = true;
  cur_.sequence = 1;
  encode_progress_to(cur_, image_);
  prefix_crc_ = crc32c::value(image_, kLsnOffset);
  STRATA_RETURN_IF_ERROR(
      write_file_atomically(env_, dir_, kProgressFileName,
                            std::string_view(image_, kProgressFileSize)));
  STRATA_ASSIGN_OR_RETURN(
      file_, env_->reopen_writable_file(join_path(dir_, kProgressFileName)));
  // Rewritten after every write group: in None mode a pwrite each time
  // would double the system calls of a commit. A store into the mapped
  // page reaches the page cache just as the pwrite did (same visibility to
  // readers, same fate in a crash). Where the Env cannot map, overwrite.
  auto mapped = file_->map_for_rewrite(kProgressFileSize);
  mapped_ = mapped.ok() ? *mapped : nullptr;
  ++version_;
  cv_.notify_all();
  return Status();
}

void ProgressPublisher::write_locked() {
  if (!file_) return;
  ++cur_.sequence;
  encode_progress_to(cur_, image_);
  prefix_crc_ = crc32c::value(image_, kLsnOffset);
  emit_locked();
}

void ProgressPublisher::emit_locked() {
  if (mapped_ != nullptr) {
    std::memcpy(mapped_, image_, sizeof(image_));
    return;
  }
  Status s = file_->overwrite(0, std::string_view(image_, sizeof(image_)));
  if (!s.ok() && first_error_.ok()) {
    first_error_ = s.with_context("publishing progress");
  }
}

void ProgressPublisher::publish(Lsn durable, Lsn end) {
  std::lock_guard<std::mutex> l(mu_);
  end = std::max(end, durable);
  if (durable <= cur_.durable_lsn && end <= cur_.end_lsn) return;
  cur_.durable_lsn = std::max(cur_.durable_lsn, durable);
  cur_.end_lsn = std::max(cur_.end_lsn, end);
  if (file_) {
    // Called after every write group: only the LSNs, the sequence and the
    // checksum change, so patch those in the kept image (the same bytes
    // encode_progress_to would give) instead of encoding all of it.
    // The checksum goes on from the unchanged prefix's.
    ++cur_.sequence;
    encode_fixed64(image_ + kLsnOffset, cur_.durable_lsn);
    encode_fixed64(image_ + kLsnOffset + 8, cur_.end_lsn);
    encode_fixed64(image_ + kLsnOffset + 16, cur_.sequence);
    const uint32_t crc =
        crc32c::extend(prefix_crc_, image_ + kLsnOffset, 60 - kLsnOffset);
    encode_fixed32(image_ + 60, crc32c::mask(crc));
    emit_locked();
  }
  ++version_;
  // Most writers have no in-process tailer: skip the broadcast then. A
  // waiter counts itself under mu_ before it sleeps, so none is missed.
  if (waiters_ != 0) cv_.notify_all();
}

Status ProgressPublisher::close(Lsn durable, Lsn end) {
  std::lock_guard<std::mutex> l(mu_);
  cur_.durable_lsn = std::max(cur_.durable_lsn, durable);
  cur_.end_lsn = std::max({cur_.end_lsn, end, cur_.durable_lsn});
  cur_.writer_open = false;
  write_locked();
  Status s = first_error_;
  if (file_) {
    Status c = file_->close();  // unmaps
    if (s.ok()) s = c;
    file_.reset();
    mapped_ = nullptr;
  }
  ++version_;
  cv_.notify_all();
  return s;
}

Lsn ProgressPublisher::durable_lsn() const {
  std::lock_guard<std::mutex> l(mu_);
  return cur_.durable_lsn;
}

Lsn ProgressPublisher::end_lsn() const {
  std::lock_guard<std::mutex> l(mu_);
  return cur_.end_lsn;
}

Status ProgressPublisher::first_error() const {
  std::lock_guard<std::mutex> l(mu_);
  return first_error_;
}

uint64_t ProgressPublisher::version() const {
  std::lock_guard<std::mutex> l(mu_);
  return version_ + wakeups_;
}

void ProgressPublisher::wait(
    uint64_t seen, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock<std::mutex> l(mu_);
  ++waiters_;
  cv_.wait_until(l, deadline, [&] { return version_ + wakeups_ != seen; });
  --waiters_;
}

void ProgressPublisher::wake() const {
  std::lock_guard<std::mutex> l(mu_);
  ++wakeups_;
  cv_.notify_all();
}

}  // namespace strata::durability::log
