// strata_compare: the workloads of issue 8's target table, run in one
// process on one file system through our three logs, RocksDB, LevelDB,
// SQLite and the raw ceiling loops, and printed as paste-ready markdown
// (docs/performance.md).
//
// The machines this runs on are shared and noisy, so every cell (workload x
// system) runs in several short rounds, interleaved: each round runs every
// cell once, in an order rotated by one per round, so that drift in the
// machine's load hits every system alike. A ratio is formed per round
// (against the reference measured in that same round) and the median over
// the rounds is reported with its min-max spread. Cells compared with each
// other across workloads (32 writers with one, Batched with None) share
// one rotation, so they run close together in time.
//
//   strata_compare [--seconds S] [--rounds N] [--dir DIR] [--only ID,...]
//                  [--note TEXT]... [--allow-tmpfs]
//
// --note adds a line to the report's description of the machine (the
// script adds the disk and the library versions).
//
// scripts/compare installs the libraries, builds this and runs it.

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "compare/subjects.h"
#include "harness/driver.h"
#include "harness/strata_logs.h"

namespace strata_compare {
namespace {

namespace fs = std::filesystem;
namespace sb = strata_bench;
using strata::durability::DurabilityMode;

// ---------------------------------------------------------------- setup

struct Options {
  double seconds = 1.0;
  int rounds = 5;
  std::string dir;
  std::vector<std::string> only;
  std::vector<std::string> notes;  // extra lines for the machine's list
  bool allow_tmpfs = false;
};

struct Workload {
  std::string id;
  std::string title;
  std::string reference;  // what the ratio column divides by
  CellShape shape;
};

struct Cell {
  std::string workload;
  std::string key;    // "ceiling", "raw", "mvcc", "txlog", "rocksdb", ...
  std::string label;  // the table's row name
  unsigned threads = 1;
  std::function<std::unique_ptr<Subject>()> make;
  std::vector<double> rate;  // commits/s per round, NaN when it failed
  std::vector<double> p50_us;
  std::vector<double> p99_us;
  std::string error;  // the first failure
};

const double kNaN = std::nan("");

std::vector<Workload> workloads() {
  return {
      {"sync1",
       "One writer, 128 B single-entry commits, synced",
       "the write+fdatasync loop (one 128 B record per fdatasync)",
       {1, 1, 128}},
      {"sync32",
       "32 writers, 128 B single-entry commits, synced",
       "the one-writer write+fdatasync loop of the row above (same round)",
       {32, 1, 128}},
      {"nosync1",
       "One thread, 128 B single-entry commits, not synced",
       "a plain write() of 128 B per commit",
       {1, 1, 128}},
      {"nosync10",
       "One thread, ten-entry transactions of 128 B, not synced",
       "a plain write() of 1280 B per transaction",
       {1, 10, 128}},
      {"batched1",
       "One thread, 128 B single-entry commits, Batched (default settings)",
       "None of the same log, in the one-thread unsynced workload (same "
       "round)",
       {1, 1, 128}},
  };
}

std::vector<Cell> cells_for(const Workload& w) {
  std::vector<Cell> out;
  const CellShape s = w.shape;
  auto add = [&](std::string key, std::string label, unsigned threads,
                 std::function<std::unique_ptr<Subject>()> make) {
    Cell c;
    c.workload = w.id;
    c.key = std::move(key);
    c.label = std::move(label);
    c.threads = threads;
    c.make = std::move(make);
    out.push_back(std::move(c));
  };
  auto strata = [&](sb::StrataLogKind kind, DurabilityMode mode) {
    sb::StrataWorkload sw;
    sw.kind = kind;
    sw.mode = mode;
    sw.entries = s.entries;
    sw.value_size = s.value_size;
    return [sw] { return new_strata(sw); };
  };
  const bool synced = w.id == "sync1" || w.id == "sync32";
  if (w.id == "batched1") {
    const DurabilityMode b = DurabilityMode::batched();
    add("raw", "strata raw log core, Batched", 1,
        strata(sb::StrataLogKind::kRaw, b));
    add("mvcc", "strata MVCC WAL, Batched", 1,
        strata(sb::StrataLogKind::kMvcc, b));
    add("txlog", "strata Transaction Log, Batched", 1,
        strata(sb::StrataLogKind::kTxLog, b));
    return out;
  }
  const DurabilityMode m =
      synced ? DurabilityMode::strict() : DurabilityMode::none();
  const char* mode_name = synced ? "Strict" : "None";
  if (w.id == "sync1") {
    add("ceiling", "ceiling: write+fdatasync, preallocated file", 1,
        [s] { return new_ceiling(true, s); });
  } else if (w.id == "sync32") {
    add("ceiling", "reference: 32 write+fdatasync loops, a file each",
        s.threads, [s] { return new_parallel_sync_ceiling(s); });
  } else if (!synced) {
    add("ceiling", "ceiling: plain write()", 1,
        [s] { return new_ceiling(false, s); });
  }
  add("raw", std::string("strata raw log core, ") + mode_name, s.threads,
      strata(sb::StrataLogKind::kRaw, m));
  add("mvcc", std::string("strata MVCC WAL, ") + mode_name, s.threads,
      strata(sb::StrataLogKind::kMvcc, m));
  add("txlog", std::string("strata Transaction Log, ") + mode_name, s.threads,
      strata(sb::StrataLogKind::kTxLog, m));
  add("rocksdb", synced ? "RocksDB, sync=true" : "RocksDB, sync=false",
      s.threads, [s, synced] { return new_rocksdb(synced, s); });
  add("leveldb", synced ? "LevelDB, sync=true" : "LevelDB, sync=false",
      s.threads, [s, synced] { return new_leveldb(synced, s); });
  add("sqlite",
      synced ? "SQLite WAL, synchronous=FULL"
             : "SQLite WAL, synchronous=NORMAL",
      s.threads, [s, synced] { return new_sqlite(synced, s); });
  return out;
}

// ---------------------------------------------------------------- running

// The workloads measured against another workload's cells.
bool is_secondary(const std::string& workload) {
  return workload == "sync32" || workload == "batched1";
}

std::string schedule_group(const std::string& workload) {
  if (workload == "sync1" || workload == "sync32") return "sync";
  if (workload == "batched1") return "nosync1";
  return workload;
}

void run_cell(Cell* c, const std::string& root, double seconds) {
  static int serial = 0;
  const std::string dir =
      root + "/" + c->workload + "-" + c->key + "-" + std::to_string(++serial);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  std::string error;
  auto subject = c->make();
  double rate = kNaN, p50 = kNaN, p99 = kNaN;
  if (ec) {
    error = "cannot create " + dir + ": " + ec.message();
  } else if (subject->open(dir, &error)) {
    sb::DriveOptions o;
    o.threads = c->threads;
    o.seconds = seconds;
    auto r = sb::drive(o, [&](unsigned t, sb::Operation* op, std::string* e) {
      return subject->make_operation(t, op, e);
    });
    std::string close_error;
    const bool closed = subject->close(&close_error);
    if (!r.ok()) {
      error = r.error;
    } else if (!closed) {
      error = close_error;
    } else {
      rate = r.ops_per_sec();
      p50 = static_cast<double>(r.latency.percentile(50)) / 1e3;
      p99 = static_cast<double>(r.latency.percentile(99)) / 1e3;
    }
  }
  subject.reset();
  fs::remove_all(dir, ec);
  if (!error.empty() && c->error.empty()) c->error = error;
  c->rate.push_back(rate);
  c->p50_us.push_back(p50);
  c->p99_us.push_back(p99);
  std::fprintf(stderr, "  %-9s %-46s %12.0f commits/s%s%s\n",
               c->workload.c_str(), c->label.c_str(), rate,
               error.empty() ? "" : "  FAILED: ", error.c_str());
}

// ---------------------------------------------------------------- figures

struct Spread {
  double median = kNaN, min = kNaN, max = kNaN;
  bool valid() const { return !std::isnan(median); }
};

Spread spread(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(),
                         [](double x) { return std::isnan(x); }),
          v.end());
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

// Per-round a[r] / b[r].
std::vector<double> per_round(const std::vector<double>& a,
                              const std::vector<double>& b) {
  std::vector<double> out;
  for (std::size_t r = 0; r < a.size() && r < b.size(); ++r) {
    out.push_back(b[r] > 0 ? a[r] / b[r] : kNaN);
  }
  return out;
}

std::string fmt_rate(double x) {
  if (std::isnan(x)) return "n/a";
  char buf[32];
  if (x >= 100) {
    std::snprintf(buf, sizeof(buf), "%.0f", x);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f", x);
  }
  // Thin groups of three digits for reading: 1234567 -> 1 234 567.
  std::string s(buf);
  const auto dot = s.find('.');
  std::string whole = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot);
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ' ';
    grouped += whole[i];
  }
  return grouped + frac;
}

std::string fmt_ratio(double x) {
  if (std::isnan(x)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), x >= 10 ? "%.1f" : "%.2f", x);
  return buf;
}

std::string fmt_us(double us) {
  if (std::isnan(us)) return "n/a";
  char buf[32];
  if (us < 1000) {
    std::snprintf(buf, sizeof(buf), "%.1f µs", us);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f ms", us / 1000);
  }
  return buf;
}

std::string fmt_spread(const Spread& s, std::string (*f)(double)) {
  if (!s.valid()) return "n/a";
  return f(s.min) + "–" + f(s.max);
}

// ---------------------------------------------------------------- machine

// "1.20 0.90 0.70" from /proc/loadavg.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string fs_type_name(long type) {
  switch (static_cast<unsigned long>(type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "0x%lx",
                    static_cast<unsigned long>(type));
      return buf;
    }
  }
}

// The mount (device and point) holding `path`, from /proc/mounts.
std::string mount_of(const std::string& path) {
  std::ifstream in("/proc/mounts");
  std::string dev, point, type, rest, best_dev, best_point;
  while (in >> dev >> point >> type) {
    std::getline(in, rest);
    const bool under =
        path == point || (path.rfind(point, 0) == 0 &&
                          (point == "/" || (path.size() > point.size() &&
                                            path[point.size()] == '/')));
    if (under && point.size() >= best_point.size()) {
      best_dev = dev;
      best_point = point;
    }
  }
  return best_dev + " on " + best_point;
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

// ---------------------------------------------------------------- main

int usage(const std::string& message) {
  std::fprintf(stderr,
               "strata_compare: %s\nusage: strata_compare [--seconds S] "
               "[--rounds N] [--dir DIR] [--only ID,...] [--note TEXT]... "
               "[--allow-tmpfs]\n"
               "  workload ids: sync1 sync32 nosync1 nosync10 batched1\n",
               message.c_str());
  return 2;
}

int run(int argc, char** argv) {
  Options opt;
  const char* env_dir = std::getenv("STRATA_BENCH_DIR");
  opt.dir = env_dir != nullptr ? env_dir : "/var/tmp";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--seconds" && value(&v)) {
      char* end = nullptr;
      opt.seconds = std::strtod(v.c_str(), &end);
      if (*end != '\0' || !(opt.seconds > 0 && opt.seconds <= 600)) {
        return usage("--seconds must be a number in (0, 600]");
      }
    } else if (a == "--rounds" && value(&v)) {
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 100) {
        return usage("--rounds must be 1..100");
      }
      opt.rounds = static_cast<int>(n);
    } else if (a == "--dir" && value(&v)) {
      opt.dir = v;
    } else if (a == "--only" && value(&v)) {
      std::stringstream ss(v);
      std::string id;
      while (std::getline(ss, id, ',')) opt.only.push_back(id);
    } else if (a == "--note" && value(&v)) {
      opt.notes.push_back(v);
    } else if (a == "--allow-tmpfs") {
      opt.allow_tmpfs = true;
    } else if (a == "--help" || a == "-h") {
      usage("help");
      return 0;
    } else {
      return usage("unknown or incomplete argument '" + a + "'");
    }
  }

  std::vector<Workload> all = workloads();
  std::vector<Workload> chosen;
  for (const auto& w : all) {
    if (opt.only.empty() ||
        std::find(opt.only.begin(), opt.only.end(), w.id) != opt.only.end()) {
      chosen.push_back(w);
    }
  }
  for (const auto& id : opt.only) {
    if (std::none_of(all.begin(), all.end(),
                     [&](const Workload& w) { return w.id == id; })) {
      return usage("unknown workload id '" + id + "'");
    }
  }

  std::error_code ec;
  const std::string root =
      opt.dir + "/strata-compare-" + std::to_string(::getpid());
  fs::remove_all(root, ec);
  fs::create_directories(root, ec);
  if (ec) return usage("cannot create " + root + ": " + ec.message());
  struct statfs sfs {};
  std::string fs_type = "unknown";
  if (::statfs(root.c_str(), &sfs) == 0) fs_type = fs_type_name(sfs.f_type);
  if (fs_type == "tmpfs" && !opt.allow_tmpfs) {
    fs::remove_all(root, ec);
    return usage(opt.dir +
                 " is a tmpfs, where fdatasync costs nothing; pick a real "
                 "disk with --dir (or --allow-tmpfs)");
  }
  const std::string canonical = fs::canonical(root, ec).string();

  std::vector<Cell> cells;
  for (const auto& w : chosen) {
    for (auto& c : cells_for(w)) cells.push_back(std::move(c));
  }
  auto find = [&](const std::string& workload,
                  const std::string& key) -> Cell* {
    for (auto& c : cells) {
      if (c.workload == workload && c.key == key) return &c;
    }
    return nullptr;
  };

  const std::string load_before = load_average();
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < opt.rounds; ++r) {
    std::fprintf(stderr, "round %d of %d\n", r + 1, opt.rounds);
    // Cells whose rates are divided by each other run in one group (the
    // 32-writer cells with the one-writer ones, Batched with None), so
    // that the two sides of a ratio are measured close together.
    for (const char* group : {"sync", "nosync1", "nosync10"}) {
      // Each log's secondary cell right after its primary one.
      std::vector<Cell*> row;
      for (auto& c : cells) {
        if (schedule_group(c.workload) != group || is_secondary(c.workload)) {
          continue;
        }
        row.push_back(&c);
        for (auto& d : cells) {
          if (is_secondary(d.workload) && schedule_group(d.workload) == group &&
              d.key == c.key) {
            row.push_back(&d);
          }
        }
      }
      for (auto& d : cells) {
        if (is_secondary(d.workload) && schedule_group(d.workload) == group &&
            std::find(row.begin(), row.end(), &d) == row.end()) {
          row.push_back(&d);
        }
      }
      if (row.empty()) continue;
      // Rotate the order each round so no system always runs first.
      std::rotate(row.begin(), row.begin() + (r % row.size()), row.end());
      for (Cell* c : row) run_cell(c, root, opt.seconds);
    }
  }
  const double minutes =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count() /
      60;
  const std::string load_after = load_average();
  fs::remove_all(root, ec);

  // ---- the report
  struct utsname un {};
  ::uname(&un);
  std::printf("Run of %s: %d round%s of %.1f s per cell, %.1f min in all.\n\n",
              now_utc().c_str(), opt.rounds, opt.rounds == 1 ? "" : "s",
              opt.seconds, minutes);
  std::printf("- CPU: %s, %u cores\n", cpu_model().c_str(),
              std::thread::hardware_concurrency());
  std::printf("- kernel: %s %s\n", un.sysname, un.release);
  std::printf("- file system: %s (%s), directory %s\n", fs_type.c_str(),
              mount_of(canonical).c_str(), opt.dir.c_str());
  for (const auto& note : opt.notes) std::printf("- %s\n", note.c_str());
  std::printf("- load average (1, 5, 15 min) before: %s; after: %s\n\n",
              load_before.c_str(), load_after.c_str());

  // ---- the targets of issue 8, per log
  struct Target {
    std::string what;
    double goal;
    std::function<std::vector<double>(const std::string& key)> ratios;
  };
  auto ratio_of = [&](const std::string& wa, const std::string& ka,
                      const std::string& wb,
                      const std::string& kb) -> std::vector<double> {
    const Cell* a = find(wa, ka);
    const Cell* b = find(wb, kb);
    if (a == nullptr || b == nullptr) return {};
    return per_round(a->rate, b->rate);
  };
  std::vector<Target> targets = {
      {"Strict, one writer, 128 B ÷ write+fdatasync loop", 0.9,
       [&](const std::string& k) {
         return ratio_of("sync1", k, "sync1", "ceiling");
       }},
      {"Strict, 32 writers ÷ the same log Strict with one writer", 15,
       [&](const std::string& k) { return ratio_of("sync32", k, "sync1", k); }},
      {"Strict, 32 writers ÷ the better of RocksDB and LevelDB sync=true at "
       "32",
       1.5,
       [&](const std::string& k) {
         const Cell* a = find("sync32", k);
         const Cell* ro = find("sync32", "rocksdb");
         const Cell* le = find("sync32", "leveldb");
         if (a == nullptr || ro == nullptr || le == nullptr) {
           return std::vector<double>{};
         }
         std::vector<double> best;
         for (std::size_t r = 0; r < ro->rate.size(); ++r) {
           best.push_back(std::fmax(ro->rate[r], le->rate[r]));
         }
         return per_round(a->rate, best);
       }},
      {"Batched (default) ÷ None, one thread, 128 B", 0.8,
       [&](const std::string& k) {
         return ratio_of("batched1", k, "nosync1", k);
       }},
      {"None, one thread, 128 B single-entry ÷ write() per commit", 0.9,
       [&](const std::string& k) {
         return ratio_of("nosync1", k, "nosync1", "ceiling");
       }},
      {"None, one thread, ten-entry 128 B transactions ÷ write() per "
       "transaction",
       0.9,
       [&](const std::string& k) {
         return ratio_of("nosync10", k, "nosync10", "ceiling");
       }},
  };
  std::printf(
      "#### Targets of issue 8 (median ratio over the rounds, "
      "min–max in brackets)\n\n");
  std::printf(
      "| target | goal | raw log core | MVCC WAL | Transaction Log |\n"
      "|---|--:|--:|--:|--:|\n");
  for (const auto& t : targets) {
    std::string row = "| " + t.what + " | ≥ " + fmt_ratio(t.goal) + " |";
    for (const char* key : {"raw", "mvcc", "txlog"}) {
      const Spread s = spread(t.ratios(key));
      if (!s.valid()) {
        row += " not run |";
        continue;
      }
      // One more digit when two would round a miss up to the goal.
      std::string median = fmt_ratio(s.median);
      if (s.median < t.goal && median == fmt_ratio(t.goal)) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.3f", s.median);
        median = buf;
      }
      row += " " + median + " (" + fmt_spread(s, fmt_ratio) + ") " +
             (s.median >= t.goal ? "**met**" : "not met") + " |";
    }
    std::printf("%s\n", row.c_str());
  }
  std::printf("\n");

  for (const auto& w : chosen) {
    std::printf("#### %s\n\n", w.title.c_str());
    std::printf("Ratio: to %s.\n\n", w.reference.c_str());
    std::printf(
        "| system | commits/s (median) | min–max | ratio (median) | "
        "min–max | p50 latency | p99 latency |\n"
        "|---|--:|--:|--:|--:|--:|--:|\n");
    for (auto& c : cells) {
      if (c.workload != w.id) continue;
      const Cell* ref = nullptr;
      if (w.id == "sync32") {
        ref = find("sync1", "ceiling");
      } else if (w.id == "batched1") {
        ref = find("nosync1", c.key);
      } else {
        ref = find(w.id, "ceiling");
      }
      const Spread rate = spread(c.rate);
      const Spread ratio =
          ref != nullptr ? spread(per_round(c.rate, ref->rate)) : Spread{};
      std::printf(
          "| %s%s | %s | %s | %s | %s | %s | %s |\n", c.label.c_str(),
          c.error.empty() ? "" : " (failed in a round)",
          fmt_rate(rate.median).c_str(), fmt_spread(rate, fmt_rate).c_str(),
          fmt_ratio(ratio.median).c_str(), fmt_spread(ratio, fmt_ratio).c_str(),
          fmt_us(spread(c.p50_us).median).c_str(),
          fmt_us(spread(c.p99_us).median).c_str());
    }
    std::printf("\n");
    for (auto& c : cells) {
      if (c.workload == w.id && !c.error.empty()) {
        std::printf("- %s failed: %s\n", c.label.c_str(), c.error.c_str());
      }
    }
  }

  bool failed = false;
  for (const auto& c : cells) failed = failed || !c.error.empty();
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace strata_compare

int main(int argc, char** argv) { return strata_compare::run(argc, argv); }
