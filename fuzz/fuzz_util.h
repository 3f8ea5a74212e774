// Small helpers shared by the libFuzzer targets: a check that aborts with a
// message (so a broken invariant is a finding, not a silent pass) and the
// layout of fuzz_log_reader's input, which make_corpus.cc writes too.

#ifndef STRATA_DURABILITY_FUZZ_FUZZ_UTIL_H_
#define STRATA_DURABILITY_FUZZ_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::abort();                                                   \
    }                                                                 \
  } while (0)

namespace strata::durability::fuzz {

// fuzz_log_reader's input: one control byte, then the files separated by
// kFileSeparator. Control bits:
//   0-1  number of segment files - 1 (1 to 4); fewer when the input has
//        fewer parts
//   2    the first part is a START file (else there is no START)
//   3-4  the number of the first segment file - 1 (1 to 4)
//   5    also open a LogWriter in PointInTime mode afterwards
//   6-7  reader start LSN: 0, or the first LSN of segment 2, 3 or a large one
inline constexpr std::string_view kFileSeparator = "\n#STRATA-FUZZ-FILE#\n";

inline std::vector<std::string_view> split_files(std::string_view data) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t at = data.find(kFileSeparator);
    if (at == std::string_view::npos) {
      parts.push_back(data);
      return parts;
    }
    parts.push_back(data.substr(0, at));
    data.remove_prefix(at + kFileSeparator.size());
  }
}

inline std::string join_files(unsigned char control,
                              const std::vector<std::string>& files) {
  std::string out(1, static_cast<char>(control));
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i > 0) out += kFileSeparator;
    out += files[i];
  }
  return out;
}

}  // namespace strata::durability::fuzz

#endif  // STRATA_DURABILITY_FUZZ_FUZZ_UTIL_H_
