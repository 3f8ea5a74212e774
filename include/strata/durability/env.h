// Env: every byte of I/O the library does goes through this interface, so
// that tests can substitute an in-memory file system or inject faults
// (see strata/durability/testing/fault_injection_env.h).
//
// Env::posix() is the real thing; new_mem_env() gives a private in-memory
// file system. All paths are plain strings; directories are separated by '/'.
// Every error names the operation and the path.

#ifndef STRATA_DURABILITY_ENV_H_
#define STRATA_DURABILITY_ENV_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability {

// A file open for writing. Writes go to the file at position(), which starts
// at 0 for a new file and at the end for a reopened one; each append moves
// it forward (an append before the end overwrites the bytes there; the file
// grows only past its end). Appends are unbuffered: when append returns, the
// bytes are in the operating system (a process crash keeps them; a power cut
// may not). Not thread-safe, except that sync() may run concurrently with
// append().
class WritableFile {
 public:
  WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;
  virtual ~WritableFile() = default;

  virtual Status append(std::string_view data) = 0;
  // Pushes any user-space buffer to the OS (a no-op for unbuffered files).
  virtual Status flush() = 0;
  // Makes the bytes written so far durable, and the size when it changed
  // (fdatasync).
  virtual Status sync() = 0;
  // Like sync(), and also all metadata (fsync).
  virtual Status fsync() = 0;
  // Reserves disk space for the bytes [position(), position() + bytes)
  // without changing the file's size, so that later appends do not fail
  // with ENOSPC half way. A hint: an Env may do nothing.
  virtual Status preallocate(uint64_t bytes) = 0;
  // Sets the file's size; position() becomes `size`.
  virtual Status truncate(uint64_t size) = 0;
  // Replaces the file's bytes from `offset` (<= position()) on with `data`:
  // the file keeps its first `offset` bytes, then holds `data`, and
  // position() becomes offset + data.size(). For small files rewritten in
  // place. The default truncates, then appends; the POSIX file does it with
  // one pwrite when the file does not shrink, so that a concurrent reader
  // never sees it shorter.
  virtual Status overwrite(uint64_t offset, std::string_view data);
  // Maps the file's first `size` bytes (<= position()) into memory for
  // rewriting in place: a store there reaches the OS as an overwrite() does
  // (a process crash keeps it, a power cut may not; nothing syncs it), but
  // costs no system call. The memory stays valid until close() or the
  // destructor; the file must not shrink meanwhile. For a small file
  // rewritten very often (the log's PROGRESS). NotSupported when the file
  // cannot be mapped, which is the default (an Env that tracks or injects
  // faults into writes must not hand out memory it cannot see): the caller
  // then uses overwrite().
  virtual Result<char*> map_for_rewrite(std::size_t size);
  // Moves position() to `position` (at most the file's size) without
  // changing the file: the next appends overwrite the bytes from there on
  // in place. For writing into a preallocated, zero-filled file, whose size
  // then does not change as records land (so an fdatasync need not commit
  // a size change). NotSupported by default; the caller then does without.
  virtual Status seek(uint64_t position);
  virtual uint64_t position() const = 0;
  // Closes the file; later calls fail. The destructor closes too, ignoring
  // errors, so call close() where the error matters.
  virtual Status close() = 0;
  virtual const std::string& path() const = 0;
};

// A file open for reading at any offset. Thread-safe.
class RandomAccessFile {
 public:
  RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;
  virtual ~RandomAccessFile() = default;

  // Reads up to out.size() bytes at `offset` into `out` and returns how many
  // were read; fewer only at the end of the file (0 at or past the end).
  virtual Result<std::size_t> read(uint64_t offset,
                                   std::span<char> out) const = 0;
  // The file's current size (it may grow while a writer appends).
  virtual Result<uint64_t> size() const = 0;
  virtual const std::string& path() const = 0;
};

// An exclusive lock on a path, held until the object is destroyed.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock() = default;
  virtual const std::string& path() const = 0;
};

// Where a background thread sleeps until it is woken or a deadline on its
// Env's monotonic clock passes: the timer of the Batched syncer. Timers
// sleep through their Env rather than on std::chrono directly, so that an
// Env whose clock is not real time (testing::ManualClockEnv) also decides
// when they fire.
class Sleeper {
 public:
  static constexpr uint64_t kNoDeadline = std::numeric_limits<uint64_t>::max();

  Sleeper() = default;
  Sleeper(const Sleeper&) = delete;
  Sleeper& operator=(const Sleeper&) = delete;
  virtual ~Sleeper() = default;

  // Releases `lock`, sleeps until wake() or until monotonic_nanos() of the
  // Env reaches `deadline_nanos` (never, for kNoDeadline), and takes `lock`
  // again. It may return early, like a condition variable: the caller
  // checks its state again.
  virtual void sleep_until(std::unique_lock<std::mutex>& lock,
                           uint64_t deadline_nanos) = 0;
  // Wakes the thread in sleep_until(). Call it holding the mutex that
  // thread passes to sleep_until(), after changing what it checks.
  virtual void wake() = 0;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never destroyed.
  static Env* posix();

  // Creates `path` (truncating an existing file) and opens it for writing.
  virtual Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) = 0;
  // Opens an existing file for writing at its end; NotFound if missing.
  virtual Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& path) = 0;
  // Opens an existing file for reading; NotFound if missing.
  virtual Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) = 0;

  virtual Result<bool> file_exists(const std::string& path) = 0;
  virtual Result<uint64_t> file_size(const std::string& path) = 0;
  // The names (not paths) of the entries of a directory, sorted, without
  // "." and "..". NotFound if the directory does not exist.
  virtual Result<std::vector<std::string>> list_dir(const std::string& dir) = 0;
  // Creates a directory; OK if it already exists.
  virtual Status create_dir(const std::string& dir) = 0;
  // Removes an empty directory.
  virtual Status remove_dir(const std::string& dir) = 0;
  virtual Status remove_file(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual Status rename_file(const std::string& from,
                             const std::string& to) = 0;
  // Makes the directory's entries durable: the creations, renames and
  // removals done in it so far survive a power cut.
  virtual Status sync_dir(const std::string& dir) = 0;

  // Takes an exclusive lock on `path`, creating the file if needed. Fails
  // with Busy, naming the path, when another holder (in this process or
  // another) has it.
  virtual Result<std::unique_ptr<FileLock>> lock_file(
      const std::string& path) = 0;

  // Wall-clock time in microseconds since the Unix epoch.
  virtual uint64_t now_micros() = 0;
  // A monotonic clock in nanoseconds, for measuring durations and for the
  // deadlines of timers.
  virtual uint64_t monotonic_nanos() = 0;
  // A Sleeper for one background thread's timer, on monotonic_nanos(). The
  // default one waits in real time, for an Env whose monotonic clock is
  // real time (steady_clock or another that runs at its pace); an Env that
  // overrides monotonic_nanos() with a clock that does not must override
  // this too, as testing::ManualClockEnv does.
  virtual std::unique_ptr<Sleeper> new_sleeper();
};

// A private in-memory file system: files and directories live only in this
// object, locks are exclusive within it, and nothing is ever lost (all data
// counts as durable). Useful in tests and for logs that need no persistence.
std::unique_ptr<Env> new_mem_env();

// An Env that forwards every call to another one; subclass it to change
// only some operations.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) override {
    return target_->new_writable_file(path);
  }
  Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& path) override {
    return target_->reopen_writable_file(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override {
    return target_->new_random_access_file(path);
  }
  Result<bool> file_exists(const std::string& path) override {
    return target_->file_exists(path);
  }
  Result<uint64_t> file_size(const std::string& path) override {
    return target_->file_size(path);
  }
  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    return target_->list_dir(dir);
  }
  Status create_dir(const std::string& dir) override {
    return target_->create_dir(dir);
  }
  Status remove_dir(const std::string& dir) override {
    return target_->remove_dir(dir);
  }
  Status remove_file(const std::string& path) override {
    return target_->remove_file(path);
  }
  Status rename_file(const std::string& from, const std::string& to) override {
    return target_->rename_file(from, to);
  }
  Status sync_dir(const std::string& dir) override {
    return target_->sync_dir(dir);
  }
  Result<std::unique_ptr<FileLock>> lock_file(
      const std::string& path) override {
    return target_->lock_file(path);
  }
  uint64_t now_micros() override { return target_->now_micros(); }
  uint64_t monotonic_nanos() override { return target_->monotonic_nanos(); }
  std::unique_ptr<Sleeper> new_sleeper() override {
    return target_->new_sleeper();
  }

 private:
  Env* target_;
};

// Joins a directory and a name with one '/'.
std::string join_path(std::string_view dir, std::string_view name);

// Writes `data` to `path` durably and atomically: a temporary file beside it
// is written and synced, renamed over `path`, and the directory is synced.
Status write_file_atomically(Env* env, const std::string& dir,
                             const std::string& name, std::string_view data);

// Reads a whole file.
Result<std::string> read_file(Env* env, const std::string& path);

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_ENV_H_
