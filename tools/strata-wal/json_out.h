// The JSON forms the contract defines: entries of both logs, MVCC values
// tagged by kind, keys, and problem reports.

#ifndef STRATA_TOOLS_STRATA_WAL_JSON_OUT_H_
#define STRATA_TOOLS_STRATA_WAL_JSON_OUT_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "strata/durability/log/log_types.h"
#include "strata/durability/mvcc/key.h"
#include "strata/durability/mvcc/value.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/txlog/wal_entry.h"

namespace strata_wal {

using Json = nlohmann::json;

std::string base64(std::string_view bytes);
bool is_utf8(std::string_view text);

// {"Int": 5}, {"String": "…"}, {"Bytes": "<base64>"}, {"Array": [...]},
// {"Object": {...}} ... so that types survive.
Json tagged_value(const strata::durability::mvcc::Value& value);
// {"tenant", "app", "agent", "run_id", "type_tag", "user_key"}; a user key
// that is not UTF-8 is base64 with "user_key_encoding": "base64".
Json key_json(const strata::durability::mvcc::Key& key);
// {"kind", "segment", "offset", "length", "lsn", "file", "reason"}.
Json problem_json(const strata::durability::log::LogProblem& problem);

// One MVCC entry: lsn, type, txn_id (framing entries only), run_id,
// version, and the entry's own fields.
Json mvcc_entry_json(strata::durability::log::Lsn lsn,
                     const strata::durability::mvcc::WALEntry& entry);
// One Transaction Log entry: lsn, type, txn_id (unless nil), run_id,
// version (a commit marker's commit version), payload as base64, and the
// decoded fields of marker entries.
Json txlog_entry_json(strata::durability::log::Lsn lsn,
                      const strata::durability::txlog::WalEntry& entry);

// One line of JSON. Invalid UTF-8 that slipped into a string is replaced,
// never thrown.
std::string json_line(const Json& j);

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_JSON_OUT_H_
