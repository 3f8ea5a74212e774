// ManualClockEnv: an Env whose clocks move only when a test says so, so
// that timers (the Batched syncer) fire at chosen points and a run that
// depends on time is deterministic.
//
// It forwards every file operation to another Env and replaces the two
// clocks: monotonic_nanos() starts at 0 and now_micros() at the target's
// wall clock when this Env was made, and both move only in advance(). Its
// Sleepers sleep until wake() or until advance() reaches their deadline.
//
// advance() first waits until the clock is quiet, then moves it, then
// waits until it is quiet again: "quiet" means every live Sleeper of this
// Env is asleep with a deadline still ahead. So when advance() returns,
// every timer the move fired has done its work (a sync, say) and gone
// back to sleep, and a test that runs in one thread besides its timers
// sees each of them act at a fixed point of its own sequence. A Sleeper
// must therefore belong to a thread that goes back to sleep after each
// wake-up, and be destroyed when that thread stops (LogWriter does both).

#ifndef STRATA_DURABILITY_TESTING_MANUAL_CLOCK_ENV_H_
#define STRATA_DURABILITY_TESTING_MANUAL_CLOCK_ENV_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

#include "strata/durability/env.h"

namespace strata::durability::testing {

class ManualClockEnv : public EnvWrapper {
 public:
  // Forwards to `target`, which must outlive this object.
  explicit ManualClockEnv(Env* target);
  // Every Sleeper must be destroyed before the Env.
  ~ManualClockEnv() override;

  uint64_t now_micros() override;
  uint64_t monotonic_nanos() override;
  std::unique_ptr<Sleeper> new_sleeper() override;

  // Moves both clocks forward, waking every Sleeper whose deadline the
  // move reaches, and returns once the clock is quiet (see above).
  void advance(uint64_t nanos);
  void advance_ms(uint64_t ms) { advance(ms * 1000 * 1000); }
  // Returns once every live Sleeper is asleep with its deadline ahead.
  void wait_until_quiet();
  // Live Sleepers (one per Batched LogWriter that is open).
  std::size_t sleepers() const;

  class ManualSleeper;

 private:
  friend class ManualSleeper;
  bool quiet_locked() const;

  const uint64_t wall_start_micros_;
  mutable std::mutex mu_;
  std::condition_variable quiet_cv_;  // a sleeper went to sleep or went away
  uint64_t now_nanos_ = 0;
  std::set<ManualSleeper*> sleepers_;
};

}  // namespace strata::durability::testing

#endif  // STRATA_DURABILITY_TESTING_MANUAL_CLOCK_ENV_H_
