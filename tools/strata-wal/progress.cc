// The stderr progress bar (see progress.h).

#include "progress.h"

#include <cstdio>

#include <fmt/core.h>

#include "cli_util.h"

namespace strata_wal {

ProgressBar::ProgressBar(std::string label, uint64_t total, bool quiet,
                         std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(!quiet && stderr_is_tty()),
      last_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  draw(done);
}

void ProgressBar::draw(uint64_t done) {
  constexpr int kWidth = 30;
  if (total_ > 0) {
    const double frac = done >= total_ ? 1.0
                                       : static_cast<double>(done) /
                                             static_cast<double>(total_);
    const int fill = static_cast<int>(frac * kWidth);
    fmt::print(stderr, "\r{} [{}{}] {:3.0f}% {}/{} {}", label_,
               std::string(static_cast<std::size_t>(fill), '#'),
               std::string(static_cast<std::size_t>(kWidth - fill), '.'),
               frac * 100.0, done, total_, unit_);
  } else {
    fmt::print(stderr, "\r{} {} {}", label_, done, unit_);
  }
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace strata_wal
