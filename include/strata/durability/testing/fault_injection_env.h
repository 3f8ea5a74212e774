// FaultInjectionEnv: an Env for crash and error testing. It wraps another
// Env (normally new_mem_env()) and can simulate power cuts, process
// crashes, torn writes and failing system calls, and can record the
// operations of a run so that any crash point of it can be rebuilt later
// (an ALICE-style crash matrix, see materialize_crash_state).
//
// The durability model
// --------------------
// The wrapper keeps, next to the base Env's files, its own picture of what
// a disk would hold after a power cut:
//
//  * Files have identities (like inodes). Each has a current image (what
//    the OS has: the base file's bytes) and a durable image (its bytes at
//    the last successful sync() or fsync() of any handle on it; empty for a
//    file never synced). sync() and fsync() are treated alike: both persist
//    the data and the size.
//  * Each directory has a current namespace (name -> identity) and a
//    durable namespace: a snapshot of the current one taken at the last
//    successful sync_dir() of that directory. Creating a file, renaming and
//    removing change only the current namespace. Opening an existing file
//    with new_writable_file() truncates it in place (same identity, as with
//    O_TRUNC) and is a data change, not a namespace change.
//  * Files that existed in the base before the wrapper first touched them
//    are adopted lazily, as durable (both images = their bytes, name in the
//    durable namespace). The wrapper never lists directories it is not
//    asked about, and files it never touches are never changed by a cut.
//  * create_dir() and remove_dir() are taken as durable at once (they are
//    not undone by a power cut). remove_dir() forgets the directory's
//    namespace records, so unsynced removals in it cannot come back.
//  * A failed sync() leaves the durable image as it was (the data stays
//    undurable). Linux additionally forgets the failed pages, so that a
//    later successful fsync does not write them ("fsyncgate"); this model
//    is kinder: a later successful sync persists everything. Code under
//    test must not rely on that either way.
//
// simulate_power_cut() rebuilds the base from that picture: with the
// default options every tracked directory gets back its durable namespace
// (created files vanish, renamed files return to their old names, removed
// files return) and every file its durable image. Every open WritableFile,
// RandomAccessFile and FileLock from this Env becomes unusable: their calls
// fail with IOError (EBADF), and the locks are released, as when a process
// dies.
//
// All writes must go through this wrapper for the model to be right;
// changing the base directly in between is not supported. Renaming
// directories through it is not supported. Thread-safe: one mutex guards
// the model and is held across calls to the base, so calls are serialized.
// Every file, reader and lock must be destroyed before the Env.

#ifndef STRATA_DURABILITY_TESTING_FAULT_INJECTION_ENV_H_
#define STRATA_DURABILITY_TESTING_FAULT_INJECTION_ENV_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::testing {

// The operations errors can be injected into, and counted.
enum class FaultOp : unsigned char {
  kAppend,     // WritableFile::append
  kSync,       // WritableFile::sync and WritableFile::fsync
  kRename,     // Env::rename_file
  kSyncDir,    // Env::sync_dir
  kCreate,     // Env::new_writable_file
  kRead,       // RandomAccessFile::read
  kTruncate,   // WritableFile::truncate
  kRemove,     // Env::remove_file
  kReopen,     // Env::reopen_writable_file
  kCreateDir,  // Env::create_dir
};
inline constexpr std::size_t kFaultOpCount = 10;

// What happens to the bytes of a torn write beyond the first keep_bytes.
enum class TearMode : unsigned char {
  kNone,     // no tear (only meaningful in CrashStateOptions)
  kCut,      // they are missing: the file ends after keep_bytes
  kZeros,    // they are there but zero
  kGarbage,  // they are there but pseudo-random (deterministic)
};

struct PowerCutOptions {
  // Every file goes back to its durable image.
  bool drop_unsynced_data = true;
  // Every directory goes back to its durable namespace.
  bool drop_unsynced_dir_ops = true;
};

// One recorded operation. Only operations that changed something are
// recorded (a failed call is left out; an append that failed half way is
// recorded with the bytes that were written).
struct EnvOp {
  enum class Type : unsigned char {
    kInitialState,  // the files under the recording root (always first)
    kCreate,        // new_writable_file(path) -> handle
    kReopen,        // reopen_writable_file(path) -> handle
    kAppend,        // handle: data written at offset `size` (a replay
                    // seeks there first when the handle is elsewhere)
    kTruncate,      // handle: truncated to `size`
    kSync,          // handle: sync()
    kFsync,         // handle: fsync()
    kClose,         // handle: close()
    kRename,        // rename_file(path, path2)
    kRemove,        // remove_file(path)
    kSyncDir,       // sync_dir(path)
    kCreateDir,     // create_dir(path)
    kRemoveDir,     // remove_dir(path)
  };
  struct InitialState;  // opaque; see fault_injection_env.cc

  Type type = Type::kInitialState;
  std::string path;     // the file or directory (for handle ops: as opened)
  std::string path2;    // rename target
  std::string data;     // appended bytes
  uint64_t size = 0;    // append offset, or truncate size
  uint64_t handle = 0;  // which open file, for create/reopen and handle ops
  std::shared_ptr<const InitialState> initial_state;  // kInitialState only
};

struct CrashStateOptions {
  TearMode tear_mode = TearMode::kNone;  // tear the prefix's last append
  std::size_t tear_keep_bytes = 0;
  bool drop_unsynced_data = true;
  bool drop_unsynced_dir_ops = true;
};

// Rebuilds the state a disk could be in had the power failed right after
// the first prefix_len ops of `trace` (0 <= prefix_len <= trace.size()): a
// fresh in-memory FaultInjectionEnv is set to the trace's initial state
// (which is applied even when prefix_len is 0, so prefixes 0 and 1 give the
// same state), the prefix is replayed through it, the last append of the
// prefix is torn as opts asks (if the prefix has an append), and a power
// cut is simulated with opts' drop flags. The result is that
// FaultInjectionEnv, owning its in-memory base; dynamic_cast it to inject
// further faults. Files left open by the prefix are closed.
Result<std::unique_ptr<Env>> materialize_crash_state(
    const std::vector<EnvOp>& trace, std::size_t prefix_len,
    const CrashStateOptions& opts = {});

std::string_view env_op_type_name(EnvOp::Type type);
// E.g. "append /db/000001.log @4096 +120" (for test failure messages).
std::string describe(const EnvOp& op);

class FaultInjectionEnv : public EnvWrapper {
 public:
  // Wraps `base`, which must outlive this object.
  explicit FaultInjectionEnv(Env* base);
  // Wraps and owns `base`.
  explicit FaultInjectionEnv(std::unique_ptr<Env> base);
  ~FaultInjectionEnv() override;

  // ---- crashes
  // Rebuilds the base as a disk would be after losing power (see the model
  // above) and invalidates every open file and lock of this Env.
  Status simulate_power_cut(const PowerCutOptions& options = {});
  // Invalidates every open file and lock, keeping all data: the OS
  // survives a process crash.
  void simulate_process_crash();
  // Tears the most recent append (through any handle of this Env): of its
  // bytes only the first keep_bytes stay; the rest is dropped (kCut),
  // zeroed (kZeros) or replaced by pseudo-random bytes (kGarbage, the same
  // for the same offset and length). An append inside the file (after
  // WritableFile::seek) that kCut tears leaves the old bytes where the new
  // ones did not land. Applied to the base file at once, and
  // the file's durable image becomes its torn current image: a torn write
  // is one that reached the disk in part, so a following power cut keeps
  // it (and everything before it in that file). Open handles on that file
  // are invalidated. InvalidArgument if there was no append to tear, or
  // keep_bytes is not less than its length. kNone does nothing.
  Status tear_last_write(TearMode mode, std::size_t keep_bytes);

  // ---- injected errors
  // The nth call of `op` from now (1 = the next one) fails with an IOError
  // carrying errno `err`. For kAppend, the first partial_bytes bytes of the
  // data are written first (as when a disk fills up mid-record).
  void inject_error(FaultOp op, uint64_t nth, int err,
                    std::size_t partial_bytes = 0);
  // Every call of `op` from now fails, until clear_errors().
  void inject_error_every(FaultOp op, int err);
  void clear_errors();

  // ---- counters: calls of each operation (failed ones included)
  uint64_t op_count(FaultOp op) const;
  void reset_op_counts();

  // ---- recording
  // Starts a new trace. Its first op is a kInitialState holding every file
  // under root_dir (recursively) with its current and durable images and
  // the namespace records of those directories, so that a replay starts
  // from the same picture. An empty root_dir records no files; replays then
  // start from an empty file system (directories the trace's paths need
  // are created as pre-existing).
  Status start_recording(const std::string& root_dir = "");
  void stop_recording();
  // Not to be called while other threads use this Env.
  const std::vector<EnvOp>& trace() const { return trace_; }

  // ---- Env
  Result<std::unique_ptr<WritableFile>> new_writable_file(
      const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> reopen_writable_file(
      const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override;
  Status create_dir(const std::string& dir) override;
  Status remove_dir(const std::string& dir) override;
  Status remove_file(const std::string& path) override;
  Status rename_file(const std::string& from, const std::string& to) override;
  Status sync_dir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override;

 private:
  struct FileState;
  struct DirState;
  class Handle;
  class WritableHandle;
  class ReaderHandle;
  class LockHandle;
  friend Result<std::unique_ptr<Env>> materialize_crash_state(
      const std::vector<EnvOp>& trace, std::size_t prefix_len,
      const CrashStateOptions& opts);

  struct Injection {
    uint64_t at_call;  // counts_[op] value of the failing call
    int err;
    std::size_t partial_bytes;
  };

  // Counts a call of `op` and returns the injection that fails it, if any.
  bool take_fault_locked(FaultOp op, Injection* out);
  Status injected_error(FaultOp op, const std::string& path, int err) const;
  // Counts a call of `op` and returns its injected error, if one is due.
  Status fail_if_injected_locked(FaultOp op, const std::string& path);

  // The identity of the file at `path`, adopting a pre-existing base file;
  // 0 when there is none (or it is a directory).
  Result<uint64_t> adopt_locked(const std::string& path);
  FileState* file_locked(uint64_t id);
  void invalidate_handles_locked(uint64_t only_id);
  void record_locked(EnvOp op);
  Status write_base_file_locked(const std::string& path,
                                const std::string& bytes);
  Status snapshot_locked(const std::string& root);
  Status install_initial_state(const EnvOp::InitialState& state);

  std::unique_ptr<Env> owned_base_;
  Env* base_;

  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<FileState>> files_;
  std::map<std::string, std::unique_ptr<DirState>> dirs_;
  std::set<Handle*> handles_;

  std::array<uint64_t, kFaultOpCount> counts_{};
  std::array<std::vector<Injection>, kFaultOpCount> injections_;
  std::array<int, kFaultOpCount> fail_every_{};  // errno, 0 = off

  struct LastAppend {
    uint64_t id = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
    uint64_t old_size = 0;  // the file's size before the append
    std::string previous;   // the bytes it overwrote (inside old_size)
  };
  LastAppend last_append_;

  bool recording_ = false;
  uint64_t next_handle_ = 1;
  std::vector<EnvOp> trace_;
};

}  // namespace strata::durability::testing

#endif  // STRATA_DURABILITY_TESTING_FAULT_INJECTION_ENV_H_
