// Helpers shared by the crash and damage suites (tests/crash/): one way to
// write numbered test transactions to each kind of log (raw core log, MVCC
// WAL, Transaction Log) and one way to recover them, so that a sweep can
// check "exactly these transactions, whole, in commit order" for all three
// logs alike; plus copying a log directory's files between Envs.
//
// A test transaction `id` with n parts is: for the raw log, one batch of n
// records "t<id>/<j>/<n>"; for the MVCC WAL, BeginTxn{id}, n Writes whose
// values are "t<id>/<j>/<n>", CommitTxn{id}, as one append_transaction; for
// the Transaction Log, n KvPuts with keys "t<id>/<j>/<n>" and the commit
// marker, as one commit_atomic.

#ifndef STRATA_DURABILITY_TESTS_SUPPORT_CRASH_TEST_UTIL_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_CRASH_TEST_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/txlog/recovery.h"
#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_writer.h"
#include "log/format.h"

namespace strata::durability::crashtest {

// The files of a log directory by name (LOCK left out).
using Files = std::map<std::string, std::string>;

inline Result<Files> snapshot_files(Env* env, const std::string& dir) {
  auto names = env->list_dir(dir);
  if (!names.ok()) return names.status();
  Files files;
  for (const std::string& n : *names) {
    if (n == log::kLockFileName) continue;
    auto bytes = read_file(env, join_path(dir, n));
    if (!bytes.ok()) return bytes.status();
    files[n] = std::move(*bytes);
  }
  return files;
}

// A fresh MemEnv holding `files` in `dir`.
inline std::unique_ptr<Env> env_with(const std::string& dir,
                                     const Files& files) {
  auto env = new_mem_env();
  if (!env->create_dir(dir).ok()) return nullptr;
  for (const auto& [name, bytes] : files) {
    auto f = env->new_writable_file(join_path(dir, name));
    if (!f.ok() || !(*f)->append(bytes).ok() || !(*f)->close().ok()) {
      return nullptr;
    }
  }
  return env;
}

inline std::string part_name(int id, int j, int n) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "t%d/%d/%d", id, j, n);
  std::string s = buf;
  s.resize(24, '.');  // some bulk, so that small segments fill up
  return s;
}

// Parses part_name; false for anything else.
inline bool parse_part(std::string_view s, int* id, int* j, int* n) {
  std::string str(s);
  return std::sscanf(str.c_str(), "t%d/%d/%d", id, j, n) == 3;
}

inline mvcc::RunId crash_run() {
  Uuid::Bytes b{};
  b[0] = 0x01;
  b[6] = 0x70;
  b[15] = 0x42;
  return Uuid(b);
}

// Writes test transactions to a log of one kind.
class TxnLog {
 public:
  static Result<std::unique_ptr<TxnLog>> open(
      log::LogKind kind, Env* env, const std::string& dir, DurabilityMode mode,
      uint64_t segment_size,
      log::RecoveryMode recovery = log::RecoveryMode::kTolerateCorruptedTail,
      bool preallocate = true) {
    auto out = std::unique_ptr<TxnLog>(new TxnLog());
    if (kind == log::LogKind::kRaw) {
      log::LogWriterOptions o;
      o.env = env;
      o.mode = mode;
      o.segment_size = segment_size;
      o.recovery_mode = recovery;
      o.preallocate_segments = preallocate;
      auto w = log::LogWriter::open(dir, o);
      if (!w.ok()) return w.status();
      out->raw_ = std::move(*w);
    } else if (kind == log::LogKind::kMvcc) {
      mvcc::WalOptions o;
      o.env = env;
      o.mode = mode;
      o.segment_size = segment_size;
      o.recovery_mode = recovery;
      o.preallocate_segments = preallocate;
      auto w = mvcc::WAL::open(dir, o);
      if (!w.ok()) return w.status();
      out->mvcc_ = std::move(*w);
    } else {
      txlog::WalWriterOptions o;
      o.env = env;
      o.mode = mode;
      o.segment_size = segment_size;
      o.recovery_mode = recovery;
      o.preallocate_segments = preallocate;
      auto w = txlog::WalWriter::open(dir, o);
      if (!w.ok()) return w.status();
      out->tx_ = std::move(*w);
    }
    return out;
  }

  // Writes transaction `id` with `n` parts as one batch.
  Status write(int id, int n) {
    if (raw_) {
      std::vector<std::string> parts;
      for (int j = 0; j < n; ++j) parts.push_back(part_name(id, j, n));
      std::vector<std::string_view> views(parts.begin(), parts.end());
      return raw_->append(views).status();
    }
    if (mvcc_) {
      const mvcc::RunId run = crash_run();
      std::vector<mvcc::WALEntry> entries;
      entries.push_back(mvcc::BeginTxn{static_cast<uint64_t>(id), run, 1});
      for (int j = 0; j < n; ++j) {
        entries.push_back(mvcc::Write{
            run, mvcc::Key::new_kv(mvcc::Namespace::for_run(run), "k"),
            mvcc::Value::string(part_name(id, j, n)),
            static_cast<uint64_t>(id)});
      }
      entries.push_back(mvcc::CommitTxn{static_cast<uint64_t>(id), run});
      return mvcc_->append_transaction(entries).status();
    }
    txlog::Transaction tx = txlog::Transaction::create();
    for (int j = 0; j < n; ++j) tx.kv_put(part_name(id, j, n), "v");
    return tx_->commit_atomic(tx).status();
  }

  // Retires every segment before the current end of the log, the typed
  // logs' way (a Checkpoint or snapshot marker first).
  Result<uint64_t> retire_to_end() {
    if (raw_) return raw_->remove_segments_before(raw_->end_lsn());
    if (mvcc_) {
      auto cp = mvcc_->checkpoint(crash_run(), 1, {});
      if (!cp.ok()) return cp.status();
      return mvcc_->truncate_before(*cp);
    }
    auto marker = tx_->write_snapshot_marker(crash_run(), tx_->position());
    if (!marker.ok()) return marker.status();
    return tx_->truncate_before(*marker);
  }

  Status sync() {
    if (raw_) return raw_->sync();
    if (mvcc_) return mvcc_->sync();
    return tx_->sync();
  }

  Status close() {
    if (raw_) return raw_->close();
    if (mvcc_) return mvcc_->close();
    return tx_->close();
  }

 private:
  TxnLog() = default;
  std::unique_ptr<log::LogWriter> raw_;
  std::unique_ptr<mvcc::WAL> mvcc_;
  std::unique_ptr<txlog::WalWriter> tx_;
};

// What recovery returned.
struct Recovered {
  Status status;                     // the recovery call's own error
  std::vector<int> txns;             // transaction ids, in commit order
  std::vector<std::string> partial;  // malformed or partial transactions
  std::vector<log::LogProblem> problems;
};

// Checks that the parts of one transaction are exactly 0..n-1 of one id.
inline void check_parts(const std::vector<std::string>& parts, Recovered* out) {
  int id0 = -1;
  int n0 = -1;
  bool ok = !parts.empty();
  for (std::size_t k = 0; ok && k < parts.size(); ++k) {
    int id = 0, j = 0, n = 0;
    ok = parse_part(parts[k], &id, &j, &n);
    if (k == 0) {
      id0 = id;
      n0 = n;
    }
    ok = ok && id == id0 && n == n0 && j == static_cast<int>(k);
  }
  ok = ok && static_cast<int>(parts.size()) == n0;
  if (ok) {
    out->txns.push_back(id0);
  } else {
    std::string d = "partial transaction:";
    for (const auto& p : parts) d += " " + p;
    out->partial.push_back(d);
  }
}

// Recovers the test transactions of the log in `dir`, the way each log's
// own API does it, with `mode`.
inline Recovered recover(log::LogKind kind, Env* env, const std::string& dir,
                         log::RecoveryMode mode) {
  Recovered out;
  if (kind == log::LogKind::kRaw) {
    log::LogReaderOptions o;
    o.env = env;
    o.recovery_mode = mode;
    auto reader = log::LogReader::open(dir, o);
    if (!reader.ok()) {
      out.status = reader.status();
      return out;
    }
    std::vector<std::string> batch;
    log::LogRecord rec;
    while (true) {
      auto more = (*reader)->next(&rec);
      if (!more.ok()) {
        out.status = more.status();
        break;
      }
      if (!*more) break;
      batch.emplace_back(rec.payload);
      if (rec.last_in_batch) {
        check_parts(batch, &out);
        batch.clear();
      }
    }
    if (!batch.empty()) out.partial.push_back("batch without its last record");
    out.problems = (*reader)->problems();
    return out;
  }
  if (kind == log::LogKind::kMvcc) {
    auto read = mvcc::read_wal_entries(dir, env, 0, mode);
    if (!read.ok()) {
      out.status = read.status();
      return out;
    }
    out.problems = read->problems;
    std::vector<std::string> parts;
    bool open = false;
    uint64_t open_id = 0;
    for (const mvcc::WalEntryAt& at : read->entries) {
      const mvcc::WALEntry& e = at.entry;
      if (e.is_checkpoint()) continue;
      if (const auto* b = e.get_if<mvcc::BeginTxn>()) {
        if (open) out.partial.push_back("BeginTxn inside a transaction");
        open = true;
        open_id = b->txn_id;
        parts.clear();
      } else if (const auto* c = e.get_if<mvcc::CommitTxn>()) {
        if (!open || c->txn_id != open_id) {
          out.partial.push_back("CommitTxn without its BeginTxn");
        } else {
          check_parts(parts, &out);
          if (out.partial.empty() &&
              out.txns.back() != static_cast<int>(open_id)) {
            out.partial.push_back("CommitTxn of another transaction");
          }
        }
        open = false;
      } else if (const auto* w = e.get_if<mvcc::Write>()) {
        const std::string* s =
            w->value.is_string() ? &w->value.as_string() : nullptr;
        parts.push_back(s ? *s : std::string("<not a string>"));
      } else {
        out.partial.push_back("unexpected entry " + e.to_string());
      }
    }
    if (open) out.partial.push_back("transaction without its CommitTxn");
    return out;
  }
  txlog::RecoveryOptions o;
  o.env = env;
  o.recovery_mode = mode;
  o.max_corrupt_entries = 1000000;
  auto replay = txlog::RecoveryEngine::replay_wal_committed(dir, 0, o);
  if (!replay.ok()) {
    out.status = replay.status();
    return out;
  }
  out.problems = replay->result.problems;
  for (const txlog::CommittedTransaction& t : replay->transactions) {
    std::vector<std::string> parts;
    for (const txlog::WalEntry& e : t.entries) {
      auto op = txlog::TxEntry::from_wal_entry(e);
      const txlog::KvPutOp* put =
          op.ok() ? op->get_if<txlog::KvPutOp>() : nullptr;
      parts.push_back(put ? put->key : std::string("<not a KvPut>"));
    }
    check_parts(parts, &out);
  }
  return out;
}

inline const char* kind_label(log::LogKind kind) {
  switch (kind) {
    case log::LogKind::kRaw:
      return "raw";
    case log::LogKind::kMvcc:
      return "mvcc";
    case log::LogKind::kTxLog:
      return "txlog";
  }
  return "?";
}

}  // namespace strata::durability::crashtest

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_CRASH_TEST_UTIL_H_
