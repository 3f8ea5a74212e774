// The PROGRESS file (docs/format.md, section 9): its encoding, and the
// writer-side publisher that rewrites it and wakes in-process waiters.

#ifndef STRATA_DURABILITY_SRC_LOG_PROGRESS_FILE_H_
#define STRATA_DURABILITY_SRC_LOG_PROGRESS_FILE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "strata/durability/env.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/log/progress.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"
#include "log/format.h"

namespace strata::durability::log {

inline constexpr const char* kProgressFileName = "PROGRESS";
inline constexpr std::size_t kProgressFileSize = 64;
inline constexpr char kProgressMagic[8] = {'S', 'T', 'R', 'A',
                                           'T', 'A', 'P', 'R'};

std::string encode_progress(const PublishedProgress& p);
// The same into kProgressFileSize bytes at `out`.
void encode_progress_to(const PublishedProgress& p, char* out);
Result<PublishedProgress> decode_progress(std::string_view bytes);

// Owned by a LogWriter. publish() keeps each LSN at its maximum, so calls
// from the group-commit leader and a syncer may come in any order.
// Thread-safe.
class ProgressPublisher {
 public:
  ProgressPublisher(Env* env, std::string dir, const LogId& log_id);

  // Writes the file durably (tmp + sync + rename + directory sync) with
  // both LSNs at `lsn`, and keeps it open for rewriting in place. The
  // writer calls it at open, once everything below `lsn` is durable.
  Status open(Lsn lsn);
  // Raises the published LSNs and rewrites the file in place (no sync: a
  // value on disk is never ahead of the truth, see docs/format.md). A
  // failed rewrite is kept (first_error()) and retried at the next call.
  void publish(Lsn durable, Lsn end);
  // Publishes with writer_open = false and closes the file.
  Status close(Lsn durable, Lsn end);

  Lsn durable_lsn() const;
  Lsn end_lsn() const;
  Status first_error() const;

  // In-process waiters (a LogTailer beside the writer): publish() and
  // close() bump a counter and wake them; wake() does only the latter.
  uint64_t version() const;
  // Waits until version() != `seen`, wake() is called or `deadline`.
  void wait(uint64_t seen,
            std::chrono::steady_clock::time_point deadline) const;
  void wake() const;

 private:
  // Encodes cur_ (after bumping its sequence) into image_ and emits it.
  void write_locked();
  // Writes image_ over the file (or its mapping).
  void emit_locked();

  Env* env_;
  std::string dir_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable uint64_t wakeups_ = 0;
  mutable uint64_t waiters_ = 0;  // threads in wait()
  PublishedProgress cur_;
  uint64_t version_ = 0;
  std::unique_ptr<WritableFile> file_;
  // The file mapped into memory when its Env allows (a rewrite is then a
  // 64-byte copy instead of a pwrite per write group); else null.
  char* mapped_ = nullptr;
  // The record as last encoded (cur_'s bytes once file_ is open).
  char image_[kProgressFileSize] = {};
  uint32_t prefix_crc_ = 0;  // CRC32C of image_'s first 32 bytes
  Status first_error_;
};

// The LogWriter's publisher, for LogTailer (nullptr when the writer does
// not publish). Defined in log_writer.cc.
struct WriterAccess {
  static ProgressPublisher* progress(LogWriter* writer);
  // Returns once the writer's segment preparer has nothing asked of it
  // left to do (for tests that need the prepared file to be ready).
  static void wait_preparer_idle(LogWriter* writer);
};

}  // namespace strata::durability::log

#endif  // STRATA_DURABILITY_SRC_LOG_PROGRESS_FILE_H_
