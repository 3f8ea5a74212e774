// Helpers built on the Env interface: path joining, atomic whole-file
// replacement, whole-file reads, and the real-time Sleeper.

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>

#include "strata/durability/env.h"
#include "util/status_macros.h"

namespace strata::durability {

Status WritableFile::overwrite(uint64_t offset, std::string_view data) {
  if (offset > position()) {
    return Status::invalid_argument("overwrite offset " +
                                    std::to_string(offset) +
                                    " is past the end of " + path());
  }
  STRATA_RETURN_IF_ERROR(truncate(offset));
  return append(data);
}

namespace {

// Sleeps on a condition variable for the time left until the deadline on
// the Env's clock, which runs in real time.
class RealTimeSleeper final : public Sleeper {
 public:
  explicit RealTimeSleeper(Env* env) : env_(env) {}

  void sleep_until(std::unique_lock<std::mutex>& lock,
                   uint64_t deadline_nanos) override {
    if (deadline_nanos == kNoDeadline) {
      cv_.wait(lock);
      return;
    }
    const uint64_t now = env_->monotonic_nanos();
    if (now >= deadline_nanos) return;
    // Capped so the duration cannot overflow; waking early is allowed.
    constexpr uint64_t kMaxWait = 3600ULL * 1000 * 1000 * 1000;
    cv_.wait_for(lock, std::chrono::nanoseconds(
                           std::min(deadline_nanos - now, kMaxWait)));
  }
  void wake() override { cv_.notify_all(); }

 private:
  Env* env_;
  std::condition_variable cv_;
};

}  // namespace

std::unique_ptr<Sleeper> Env::new_sleeper() {
  return std::make_unique<RealTimeSleeper>(this);
}

Result<char*> WritableFile::map_for_rewrite(std::size_t) {
  return Status::not_supported("this Env's files cannot be mapped: " + path());
}

Status WritableFile::seek(uint64_t) {
  return Status::not_supported("this Env's files cannot seek: " + path());
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  std::string out(dir);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

namespace {

Status write_and_sync(Env* env, const std::string& path,
                      std::string_view data) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                          env->new_writable_file(path));
  STRATA_RETURN_IF_ERROR(file->append(data));
  STRATA_RETURN_IF_ERROR(file->sync());
  return file->close();
}

}  // namespace

Status write_file_atomically(Env* env, const std::string& dir,
                             const std::string& name, std::string_view data) {
  const std::string target = join_path(dir, name);
  const std::string tmp = target + ".tmp";
  Status s = write_and_sync(env, tmp, data);
  if (s.ok()) s = env->rename_file(tmp, target);
  if (!s.ok()) {
    // Best effort: a stale .tmp is harmless (the next write truncates it),
    // and the first error is the one worth reporting.
    (void)env->remove_file(tmp);
    return s.with_context("write_file_atomically: " + target);
  }
  // Without this the rename may be undone by a power cut, leaving the old
  // contents (or no file) although the caller was told it succeeded.
  return env->sync_dir(dir).with_context("write_file_atomically: " + target);
}

Result<std::string> read_file(Env* env, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                          env->new_random_access_file(path));
  std::string out;
  // Read until a short read rather than trusting size(): the file may be
  // growing, and size() would be one more call that can fail.
  std::array<char, std::size_t{64} * 1024> buf;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(std::size_t n,
                            file->read(out.size(), std::span<char>(buf)));
    out.append(buf.data(), n);
    if (n < buf.size()) break;
  }
  return out;
}

}  // namespace strata::durability
