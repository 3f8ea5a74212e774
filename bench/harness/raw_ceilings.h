// The raw ceilings every throughput figure is reported against, as plain
// files with one operation each, so that Google Benchmark (bench_util.h),
// `strata-wal bench` and bench/compare all measure the same loops:
//
//   RawSyncFile   pwrite of one record then fdatasync, into a file
//                 preallocated with real zeros (no metadata for fdatasync
//                 to write, as in a log with preallocated segments).
//   RawWriteFile  one plain write() per record, appending.
//
// Header-only and free of any benchmark library, so the tool can use it.

#ifndef STRATA_DURABILITY_BENCH_HARNESS_RAW_CEILINGS_H_
#define STRATA_DURABILITY_BENCH_HARNESS_RAW_CEILINGS_H_

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace strata_bench {

// A file descriptor closed on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ScopedFd(ScopedFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ScopedFd& operator=(ScopedFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  ~ScopedFd() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

inline std::string errno_text(const std::string& what,
                              const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// pwrite + fdatasync of `record_size` bytes per append(), at increasing
// offsets of a file of `file_size` zero-written (and fsynced) bytes,
// wrapping to offset 0 at its end so the file never grows.
class RawSyncFile {
 public:
  static constexpr uint64_t kDefaultFileSize = 64ULL << 20;

  // Creates (or truncates) `path`. False with *error set on failure.
  bool open(const std::string& path, std::size_t record_size,
            uint64_t file_size, std::string* error) {
    path_ = path;
    record_.assign(record_size == 0 ? 1 : record_size, 'r');
    file_size_ = file_size < record_.size() ? record_.size() : file_size;
    fd_ = ScopedFd(
        ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd_.get() < 0) {
      *error = errno_text("cannot create", path);
      return false;
    }
    const std::string zeros(1U << 20, '\0');
    for (uint64_t off = 0; off < file_size_; off += zeros.size()) {
      const std::size_t n = static_cast<std::size_t>(
          std::min<uint64_t>(zeros.size(), file_size_ - off));
      if (::pwrite(fd_.get(), zeros.data(), n, static_cast<off_t>(off)) !=
          static_cast<ssize_t>(n)) {
        *error = errno_text("cannot preallocate", path);
        return false;
      }
    }
    if (::fsync(fd_.get()) != 0) {
      *error = errno_text("cannot fsync", path);
      return false;
    }
    offset_ = 0;
    return true;
  }

  bool append(std::string* error) {
    if (offset_ + record_.size() > file_size_) offset_ = 0;
    if (::pwrite(fd_.get(), record_.data(), record_.size(),
                 static_cast<off_t>(offset_)) !=
        static_cast<ssize_t>(record_.size())) {
      *error = errno_text("cannot write", path_);
      return false;
    }
    if (::fdatasync(fd_.get()) != 0) {
      *error = errno_text("cannot fdatasync", path_);
      return false;
    }
    offset_ += record_.size();
    return true;
  }

  std::size_t record_size() const { return record_.size(); }

 private:
  std::string path_;
  std::string record_;
  uint64_t file_size_ = 0;
  uint64_t offset_ = 0;
  ScopedFd fd_;
};

// One write() of `record_size` bytes per append(), appending. The caller
// empties the file with rewind() once full() (past 256 MiB) to bound its
// size: rare enough not to matter to a rate (once per two million 128-byte
// records), and Google Benchmark does it outside the timing.
class RawWriteFile {
 public:
  static constexpr uint64_t kMaxFileSize = 256ULL << 20;

  bool open(const std::string& path, std::size_t record_size,
            std::string* error) {
    path_ = path;
    record_.assign(record_size == 0 ? 1 : record_size, 'r');
    fd_ = ScopedFd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd_.get() < 0) {
      *error = errno_text("cannot create", path);
      return false;
    }
    written_ = 0;
    return true;
  }

  bool append(std::string* error) {
    if (::write(fd_.get(), record_.data(), record_.size()) !=
        static_cast<ssize_t>(record_.size())) {
      *error = errno_text("cannot write", path_);
      return false;
    }
    written_ += record_.size();
    return true;
  }

  bool rewind(std::string* error) {
    if (::ftruncate(fd_.get(), 0) != 0 ||
        ::lseek(fd_.get(), 0, SEEK_SET) != 0) {
      *error = errno_text("cannot truncate", path_);
      return false;
    }
    written_ = 0;
    return true;
  }
  bool full() const { return written_ > kMaxFileSize; }

  std::size_t record_size() const { return record_.size(); }

 private:
  std::string path_;
  std::string record_;
  uint64_t written_ = 0;
  ScopedFd fd_;
};

}  // namespace strata_bench

#endif  // STRATA_DURABILITY_BENCH_HARNESS_RAW_CEILINGS_H_
