// Our three logs as benchmark subjects, one commit per operation, shared by
// `strata-wal bench` and bench/compare so both run the same workload:
//
//   raw    the log core (LogWriter, LogKind::kRaw): one append of a batch
//          of `entries` records of `value_size` bytes.
//   mvcc   the MVCC WAL: append_transaction of BeginTxn, `entries` Writes
//          of a `value_size`-byte string value under a 16-byte key, and
//          CommitTxn, as one batch.
//   txlog  the Transaction Log: commit_atomic of a Transaction of `entries`
//          kv_puts (16-byte key, `value_size`-byte value), written with
//          its commit marker as one batch.
//
// Each thread builds a ring of commit_ring_size() ready-made commits
// before the clock starts (the MVCC transactions' entries, the txlog
// Transactions, the raw records), and each timed operation takes the next
// one, so that the operation measures the log and not the building of its
// input (which a write() ceiling does not pay either); bench/compare's
// other systems get the same treatment. The keys therefore repeat once per
// ring cycle: a log's cost does not depend on whether a key is new. The
// MVCC transaction id (and the Writes' version) is patched in place per
// commit, so ids stay distinct as a user's would; a txlog Transaction keeps
// its tx id, which recovery takes as a new transaction after each commit
// marker.
//
// With async_depth > 0 each thread commits with the asynchronous forms
// (append_async, append_transaction_async, commit_atomic_async) and keeps
// up to that many commits in flight: an operation returns once its commit
// is written, after waiting for a free slot; the commit latency (from the
// call to the callback) goes to async_latency().

#ifndef STRATA_DURABILITY_BENCH_HARNESS_STRATA_LOGS_H_
#define STRATA_DURABILITY_BENCH_HARNESS_STRATA_LOGS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "strata/durability/durability_mode.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/status.h"
#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_writer.h"
#include "strata/durability/uuid.h"
#include "harness/driver.h"

namespace strata_bench {

enum class StrataLogKind { kRaw, kMvcc, kTxLog };

inline std::optional<StrataLogKind> parse_strata_log_kind(
    std::string_view name) {
  if (name == "raw") return StrataLogKind::kRaw;
  if (name == "mvcc") return StrataLogKind::kMvcc;
  if (name == "txlog") return StrataLogKind::kTxLog;
  return std::nullopt;
}

inline const char* strata_log_kind_name(StrataLogKind kind) {
  switch (kind) {
    case StrataLogKind::kRaw:
      return "raw";
    case StrataLogKind::kMvcc:
      return "mvcc";
    case StrataLogKind::kTxLog:
      return "txlog";
  }
  return "?";
}

constexpr std::size_t kBenchKeySize = 16;

// A 16-byte key, distinct per (thread, seq, entry), written at `out`: the
// digits of "%02u%010llu%04llu" (thread, seq, entry), by hand (snprintf's
// cost would be charged to every system's commit where a key is built per
// commit, as SQLite's must be).
inline void bench_key_to(char* out, unsigned thread, uint64_t seq,
                         uint64_t entry) {
  auto put = [out](std::size_t end, std::size_t digits, uint64_t v) {
    for (std::size_t i = 0; i < digits; ++i) {
      out[end - 1 - i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(2, 2, thread % 100);
  put(12, 10, seq % 10000000000ULL);
  put(16, 4, entry % 10000);
}
inline std::string bench_key(unsigned thread, uint64_t seq, uint64_t entry) {
  std::string key(kBenchKeySize, '0');
  bench_key_to(key.data(), thread, seq, entry);
  return key;
}

// How many ready-made commits each thread keeps (see the top of the file):
// 256, fewer when a commit is large so that a ring stays within about
// 8 MiB per thread, and at least one.
inline uint64_t commit_ring_size(uint64_t entries, std::size_t value_size) {
  constexpr uint64_t kMaxCommits = 256;
  constexpr uint64_t kMaxBytes = 8ULL << 20;
  const uint64_t per_commit =
      entries * (value_size + kBenchKeySize + 64) + 1;  // + object overhead
  const uint64_t n = kMaxBytes / per_commit;
  return n < 1 ? 1 : (n > kMaxCommits ? kMaxCommits : n);
}

// `size` bytes of varied printable text (not one repeated byte, so that no
// layer gets an unfair gift from compression).
inline std::string bench_value(std::size_t size, uint64_t seed) {
  std::string v(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v[i] = static_cast<char>('!' + x % 94);
  }
  return v;
}

struct StrataWorkload {
  StrataLogKind kind = StrataLogKind::kRaw;
  strata::durability::DurabilityMode mode =
      strata::durability::DurabilityMode::strict();
  uint64_t entries = 1;
  std::size_t value_size = 128;
  uint64_t segment_size = 0;                 // 0: the library's default
  std::optional<bool> preallocate_segments;  // unset: the mode's default
  uint64_t async_depth = 0;                  // 0: synchronous commits
};

// One open log of any kind; make_operation() gives each driver thread its
// commit loop.
class StrataLog {
 public:
  // Creates the log in `dir` (which must not hold a log of another kind).
  static strata::durability::Result<std::unique_ptr<StrataLog>> open(
      const std::string& dir, const StrataWorkload& w) {
    namespace sd = strata::durability;
    std::unique_ptr<StrataLog> log(new StrataLog(w));
    if (w.kind == StrataLogKind::kRaw) {
      sd::log::LogWriterOptions o;
      o.mode = w.mode;
      o.kind = sd::log::LogKind::kRaw;
      if (w.segment_size > 0) o.segment_size = w.segment_size;
      o.preallocate_segments = w.preallocate_segments;
      o.preallocate_new_log = w.preallocate_segments.value_or(true);
      auto r = sd::log::LogWriter::open(dir, o);
      if (!r.ok()) return r.status();
      log->raw_ = std::move(r).value();
    } else if (w.kind == StrataLogKind::kMvcc) {
      sd::mvcc::WalOptions o;
      o.mode = w.mode;
      if (w.segment_size > 0) o.segment_size = w.segment_size;
      o.preallocate_segments = w.preallocate_segments;
      o.preallocate_new_log = w.preallocate_segments.value_or(true);
      auto r = sd::mvcc::WAL::open(dir, o);
      if (!r.ok()) return r.status();
      log->mvcc_ = std::move(r).value();
    } else {
      sd::txlog::WalWriterOptions o;
      o.mode = w.mode;
      if (w.segment_size > 0) o.segment_size = w.segment_size;
      o.preallocate_segments = w.preallocate_segments;
      o.preallocate_new_log = w.preallocate_segments.value_or(true);
      auto r = sd::txlog::WalWriter::open(dir, o);
      if (!r.ok()) return r.status();
      log->txlog_ = std::move(r).value();
    }
    return log;
  }

  // Thread `thread`'s operation: one commit per call.
  Operation make_operation(unsigned thread) {
    namespace sd = strata::durability;
    const StrataWorkload w = workload_;
    // One commit; with a callback, asynchronously.
    using Commit =
        std::function<sd::Status(uint64_t seq, sd::log::AppendCallback * done)>;
    Commit commit;
    auto value =
        std::make_shared<std::string>(bench_value(w.value_size, thread + 1));
    if (raw_) {
      auto records = std::make_shared<std::vector<std::string_view>>(
          w.entries, std::string_view(*value));
      sd::log::LogWriter* writer = raw_.get();
      commit = [writer, value, records](uint64_t,
                                        sd::log::AppendCallback* done) {
        auto r = done != nullptr
                     ? writer->append_async(*records, std::move(*done))
                     : writer->append(*records);
        return r.status();
      };
    } else if (mvcc_) {
      namespace mv = sd::mvcc;
      mv::WAL* wal = mvcc_.get();
      std::atomic<uint64_t>* next_txn = &next_txn_;
      const sd::Uuid run = run_;
      const mv::Namespace ns = mv::Namespace::for_run(run);
      // The ring: BeginTxn, `entries` Writes, CommitTxn per commit, laid
      // out one commit after the other; the ids are patched per commit.
      const uint64_t ring = commit_ring_size(w.entries, w.value_size);
      const uint64_t per = w.entries + 2;
      auto txns = std::make_shared<std::vector<mv::WALEntry>>();
      txns->reserve(ring * per);
      for (uint64_t c = 0; c < ring; ++c) {
        txns->emplace_back(mv::BeginTxn{0, run, 0});
        for (uint64_t e = 0; e < w.entries; ++e) {
          txns->emplace_back(
              mv::Write{run, mv::Key::new_kv(ns, bench_key(thread, c, e)),
                        mv::Value::string(*value), 0});
        }
        txns->emplace_back(mv::CommitTxn{0, run});
      }
      commit = [wal, next_txn, txns, ring, per](uint64_t seq,
                                                sd::log::AppendCallback* done) {
        const uint64_t id = next_txn->fetch_add(1) + 1;
        mv::WALEntry* t = txns->data() + (seq % ring) * per;
        std::get<mv::BeginTxn>(t[0].variant()).txn_id = id;
        for (uint64_t e = 1; e + 1 < per; ++e) {
          std::get<mv::Write>(t[e].variant()).version = id;
        }
        std::get<mv::CommitTxn>(t[per - 1].variant()).txn_id = id;
        const std::span<const mv::WALEntry> entries(t, per);
        auto r = done != nullptr
                     ? wal->append_transaction_async(entries, std::move(*done))
                     : wal->append_transaction(entries);
        return r.status();
      };
    } else {
      namespace tx = sd::txlog;
      tx::WalWriter* writer = txlog_.get();
      const uint64_t ring = commit_ring_size(w.entries, w.value_size);
      auto txns = std::make_shared<std::vector<tx::Transaction>>();
      txns->reserve(ring);
      for (uint64_t c = 0; c < ring; ++c) {
        auto t = tx::Transaction::for_run(run_);
        for (uint64_t e = 0; e < w.entries; ++e) {
          t.kv_put(bench_key(thread, c, e), *value);
        }
        txns->push_back(std::move(t));
      }
      commit = [writer, txns, ring](uint64_t seq,
                                    sd::log::AppendCallback* done) {
        const tx::Transaction& t = (*txns)[seq % ring];
        auto r = done != nullptr
                     ? writer->commit_atomic_async(t, std::move(*done))
                     : writer->commit_atomic(t);
        return r.status();
      };
    }
    if (w.async_depth == 0) {
      return [commit](uint64_t seq, std::string* error) {
        sd::Status s = commit(seq, nullptr);
        if (!s.ok()) *error = s.to_string();
        return s.ok();
      };
    }
    std::shared_ptr<AsyncSlots> slots;
    {
      std::lock_guard<std::mutex> l(async_mu_);
      slots = async_slots_.emplace_back(std::make_shared<AsyncSlots>());
    }
    const uint64_t depth = w.async_depth;
    return [commit, slots, depth](uint64_t seq, std::string* error) {
      {
        std::unique_lock<std::mutex> l(slots->mu);
        slots->cv.wait(l, [&] { return slots->in_flight < depth; });
        if (!slots->error.empty()) {
          *error = slots->error;
          return false;
        }
        ++slots->in_flight;
      }
      const auto start = std::chrono::steady_clock::now();
      sd::log::AppendCallback done = [slots, start](const sd::Status& s) {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        std::lock_guard<std::mutex> l(slots->mu);
        slots->latency.record(static_cast<uint64_t>(ns));
        if (!s.ok() && slots->error.empty()) slots->error = s.to_string();
        --slots->in_flight;
        slots->cv.notify_all();
      };
      sd::Status s = commit(seq, &done);
      if (!s.ok()) {
        *error = s.to_string();
        return false;
      }
      return true;
    };
  }

  // With async_depth > 0: the commit latencies (call to callback) and the
  // first callback error, once the log is closed.
  LatencyHistogram async_latency() const {
    LatencyHistogram h;
    std::lock_guard<std::mutex> l(async_mu_);
    for (const auto& s : async_slots_) {
      std::lock_guard<std::mutex> sl(s->mu);
      h.merge(s->latency);
    }
    return h;
  }
  std::string async_error() const {
    std::lock_guard<std::mutex> l(async_mu_);
    for (const auto& s : async_slots_) {
      std::lock_guard<std::mutex> sl(s->mu);
      if (!s->error.empty()) return s->error;
    }
    return {};
  }

  // Bytes the log has written so far, framing included.
  uint64_t bytes_written() const {
    if (raw_) return raw_->stats().bytes;
    if (mvcc_) return mvcc_->stats().bytes;
    return txlog_->log().stats().bytes;
  }
  strata::durability::log::LogWriterStats stats() const {
    if (raw_) return raw_->stats();
    if (mvcc_) return mvcc_->stats();
    return txlog_->log().stats();
  }

  strata::durability::Status close() {
    if (raw_) return raw_->close();
    if (mvcc_) return mvcc_->close();
    return txlog_->close();
  }

 private:
  explicit StrataLog(const StrataWorkload& w)
      : workload_(w), run_(strata::durability::Uuid::new_v7()) {}

  // One driver thread's commits in flight.
  struct AsyncSlots {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t in_flight = 0;
    std::string error;
    LatencyHistogram latency;
  };

  StrataWorkload workload_;
  strata::durability::Uuid run_;
  mutable std::mutex async_mu_;
  std::vector<std::shared_ptr<AsyncSlots>> async_slots_;
  std::atomic<uint64_t> next_txn_{0};
  std::unique_ptr<strata::durability::log::LogWriter> raw_;
  std::unique_ptr<strata::durability::mvcc::WAL> mvcc_;
  std::unique_ptr<strata::durability::txlog::WalWriter> txlog_;
};

}  // namespace strata_bench

#endif  // STRATA_DURABILITY_BENCH_HARNESS_STRATA_LOGS_H_
