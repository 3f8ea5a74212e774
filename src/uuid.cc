// Uuid: version-7 generation (RFC 9562 §5.7 with the monotonic counter of
// §6.2 method 3), parsing and printing.

#include "strata/durability/uuid.h"

#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace strata::durability {

void fill_random(void* out, std::size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // getrandom cannot fail on Linux >= 3.17 with valid arguments; a
      // failure here means the process cannot make safe ids at all.
      std::abort();
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

namespace {

// Random bytes for ids, drawn from getrandom a block at a time: one system
// call per block rather than per id (a transaction id per commit made it
// the second system call of a None-mode commit). The bytes are the same
// kernel CSPRNG output; a forked child refills before using any, so that
// it never repeats its parent's.
std::atomic<uint64_t> fork_generation{0};

void note_fork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

void pooled_random(uint8_t* out, std::size_t n) {
  struct Pool {
    uint8_t bytes[256];
    std::size_t used = sizeof(bytes);
    uint64_t generation = 0;
  };
  static const bool kRegistered = [] {
    (void)pthread_atfork(nullptr, nullptr, note_fork);
    return true;
  }();
  (void)kRegistered;
  thread_local Pool pool;
  const uint64_t gen = fork_generation.load(std::memory_order_relaxed);
  if (pool.generation != gen || sizeof(pool.bytes) - pool.used < n) {
    fill_random(pool.bytes, sizeof(pool.bytes));
    pool.used = 0;
    pool.generation = gen;
  }
  std::memcpy(out, pool.bytes + pool.used, n);
  // Never hand the same bytes out twice.
  std::memset(pool.bytes + pool.used, 0, n);
  pool.used += n;
}

Uuid make_v7(uint64_t unix_ms, const uint8_t random[10]) {
  Uuid::Bytes b{};
  for (int i = 0; i < 6; ++i) {
    b[i] = static_cast<uint8_t>(unix_ms >> (8 * (5 - i)));
  }
  std::memcpy(&b[6], random, 10);
  b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));  // variant 10
  return Uuid(b);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Uuid Uuid::v7_at(uint64_t unix_ms) {
  uint8_t random[10];
  fill_random(random, sizeof(random));
  return make_v7(unix_ms, random);
}

Uuid Uuid::new_v7() {
  // Ids made in the same millisecond (or after the clock stepped back) take
  // the last id and add one to its 74 random-and-counter bits, so ids from
  // this process are strictly increasing.
  static std::mutex mu;
  static Bytes last{};
  static uint64_t last_ms = 0;

  uint64_t now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  uint8_t random[10];
  pooled_random(random, sizeof(random));

  std::lock_guard<std::mutex> lock(mu);
  Uuid id;
  if (now_ms > last_ms) {
    id = make_v7(now_ms, random);
    last_ms = now_ms;
  } else {
    Bytes b = last;
    // Increment bytes 15..9, then the low 6 bits of byte 8, then the low
    // 4 bits of byte 7/6; on overflow move the timestamp forward by 1 ms.
    int i = 15;
    for (; i >= 9; --i) {
      if (++b[i] != 0) break;
    }
    if (i < 9) {
      uint8_t low = static_cast<uint8_t>((b[8] & 0x3F) + 1);
      b[8] = static_cast<uint8_t>(0x80 | (low & 0x3F));
      if ((low & 0x40) != 0) {
        ++last_ms;
        Bytes fresh = make_v7(last_ms, random).bytes();
        b = fresh;
      }
    }
    id = Uuid(b);
  }
  last = id.bytes();
  return id;
}

Result<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) {
    return Status::invalid_argument("not a UUID (want 36 characters): '" +
                                    std::string(text) + "'");
  }
  Bytes b{};
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') {
        return Status::invalid_argument("not a UUID (missing '-'): '" +
                                        std::string(text) + "'");
      }
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::invalid_argument("not a UUID (bad hex digit): '" +
                                      std::string(text) + "'");
    }
    b[out++] = static_cast<uint8_t>((hi << 4) | lo);
    i += 2;
  }
  return Uuid(b);
}

Result<Uuid> Uuid::from_bytes(std::string_view raw) {
  if (raw.size() != 16) {
    return Status::invalid_argument("a UUID needs 16 bytes, got " +
                                    std::to_string(raw.size()));
  }
  Bytes b{};
  std::memcpy(b.data(), raw.data(), 16);
  return Uuid(b);
}

uint64_t Uuid::unix_ms() const {
  if (version() != 7) return 0;
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes_[i];
  return ms;
}

std::string Uuid::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes_[i] >> 4]);
    out.push_back(kHex[bytes_[i] & 0xF]);
  }
  return out;
}

}  // namespace strata::durability
