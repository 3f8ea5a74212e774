// crash_recover: a real crash, and what the log core recovers from it.
//
//   crash_recover [--rounds N] [--seed S] [--no-tear] [--keep] [LOG_DIR]
//
// Each round forks a child that opens a LogWriter in Strict mode and appends
// records "record-<n>" in batches, reporting every acknowledged LSN to the
// parent through a pipe. After a random short time the parent kills the
// child with SIGKILL, in the middle of whatever it was doing. The parent
// then reads the log with a LogReader, prints what it recovered and the
// problems it met, and checks that every acknowledged record is there with
// its payload. Finally it reopens a LogWriter (which cuts a torn tail off),
// appends a few more records, and reads the whole log once more.
//
// A SIGKILL rarely tears a record: the kernel finishes a write() the process
// had started. What a power cut can leave, a half-written record at the end,
// is therefore simulated after the last round (unless --no-tear): a few
// stray bytes are appended to the last segment, and the reader must report
// them as a torn tail, not as corruption, and lose no acknowledged record.
//
// Exits 0 only when every acknowledged record was recovered and the log
// reads back clean after the reopen. Without LOG_DIR a temporary directory
// is used and removed afterwards (unless --keep).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/durability/durability_mode.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_types.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace {

namespace sd = strata::durability;
namespace sl = strata::durability::log;

// What the child tells the parent once an append has returned: the record's
// LSN and its number n (its payload is "record-<n>"). 16 bytes, so one
// write() to a pipe is atomic.
struct Ack {
  uint64_t lsn;
  uint64_t n;
};

// Small segments, so that a run crosses a few segment rotations.
constexpr uint64_t kSegmentSize = 8 * 1024;

std::string payload_for(uint64_t n) { return "record-" + std::to_string(n); }

// Writes all of `len` bytes; false on error.
bool write_all(int fd, const void* data, std::size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t w = ::write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    len -= static_cast<std::size_t>(w);
  }
  return true;
}

// The child: append batches in Strict mode until killed. Never returns.
[[noreturn]] void run_child(const std::string& dir, int ack_fd,
                            uint64_t first_n, uint64_t seed) {
  sl::LogWriterOptions options;
  options.mode = sd::DurabilityMode::strict();
  options.segment_size = kSegmentSize;
  auto writer = sl::LogWriter::open(dir, options);
  if (!writer.ok()) {
    std::fprintf(stderr, "child: open failed: %s\n",
                 writer.status().to_string().c_str());
    std::_Exit(2);
  }
  std::mt19937_64 rng(seed);
  uint64_t n = first_n;
  // A bound, in case the parent never kills us.
  const uint64_t last_n = first_n + 1'000'000;
  while (n < last_n) {
    const std::size_t batch = 1 + static_cast<std::size_t>(rng() % 8);
    std::vector<std::string> payloads;
    payloads.reserve(batch);
    for (std::size_t i = 0; i < batch; ++i)
      payloads.push_back(payload_for(n + i));
    std::vector<std::string_view> views(payloads.begin(), payloads.end());
    std::vector<sl::Lsn> lsns(batch);
    auto appended = (*writer)->append(views, sl::AppendOptions{}, lsns);
    if (!appended.ok()) {
      std::fprintf(stderr, "child: append failed: %s\n",
                   appended.status().to_string().c_str());
      std::_Exit(3);
    }
    // Acknowledged: Strict mode returned, so these records are durable.
    for (std::size_t i = 0; i < batch; ++i) {
      Ack ack{lsns[i], n + i};
      if (!write_all(ack_fd, &ack, sizeof ack)) std::_Exit(4);
    }
    n += batch;
  }
  sd::Status closed = (*writer)->close();
  std::_Exit(closed.ok() ? 0 : 5);
}

// Reads whatever acks are in the pipe within `timeout_ms` (all of them, up to
// end of file, when `timeout_ms` is negative). Returns false at end of file.
bool read_acks(int fd, int timeout_ms, std::string* pending,
               std::vector<Ack>* acks) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return true;
      wait_ms = static_cast<int>(left);
    }
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (ready == 0) continue;
    char buf[4096];
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (got == 0) return false;
    pending->append(buf, static_cast<std::size_t>(got));
    while (pending->size() >= sizeof(Ack)) {
      Ack ack;
      std::memcpy(&ack, pending->data(), sizeof ack);
      acks->push_back(ack);
      pending->erase(0, sizeof ack);
    }
  }
}

struct Recovered {
  bool ok = true;       // the read reached the end without an error
  bool no_log = false;  // there is no log (yet) in the directory
  uint64_t segments = 0;
  std::string last_segment;  // path of the last segment file
  uint64_t next_n = 0;       // one past the highest n of any "record-<n>"
  uint64_t records = 0;
  sl::Lsn first_lsn = 0;
  sl::Lsn last_lsn = 0;
  std::map<sl::Lsn, std::string> payloads;
  std::vector<sl::LogProblem> problems;
  uint64_t corruptions = 0;
};

Recovered read_log(const std::string& dir) {
  Recovered out;
  auto reader = sl::LogReader::open(dir);
  if (!reader.ok()) {
    std::printf("  reader: open failed: %s\n",
                reader.status().to_string().c_str());
    out.no_log = reader.status().is_not_found();
    out.ok = false;
    return out;
  }
  sl::LogRecord record;
  while (true) {
    auto more = (*reader)->next(&record);
    if (!more.ok()) {
      std::printf("  reader: stopped: %s\n", more.status().to_string().c_str());
      out.ok = false;
      break;
    }
    if (!*more) break;
    if (out.records == 0) out.first_lsn = record.lsn;
    out.last_lsn = record.lsn;
    ++out.records;
    out.payloads.emplace(record.lsn, std::string(record.payload));
    constexpr std::string_view kPrefix = "record-";
    if (record.payload.substr(0, kPrefix.size()) == kPrefix) {
      std::string digits(record.payload.substr(kPrefix.size()));
      out.next_n = std::max<uint64_t>(
          out.next_n, std::strtoull(digits.c_str(), nullptr, 10) + 1);
    }
  }
  const auto& segments = (*reader)->segments();
  out.segments = segments.size();
  if (!segments.empty()) out.last_segment = segments.back().file;
  out.problems = (*reader)->problems();
  out.corruptions = (*reader)->corruption_count();
  return out;
}

void print_recovered(const Recovered& r) {
  std::printf("  recovered %" PRIu64 " records from %" PRIu64 " segment(s)",
              r.records, r.segments);
  if (r.records > 0) {
    std::printf(", LSN %" PRIu64 " .. %" PRIu64, r.first_lsn, r.last_lsn);
  }
  std::printf("; %zu problem(s), %" PRIu64 " of them corruption\n",
              r.problems.size(), r.corruptions);
  for (const auto& p : r.problems)
    std::printf("    %s\n", p.to_string().c_str());
}

// Every acknowledged record must be in the log, at its LSN, with its payload.
uint64_t check_acks(const Recovered& r, const std::vector<Ack>& acks) {
  uint64_t missing = 0;
  for (const Ack& ack : acks) {
    auto it = r.payloads.find(ack.lsn);
    if (it == r.payloads.end() || it->second != payload_for(ack.n)) {
      if (missing < 10) {
        std::printf(
            "  LOST: acknowledged record %s at LSN %" PRIu64 "%s\n",
            payload_for(ack.n).c_str(), ack.lsn,
            it == r.payloads.end() ? " is missing" : " has another payload");
      }
      ++missing;
    }
  }
  return missing;
}

void usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s [--rounds N] [--seed S] [--no-tear] [--keep] [LOG_DIR]\n"
      "Crashes a Strict-mode writer with SIGKILL and checks that every\n"
      "acknowledged record is recovered.\n",
      argv0);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 1;
  uint64_t seed = std::random_device{}();
  bool keep = false;
  bool tear = true;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--no-tear") {
      tear = false;
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0]);
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && dir.empty()) {
      dir = std::string(arg);
    } else {
      usage(argv[0]);
      return 2;
    }
  }
  if (rounds < 1) rounds = 1;

  std::string temp_root;
  if (dir.empty()) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "strata-crash-XXXXXX")
            .string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    temp_root = tmpl;
    dir = temp_root + "/log";
  }
  std::printf("crash_recover: log in %s, seed %" PRIu64 ", %d round(s)\n",
              dir.c_str(), seed, rounds);

  std::mt19937_64 rng(seed);
  std::vector<Ack> all_acks;
  uint64_t next_n = 0;
  uint64_t lost = 0;
  bool failed = false;

  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    // An existing log: go on numbering after its records.
    Recovered before = read_log(dir);
    next_n = before.next_n;
    std::printf("existing log: %" PRIu64 " records\n", before.records);
  }

  for (int round = 1; round <= rounds && !failed; ++round) {
    int fds[2];
    if (::pipe(fds) != 0) {
      std::perror("pipe");
      return 1;
    }
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    if (pid == 0) {
      ::close(fds[0]);
      run_child(dir, fds[1], next_n, rng());
    }
    ::close(fds[1]);

    const int kill_after_ms = 50 + static_cast<int>(rng() % 250);
    std::vector<Ack> acks;
    std::string pending;
    bool open_pipe = read_acks(fds[0], kill_after_ms, &pending, &acks);
    ::kill(pid, SIGKILL);
    if (open_pipe) read_acks(fds[0], -1, &pending, &acks);
    ::close(fds[0]);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);

    std::printf(
        "round %d: writer killed after %d ms (%s), %zu records acknowledged\n",
        round, kill_after_ms,
        WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL
            ? "SIGKILL"
            : ("exited with " + std::to_string(WEXITSTATUS(wstatus))).c_str(),
        acks.size());
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
      std::printf("  the writer failed on its own before the kill\n");
      failed = true;
    }
    for (const Ack& a : acks) next_n = std::max(next_n, a.n + 1);
    all_acks.insert(all_acks.end(), acks.begin(), acks.end());

    Recovered r = read_log(dir);
    if (tear && round == rounds && !r.last_segment.empty()) {
      // What a power cut in the middle of a write can leave behind: the
      // first bytes of a record that never completed.
      const std::size_t stray = 5 + static_cast<std::size_t>(rng() % 40);
      std::string bytes(stray, '\0');
      for (char& c : bytes) c = static_cast<char>(rng());
      int fd = ::open(r.last_segment.c_str(), O_WRONLY | O_APPEND);
      if (fd < 0 || !write_all(fd, bytes.data(), bytes.size())) {
        std::perror("simulating a torn write");
        return 1;
      }
      ::close(fd);
      std::printf("  simulated a torn write: %zu stray bytes appended to %s\n",
                  stray, r.last_segment.c_str());
      r = read_log(dir);
    }
    // Recovery, read-only: the reader reports a torn tail without cutting it.
    print_recovered(r);
    next_n = std::max(next_n, r.next_n);
    uint64_t missing = check_acks(r, all_acks);
    std::printf("  acknowledged records present: %zu of %zu\n",
                all_acks.size() - missing, all_acks.size());
    lost += missing;
    if (r.no_log && all_acks.empty()) {
      // Killed before the log was created: nothing was promised.
      std::printf("  (the writer was killed before it created the log)\n");
    } else if (!r.ok || missing > 0 || r.corruptions > 0) {
      failed = true;
    }
  }

  // Reopen a writer: it cuts off a torn tail durably and goes on after the
  // last valid record.
  bool reopened = false;
  uint64_t appended_after = 0;
  if (!failed) {
    sl::LogWriterOptions options;
    options.mode = sd::DurabilityMode::strict();
    options.segment_size = kSegmentSize;
    sl::OpenReport report;
    auto writer = sl::LogWriter::open(dir, options, &report);
    if (!writer.ok()) {
      std::printf("reopen: failed: %s\n", writer.status().to_string().c_str());
      failed = true;
    } else {
      reopened = true;
      std::printf("reopen: %" PRIu64 " records in %" PRIu64
                  " segment(s), %" PRIu64
                  " torn bytes cut off, next LSN %" PRIu64 "\n",
                  report.records, report.segments, report.truncated_bytes,
                  report.end_lsn);
      for (const auto& p : report.problems) {
        std::printf("    %s\n", p.to_string().c_str());
      }
      for (int i = 0; i < 10; ++i) {
        uint64_t n = next_n++;
        auto appended = (*writer)->append(payload_for(n));
        if (!appended.ok()) {
          std::printf("reopen: append failed: %s\n",
                      appended.status().to_string().c_str());
          failed = true;
          break;
        }
        all_acks.push_back(Ack{appended->first_lsn, n});
        ++appended_after;
      }
      sd::Status closed = (*writer)->close();
      if (!closed.ok()) {
        std::printf("reopen: close failed: %s\n", closed.to_string().c_str());
        failed = true;
      }
    }
  }

  if (reopened) {
    std::printf("after reopen and %" PRIu64 " more appends:\n", appended_after);
    Recovered r = read_log(dir);
    print_recovered(r);
    uint64_t missing = check_acks(r, all_acks);
    lost += missing;
    if (!r.ok || missing > 0 || !r.problems.empty()) {
      std::printf("  the log does not read back clean after the reopen\n");
      failed = true;
    }
  }

  std::printf("crash_recover: %zu records acknowledged, %" PRIu64 " lost: %s\n",
              all_acks.size(), lost, failed ? "FAILED" : "OK");
  if (!temp_root.empty()) {
    if (keep || failed) {
      std::printf("crash_recover: log kept in %s\n", dir.c_str());
    } else {
      std::filesystem::remove_all(temp_root, ec);
    }
  }
  return failed ? 1 : 0;
}
