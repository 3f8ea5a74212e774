// WalReader: reads the entries of a Transaction Log in LSN order through
// the log core's LogReader, which validates every record and classifies
// every problem (torn tail, corruption, missing segment, bad header).
//
// On top of the core's problems, an entry whose record is intact but which
// does not decode (an unknown type or newer entry version, written by a
// newer library; or a malformed entry) is handled by the recovery mode:
//   kTolerateCorruptedTail, kAbsoluteConsistency  fail with the entry's
//       error (NotSupported or Corruption) and its LSN;
//   kPointInTime  end the log just before that entry, and report it;
//   kSkipAnyCorrupted  skip the entry, report it, and go on.
// Every such entry is a problem in problems(); undecodable entries count
// in corruption_count(), unknown-type or newer-version ones do not (they
// are not damage) but count in skipped_entries() when skipped.

#ifndef STRATA_DURABILITY_TXLOG_WAL_READER_H_
#define STRATA_DURABILITY_TXLOG_WAL_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/result.h"
#include "strata/durability/txlog/wal_entry.h"

namespace strata::durability::txlog {

struct WalReaderOptions {
  Env* env = nullptr;  // nullptr means Env::posix()
  // Start at the first entry whose LSN is >= start_lsn.
  log::Lsn start_lsn = 0;
  log::RecoveryMode recovery_mode = log::RecoveryMode::kTolerateCorruptedTail;
  // Entries with a larger payload are reported as corrupt.
  std::size_t max_payload_size = kDefaultMaxPayloadSize;
};

// An entry and where it is.
struct LoggedEntry {
  log::Lsn lsn = 0;
  WalEntry entry;
};

// An entry the reader skipped (kSkipAnyCorrupted only).
struct SkippedEntry {
  log::Lsn lsn = 0;
  // Its tx id when the header could still be read (e.g. an unknown type).
  std::optional<TxId> tx_id;
  Status reason;
};

// One committed transaction as recovery returns it.
struct CommittedTransaction {
  TxId tx_id;
  // The run of its first entry (all entries of a Transaction share one).
  std::optional<RunId> run_id;
  std::vector<WalEntry> entries;  // in log order
  log::Lsn first_lsn = 0;         // its first entry
  log::Lsn commit_lsn = 0;        // its commit marker
  CommitInfo commit;              // time and version from the marker
  // Entries of this transaction that the reader skipped in
  // kSkipAnyCorrupted mode (then `entries` is not the whole transaction).
  uint64_t skipped_entries = 0;
};

class WalReader {
 public:
  WalReader(const WalReader&) = delete;
  WalReader& operator=(const WalReader&) = delete;
  ~WalReader();

  // Opens the log in `dir` at options.start_lsn. Errors as
  // LogReader::open (NotFound when there is no log); segments of another
  // kind of log are bad_header problems.
  static Result<std::unique_ptr<WalReader>> open(
      const std::string& dir, const WalReaderOptions& options = {});
  // The same, starting at `lsn`.
  static Result<std::unique_ptr<WalReader>> open_at(
      const std::string& dir, log::Lsn lsn, WalReaderOptions options = {});

  // Reads the next entry. True when one was read, false at the end of the
  // log (or, in kPointInTime, at the first problem). An error when the
  // mode does not allow going past a problem.
  Result<bool> next_entry(WalEntry* entry, log::Lsn* lsn = nullptr);

  // Every remaining entry, in order.
  Result<std::vector<LoggedEntry>> read_all();

  // The committed transactions among the remaining entries, in the order
  // of their commit markers. Aborted and unfinished transactions and
  // entries with a nil tx id are dropped; empty committed transactions are
  // dropped too (RecoveryEngine counts them).
  Result<std::vector<CommittedTransaction>> read_committed();

  // Every problem so far: the core's and the entry-level ones, by LSN.
  std::vector<log::LogProblem> problems() const;
  // Problems other than a torn tail, plus undecodable entries.
  uint64_t corruption_count() const;
  // Entries skipped so far (kSkipAnyCorrupted).
  const std::vector<SkippedEntry>& skipped() const { return skipped_; }
  uint64_t skipped_entries() const { return skipped_.size(); }
  // The LSN just past the last valid record read.
  log::Lsn end_lsn() const;
  // Bytes of segment files read so far.
  uint64_t bytes_read() const;
  const log::LogReader& log() const { return *log_; }
  const WalReaderOptions& options() const { return options_; }

 private:
  WalReader(const WalReaderOptions& options,
            std::unique_ptr<log::LogReader> log)
      : options_(options), log_(std::move(log)) {}

  WalReaderOptions options_;
  std::unique_ptr<log::LogReader> log_;
  std::vector<log::LogProblem> entry_problems_;
  std::vector<SkippedEntry> skipped_;
  uint64_t entry_corruptions_ = 0;
  bool stopped_ = false;  // kPointInTime hit an undecodable entry
};

}  // namespace strata::durability::txlog

#endif  // STRATA_DURABILITY_TXLOG_WAL_READER_H_
