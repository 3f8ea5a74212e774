// FaultInjectionEnv: the durability model (file identities with current and
// durable images, per-directory namespaces), power cuts, tears, injected
// errors, and trace recording and replay.

#include "strata/durability/testing/fault_injection_env.h"

#include <algorithm>
#include <cerrno>

#include "env/path_util.h"
#include "util/status_macros.h"

namespace strata::durability::testing {

using env_internal::base_name;
using env_internal::normalize_path;
using env_internal::parent_dir;

struct FaultInjectionEnv::FileState {
  std::string current;  // what the OS has (mirrors the base file)
  std::string durable;  // what survives a power cut
};

struct FaultInjectionEnv::DirState {
  // name -> file identity. Only names this Env has touched (or adopted)
  // are here; other entries of the base directory are left alone.
  std::map<std::string, uint64_t> current;
  std::map<std::string, uint64_t> durable;  // as of the last sync_dir
};

struct EnvOp::InitialState {
  struct File {
    std::string current;
    std::string durable;
  };
  struct Namespace {
    std::map<std::string, uint64_t> current;
    std::map<std::string, uint64_t> durable;
  };
  std::vector<std::string> dirs;  // sorted, so parents come first
  std::map<uint64_t, File> files;
  std::map<std::string, Namespace> namespaces;
};

namespace {

std::size_t op_index(FaultOp op) { return static_cast<std::size_t>(op); }

std::string_view fault_op_name(FaultOp op) {
  switch (op) {
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kRename:
      return "rename_file";
    case FaultOp::kSyncDir:
      return "sync_dir";
    case FaultOp::kCreate:
      return "new_writable_file";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kTruncate:
      return "truncate";
    case FaultOp::kRemove:
      return "remove_file";
    case FaultOp::kReopen:
      return "reopen_writable_file";
    case FaultOp::kCreateDir:
      return "create_dir";
  }
  return "unknown";
}

Status invalidated_error(std::string_view what, const std::string& path) {
  return Status::from_errno(
      std::string(what) + " (handle invalidated by a simulated crash)", path,
      EBADF);
}

// Creates `dir` and its missing ancestors.
Status create_dirs(Env* env, const std::string& dir) {
  std::string d = normalize_path(dir);
  for (std::size_t pos = 1; pos <= d.size(); ++pos) {
    if (pos == d.size() || d[pos] == '/') {
      STRATA_RETURN_IF_ERROR(env->create_dir(d.substr(0, pos)));
    }
  }
  return Status::ok_status();
}

// SplitMix64: tiny, and the same on every platform, so garbage tears are
// reproducible from a failure message.
uint64_t split_mix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A recorded op of `type` on `path` (through `handle`, for handle ops).
EnvOp make_op(EnvOp::Type type, std::string path, uint64_t handle = 0) {
  EnvOp op;
  op.type = type;
  op.path = std::move(path);
  op.handle = handle;
  return op;
}

void write_at(std::string* image, uint64_t offset, std::string_view data) {
  if (image->size() < offset + data.size()) {
    image->resize(offset + data.size());
  }
  image->replace(offset, data.size(), data);
}

}  // namespace

// ------------------------------------------------------------- handles

// Something open on this Env that a crash must cut off.
class FaultInjectionEnv::Handle {
 public:
  Handle(FaultInjectionEnv* env, uint64_t file_id)
      : env_(env), file_id_(file_id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  virtual ~Handle() = default;

  uint64_t file_id() const { return file_id_; }
  // Called with env_->mu_ held: drops the base resource.
  virtual void invalidate_locked() = 0;
  // Called by the Env's destructor for handles that outlive it.
  void detach_locked() {
    invalidate_locked();
    env_ = nullptr;
  }

 protected:
  // Unregisters; derived destructors call it first, under the lock.
  void unregister_locked() {
    if (env_ != nullptr) env_->handles_.erase(this);
  }

  FaultInjectionEnv* env_;
  uint64_t file_id_;
  bool valid_ = true;
};

class FaultInjectionEnv::WritableHandle final : public WritableFile,
                                                public Handle {
 public:
  WritableHandle(FaultInjectionEnv* env, uint64_t file_id, uint64_t handle_no,
                 std::string path, std::unique_ptr<WritableFile> base)
      : Handle(env, file_id),
        handle_no_(handle_no),
        path_(std::move(path)),
        base_(std::move(base)),
        position_(base_->position()) {}

  ~WritableHandle() override {
    if (env_ == nullptr) return;
    std::lock_guard<std::mutex> l(env_->mu_);
    unregister_locked();
    base_.reset();
  }

  Status append(std::string_view data) override {
    if (env_ == nullptr) return invalidated_error("append", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    STRATA_RETURN_IF_ERROR(check_locked("append"));
    Injection inj;
    if (env_->take_fault_locked(FaultOp::kAppend, &inj)) {
      std::size_t partial = std::min(inj.partial_bytes, data.size());
      if (partial > 0) {
        STRATA_RETURN_IF_ERROR(append_locked(data.substr(0, partial)));
      }
      return env_->injected_error(FaultOp::kAppend, path_, inj.err);
    }
    return append_locked(data);
  }

  Status flush() override {
    if (env_ == nullptr) return invalidated_error("flush", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    STRATA_RETURN_IF_ERROR(check_locked("flush"));
    return base_->flush();
  }

  Status sync() override { return sync_impl(false); }
  Status fsync() override { return sync_impl(true); }

  Status preallocate(uint64_t bytes) override {
    if (env_ == nullptr) return invalidated_error("preallocate", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    STRATA_RETURN_IF_ERROR(check_locked("preallocate"));
    return base_->preallocate(bytes);
  }

  Status truncate(uint64_t size) override {
    if (env_ == nullptr) return invalidated_error("truncate", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    STRATA_RETURN_IF_ERROR(check_locked("truncate"));
    STRATA_RETURN_IF_ERROR(
        env_->fail_if_injected_locked(FaultOp::kTruncate, path_));
    STRATA_RETURN_IF_ERROR(base_->truncate(size));
    position_ = size;
    env_->file_locked(file_id_)->current.resize(size);
    EnvOp op = make_op(EnvOp::Type::kTruncate, path_, handle_no_);
    op.size = size;
    env_->record_locked(std::move(op));
    return Status::ok_status();
  }

  // Not recorded as an op of its own: each recorded append carries its
  // offset, and a replay seeks there when the handle is elsewhere.
  Status seek(uint64_t position) override {
    if (env_ == nullptr) return invalidated_error("seek", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    STRATA_RETURN_IF_ERROR(check_locked("seek"));
    STRATA_RETURN_IF_ERROR(base_->seek(position));
    position_ = position;
    return Status::ok_status();
  }

  uint64_t position() const override { return position_; }

  Status close() override {
    if (env_ == nullptr) return invalidated_error("close", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    STRATA_RETURN_IF_ERROR(check_locked("close"));
    closed_ = true;
    Status s = base_->close();
    base_.reset();
    env_->record_locked(make_op(EnvOp::Type::kClose, path_, handle_no_));
    return s;
  }

  const std::string& path() const override { return path_; }

  void invalidate_locked() override {
    valid_ = false;
    base_.reset();
  }

 private:
  Status check_locked(std::string_view what) const {
    if (!valid_) return invalidated_error(what, path_);
    if (closed_) return Status::from_errno(what, path_, EBADF);
    return Status::ok_status();
  }

  Status append_locked(std::string_view data) {
    const uint64_t offset = base_->position();
    // What the append overwrites (a positional write inside the file), so
    // that a tear can put the old bytes back where the new ones did not
    // land.
    const std::string& before = env_->file_locked(file_id_)->current;
    const uint64_t old_size = before.size();
    std::string previous;
    if (offset < old_size) {
      previous = before.substr(
          offset, std::min<uint64_t>(data.size(), old_size - offset));
    }
    Status s = base_->append(data);
    // The base may have written part of the data before failing; the model
    // must hold exactly what the base holds.
    const uint64_t written = base_->position() - offset;
    position_ = base_->position();
    if (written == 0) return s;
    std::string_view landed = data.substr(0, written);
    write_at(&env_->file_locked(file_id_)->current, offset, landed);
    previous.resize(std::min<std::size_t>(previous.size(), written));
    env_->last_append_ =
        LastAppend{file_id_, offset, written, old_size, std::move(previous)};
    EnvOp op = make_op(EnvOp::Type::kAppend, path_, handle_no_);
    op.data = std::string(landed);
    op.size = offset;
    env_->record_locked(std::move(op));
    return s;
  }

  Status sync_impl(bool full) {
    const char* what = full ? "fsync" : "sync";
    if (env_ == nullptr) return invalidated_error(what, path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    STRATA_RETURN_IF_ERROR(check_locked(what));
    // An injected failure leaves the durable image as it was: the data
    // did not reach the disk.
    STRATA_RETURN_IF_ERROR(
        env_->fail_if_injected_locked(FaultOp::kSync, path_));
    STRATA_RETURN_IF_ERROR(full ? base_->fsync() : base_->sync());
    FileState* f = env_->file_locked(file_id_);
    f->durable = f->current;
    env_->record_locked(make_op(full ? EnvOp::Type::kFsync : EnvOp::Type::kSync,
                                path_, handle_no_));
    return Status::ok_status();
  }

  uint64_t handle_no_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
  uint64_t position_;
  bool closed_ = false;
};

class FaultInjectionEnv::ReaderHandle final : public RandomAccessFile,
                                              public Handle {
 public:
  ReaderHandle(FaultInjectionEnv* env, std::unique_ptr<RandomAccessFile> base)
      : Handle(env, 0), path_(base->path()), base_(std::move(base)) {}

  ~ReaderHandle() override {
    if (env_ == nullptr) return;
    std::lock_guard<std::mutex> l(env_->mu_);
    unregister_locked();
    base_.reset();
  }

  Result<std::size_t> read(uint64_t offset,
                           std::span<char> out) const override {
    if (env_ == nullptr) return invalidated_error("read", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    if (!valid_) return invalidated_error("read", path_);
    STRATA_RETURN_IF_ERROR(
        env_->fail_if_injected_locked(FaultOp::kRead, path_));
    return base_->read(offset, out);
  }

  Result<uint64_t> size() const override {
    if (env_ == nullptr) return invalidated_error("size", path_);
    std::lock_guard<std::mutex> l(env_->mu_);
    if (!valid_) return invalidated_error("size", path_);
    return base_->size();
  }

  const std::string& path() const override { return path_; }

  void invalidate_locked() override {
    valid_ = false;
    base_.reset();
  }

 private:
  std::string path_;
  std::unique_ptr<RandomAccessFile> base_;
};

class FaultInjectionEnv::LockHandle final : public FileLock, public Handle {
 public:
  LockHandle(FaultInjectionEnv* env, std::unique_ptr<FileLock> base)
      : Handle(env, 0), path_(base->path()), base_(std::move(base)) {}

  ~LockHandle() override {
    if (env_ == nullptr) return;
    std::lock_guard<std::mutex> l(env_->mu_);
    unregister_locked();
    base_.reset();
  }

  const std::string& path() const override { return path_; }

  // A crashed process holds no locks.
  void invalidate_locked() override {
    valid_ = false;
    base_.reset();
  }

 private:
  std::string path_;
  std::unique_ptr<FileLock> base_;
};

// ------------------------------------------------------------- the Env

FaultInjectionEnv::FaultInjectionEnv(Env* base)
    : EnvWrapper(base), base_(base) {}

FaultInjectionEnv::FaultInjectionEnv(std::unique_ptr<Env> base)
    : EnvWrapper(base.get()),
      owned_base_(std::move(base)),
      base_(owned_base_.get()) {}

FaultInjectionEnv::~FaultInjectionEnv() {
  std::lock_guard<std::mutex> l(mu_);
  // Handles that outlive the Env (a caller's bug) then fail cleanly instead
  // of touching freed memory.
  for (Handle* h : handles_) h->detach_locked();
  handles_.clear();
}

bool FaultInjectionEnv::take_fault_locked(FaultOp op, Injection* out) {
  const std::size_t i = op_index(op);
  const uint64_t call = ++counts_[i];
  if (fail_every_[i] != 0) {
    *out = Injection{call, fail_every_[i], 0};
    return true;
  }
  auto& list = injections_[i];
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->at_call == call) {
      *out = *it;
      list.erase(it);
      return true;
    }
  }
  return false;
}

Status FaultInjectionEnv::injected_error(FaultOp op, const std::string& path,
                                         int err) const {
  return Status::from_errno(
      std::string(fault_op_name(op)) + " (injected fault)", path, err);
}

Status FaultInjectionEnv::fail_if_injected_locked(FaultOp op,
                                                  const std::string& path) {
  Injection inj;
  if (!take_fault_locked(op, &inj)) return Status::ok_status();
  return injected_error(op, path, inj.err);
}

FaultInjectionEnv::FileState* FaultInjectionEnv::file_locked(uint64_t id) {
  return files_.at(id).get();
}

Result<uint64_t> FaultInjectionEnv::adopt_locked(const std::string& path) {
  const std::string p = normalize_path(path);
  std::unique_ptr<DirState>& ds = dirs_[parent_dir(p)];
  if (!ds) ds = std::make_unique<DirState>();
  const std::string name = base_name(p);
  auto it = ds->current.find(name);
  if (it != ds->current.end()) return it->second;
  STRATA_ASSIGN_OR_RETURN(bool exists, base_->file_exists(p));
  if (!exists) return uint64_t{0};
  if (base_->list_dir(p).ok()) return uint64_t{0};  // a directory
  STRATA_ASSIGN_OR_RETURN(std::string bytes, read_file(base_, p));
  const uint64_t id = next_id_++;
  auto f = std::make_unique<FileState>();
  f->current = bytes;
  f->durable = std::move(bytes);
  files_.emplace(id, std::move(f));
  ds->current[name] = id;
  ds->durable.emplace(name, id);
  return id;
}

void FaultInjectionEnv::invalidate_handles_locked(uint64_t only_id) {
  for (Handle* h : handles_) {
    if (only_id == 0 || h->file_id() == only_id) h->invalidate_locked();
  }
}

void FaultInjectionEnv::record_locked(EnvOp op) {
  if (recording_) trace_.push_back(std::move(op));
}

Status FaultInjectionEnv::write_base_file_locked(const std::string& path,
                                                 const std::string& bytes) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f,
                          base_->new_writable_file(path));
  STRATA_RETURN_IF_ERROR(f->append(bytes));
  return f->close();
}

Status FaultInjectionEnv::simulate_power_cut(const PowerCutOptions& options) {
  std::lock_guard<std::mutex> l(mu_);
  invalidate_handles_locked(0);

  // Plan first, then change the base: the images are all in the model, so
  // nothing read from the base is needed once removal starts.
  std::map<std::string, std::map<std::string, uint64_t>> targets;
  std::vector<std::string> removals;
  for (const auto& [dir, ds] : dirs_) {
    auto target = options.drop_unsynced_dir_ops ? ds->durable : ds->current;
    for (const auto& [name, id] : ds->current) {
      auto it = target.find(name);
      if (it == target.end() || it->second != id) {
        removals.push_back(join_path(dir, name));
      }
    }
    targets.emplace(dir, std::move(target));
  }
  for (const std::string& p : removals) {
    Status s = base_->remove_file(p);
    if (!s.ok() && !s.is_not_found()) {
      return s.with_context("simulate_power_cut");
    }
  }
  std::set<uint64_t> placed;
  for (auto& [dir, target] : targets) {
    for (auto& [name, id] : target) {
      const FileState& f = *files_.at(id);
      const std::string& bytes =
          options.drop_unsynced_data ? f.durable : f.current;
      STRATA_RETURN_IF_ERROR(write_base_file_locked(join_path(dir, name), bytes)
                                 .with_context("simulate_power_cut"));
      // A rename across two directories of which only one was synced can
      // leave one identity under two names; after the cut they are two
      // separate files, so the second gets an identity of its own.
      if (!placed.insert(id).second) {
        const uint64_t copy = next_id_++;
        files_.emplace(copy, std::make_unique<FileState>(f));
        id = copy;
      }
    }
  }
  for (auto& [id, f] : files_) {
    if (options.drop_unsynced_data) {
      f->current = f->durable;
    } else {
      f->durable = f->current;  // what the disk holds is now durable
    }
  }
  for (auto& [dir, ds] : dirs_) {
    ds->current = targets[dir];
    ds->durable = ds->current;
  }
  last_append_ = LastAppend{};
  return Status::ok_status();
}

void FaultInjectionEnv::simulate_process_crash() {
  std::lock_guard<std::mutex> l(mu_);
  invalidate_handles_locked(0);
}

Status FaultInjectionEnv::tear_last_write(TearMode mode,
                                          std::size_t keep_bytes) {
  if (mode == TearMode::kNone) return Status::ok_status();
  std::lock_guard<std::mutex> l(mu_);
  const LastAppend a = last_append_;
  if (a.id == 0) {
    return Status::invalid_argument("tear_last_write: no append to tear");
  }
  if (keep_bytes >= a.length) {
    return Status::invalid_argument(
        "tear_last_write: keep_bytes " + std::to_string(keep_bytes) +
        " is not less than the last append's length " +
        std::to_string(a.length));
  }
  FileState* f = file_locked(a.id);
  const uint64_t end = a.offset + a.length;
  if (f->current.size() < end) {
    return Status::invalid_argument(
        "tear_last_write: the file shrank below the end of its last append");
  }
  // The file may go on past the append (a write into a preallocated
  // file): those bytes stay.
  std::string torn = f->current;
  const uint64_t from = a.offset + keep_bytes;
  switch (mode) {
    case TearMode::kCut:
      // The bytes that did not land are what was there before: the old
      // bytes inside the old size, nothing past it.
      for (uint64_t i = from; i < end && i < a.old_size; ++i) {
        torn[i] = a.previous[i - a.offset];
      }
      if (end >= torn.size()) torn.resize(std::max(a.old_size, from));
      break;
    case TearMode::kZeros:
      std::fill(torn.begin() + static_cast<std::ptrdiff_t>(from),
                torn.begin() + static_cast<std::ptrdiff_t>(end), '\0');
      break;
    case TearMode::kGarbage: {
      uint64_t state = a.offset * 0x100000001B3ULL ^ a.length;
      for (uint64_t i = from; i < end; ++i) {
        torn[i] = static_cast<char>(split_mix(&state) & 0xFF);
      }
      break;
    }
    case TearMode::kNone:
      break;
  }
  f->current = torn;
  f->durable = torn;
  invalidate_handles_locked(a.id);
  last_append_ = LastAppend{};
  for (const auto& [dir, ds] : dirs_) {
    for (const auto& [name, id] : ds->current) {
      if (id == a.id) {
        STRATA_RETURN_IF_ERROR(
            write_base_file_locked(join_path(dir, name), torn)
                .with_context("tear_last_write"));
      }
    }
  }
  return Status::ok_status();
}

void FaultInjectionEnv::inject_error(FaultOp op, uint64_t nth, int err,
                                     std::size_t partial_bytes) {
  std::lock_guard<std::mutex> l(mu_);
  const std::size_t i = op_index(op);
  injections_[i].push_back(
      Injection{counts_[i] + std::max<uint64_t>(nth, 1), err, partial_bytes});
}

void FaultInjectionEnv::inject_error_every(FaultOp op, int err) {
  std::lock_guard<std::mutex> l(mu_);
  fail_every_[op_index(op)] = err;
}

void FaultInjectionEnv::clear_errors() {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& list : injections_) list.clear();
  fail_every_.fill(0);
}

uint64_t FaultInjectionEnv::op_count(FaultOp op) const {
  std::lock_guard<std::mutex> l(mu_);
  return counts_[op_index(op)];
}

void FaultInjectionEnv::reset_op_counts() {
  std::lock_guard<std::mutex> l(mu_);
  // Pending nth-call injections are relative to the counter; keep them
  // pointing at the same future call.
  for (std::size_t i = 0; i < kFaultOpCount; ++i) {
    for (Injection& inj : injections_[i]) inj.at_call -= counts_[i];
    counts_[i] = 0;
  }
}

Status FaultInjectionEnv::start_recording(const std::string& root_dir) {
  std::lock_guard<std::mutex> l(mu_);
  trace_.clear();
  recording_ = false;
  STRATA_RETURN_IF_ERROR(snapshot_locked(root_dir));
  recording_ = true;
  return Status::ok_status();
}

void FaultInjectionEnv::stop_recording() {
  std::lock_guard<std::mutex> l(mu_);
  recording_ = false;
}

Status FaultInjectionEnv::snapshot_locked(const std::string& root) {
  auto state = std::make_shared<EnvOp::InitialState>();
  if (!root.empty()) {
    const std::string r = normalize_path(root);
    std::vector<std::string> pending{r};
    while (!pending.empty()) {
      const std::string d = std::move(pending.back());
      pending.pop_back();
      STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names,
                              base_->list_dir(d));
      state->dirs.push_back(d);
      for (const std::string& name : names) {
        const std::string p = join_path(d, name);
        if (base_->list_dir(p).ok()) {
          pending.push_back(p);
        } else {
          STRATA_ASSIGN_OR_RETURN(uint64_t id, adopt_locked(p));
          (void)id;
        }
      }
    }
    std::sort(state->dirs.begin(), state->dirs.end());
    for (const std::string& d : state->dirs) {
      auto it = dirs_.find(d);
      if (it == dirs_.end()) continue;
      EnvOp::InitialState::Namespace& ns = state->namespaces[d];
      ns.current = it->second->current;
      ns.durable = it->second->durable;
      for (const auto* names : {&ns.current, &ns.durable}) {
        for (const auto& [name, id] : *names) {
          const FileState& f = *files_.at(id);
          state->files[id] = EnvOp::InitialState::File{f.current, f.durable};
        }
      }
    }
  }
  EnvOp op;
  op.type = EnvOp::Type::kInitialState;
  op.path = root;
  op.initial_state = std::move(state);
  trace_.push_back(std::move(op));
  return Status::ok_status();
}

Status FaultInjectionEnv::install_initial_state(
    const EnvOp::InitialState& state) {
  std::lock_guard<std::mutex> l(mu_);
  for (const std::string& d : state.dirs) {
    STRATA_RETURN_IF_ERROR(create_dirs(base_, d));
  }
  for (const auto& [id, file] : state.files) {
    auto f = std::make_unique<FileState>();
    f->current = file.current;
    f->durable = file.durable;
    files_[id] = std::move(f);
    next_id_ = std::max(next_id_, id + 1);
  }
  for (const auto& [dir, ns] : state.namespaces) {
    auto ds = std::make_unique<DirState>();
    ds->current = ns.current;
    ds->durable = ns.durable;
    for (const auto& [name, id] : ns.current) {
      STRATA_RETURN_IF_ERROR(
          write_base_file_locked(join_path(dir, name), files_.at(id)->current));
    }
    dirs_[dir] = std::move(ds);
  }
  return Status::ok_status();
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::new_writable_file(
    const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_RETURN_IF_ERROR(fail_if_injected_locked(FaultOp::kCreate, path));
  STRATA_ASSIGN_OR_RETURN(uint64_t id, adopt_locked(path));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> base,
                          base_->new_writable_file(path));
  if (id != 0) {
    // O_TRUNC keeps the inode: a data change, not a namespace change.
    file_locked(id)->current.clear();
  } else {
    id = next_id_++;
    files_.emplace(id, std::make_unique<FileState>());
    const std::string p = normalize_path(path);
    dirs_.at(parent_dir(p))->current[base_name(p)] = id;
  }
  const uint64_t handle_no = next_handle_++;
  auto h = std::make_unique<WritableHandle>(this, id, handle_no, path,
                                            std::move(base));
  handles_.insert(h.get());
  record_locked(make_op(EnvOp::Type::kCreate, path, handle_no));
  return std::unique_ptr<WritableFile>(std::move(h));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::reopen_writable_file(
    const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_RETURN_IF_ERROR(fail_if_injected_locked(FaultOp::kReopen, path));
  STRATA_ASSIGN_OR_RETURN(uint64_t id, adopt_locked(path));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> base,
                          base_->reopen_writable_file(path));
  if (id == 0) {
    return Status::invalid_argument(
        "reopen_writable_file: not a regular file: " + path);
  }
  const uint64_t handle_no = next_handle_++;
  auto h = std::make_unique<WritableHandle>(this, id, handle_no, path,
                                            std::move(base));
  handles_.insert(h.get());
  record_locked(make_op(EnvOp::Type::kReopen, path, handle_no));
  return std::unique_ptr<WritableFile>(std::move(h));
}

Result<std::unique_ptr<RandomAccessFile>>
FaultInjectionEnv::new_random_access_file(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> base,
                          base_->new_random_access_file(path));
  auto h = std::make_unique<ReaderHandle>(this, std::move(base));
  handles_.insert(h.get());
  return std::unique_ptr<RandomAccessFile>(std::move(h));
}

Status FaultInjectionEnv::create_dir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_RETURN_IF_ERROR(fail_if_injected_locked(FaultOp::kCreateDir, dir));
  STRATA_RETURN_IF_ERROR(base_->create_dir(dir));
  record_locked(make_op(EnvOp::Type::kCreateDir, dir));
  return Status::ok_status();
}

Status FaultInjectionEnv::remove_dir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_RETURN_IF_ERROR(base_->remove_dir(dir));
  dirs_.erase(normalize_path(dir));
  record_locked(make_op(EnvOp::Type::kRemoveDir, dir));
  return Status::ok_status();
}

Status FaultInjectionEnv::remove_file(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_RETURN_IF_ERROR(fail_if_injected_locked(FaultOp::kRemove, path));
  STRATA_ASSIGN_OR_RETURN(uint64_t id, adopt_locked(path));
  STRATA_RETURN_IF_ERROR(base_->remove_file(path));
  if (id != 0) {
    const std::string p = normalize_path(path);
    dirs_.at(parent_dir(p))->current.erase(base_name(p));
  }
  record_locked(make_op(EnvOp::Type::kRemove, path));
  return Status::ok_status();
}

Status FaultInjectionEnv::rename_file(const std::string& from,
                                      const std::string& to) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_RETURN_IF_ERROR(
      fail_if_injected_locked(FaultOp::kRename, from + " -> " + to));
  STRATA_ASSIGN_OR_RETURN(uint64_t id, adopt_locked(from));
  STRATA_ASSIGN_OR_RETURN(uint64_t replaced, adopt_locked(to));
  (void)replaced;  // adopted so that a power cut can bring it back
  STRATA_RETURN_IF_ERROR(base_->rename_file(from, to));
  if (id != 0) {
    const std::string f = normalize_path(from);
    const std::string t = normalize_path(to);
    dirs_.at(parent_dir(f))->current.erase(base_name(f));
    dirs_.at(parent_dir(t))->current[base_name(t)] = id;
  }
  EnvOp op = make_op(EnvOp::Type::kRename, from);
  op.path2 = to;
  record_locked(std::move(op));
  return Status::ok_status();
}

Status FaultInjectionEnv::sync_dir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_RETURN_IF_ERROR(fail_if_injected_locked(FaultOp::kSyncDir, dir));
  STRATA_RETURN_IF_ERROR(base_->sync_dir(dir));
  auto it = dirs_.find(normalize_path(dir));
  if (it != dirs_.end()) it->second->durable = it->second->current;
  record_locked(make_op(EnvOp::Type::kSyncDir, dir));
  return Status::ok_status();
}

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::lock_file(
    const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> base,
                          base_->lock_file(path));
  auto h = std::make_unique<LockHandle>(this, std::move(base));
  handles_.insert(h.get());
  return std::unique_ptr<FileLock>(std::move(h));
}

// ------------------------------------------------------------- traces

std::string_view env_op_type_name(EnvOp::Type type) {
  switch (type) {
    case EnvOp::Type::kInitialState:
      return "initial_state";
    case EnvOp::Type::kCreate:
      return "create";
    case EnvOp::Type::kReopen:
      return "reopen";
    case EnvOp::Type::kAppend:
      return "append";
    case EnvOp::Type::kTruncate:
      return "truncate";
    case EnvOp::Type::kSync:
      return "sync";
    case EnvOp::Type::kFsync:
      return "fsync";
    case EnvOp::Type::kClose:
      return "close";
    case EnvOp::Type::kRename:
      return "rename";
    case EnvOp::Type::kRemove:
      return "remove";
    case EnvOp::Type::kSyncDir:
      return "sync_dir";
    case EnvOp::Type::kCreateDir:
      return "create_dir";
    case EnvOp::Type::kRemoveDir:
      return "remove_dir";
  }
  return "unknown";
}

std::string describe(const EnvOp& op) {
  std::string out(env_op_type_name(op.type));
  if (!op.path.empty()) out += " " + op.path;
  if (!op.path2.empty()) out += " -> " + op.path2;
  if (op.type == EnvOp::Type::kAppend) {
    out +=
        " @" + std::to_string(op.size) + " +" + std::to_string(op.data.size());
  } else if (op.type == EnvOp::Type::kTruncate) {
    out += " to " + std::to_string(op.size);
  }
  if (op.handle != 0) out += " (handle " + std::to_string(op.handle) + ")";
  return out;
}

Result<std::unique_ptr<Env>> materialize_crash_state(
    const std::vector<EnvOp>& trace, std::size_t prefix_len,
    const CrashStateOptions& opts) {
  if (prefix_len > trace.size()) {
    return Status::invalid_argument(
        "materialize_crash_state: prefix_len " + std::to_string(prefix_len) +
        " is beyond the trace's " + std::to_string(trace.size()) + " ops");
  }
  auto env = std::make_unique<FaultInjectionEnv>(new_mem_env());
  Env* base = env->base_;
  std::size_t start = 0;
  if (!trace.empty() && trace[0].type == EnvOp::Type::kInitialState) {
    if (trace[0].initial_state) {
      STRATA_RETURN_IF_ERROR(
          env->install_initial_state(*trace[0].initial_state)
              .with_context("materialize_crash_state: initial state"));
    }
    start = 1;
  }

  std::map<uint64_t, std::unique_ptr<WritableFile>> open;
  bool appended = false;
  for (std::size_t i = start; i < prefix_len; ++i) {
    const EnvOp& op = trace[i];
    // Directories the trace relies on but did not create were there
    // before recording started; make them as durable, untracked ones.
    auto need_dir = [&](const std::string& dir) {
      return create_dirs(base, dir);
    };
    auto handle = [&]() -> Result<WritableFile*> {
      auto it = open.find(op.handle);
      if (it == open.end()) {
        return Status::invalid_argument("no open file with that handle");
      }
      return it->second.get();
    };
    Status s;
    switch (op.type) {
      case EnvOp::Type::kInitialState:
        s = Status::invalid_argument("initial state in mid-trace");
        break;
      case EnvOp::Type::kCreate:
      case EnvOp::Type::kReopen: {
        s = need_dir(parent_dir(normalize_path(op.path)));
        if (!s.ok()) break;
        auto f = op.type == EnvOp::Type::kCreate
                     ? env->new_writable_file(op.path)
                     : env->reopen_writable_file(op.path);
        if (!f.ok()) {
          s = f.status();
        } else {
          open[op.handle] = std::move(*f);
        }
        break;
      }
      case EnvOp::Type::kAppend:
      case EnvOp::Type::kTruncate:
      case EnvOp::Type::kSync:
      case EnvOp::Type::kFsync:
      case EnvOp::Type::kClose: {
        auto f = handle();
        if (!f.ok()) {
          s = f.status();
          break;
        }
        WritableFile* w = *f;
        if (op.type == EnvOp::Type::kAppend) {
          // A positional write: the handle was moved by seek(), which is
          // not recorded on its own.
          if (w->position() != op.size) s = w->seek(op.size);
          if (s.ok()) s = w->append(op.data);
          appended = appended || !op.data.empty();
        } else if (op.type == EnvOp::Type::kTruncate) {
          s = w->truncate(op.size);
        } else if (op.type == EnvOp::Type::kSync) {
          s = w->sync();
        } else if (op.type == EnvOp::Type::kFsync) {
          s = w->fsync();
        } else {
          s = w->close();
          open.erase(op.handle);
        }
        break;
      }
      case EnvOp::Type::kRename:
        s = need_dir(parent_dir(normalize_path(op.path2)));
        if (s.ok()) s = env->rename_file(op.path, op.path2);
        break;
      case EnvOp::Type::kRemove:
        s = env->remove_file(op.path);
        break;
      case EnvOp::Type::kSyncDir:
        s = need_dir(op.path);
        if (s.ok()) s = env->sync_dir(op.path);
        break;
      case EnvOp::Type::kCreateDir:
        s = need_dir(parent_dir(normalize_path(op.path)));
        if (s.ok()) s = env->create_dir(op.path);
        break;
      case EnvOp::Type::kRemoveDir:
        s = env->remove_dir(op.path);
        break;
    }
    if (!s.ok()) {
      return s.with_context("materialize_crash_state: replaying op " +
                            std::to_string(i) + " (" + describe(op) + ")");
    }
  }
  if (opts.tear_mode != TearMode::kNone && appended) {
    STRATA_RETURN_IF_ERROR(
        env->tear_last_write(opts.tear_mode, opts.tear_keep_bytes)
            .with_context("materialize_crash_state"));
  }
  PowerCutOptions cut;
  cut.drop_unsynced_data = opts.drop_unsynced_data;
  cut.drop_unsynced_dir_ops = opts.drop_unsynced_dir_ops;
  STRATA_RETURN_IF_ERROR(
      env->simulate_power_cut(cut).with_context("materialize_crash_state"));
  open.clear();
  return std::unique_ptr<Env>(std::move(env));
}

}  // namespace strata::durability::testing
