// The systems bench/compare measures (see subjects.h).

#include "compare/subjects.h"

#include <sqlite3.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness/raw_ceilings.h"

namespace strata_compare {

namespace sb = strata_bench;

namespace {

class Ceiling : public Subject {
 public:
  Ceiling(bool sync, const CellShape& shape)
      : sync_(sync), bytes_(shape.entries * shape.value_size) {}

  bool open(const std::string& dir, std::string* error) override {
    if (sync_) {
      // About a thousand operations before wrapping to the start.
      uint64_t size = bytes_ * 1024;
      if (size < (1ULL << 20)) size = 1ULL << 20;
      if (size > (64ULL << 20)) size = 64ULL << 20;
      return sync_file_.open(dir + "/file", bytes_, size, error);
    }
    return write_file_.open(dir + "/file", bytes_, error);
  }
  bool make_operation(unsigned, sb::Operation* op, std::string*) override {
    if (sync_) {
      *op = [this](uint64_t, std::string* e) { return sync_file_.append(e); };
    } else {
      *op = [this](uint64_t, std::string* e) {
        return write_file_.append(e) &&
               (!write_file_.full() || write_file_.rewind(e));
      };
    }
    return true;
  }
  bool close(std::string*) override { return true; }

 private:
  bool sync_;
  uint64_t bytes_;
  sb::RawSyncFile sync_file_;
  sb::RawWriteFile write_file_;
};

// One write+fdatasync loop per thread, each on its own preallocated file:
// what the disk gives when that many flushes overlap.
class ParallelSyncCeiling : public Subject {
 public:
  explicit ParallelSyncCeiling(const CellShape& shape)
      : bytes_(shape.entries * shape.value_size), files_(shape.threads) {}

  bool open(const std::string& dir, std::string*) override {
    dir_ = dir;
    return true;
  }
  bool make_operation(unsigned thread, sb::Operation* op,
                      std::string* error) override {
    sb::RawSyncFile* file = &files_.at(thread);
    if (!file->open(dir_ + "/file-" + std::to_string(thread), bytes_,
                    1ULL << 20, error)) {
      return false;
    }
    *op = [file](uint64_t, std::string* e) { return file->append(e); };
    return true;
  }
  bool close(std::string*) override { return true; }

 private:
  uint64_t bytes_;
  std::string dir_;
  std::vector<sb::RawSyncFile> files_;
};

class Strata : public Subject {
 public:
  explicit Strata(const sb::StrataWorkload& w) : workload_(w) {}
  bool open(const std::string& dir, std::string* error) override {
    auto log = sb::StrataLog::open(dir + "/log", workload_);
    if (!log.ok()) {
      *error = log.status().to_string();
      return false;
    }
    log_ = std::move(log).value();
    return true;
  }
  bool make_operation(unsigned thread, sb::Operation* op,
                      std::string*) override {
    *op = log_->make_operation(thread);
    return true;
  }
  bool close(std::string* error) override {
    auto s = log_->close();
    if (!s.ok()) *error = s.to_string();
    return s.ok();
  }

 private:
  sb::StrataWorkload workload_;
  std::unique_ptr<sb::StrataLog> log_;
};

class RocksDb : public Subject {
 public:
  RocksDb(bool sync, const CellShape& shape) : shape_(shape) {
    write_options_.sync = sync;
  }
  bool open(const std::string& dir, std::string* error) override {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    auto s = rocksdb::DB::Open(o, dir + "/rocksdb", &db);
    if (!s.ok()) {
      *error = "RocksDB: " + s.ToString();
      return false;
    }
    db_.reset(db);
    return true;
  }
  bool make_operation(unsigned thread, sb::Operation* op,
                      std::string*) override {
    // A ring of ready-made batches, as for our logs (harness/strata_logs.h):
    // the timed operation is the Write, not the building of its batch.
    const std::string value = sb::bench_value(shape_.value_size, thread + 1);
    const uint64_t ring =
        sb::commit_ring_size(shape_.entries, shape_.value_size);
    auto batches = std::make_shared<std::vector<rocksdb::WriteBatch>>(ring);
    for (uint64_t c = 0; c < ring; ++c) {
      for (uint64_t e = 0; e < shape_.entries; ++e) {
        (*batches)[c].Put(sb::bench_key(thread, c, e), value);
      }
    }
    *op = [this, batches, ring](uint64_t seq, std::string* error) {
      auto s = db_->Write(write_options_, &(*batches)[seq % ring]);
      if (!s.ok()) *error = "RocksDB: " + s.ToString();
      return s.ok();
    };
    return true;
  }
  bool close(std::string* error) override {
    auto s = db_->Close();
    db_.reset();
    if (!s.ok()) *error = "RocksDB: " + s.ToString();
    return s.ok();
  }

 private:
  CellShape shape_;
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<rocksdb::DB> db_;
};

class LevelDb : public Subject {
 public:
  LevelDb(bool sync, const CellShape& shape) : shape_(shape) {
    write_options_.sync = sync;
  }
  bool open(const std::string& dir, std::string* error) override {
    leveldb::Options o;
    o.create_if_missing = true;
    leveldb::DB* db = nullptr;
    auto s = leveldb::DB::Open(o, dir + "/leveldb", &db);
    if (!s.ok()) {
      *error = "LevelDB: " + s.ToString();
      return false;
    }
    db_.reset(db);
    return true;
  }
  bool make_operation(unsigned thread, sb::Operation* op,
                      std::string*) override {
    // A ring of ready-made batches, as for our logs (harness/strata_logs.h):
    // the timed operation is the Write, not the building of its batch.
    const std::string value = sb::bench_value(shape_.value_size, thread + 1);
    const uint64_t ring =
        sb::commit_ring_size(shape_.entries, shape_.value_size);
    auto batches = std::make_shared<std::vector<leveldb::WriteBatch>>(ring);
    for (uint64_t c = 0; c < ring; ++c) {
      for (uint64_t e = 0; e < shape_.entries; ++e) {
        (*batches)[c].Put(sb::bench_key(thread, c, e), value);
      }
    }
    *op = [this, batches, ring](uint64_t seq, std::string* error) {
      auto s = db_->Write(write_options_, &(*batches)[seq % ring]);
      if (!s.ok()) *error = "LevelDB: " + s.ToString();
      return s.ok();
    };
    return true;
  }
  bool close(std::string*) override {
    db_.reset();
    return true;
  }

 private:
  CellShape shape_;
  leveldb::WriteOptions write_options_;
  std::unique_ptr<leveldb::DB> db_;
};

class Sqlite : public Subject {
 public:
  Sqlite(bool full, const CellShape& shape) : full_(full), shape_(shape) {}
  ~Sqlite() override {
    std::string ignored;
    close(&ignored);
  }

  bool open(const std::string& dir, std::string* error) override {
    const std::string path = dir + "/sqlite.db";
    if (sqlite3_open_v2(
            path.c_str(), &db_,
            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
            nullptr) != SQLITE_OK) {
      return fail("open " + path, error);
    }
    const std::string setup =
        std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
        (full_ ? "FULL" : "NORMAL") +
        "; CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;";
    if (sqlite3_exec(db_, setup.c_str(), nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return fail("setup", error);
    }
    if (!prepare("INSERT INTO kv(k, v) VALUES(?, ?)", &insert_, error) ||
        !prepare("BEGIN", &begin_, error) ||
        !prepare("COMMIT", &commit_, error)) {
      return false;
    }
    return true;
  }

  bool make_operation(unsigned thread, sb::Operation* op,
                      std::string*) override {
    auto value = std::make_shared<std::string>(
        sb::bench_value(shape_.value_size, thread + 1));
    // SQLite's keys must differ per commit (an INSERT of a present key
    // fails), so unlike the other systems' ready-made commits each key is
    // written per commit, but in place, into this thread's buffer (no
    // allocation, no copy by SQLite).
    auto key = std::make_shared<std::string>(sb::kBenchKeySize, '0');
    *op = [this, thread, value, key](uint64_t seq, std::string* error) {
      std::lock_guard<std::mutex> lock(mu_);
      const bool txn = shape_.entries > 1;
      if (txn && !step(begin_, error)) return false;
      for (uint64_t e = 0; e < shape_.entries; ++e) {
        sb::bench_key_to(key->data(), thread, seq, e);
        sqlite3_bind_blob(insert_, 1, key->data(),
                          static_cast<int>(key->size()), SQLITE_STATIC);
        sqlite3_bind_blob(insert_, 2, value->data(),
                          static_cast<int>(value->size()), SQLITE_STATIC);
        if (!step(insert_, error)) return false;
      }
      return !txn || step(commit_, error);
    };
    return true;
  }

  bool close(std::string* error) override {
    for (sqlite3_stmt** s : {&insert_, &begin_, &commit_}) {
      sqlite3_finalize(*s);
      *s = nullptr;
    }
    if (db_ != nullptr && sqlite3_close(db_) != SQLITE_OK) {
      *error = "SQLite: close failed";
      return false;
    }
    db_ = nullptr;
    return true;
  }

 private:
  bool fail(const std::string& what, std::string* error) {
    *error = "SQLite: " + what + ": " +
             (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory");
    return false;
  }
  bool prepare(const char* sql, sqlite3_stmt** stmt, std::string* error) {
    if (sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) != SQLITE_OK) {
      return fail(std::string("prepare ") + sql, error);
    }
    return true;
  }
  bool step(sqlite3_stmt* stmt, std::string* error) {
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return fail("step", error);
    return true;
  }

  bool full_;
  CellShape shape_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

}  // namespace

std::unique_ptr<Subject> new_ceiling(bool sync, const CellShape& shape) {
  return std::make_unique<Ceiling>(sync, shape);
}
std::unique_ptr<Subject> new_parallel_sync_ceiling(const CellShape& shape) {
  return std::make_unique<ParallelSyncCeiling>(shape);
}
std::unique_ptr<Subject> new_strata(const sb::StrataWorkload& w) {
  return std::make_unique<Strata>(w);
}
std::unique_ptr<Subject> new_rocksdb(bool sync, const CellShape& shape) {
  return std::make_unique<RocksDb>(sync, shape);
}
std::unique_ptr<Subject> new_leveldb(bool sync, const CellShape& shape) {
  return std::make_unique<LevelDb>(sync, shape);
}
std::unique_ptr<Subject> new_sqlite(bool full, const CellShape& shape) {
  return std::make_unique<Sqlite>(full, shape);
}

}  // namespace strata_compare
