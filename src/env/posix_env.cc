// The POSIX Env: real files through open/pwrite/pread/fdatasync, directory
// syncs, and flock-based locks.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "strata/durability/env.h"

namespace strata::durability {
namespace {

// ENOENT is the one errno callers branch on (a missing file or directory),
// so it becomes NotFound; everything else stays an IOError with its errno.
Status posix_error(std::string_view what, const std::string& path, int err) {
  Status s = Status::from_errno(what, path, err);
  if (err == ENOENT) return Status::not_found(s.message());
  return s;
}

Status closed_error(std::string_view what, const std::string& path) {
  return Status::from_errno(what, path, EBADF);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t position)
      : path_(std::move(path)), fd_(fd), position_(position) {}
  ~PosixWritableFile() override {
    unmap();
    if (fd_ >= 0) ::close(fd_);
  }

  Status append(std::string_view data) override {
    if (fd_ < 0) return closed_error("append", path_);
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(position_));
      if (n < 0) {
        if (errno == EINTR) continue;
        // The bytes that did land are in the file, so position_ already
        // counts them; the caller sees the error and decides.
        return Status::from_errno("append", path_, errno);
      }
      if (n == 0) return Status::from_errno("append", path_, EIO);
      p += n;
      left -= static_cast<std::size_t>(n);
      position_ += static_cast<uint64_t>(n);
    }
    return Status::ok_status();
  }

  Status flush() override {
    if (fd_ < 0) return closed_error("flush", path_);
    return Status::ok_status();
  }

  Status sync() override {
    if (fd_ < 0) return closed_error("sync", path_);
    if (::fdatasync(fd_) != 0) {
      return Status::from_errno("sync (fdatasync)", path_, errno);
    }
    return Status::ok_status();
  }

  Status fsync() override {
    if (fd_ < 0) return closed_error("fsync", path_);
    if (::fsync(fd_) != 0) return Status::from_errno("fsync", path_, errno);
    return Status::ok_status();
  }

  Status preallocate(uint64_t bytes) override {
    if (fd_ < 0) return closed_error("preallocate", path_);
    if (bytes == 0) return Status::ok_status();
    int rc;
    do {
      rc = ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(position_),
                       static_cast<off_t>(bytes));
    } while (rc != 0 && errno == EINTR);
    // Preallocation is only a hint; tmpfs and some network file systems
    // cannot do it, and that must not fail the caller.
    if (rc != 0 && errno != EOPNOTSUPP && errno != ENOSYS) {
      return Status::from_errno("preallocate (fallocate)", path_, errno);
    }
    return Status::ok_status();
  }

  Status truncate(uint64_t size) override {
    if (fd_ < 0) return closed_error("truncate", path_);
    int rc;
    do {
      rc = ::ftruncate(fd_, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return Status::from_errno("truncate", path_, errno);
    position_ = size;
    return Status::ok_status();
  }

  Status overwrite(uint64_t offset, std::string_view data) override {
    if (fd_ < 0) return closed_error("overwrite", path_);
    if (offset > position_) return WritableFile::overwrite(offset, data);
    uint64_t end = offset + data.size();
    // Overwrite first, shrink after: a reader never sees a short file.
    const char* p = data.data();
    std::size_t left = data.size();
    uint64_t at = offset;
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(at));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::from_errno("overwrite", path_, errno);
      }
      if (n == 0) return Status::from_errno("overwrite", path_, EIO);
      p += n;
      left -= static_cast<std::size_t>(n);
      at += static_cast<uint64_t>(n);
    }
    if (end < position_) return truncate(end);
    position_ = end;
    return Status::ok_status();
  }

  Status seek(uint64_t position) override {
    if (fd_ < 0) return closed_error("seek", path_);
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
      return Status::from_errno("seek (fstat)", path_, errno);
    }
    if (position > static_cast<uint64_t>(st.st_size)) {
      return Status::invalid_argument("seek to " + std::to_string(position) +
                                      " past the end of " + path_ + " (" +
                                      std::to_string(st.st_size) + " bytes)");
    }
    // pwrite takes the offset, so moving it is all there is to do.
    position_ = position;
    return Status::ok_status();
  }

  uint64_t position() const override { return position_; }

  Result<char*> map_for_rewrite(std::size_t size) override {
    if (fd_ < 0) return closed_error("map", path_);
    if (size == 0 || size > position_) {
      return Status::invalid_argument(
          "map_for_rewrite of " + std::to_string(size) + " bytes of " + path_ +
          ", which holds " + std::to_string(position_));
    }
    if (map_ != nullptr) {
      if (size <= map_size_) return map_;
      return Status::invalid_argument("map_for_rewrite: " + path_ +
                                      " is already mapped, shorter");
    }
    // A shared writable mapping needs a descriptor open for reading too;
    // the mapping outlives it.
    int fd = -1;
    do {
      fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Status::from_errno("open for mapping", path_, errno);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int err = errno;
    ::close(fd);
    if (p == MAP_FAILED) return Status::from_errno("mmap", path_, err);
    map_ = static_cast<char*>(p);
    map_size_ = size;
    return map_;
  }

  Status close() override {
    if (fd_ < 0) return closed_error("close", path_);
    unmap();
    int fd = fd_;
    fd_ = -1;
    // No retry on EINTR: on Linux the descriptor is released either way.
    if (::close(fd) != 0) return Status::from_errno("close", path_, errno);
    return Status::ok_status();
  }

  const std::string& path() const override { return path_; }

 private:
  void unmap() {
    if (map_ != nullptr) ::munmap(map_, map_size_);
    map_ = nullptr;
  }

  std::string path_;
  int fd_;
  uint64_t position_;
  char* map_ = nullptr;  // map_for_rewrite()
  std::size_t map_size_ = 0;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Result<std::size_t> read(uint64_t offset,
                           std::span<char> out) const override {
    std::size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                          static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::from_errno("read", path_, errno);
      }
      if (n == 0) break;  // end of file
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  Result<uint64_t> size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
      return Status::from_errno("size (fstat)", path_, errno);
    }
    return static_cast<uint64_t>(st.st_size);
  }

  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // Closing the only descriptor of the open file description drops the
  // flock, so no explicit LOCK_UN is needed.
  ~PosixFileLock() override { ::close(fd_); }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

int open_retrying(const char* path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) override {
    int fd =
        open_retrying(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return posix_error("new_writable_file (open)", path, errno);
    return std::unique_ptr<WritableFile>(
        std::make_unique<PosixWritableFile>(path, fd, 0));
  }

  Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& path) override {
    int fd = open_retrying(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      return posix_error("reopen_writable_file (open)", path, errno);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return Status::from_errno("reopen_writable_file (fstat)", path, err);
    }
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(
        path, fd, static_cast<uint64_t>(st.st_size)));
  }

  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override {
    int fd = open_retrying(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return posix_error("new_random_access_file (open)", path, errno);
    }
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return Status::from_errno("new_random_access_file", path, EISDIR);
    }
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<PosixRandomAccessFile>(path, fd));
  }

  Result<bool> file_exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return Status::from_errno("file_exists (stat)", path, errno);
  }

  Result<uint64_t> file_size(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return posix_error("file_size (stat)", path, errno);
    }
    if (S_ISDIR(st.st_mode)) {
      return Status::from_errno("file_size", path, EISDIR);
    }
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return posix_error("list_dir (opendir)", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(d);
      if (e == nullptr) {
        int err = errno;
        ::closedir(d);
        if (err != 0) return Status::from_errno("list_dir (readdir)", dir, err);
        break;
      }
      if (std::strcmp(e->d_name, ".") == 0 ||
          std::strcmp(e->d_name, "..") == 0) {
        continue;
      }
      names.emplace_back(e->d_name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  Status create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) == 0) return Status::ok_status();
    int err = errno;
    if (err == EEXIST) {
      struct stat st;
      if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return Status::ok_status();
      }
    }
    return posix_error("create_dir (mkdir)", dir, err);
  }

  Status remove_dir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) {
      return posix_error("remove_dir (rmdir)", dir, errno);
    }
    return Status::ok_status();
  }

  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) {
      return posix_error("remove_file (unlink)", path, errno);
    }
    return Status::ok_status();
  }

  Status rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      int err = errno;
      Status s = Status::from_errno("rename_file", from + " -> " + to, err);
      if (err == ENOENT) return Status::not_found(s.message());
      return s;
    }
    return Status::ok_status();
  }

  Status sync_dir(const std::string& dir) override {
    int fd = open_retrying(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return posix_error("sync_dir (open)", dir, errno);
    Status s;
    if (::fsync(fd) != 0)
      s = Status::from_errno("sync_dir (fsync)", dir, errno);
    ::close(fd);
    return s;
  }

  Result<std::unique_ptr<FileLock>> lock_file(
      const std::string& path) override {
    int fd = open_retrying(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC);
    if (fd < 0) return posix_error("lock_file (open)", path, errno);
    // flock locks belong to the open file description, so a second open()
    // of the same path in this process conflicts too, which is what makes
    // Busy reliable for two writers in one process.
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::busy("lock_file: file is locked by another writer: " +
                            path);
      }
      return Status::from_errno("lock_file (flock)", path, err);
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(path, fd));
  }

  uint64_t now_micros() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
  }

  uint64_t monotonic_nanos() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }
};

}  // namespace

Env* Env::posix() {
  // Leaked on purpose: files may still be in use during static destruction.
  static Env* const kPosixEnv = new PosixEnv();
  return kPosixEnv;
}

}  // namespace strata::durability
