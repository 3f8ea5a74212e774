// Deterministic workload content (see workload.h).

#include "workload.h"

#include <unistd.h>

#include <cerrno>

namespace strata_wal {

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string derive_value(uint64_t seed, uint64_t txn, uint64_t entry,
                         uint64_t size) {
  static constexpr char kChars[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out;
  out.reserve(size);
  uint64_t state = mix64(seed ^ mix64(txn ^ mix64(entry)));
  for (uint64_t i = 0; i < size; ++i) {
    if (i % 8 == 0) state = mix64(state);
    out += kChars[(state >> ((i % 8) * 8)) % 62];
  }
  return out;
}

bool write_line(int fd, const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace strata_wal
