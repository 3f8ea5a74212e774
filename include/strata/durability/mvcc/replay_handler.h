// ReplayHandler: what replay_wal applies committed transactions to.
//
// Implement it to rebuild your own store from the MVCC WAL; MvccStore is the
// library's in-memory implementation. For each committed transaction that
// passes the replay options, replay calls on_transaction_begin, then one
// data method per entry in log order, then on_transaction_commit. Aborted,
// incomplete and orphaned entries never reach a handler.
//
// A data method returns kApplied or kSkipped (the entry was valid but did
// not apply, e.g. a JsonSet on a document that does not exist); replay
// counts both. An error Status stops replay and is returned from it, so a
// handler whose own storage fails can stop the process cleanly.
//
// Writes and Deletes (nearly every entry of a log) reach a handler through
// on_write_view / on_delete_view: views into replay's read buffer, valid
// only during the call, so that replay copies nothing. Their defaults copy
// the entry into an owned Write / Delete (reusing one, so without
// allocating once it has grown) and call on_write / on_delete: a handler
// that wants owned entries implements those two and nothing changes for
// it. A handler that can work from views derives from ViewReplayHandler
// instead. Entries that replay has to keep past their batch (a
// transaction spread over several batches) are owned by then and go to
// on_write / on_delete directly.

#ifndef STRATA_DURABILITY_MVCC_REPLAY_HANDLER_H_
#define STRATA_DURABILITY_MVCC_REPLAY_HANDLER_H_

#include <cstddef>
#include <cstdint>

#include "strata/durability/log/log_types.h"
#include "strata/durability/mvcc/entry_view.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::mvcc {

enum class ApplyOutcome : uint8_t {
  kApplied = 0,
  kSkipped = 1,
};

// The transaction being applied.
struct TxnInfo {
  uint64_t txn_id = 0;
  RunId run_id;
  uint64_t timestamp = 0;  // from BeginTxn, microseconds
  log::Lsn begin_lsn = 0;
  log::Lsn commit_lsn = 0;
  std::size_t entry_count = 0;  // data entries in the transaction
};

class ReplayHandler {
 public:
  ReplayHandler() = default;
  ReplayHandler(const ReplayHandler&) = delete;
  ReplayHandler& operator=(const ReplayHandler&) = delete;
  virtual ~ReplayHandler() = default;

  virtual Status on_transaction_begin(const TxnInfo& /*txn*/) {
    return Status::ok_status();
  }
  virtual Status on_transaction_commit(const TxnInfo& /*txn*/) {
    return Status::ok_status();
  }

  virtual Result<ApplyOutcome> on_write(const Write& entry) = 0;
  virtual Result<ApplyOutcome> on_delete(const Delete& entry) = 0;

  // The zero-copy forms (see the file comment).
  virtual Result<ApplyOutcome> on_write_view(const WriteView& entry);
  virtual Result<ApplyOutcome> on_delete_view(const DeleteView& entry);

  // JSON and vector entries are skipped unless the handler overrides them.
  virtual Result<ApplyOutcome> on_json_create(const JsonCreate& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }
  virtual Result<ApplyOutcome> on_json_set(const JsonSet& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }
  virtual Result<ApplyOutcome> on_json_delete(const JsonDelete& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }
  virtual Result<ApplyOutcome> on_json_destroy(const JsonDestroy& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }
  virtual Result<ApplyOutcome> on_vector_collection_create(
      const VectorCollectionCreate& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }
  virtual Result<ApplyOutcome> on_vector_collection_delete(
      const VectorCollectionDelete& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }
  virtual Result<ApplyOutcome> on_vector_upsert(const VectorUpsert& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }
  virtual Result<ApplyOutcome> on_vector_delete(const VectorDelete& /*entry*/) {
    return ApplyOutcome::kSkipped;
  }

  // Checkpoints are outside transactions; replay reports each one it
  // passes, in log order.
  virtual Status on_checkpoint(const Checkpoint& /*entry*/, log::Lsn /*lsn*/) {
    return Status::ok_status();
  }

 private:
  // What the default view methods copy into.
  Write write_scratch_;
  Delete delete_scratch_;
};

// A handler that works from views: it implements on_write_view and
// on_delete_view, and owned entries reach those too (as views of
// themselves), so there is one code path.
class ViewReplayHandler : public ReplayHandler {
 public:
  Result<ApplyOutcome> on_write_view(const WriteView& entry) override = 0;
  Result<ApplyOutcome> on_delete_view(const DeleteView& entry) override = 0;

  Result<ApplyOutcome> on_write(const Write& entry) final {
    return on_write_view(WriteView::of(entry));
  }
  Result<ApplyOutcome> on_delete(const Delete& entry) final {
    return on_delete_view(DeleteView::of(entry));
  }
};

// Calls the handler method for a data entry. InvalidArgument for a
// framing entry or a Checkpoint, which are not data.
Result<ApplyOutcome> apply_data_entry(ReplayHandler* handler,
                                      const WALEntry& entry);

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_REPLAY_HANDLER_H_
