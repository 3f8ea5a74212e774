// The load driver shared by `strata-wal bench` and bench/compare: runs one
// operation (a commit, or one raw ceiling write) from N threads, either a
// fixed number of times in total or for a fixed time, and measures the
// rate and each operation's latency. Every system and every ceiling goes
// through this same loop, so its own costs (two clock reads per operation)
// weigh on all of them alike.

#ifndef STRATA_DURABILITY_BENCH_HARNESS_DRIVER_H_
#define STRATA_DURABILITY_BENCH_HARNESS_DRIVER_H_

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace strata_bench {

// Latencies in nanoseconds in log-linear buckets: exact below 32 ns, then
// 32 buckets per power of two, so a percentile is within about 3%.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr uint64_t kSub = 1ULL << kSubBits;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kSub;

  void record(uint64_t ns) {
    ++buckets_[index(ns)];
    ++count_;
    if (ns > max_) max_ = ns;
  }
  void merge(const LatencyHistogram& o) {
    for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += o.buckets_[i];
    count_ += o.count_;
    if (o.max_ > max_) max_ = o.max_;
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }

  // The p-th percentile (0 < p <= 100) in ns: the middle of its bucket,
  // never above the largest value seen. 0 when empty.
  uint64_t percentile(double p) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(count_));
    if (rank == 0) rank = 1;
    if (rank > count_) rank = count_;
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= rank) {
        const uint64_t mid = middle(i);
        return mid < max_ ? mid : max_;
      }
    }
    return max_;
  }

 private:
  static std::size_t index(uint64_t ns) {
    if (ns < kSub) return static_cast<std::size_t>(ns);
    const int msb = 63 - std::countl_zero(ns);
    const int shift = msb - kSubBits;
    const uint64_t sub = (ns >> shift) & (kSub - 1);
    return static_cast<std::size_t>((shift + 1) * kSub + sub);
  }
  static uint64_t middle(std::size_t i) {
    if (i < kSub) return i;
    const uint64_t shift = i / kSub - 1;
    const uint64_t low = (kSub + i % kSub) << shift;
    return low + ((1ULL << shift) >> 1);
  }

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

// One thread's operation: performs operation number `seq` (counted per
// thread from 0); false with *error set stops the run.
using Operation = std::function<bool(uint64_t seq, std::string* error)>;
// Makes thread `thread`'s operation, before the clock starts (per-thread
// buffers, connections, ...). False with *error set cancels the run.
using OperationFactory =
    std::function<bool(unsigned thread, Operation* op, std::string* error)>;

struct DriveOptions {
  unsigned threads = 1;
  // Operations in total across the threads; 0 runs for `seconds` instead
  // (and each thread makes at least one).
  uint64_t ops = 0;
  double seconds = 1.0;
};

struct DriveResult {
  uint64_t ops = 0;    // operations that succeeded
  double seconds = 0;  // from the common start until the last thread ended
  LatencyHistogram latency;
  std::string error;  // the first failure, empty when none
  bool ok() const { return error.empty(); }
  double ops_per_sec() const {
    return seconds > 0 ? static_cast<double>(ops) / seconds : 0;
  }
};

inline DriveResult drive(const DriveOptions& options,
                         const OperationFactory& factory) {
  using Clock = std::chrono::steady_clock;
  DriveResult result;
  const unsigned n = options.threads == 0 ? 1 : options.threads;
  std::vector<Operation> ops(n);
  for (unsigned t = 0; t < n; ++t) {
    if (!factory(t, &ops[t], &result.error)) return result;
  }

  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> claimed{0};
  std::mutex mu;  // guards result.latency, result.ops, result.error
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (unsigned t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      LatencyHistogram local;
      uint64_t done = 0;
      std::string error;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (uint64_t seq = 0;; ++seq) {
        if (options.ops > 0) {
          if (claimed.fetch_add(1, std::memory_order_relaxed) >= options.ops) {
            break;
          }
        } else if (seq > 0 && stop.load(std::memory_order_relaxed)) {
          // A timed run makes at least one operation per thread: on a
          // loaded machine a thread may first run after the deadline, and
          // a rate of zero would be no measurement at all.
          break;
        }
        const auto t0 = Clock::now();
        if (!ops[t](seq, &error)) {
          stop = true;
          claimed = options.ops;  // the other threads stop too
          break;
        }
        const auto t1 = Clock::now();
        local.record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0)
                .count()));
        ++done;
      }
      std::lock_guard<std::mutex> lock(mu);
      result.latency.merge(local);
      result.ops += done;
      if (!error.empty() && result.error.empty()) result.error = error;
    });
  }
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  if (options.ops == 0) {
    const auto end = start + std::chrono::duration<double>(options.seconds);
    // Wake often enough to end soon after a failure stopped the threads.
    while (!stop.load() && Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stop = true;
  }
  for (auto& th : threads) th.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace strata_bench

#endif  // STRATA_DURABILITY_BENCH_HARNESS_DRIVER_H_
