// The POSIX Env: files through pwrite/pread/fdatasync, directories through
// opendir/rename/fsync, locks through flock.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "strata/durability/env.h"

namespace strata::durability {
namespace {

Status posix_error(std::string_view what, const std::string& path) {
  return Status::from_errno(what, path, errno);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t position)
      : path_(std::move(path)), fd_(fd), position_(position) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status append(std::string_view data) override {
    if (fd_ < 0) return Status::invalid_argument("append to closed " + path_);
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(position_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return posix_error("write", path_);
      }
      p += n;
      left -= static_cast<std::size_t>(n);
      position_ += static_cast<uint64_t>(n);
    }
    return Status();
  }
  Status flush() override { return Status(); }
  Status sync() override {
    if (::fdatasync(fd_) != 0) return posix_error("fdatasync", path_);
    return Status();
  }
  Status fsync() override {
    if (::fsync(fd_) != 0) return posix_error("fsync", path_);
    return Status();
  }
  Status preallocate(uint64_t bytes) override {
    if (bytes == 0) return Status();
    int rc = ::fallocate(fd_, FALLOC_FL_KEEP_SIZE,
                         static_cast<off_t>(position_),
                         static_cast<off_t>(bytes));
    if (rc != 0 && errno != EOPNOTSUPP && errno != ENOSYS) {
      return posix_error("fallocate", path_);
    }
    return Status();
  }
  Status truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return posix_error("ftruncate", path_);
    }
    position_ = size;
    return Status();
  }
  uint64_t position() const override { return position_; }
  Status close() override {
    if (fd_ < 0) return Status();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return posix_error("close", path_);
    return Status();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t position_;
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
        return Status::from_errno(
            "read at offset " + std::to_string(offset + done), path_, errno);
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }
  Result<uint64_t> size() const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return posix_error("stat", path_);
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
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0644);
    if (fd < 0) return posix_error("create", path);
    return std::unique_ptr<WritableFile>(
        std::make_unique<PosixWritableFile>(path, fd, 0));
  }
  Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::not_found("no file " + path);
      return posix_error("open for writing", path);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      Status s = posix_error("stat", path);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(
        path, fd, static_cast<uint64_t>(st.st_size)));
  }
  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::not_found("no file " + path);
      return posix_error("open", path);
    }
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<PosixRandomAccessFile>(path, fd));
  }
  Result<bool> file_exists(const std::string& path) override {
    if (::access(path.c_str(), F_OK) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return posix_error("access", path);
  }
  Result<uint64_t> file_size(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::not_found("no file " + path);
      return posix_error("stat", path);
    }
    return static_cast<uint64_t>(st.st_size);
  }
  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return Status::not_found("no directory " + dir);
      return posix_error("list directory", dir);
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return Status::from_errno("list directory", dir, err);
    std::sort(names.begin(), names.end());
    return names;
  }
  Status create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return posix_error("create directory", dir);
    }
    return Status();
  }
  Status remove_dir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return posix_error("remove directory", dir);
    return Status();
  }
  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return Status::not_found("no file " + path);
      return posix_error("remove", path);
    }
    return Status();
  }
  Status rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::from_errno("rename to " + to, from, errno);
    }
    return Status();
  }
  Status sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return posix_error("open directory", dir);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::from_errno("fsync directory", dir, err);
    return Status();
  }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return posix_error("open lock file", path);
    // flock locks belong to the open file description, so a second open in
    // this same process conflicts too.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::busy("the log is locked by another writer: " + path);
      }
      return Status::from_errno("lock", path, err);
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
  static Env* env = new PosixEnv();  // never destroyed: used at exit
  return env;
}

}  // namespace strata::durability
