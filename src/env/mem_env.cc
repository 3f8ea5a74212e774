// An in-memory Env: a private tree of directories and files. Open handles
// share the file's bytes, so a reader sees later appends, as with POSIX.

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "strata/durability/env.h"

namespace strata::durability {
namespace {

struct MemFile {
  std::mutex mu;
  std::string data;
};

std::string parent_of(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string normalize(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<MemFile> file,
                  uint64_t position)
      : path_(std::move(path)), file_(std::move(file)), position_(position) {}

  Status append(std::string_view data) override {
    if (!file_) return Status::invalid_argument("append to closed " + path_);
    std::lock_guard<std::mutex> l(file_->mu);
    if (file_->data.size() < position_ + data.size()) {
      file_->data.resize(static_cast<std::size_t>(position_ + data.size()));
    }
    std::copy(data.begin(), data.end(),
              file_->data.begin() + static_cast<std::ptrdiff_t>(position_));
    position_ += data.size();
    return Status();
  }
  Status flush() override { return Status(); }
  Status sync() override {
    if (!file_) return Status::invalid_argument("sync of closed " + path_);
    return Status();
  }
  Status fsync() override { return sync(); }
  Status preallocate(uint64_t) override { return Status(); }
  Status truncate(uint64_t size) override {
    if (!file_) return Status::invalid_argument("truncate of closed " + path_);
    std::lock_guard<std::mutex> l(file_->mu);
    file_->data.resize(static_cast<std::size_t>(size));
    position_ = size;
    return Status();
  }
  uint64_t position() const override { return position_; }
  Status close() override {
    file_.reset();
    return Status();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::shared_ptr<MemFile> file_;
  uint64_t position_;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(std::string path, std::shared_ptr<MemFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  Result<std::size_t> read(uint64_t offset,
                           std::span<char> out) const override {
    std::lock_guard<std::mutex> l(file_->mu);
    if (offset >= file_->data.size()) return std::size_t{0};
    std::size_t n = std::min<std::size_t>(
        out.size(), file_->data.size() - static_cast<std::size_t>(offset));
    std::copy_n(file_->data.begin() + static_cast<std::ptrdiff_t>(offset), n,
                out.begin());
    return n;
  }
  Result<uint64_t> size() const override {
    std::lock_guard<std::mutex> l(file_->mu);
    return static_cast<uint64_t>(file_->data.size());
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::shared_ptr<MemFile> file_;
};

class MemEnv;

class MemFileLock final : public FileLock {
 public:
  MemFileLock(MemEnv* env, std::string path)
      : env_(env), path_(std::move(path)) {}
  ~MemFileLock() override;
  const std::string& path() const override { return path_; }

 private:
  MemEnv* env_;
  std::string path_;
};

class MemEnv final : public Env {
 public:
  MemEnv() { dirs_.insert("/"); }

  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& raw) override {
    std::string path = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    if (!dirs_.contains(parent_of(path))) {
      return Status::not_found("create " + path + ": no such directory");
    }
    auto file = std::make_shared<MemFile>();
    files_[path] = file;
    return std::unique_ptr<WritableFile>(
        std::make_unique<MemWritableFile>(path, file, 0));
  }
  Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& raw) override {
    std::string path = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::not_found("no file " + path);
    std::lock_guard<std::mutex> fl(it->second->mu);
    return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(
        path, it->second, it->second->data.size()));
  }
  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& raw) override {
    std::string path = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::not_found("no file " + path);
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<MemRandomAccessFile>(path, it->second));
  }
  Result<bool> file_exists(const std::string& raw) override {
    std::string path = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    return files_.contains(path) || dirs_.contains(path);
  }
  Result<uint64_t> file_size(const std::string& raw) override {
    std::string path = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::not_found("no file " + path);
    std::lock_guard<std::mutex> fl(it->second->mu);
    return static_cast<uint64_t>(it->second->data.size());
  }
  Result<std::vector<std::string>> list_dir(const std::string& raw) override {
    std::string dir = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    if (!dirs_.contains(dir)) return Status::not_found("no directory " + dir);
    std::vector<std::string> names;
    auto child_name = [&](const std::string& path) -> std::optional<std::string> {
      if (parent_of(path) != dir) return std::nullopt;
      return path.substr(path.find_last_of('/') + 1);
    };
    for (const auto& [path, file] : files_) {
      if (auto n = child_name(path)) names.push_back(*n);
    }
    for (const auto& d : dirs_) {
      if (d == "/") continue;
      if (auto n = child_name(d)) names.push_back(*n);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  Status create_dir(const std::string& raw) override {
    std::string dir = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    if (files_.contains(dir)) {
      return Status::invalid_argument("create directory " + dir +
                                      ": a file has that name");
    }
    if (!dirs_.contains(parent_of(dir))) {
      return Status::not_found("create directory " + dir +
                               ": no parent directory");
    }
    dirs_.insert(dir);
    return Status();
  }
  Status remove_dir(const std::string& raw) override {
    std::string dir = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    if (!dirs_.contains(dir)) return Status::not_found("no directory " + dir);
    for (const auto& [path, f] : files_) {
      if (parent_of(path) == dir) {
        return Status::invalid_argument("remove directory " + dir +
                                        ": not empty");
      }
    }
    dirs_.erase(dir);
    return Status();
  }
  Status remove_file(const std::string& raw) override {
    std::string path = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    if (files_.erase(path) == 0) return Status::not_found("no file " + path);
    return Status();
  }
  Status rename_file(const std::string& from_raw,
                     const std::string& to_raw) override {
    std::string from = normalize(from_raw);
    std::string to = normalize(to_raw);
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return Status::not_found("rename: no file " + from);
    if (!dirs_.contains(parent_of(to))) {
      return Status::not_found("rename to " + to + ": no such directory");
    }
    auto file = it->second;
    files_.erase(it);
    files_[to] = std::move(file);
    return Status();
  }
  Status sync_dir(const std::string& raw) override {
    std::string dir = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    if (!dirs_.contains(dir)) return Status::not_found("no directory " + dir);
    return Status();
  }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& raw) override {
    std::string path = normalize(raw);
    std::lock_guard<std::mutex> l(mu_);
    if (!dirs_.contains(parent_of(path))) {
      return Status::not_found("lock " + path + ": no such directory");
    }
    if (locks_.contains(path)) {
      return Status::busy("the log is locked by another writer: " + path);
    }
    if (!files_.contains(path)) files_[path] = std::make_shared<MemFile>();
    locks_.insert(path);
    return std::unique_ptr<FileLock>(std::make_unique<MemFileLock>(this, path));
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

  void unlock(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    locks_.erase(path);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemFile>> files_;
  std::set<std::string> dirs_;
  std::set<std::string> locks_;
};

MemFileLock::~MemFileLock() { env_->unlock(path_); }

}  // namespace

std::unique_ptr<Env> new_mem_env() { return std::make_unique<MemEnv>(); }

}  // namespace strata::durability
