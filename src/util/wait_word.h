// WaitWord: a 32-bit word one thread sleeps on until another changes it.
//
// The log writer's followers sleep on one each, so that waking one is a
// single futex wake and the woken thread goes straight back to its caller,
// without taking any mutex. On Linux it is the futex itself; elsewhere
// std::atomic's wait and notify.
//
// wake() may be called after the sleeper has seen the new value and gone
// (even after the word's memory was reused): a futex wake on such an
// address at most wakes some other futex sleeper spuriously, and every
// sleeper re-checks its condition. That lets the waker store the value and
// wake without holding a lock that keeps the sleeper from returning.

#ifndef STRATA_DURABILITY_SRC_UTIL_WAIT_WORD_H_
#define STRATA_DURABILITY_SRC_UTIL_WAIT_WORD_H_

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace strata::durability {

class WaitWord {
 public:
  explicit WaitWord(uint32_t value = 0) : word_(value) {}
  WaitWord(const WaitWord&) = delete;
  WaitWord& operator=(const WaitWord&) = delete;

  uint32_t load() const { return word_.load(std::memory_order_acquire); }

  // Publishes `value` (with everything written before it) without waking.
  void store(uint32_t value) { word_.store(value, std::memory_order_release); }

  // Sleeps until the word differs from `value`; returns the new value.
  uint32_t wait_while(uint32_t value) {
    uint32_t v = load();
    while (v == value) {
#if defined(__linux__)
      // EAGAIN (already changed) and EINTR both just mean: look again.
      syscall(SYS_futex, address(), FUTEX_WAIT_PRIVATE, value, nullptr, nullptr,
              0);
#else
      word_.wait(value, std::memory_order_acquire);
#endif
      v = load();
    }
    return v;
  }

  // Wakes the thread sleeping on the word, if any. Only the address is
  // used (see the top of the file).
  static void wake(WaitWord* w) {
#if defined(__linux__)
    syscall(SYS_futex, w->address(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
            0);
#else
    w->word_.notify_one();
#endif
  }

 private:
  uint32_t* address() { return reinterpret_cast<uint32_t*>(&word_); }

  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  std::atomic<uint32_t> word_;
};

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_SRC_UTIL_WAIT_WORD_H_
