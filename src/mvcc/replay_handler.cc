// apply_data_entry: dispatches a data entry to its ReplayHandler method;
// the default view methods, which copy into an owned entry.

#include "strata/durability/mvcc/replay_handler.h"

#include <string>

namespace strata::durability::mvcc {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

Result<ApplyOutcome> ReplayHandler::on_write_view(const WriteView& entry) {
  entry.assign_to(&write_scratch_);
  return on_write(write_scratch_);
}

Result<ApplyOutcome> ReplayHandler::on_delete_view(const DeleteView& entry) {
  entry.assign_to(&delete_scratch_);
  return on_delete(delete_scratch_);
}

Result<ApplyOutcome> apply_data_entry(ReplayHandler* handler,
                                      const WALEntry& entry) {
  using R = Result<ApplyOutcome>;
  return std::visit(
      Overloaded{
          [&](const Write& e) -> R { return handler->on_write(e); },
          [&](const Delete& e) -> R { return handler->on_delete(e); },
          [&](const JsonCreate& e) -> R { return handler->on_json_create(e); },
          [&](const JsonSet& e) -> R { return handler->on_json_set(e); },
          [&](const JsonDelete& e) -> R { return handler->on_json_delete(e); },
          [&](const JsonDestroy& e) -> R {
            return handler->on_json_destroy(e);
          },
          [&](const VectorCollectionCreate& e) -> R {
            return handler->on_vector_collection_create(e);
          },
          [&](const VectorCollectionDelete& e) -> R {
            return handler->on_vector_collection_delete(e);
          },
          [&](const VectorUpsert& e) -> R {
            return handler->on_vector_upsert(e);
          },
          [&](const VectorDelete& e) -> R {
            return handler->on_vector_delete(e);
          },
          [&](const auto&) -> R {
            return Status::invalid_argument(std::string("apply_data_entry: ") +
                                            std::string(entry.type_name()) +
                                            " is not a data entry");
          }},
      entry.variant());
}

}  // namespace strata::durability::mvcc
