// A progress bar on stderr for long reads. It draws only when stderr is a
// terminal and --quiet was not given, so scripts and pipes never see it.

#ifndef STRATA_TOOLS_STRATA_WAL_PROGRESS_H_
#define STRATA_TOOLS_STRATA_WAL_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace strata_wal {

class ProgressBar {
 public:
  // `total` is in `unit`s (bytes or transactions); 0 means unknown.
  ProgressBar(std::string label, uint64_t total, bool quiet,
              std::string unit = "bytes");
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  // Clears the bar's line.
  ~ProgressBar();

  // Redraws at most ten times a second.
  void update(uint64_t done);
  void finish();
  bool enabled() const { return enabled_; }

 private:
  void draw(uint64_t done);

  std::string label_;
  std::string unit_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace strata_wal

#endif  // STRATA_TOOLS_STRATA_WAL_PROGRESS_H_
