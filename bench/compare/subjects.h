// The systems bench/compare measures, behind one interface: the raw
// ceiling loops, our three logs, RocksDB, LevelDB and SQLite. Each commit
// writes `entries` values of `value_size` bytes under 16-byte keys (the
// raw log and the ceilings write the values only) as one atomic unit.

#ifndef STRATA_DURABILITY_BENCH_COMPARE_SUBJECTS_H_
#define STRATA_DURABILITY_BENCH_COMPARE_SUBJECTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "harness/driver.h"
#include "harness/strata_logs.h"

namespace strata_compare {

struct CellShape {
  unsigned threads = 1;
  uint64_t entries = 1;
  std::size_t value_size = 128;
};

class Subject {
 public:
  virtual ~Subject() = default;
  // Creates the system's files in `dir`, a new empty directory.
  virtual bool open(const std::string& dir, std::string* error) = 0;
  // Thread `thread`'s commit operation.
  virtual bool make_operation(unsigned thread, strata_bench::Operation* op,
                              std::string* error) = 0;
  // Closes (for our logs in Strict/Batched this includes a final sync).
  virtual bool close(std::string* error) = 0;
};

// write+fdatasync into a preallocated file (sync) or plain write() (not),
// one thread, one commit's payload (entries x value_size) per operation.
std::unique_ptr<Subject> new_ceiling(bool sync, const CellShape& shape);
// shape.threads write+fdatasync loops at once, each on its own
// preallocated file: how many flushes the disk completes when they overlap
// (a reference for the many-writer rows, not a bound on one log).
std::unique_ptr<Subject> new_parallel_sync_ceiling(const CellShape& shape);
std::unique_ptr<Subject> new_strata(const strata_bench::StrataWorkload& w);
// One WriteBatch per commit, WriteOptions.sync as given, default options.
std::unique_ptr<Subject> new_rocksdb(bool sync, const CellShape& shape);
std::unique_ptr<Subject> new_leveldb(bool sync, const CellShape& shape);
// WAL mode, synchronous FULL or NORMAL; one connection shared by the
// threads under a mutex (SQLite has one writer at a time anyway); a commit
// of more than one entry is BEGIN, the INSERTs, COMMIT.
std::unique_ptr<Subject> new_sqlite(bool full, const CellShape& shape);

}  // namespace strata_compare

#endif  // STRATA_DURABILITY_BENCH_COMPARE_SUBJECTS_H_
