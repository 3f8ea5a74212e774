// ManualClockEnv: clocks that move only in advance(), and Sleepers that
// let advance() know when every timer is asleep again.

#include "strata/durability/testing/manual_clock_env.h"

namespace strata::durability::testing {

// One timer's sleep. Its state is guarded by the clock's mutex; the
// caller's mutex (the writer's) is always taken first and never while
// holding the clock's, so the two cannot deadlock.
class ManualClockEnv::ManualSleeper final : public Sleeper {
 public:
  explicit ManualSleeper(ManualClockEnv* clock) : clock_(clock) {
    std::lock_guard<std::mutex> g(clock_->mu_);
    clock_->sleepers_.insert(this);
  }
  ~ManualSleeper() override {
    std::lock_guard<std::mutex> g(clock_->mu_);
    clock_->sleepers_.erase(this);
    clock_->quiet_cv_.notify_all();
  }

  void sleep_until(std::unique_lock<std::mutex>& lock,
                   uint64_t deadline_nanos) override {
    std::unique_lock<std::mutex> g(clock_->mu_);
    // A wake() that came while the thread was awake is not lost: the next
    // sleep returns at once, as a spurious wake-up would.
    if (woken_ || clock_->now_nanos_ >= deadline_nanos) {
      woken_ = false;
      return;
    }
    asleep_ = true;
    deadline_nanos_ = deadline_nanos;
    clock_->quiet_cv_.notify_all();
    // Released while the clock's mutex is held, so no wake() or advance()
    // can slip in between and be missed.
    lock.unlock();
    cv_.wait(g, [this] { return woken_; });
    woken_ = false;
    g.unlock();
    lock.lock();
  }

  void wake() override {
    std::lock_guard<std::mutex> g(clock_->mu_);
    wake_locked();
  }

  // Under the clock's mutex.
  void wake_locked() {
    woken_ = true;
    asleep_ = false;
    cv_.notify_all();
  }
  bool asleep() const { return asleep_; }
  uint64_t deadline_nanos() const { return deadline_nanos_; }

 private:
  ManualClockEnv* clock_;
  std::condition_variable cv_;
  bool asleep_ = false;
  bool woken_ = false;
  uint64_t deadline_nanos_ = 0;
};

ManualClockEnv::ManualClockEnv(Env* target)
    : EnvWrapper(target), wall_start_micros_(target->now_micros()) {}

ManualClockEnv::~ManualClockEnv() = default;

uint64_t ManualClockEnv::now_micros() {
  std::lock_guard<std::mutex> g(mu_);
  return wall_start_micros_ + now_nanos_ / 1000;
}

uint64_t ManualClockEnv::monotonic_nanos() {
  std::lock_guard<std::mutex> g(mu_);
  return now_nanos_;
}

std::unique_ptr<Sleeper> ManualClockEnv::new_sleeper() {
  return std::make_unique<ManualSleeper>(this);
}

bool ManualClockEnv::quiet_locked() const {
  for (const ManualSleeper* s : sleepers_) {
    if (!s->asleep() || s->deadline_nanos() <= now_nanos_) return false;
  }
  return true;
}

void ManualClockEnv::advance(uint64_t nanos) {
  std::unique_lock<std::mutex> g(mu_);
  quiet_cv_.wait(g, [this] { return quiet_locked(); });
  now_nanos_ += nanos;
  for (ManualSleeper* s : sleepers_) {
    if (s->deadline_nanos() <= now_nanos_) s->wake_locked();
  }
  quiet_cv_.wait(g, [this] { return quiet_locked(); });
}

void ManualClockEnv::wait_until_quiet() {
  std::unique_lock<std::mutex> g(mu_);
  quiet_cv_.wait(g, [this] { return quiet_locked(); });
}

std::size_t ManualClockEnv::sleepers() const {
  std::lock_guard<std::mutex> g(mu_);
  return sleepers_.size();
}

}  // namespace strata::durability::testing
