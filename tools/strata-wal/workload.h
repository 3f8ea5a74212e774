// Deterministic workload content shared by `write` and `demo`: the bytes of
// each written value derive from the seed, the transaction and the entry,
// so a test can recompute what any acknowledged transaction holds.

#ifndef STRATA_TOOLS_STRATA_WAL_WORKLOAD_H_
#define STRATA_TOOLS_STRATA_WAL_WORKLOAD_H_

#include <cstdint>
#include <string>

namespace strata_wal {

// splitmix64: a tiny, good-enough PRNG step.
uint64_t mix64(uint64_t x);

// `size` printable ASCII bytes (so they read well in dump) from
// (seed, txn, entry).
std::string derive_value(uint64_t seed, uint64_t txn, uint64_t entry,
                         uint64_t size);

// Appends `line` to the open file `fd` with one write(2), retrying on a
// short write. False on failure.
bool write_line(int fd, const std::string& line);

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_WORKLOAD_H_
