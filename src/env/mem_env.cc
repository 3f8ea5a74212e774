// The in-memory Env: a private tree of directories and files that follows
// POSIX rules closely enough for code tested on it to behave the same on
// disk (parents must exist, open handles follow the file across renames,
// a removed file stays readable through handles that were already open).

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "strata/durability/env.h"
#include "env/path_util.h"

namespace strata::durability {
namespace {

using env_internal::normalize_path;
using env_internal::parent_dir;

// One file's bytes. Handles hold it by shared_ptr, like an inode that an
// open descriptor keeps alive after unlink.
struct MemFileData {
  mutable std::mutex mu;
  std::string bytes;
};

// Everything an Env owns. Locks outlive the Env if a FileLock does, so the
// lock table is shared with the FileLock objects.
struct MemState {
  std::mutex mu;
  std::set<std::string> dirs{"/", "."};
  std::map<std::string, std::shared_ptr<MemFileData>> files;
  std::set<std::string> locks;
};

Status closed_error(std::string_view what, const std::string& path) {
  return Status::from_errno(what, path, EBADF);
}

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<MemFileData> data,
                  uint64_t position)
      : path_(std::move(path)), data_(std::move(data)), position_(position) {}

  Status append(std::string_view data) override {
    if (closed_) return closed_error("append", path_);
    std::lock_guard<std::mutex> l(data_->mu);
    std::string& b = data_->bytes;
    if (b.size() < position_ + data.size()) b.resize(position_ + data.size());
    b.replace(position_, data.size(), data);
    position_ += data.size();
    return Status::ok_status();
  }
  Status flush() override {
    return closed_ ? closed_error("flush", path_) : Status::ok_status();
  }
  Status sync() override {
    return closed_ ? closed_error("sync", path_) : Status::ok_status();
  }
  Status fsync() override {
    return closed_ ? closed_error("fsync", path_) : Status::ok_status();
  }
  Status preallocate(uint64_t /*bytes*/) override {
    return closed_ ? closed_error("preallocate", path_) : Status::ok_status();
  }
  Status truncate(uint64_t size) override {
    if (closed_) return closed_error("truncate", path_);
    std::lock_guard<std::mutex> l(data_->mu);
    data_->bytes.resize(size);
    position_ = size;
    return Status::ok_status();
  }
  Status overwrite(uint64_t offset, std::string_view data) override {
    if (closed_) return closed_error("overwrite", path_);
    std::lock_guard<std::mutex> l(data_->mu);
    std::string& b = data_->bytes;
    if (offset > b.size())
      return Status::invalid_argument("overwrite " + path_);
    b.resize(offset);
    b.append(data);
    position_ = b.size();
    return Status::ok_status();
  }
  Status seek(uint64_t position) override {
    if (closed_) return closed_error("seek", path_);
    std::lock_guard<std::mutex> l(data_->mu);
    if (position > data_->bytes.size()) {
      return Status::invalid_argument(
          "seek to " + std::to_string(position) + " past the end of " + path_ +
          " (" + std::to_string(data_->bytes.size()) + " bytes)");
    }
    position_ = position;
    return Status::ok_status();
  }
  uint64_t position() const override { return position_; }
  Status close() override {
    if (closed_) return closed_error("close", path_);
    closed_ = true;
    return Status::ok_status();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::shared_ptr<MemFileData> data_;
  uint64_t position_;
  bool closed_ = false;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(std::string path, std::shared_ptr<MemFileData> data)
      : path_(std::move(path)), data_(std::move(data)) {}

  Result<std::size_t> read(uint64_t offset,
                           std::span<char> out) const override {
    std::lock_guard<std::mutex> l(data_->mu);
    const std::string& b = data_->bytes;
    if (offset >= b.size()) return std::size_t{0};
    std::size_t n = std::min<uint64_t>(out.size(), b.size() - offset);
    b.copy(out.data(), n, offset);
    return n;
  }
  Result<uint64_t> size() const override {
    std::lock_guard<std::mutex> l(data_->mu);
    return static_cast<uint64_t>(data_->bytes.size());
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::shared_ptr<MemFileData> data_;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::string path, std::string key,
              std::shared_ptr<MemState> state)
      : path_(std::move(path)),
        key_(std::move(key)),
        state_(std::move(state)) {}
  ~MemFileLock() override {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->locks.erase(key_);
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::string key_;
  std::shared_ptr<MemState> state_;
};

class MemEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) override {
    std::lock_guard<std::mutex> l(s_->mu);
    auto data = create_locked("new_writable_file", path);
    if (!data.ok()) return std::move(data).status();
    {
      std::lock_guard<std::mutex> dl((*data)->mu);
      (*data)->bytes.clear();
    }
    return std::unique_ptr<WritableFile>(
        std::make_unique<MemWritableFile>(path, std::move(*data), 0));
  }

  Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& path) override {
    std::lock_guard<std::mutex> l(s_->mu);
    auto data = find_file_locked("reopen_writable_file", path);
    if (!data.ok()) return std::move(data).status();
    uint64_t size;
    {
      std::lock_guard<std::mutex> dl((*data)->mu);
      size = (*data)->bytes.size();
    }
    return std::unique_ptr<WritableFile>(
        std::make_unique<MemWritableFile>(path, std::move(*data), size));
  }

  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override {
    std::lock_guard<std::mutex> l(s_->mu);
    auto data = find_file_locked("new_random_access_file", path);
    if (!data.ok()) return std::move(data).status();
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<MemRandomAccessFile>(path, std::move(*data)));
  }

  Result<bool> file_exists(const std::string& path) override {
    std::string p = normalize_path(path);
    std::lock_guard<std::mutex> l(s_->mu);
    return s_->files.count(p) > 0 || s_->dirs.count(p) > 0;
  }

  Result<uint64_t> file_size(const std::string& path) override {
    std::lock_guard<std::mutex> l(s_->mu);
    auto data = find_file_locked("file_size", path);
    if (!data.ok()) return std::move(data).status();
    std::lock_guard<std::mutex> dl((*data)->mu);
    return static_cast<uint64_t>((*data)->bytes.size());
  }

  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    std::string d = normalize_path(dir);
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->dirs.count(d) == 0) {
      if (s_->files.count(d) > 0)
        return Status::from_errno("list_dir", dir, ENOTDIR);
      return not_found("list_dir", dir);
    }
    // Both tables are sorted maps, but merging them keeps no useful order
    // for children only, so collect and sort.
    std::vector<std::string> names;
    for (const auto& [p, data] : s_->files) {
      if (parent_dir(p) == d) names.push_back(env_internal::base_name(p));
    }
    for (const std::string& p : s_->dirs) {
      if (p != d && p != "/" && p != "." && parent_dir(p) == d) {
        names.push_back(env_internal::base_name(p));
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  Status create_dir(const std::string& dir) override {
    std::string d = normalize_path(dir);
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->dirs.count(d) > 0) return Status::ok_status();
    if (s_->files.count(d) > 0)
      return Status::from_errno("create_dir", dir, EEXIST);
    if (d.empty()) return not_found("create_dir", dir);
    if (s_->dirs.count(parent_dir(d)) == 0) {
      return not_found("create_dir (parent directory)", dir);
    }
    s_->dirs.insert(d);
    return Status::ok_status();
  }

  Status remove_dir(const std::string& dir) override {
    std::string d = normalize_path(dir);
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->dirs.count(d) == 0) {
      if (s_->files.count(d) > 0)
        return Status::from_errno("remove_dir", dir, ENOTDIR);
      return not_found("remove_dir", dir);
    }
    if (d == "/" || d == ".")
      return Status::from_errno("remove_dir", dir, EBUSY);
    if (has_children_locked(d)) {
      return Status::from_errno("remove_dir", dir, ENOTEMPTY);
    }
    s_->dirs.erase(d);
    return Status::ok_status();
  }

  Status remove_file(const std::string& path) override {
    std::string p = normalize_path(path);
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->files.erase(p) > 0) return Status::ok_status();
    if (s_->dirs.count(p) > 0)
      return Status::from_errno("remove_file", path, EISDIR);
    return not_found("remove_file", path);
  }

  Status rename_file(const std::string& from, const std::string& to) override {
    std::string f = normalize_path(from);
    std::string t = normalize_path(to);
    std::string both = from + " -> " + to;
    std::lock_guard<std::mutex> l(s_->mu);
    auto it = s_->files.find(f);
    if (it == s_->files.end()) {
      if (s_->dirs.count(f) > 0) {
        return Status::not_supported(
            "rename_file: renaming directories is not supported by the "
            "in-memory Env: " +
            both);
      }
      return not_found("rename_file", both);
    }
    if (s_->dirs.count(t) > 0)
      return Status::from_errno("rename_file", both, EISDIR);
    if (s_->dirs.count(parent_dir(t)) == 0) {
      return not_found("rename_file (target directory)", both);
    }
    if (f == t) return Status::ok_status();
    std::shared_ptr<MemFileData> data = std::move(it->second);
    s_->files.erase(it);
    s_->files[t] = std::move(data);
    return Status::ok_status();
  }

  Status sync_dir(const std::string& dir) override {
    std::string d = normalize_path(dir);
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->dirs.count(d) == 0) return not_found("sync_dir", dir);
    return Status::ok_status();
  }

  Result<std::unique_ptr<FileLock>> lock_file(
      const std::string& path) override {
    std::string p = normalize_path(path);
    std::lock_guard<std::mutex> l(s_->mu);
    auto data = create_locked("lock_file", path);
    if (!data.ok()) return std::move(data).status();
    if (!s_->locks.insert(p).second) {
      return Status::busy("lock_file: file is locked by another writer: " +
                          path);
    }
    return std::unique_ptr<FileLock>(
        std::make_unique<MemFileLock>(path, p, s_));
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

 private:
  static Status not_found(std::string_view what, const std::string& path) {
    return Status::not_found(std::string(what) + ": " + path +
                             ": No such file or directory");
  }

  bool has_children_locked(const std::string& d) const {
    for (const auto& [p, data] : s_->files) {
      if (parent_dir(p) == d) return true;
    }
    for (const std::string& p : s_->dirs) {
      if (p != d && p != "/" && p != "." && parent_dir(p) == d) return true;
    }
    return false;
  }

  // The file at `path`, created empty (in an existing directory) if absent.
  Result<std::shared_ptr<MemFileData>> create_locked(std::string_view what,
                                                     const std::string& path) {
    std::string p = normalize_path(path);
    auto it = s_->files.find(p);
    if (it != s_->files.end()) return it->second;
    if (s_->dirs.count(p) > 0) return Status::from_errno(what, path, EISDIR);
    if (p.empty() || s_->dirs.count(parent_dir(p)) == 0) {
      return not_found(std::string(what) + " (parent directory)", path);
    }
    auto data = std::make_shared<MemFileData>();
    s_->files.emplace(p, data);
    return data;
  }

  Result<std::shared_ptr<MemFileData>> find_file_locked(
      std::string_view what, const std::string& path) {
    std::string p = normalize_path(path);
    auto it = s_->files.find(p);
    if (it != s_->files.end()) return it->second;
    if (s_->dirs.count(p) > 0) return Status::from_errno(what, path, EISDIR);
    return not_found(what, path);
  }

  std::shared_ptr<MemState> s_ = std::make_shared<MemState>();
};

}  // namespace

std::unique_ptr<Env> new_mem_env() { return std::make_unique<MemEnv>(); }

}  // namespace strata::durability
