// `strata-wal write DIR --log mvcc|txlog ...`: the workload generator.
// Creates the log when DIR is missing or empty, appends otherwise. Each
// transaction is committed with its log's atomic whole-transaction append,
// and, with --ack-file, acknowledged by one write(2) of "<txn_id> <lsn>"
// only after the commit returned, so a test that kills this process knows
// which commits it may expect to find.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "strata/durability/mvcc/replay.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/txlog/wal_reader.h"
#include "strata/durability/txlog/wal_writer.h"
#include "cli_util.h"
#include "commands.h"
#include "log_detect.h"
#include "progress.h"
#include "workload.h"

namespace strata_wal {

namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;

namespace {

// Counts nothing and keeps nothing: replay is run only for max_txn_id and
// final_version, so memory stays flat whatever the log's size.
class NullHandler : public mv::ReplayHandler {
 public:
  sd::Result<mv::ApplyOutcome> on_write(const mv::Write&) override {
    return mv::ApplyOutcome::kApplied;
  }
  sd::Result<mv::ApplyOutcome> on_delete(const mv::Delete&) override {
    return mv::ApplyOutcome::kApplied;
  }
};

// The highest commit version in a Transaction Log, to continue after it.
sd::Result<uint64_t> max_commit_version(const std::string& dir) {
  auto reader = tx::WalReader::open(dir);
  if (!reader.ok()) return reader.status();
  uint64_t max_version = 0;
  tx::WalEntry e;
  while (true) {
    auto more = (*reader)->next_entry(&e);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (e.entry_type == tx::WalEntryType::kTransactionCommit) {
      auto info = e.commit_info();
      if (info.ok() && info->commit_version) {
        max_version = std::max(max_version, *info->commit_version);
      }
    }
  }
  return max_version;
}

// Shared by the writer threads.
struct Shared {
  const WriteArgs* args = nullptr;
  sd::Uuid run;
  int ack_fd = -1;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  std::string error;
  uint64_t base_txn = 0;
  uint64_t base_version = 0;

  void fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (error.empty()) error = message;
    failed = true;
  }
  // The next transaction index, or false when all are taken.
  bool claim(uint64_t* index) {
    if (failed) return false;
    *index = next.fetch_add(1);
    return *index < args->txns;
  }
  void ack(const std::string& id, sd::log::Lsn lsn) {
    if (ack_fd >= 0 && !write_line(ack_fd, fmt::format("{} {}\n", id, lsn))) {
      fail("cannot append to the ack file " + args->ack_file);
    }
    ++done;
  }
};

void mvcc_worker(Shared* s, mv::WAL* wal) {
  const WriteArgs& a = *s->args;
  const mv::Namespace ns = mv::Namespace::for_run(s->run);
  uint64_t i = 0;
  while (s->claim(&i)) {
    const uint64_t txn_id = s->base_txn + i + 1;
    const uint64_t version = s->base_version + i + 1;
    std::vector<mv::WALEntry> entries;
    entries.reserve(a.entries + 2);
    entries.emplace_back(mv::BeginTxn{txn_id, s->run, 0});
    for (uint64_t e = 0; e < a.entries; ++e) {
      entries.emplace_back(mv::Write{
          s->run, mv::Key::new_kv(ns, fmt::format("k{}-{}", txn_id, e)),
          mv::Value::string(derive_value(a.seed, txn_id, e, a.value_size)),
          version});
    }
    entries.emplace_back(mv::CommitTxn{txn_id, s->run});
    auto r = wal->append_transaction(entries);
    if (!r.ok()) {
      s->fail(r.status().to_string());
      return;
    }
    s->ack(std::to_string(txn_id), r->commit_lsn);
  }
}

void txlog_worker(Shared* s, tx::WalWriter* writer) {
  const WriteArgs& a = *s->args;
  uint64_t i = 0;
  while (s->claim(&i)) {
    auto t = tx::Transaction::for_run(s->run);
    for (uint64_t e = 0; e < a.entries; ++e) {
      t.kv_put(fmt::format("k{}-{}", i, e),
               derive_value(a.seed, s->base_version + i + 1, e, a.value_size));
    }
    auto r = writer->commit_atomic(t, s->base_version + i + 1);
    if (!r.ok()) {
      s->fail(r.status().to_string());
      return;
    }
    s->ack(t.id().to_string(), *r);
  }
}

}  // namespace

int run_write(const WriteArgs& args) {
  const bool is_mvcc = args.log == "mvcc";
  Shared s;
  s.args = &args;
  if (args.run.empty()) {
    s.run = sd::Uuid::new_v7();
  } else {
    auto run = sd::Uuid::parse(args.run);
    if (!run.ok()) {
      print_error("write", "--run: '" + args.run + "' is not a UUID");
      return kExitUsage;
    }
    s.run = *run;
  }
  if (args.threads == 0 || args.threads > 256) {
    print_error("write", "--threads must be 1..256");
    return kExitUsage;
  }
  if (args.value_size > (64ULL << 20) || args.entries > 100000) {
    print_error("write",
                "--value-size is at most 64 MiB and --entries at "
                "most 100000");
    return kExitUsage;
  }
  sd::DurabilityMode mode = sd::DurabilityMode::strict();
  if (args.mode == "batched") {
    mode = sd::DurabilityMode::batched(args.interval_ms, args.batch_size);
  } else if (args.mode == "none") {
    mode = sd::DurabilityMode::none();
  }

  std::string error;
  auto empty = dir_is_missing_or_empty(args.dir, &error);
  if (!empty) {
    print_error("write", error);
    return kExitUsage;
  }
  if (*empty) {
    // The library makes the last directory only; make its parents too, as
    // a user of `write` expects of "creates the log".
    std::error_code ec;
    std::filesystem::create_directories(args.dir, ec);
    if (ec) {
      print_error("write", "cannot create " + args.dir + ": " + ec.message());
      return kExitUsage;
    }
  } else if (!holds_only_creation_leftovers(args.dir)) {
    auto log = detect_log(args.dir, &error);
    if (!log) {
      print_error("write", error +
                               "; write creates a log only in a missing "
                               "or empty directory");
      return kExitUsage;
    }
    const auto want =
        is_mvcc ? sd::log::LogKind::kMvcc : sd::log::LogKind::kTxLog;
    if (log->kind && *log->kind != want) {
      print_error("write", args.dir + " holds a " + log_kind_arg(*log->kind) +
                               " log, not a " + args.log + " log");
      return kExitUsage;
    }
  }

  if (!args.ack_file.empty()) {
    s.ack_fd = ::open(args.ack_file.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s.ack_fd < 0) {
      print_error("write", "cannot open the ack file " + args.ack_file + ": " +
                               std::strerror(errno));
      return kExitUsage;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<mv::WAL> wal;
  std::unique_ptr<tx::WalWriter> writer;
  sd::Status open_status;
  if (is_mvcc) {
    mv::WalOptions options;
    options.mode = mode;
    if (args.segment_size > 0) options.segment_size = args.segment_size;
    if (args.no_preallocate) options.preallocate_segments = false;
    auto opened = mv::WAL::open(args.dir, options);
    if (opened.ok()) {
      wal = std::move(opened).value();
      // Continue numbering after what the log holds (the writer has cut
      // any torn tail, so this replay sees a clean log).
      NullHandler none;
      auto stats = mv::replay_wal(args.dir, &none);
      if (stats.ok()) {
        s.base_txn = stats->max_txn_id;
        s.base_version = stats->final_version;
      } else {
        open_status = stats.status();
      }
    } else {
      open_status = opened.status();
    }
  } else {
    tx::WalWriterOptions options;
    options.mode = mode;
    if (args.segment_size > 0) options.segment_size = args.segment_size;
    if (args.no_preallocate) options.preallocate_segments = false;
    auto opened = tx::WalWriter::open(args.dir, options);
    if (opened.ok()) {
      writer = std::move(opened).value();
      auto v = max_commit_version(args.dir);
      if (v.ok()) {
        s.base_version = *v;
      } else {
        open_status = v.status();
      }
    } else {
      open_status = opened.status();
    }
  }
  if (!open_status.ok()) {
    print_error("write", open_status.to_string());
    if (s.ack_fd >= 0) ::close(s.ack_fd);
    return exit_code_for(open_status);
  }

  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < args.threads; ++t) {
    if (is_mvcc) {
      threads.emplace_back(mvcc_worker, &s, wal.get());
    } else {
      threads.emplace_back(txlog_worker, &s, writer.get());
    }
  }
  {
    ProgressBar bar("writing", args.txns, args.quiet, "transactions");
    while (s.done < args.txns && !s.failed) {
      bar.update(s.done);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!bar.enabled()) {
        // Without a bar there is nothing to redraw; just wait for the
        // threads.
        break;
      }
    }
  }
  for (auto& t : threads) t.join();
  sd::Status closed = is_mvcc ? wal->close() : writer->close();
  if (s.ack_fd >= 0) ::close(s.ack_fd);
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  if (s.failed) {
    print_error("write", "after " + std::to_string(s.done.load()) +
                             " transactions: " + s.error);
    return kExitLogProblem;
  }
  if (!closed.ok()) {
    print_error("write", closed.to_string());
    return kExitLogProblem;
  }
  fmt::print(
      "wrote {} transactions of {} entries ({} bytes each) to {} "
      "({}, {}) in {:.1f} ms; run {}\n",
      s.done.load(), args.entries, args.value_size, args.dir, args.log,
      mode.description(), ms, s.run.to_string());
  return kExitOk;
}

}  // namespace strata_wal
