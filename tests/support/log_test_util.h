// Helpers shared by the log core's tests: open a writer or reader on a
// MemEnv, read everything back, and poke at segment files.

#ifndef STRATA_DURABILITY_TESTS_SUPPORT_LOG_TEST_UTIL_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_LOG_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_writer.h"
#include "log/format.h"

namespace strata::durability::log::testutil {

struct ReadAll {
  Status status;
  std::vector<std::string> payloads;
  std::vector<Lsn> lsns;
  std::vector<LogProblem> problems;
};

inline ReadAll read_all(
    Env* env, const std::string& dir,
    RecoveryMode mode = RecoveryMode::kTolerateCorruptedTail, Lsn start = 0) {
  ReadAll out;
  LogReaderOptions o;
  o.env = env;
  o.recovery_mode = mode;
  o.start_lsn = start;
  auto reader = LogReader::open(dir, o);
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  LogRecord rec;
  while (true) {
    auto more = (*reader)->next(&rec);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.payloads.emplace_back(rec.payload);
    out.lsns.push_back(rec.lsn);
  }
  out.problems = (*reader)->problems();
  return out;
}

inline std::string segment_path(const std::string& dir, uint64_t n) {
  return join_path(dir, segment_file_name(n));
}

inline std::string must_read(Env* env, const std::string& path) {
  auto r = read_file(env, path);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::string();
}

inline void must_write(Env* env, const std::string& path,
                       std::string_view data) {
  auto f = env->new_writable_file(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_TRUE((*f)->append(data).ok());
  ASSERT_TRUE((*f)->sync().ok());
  ASSERT_TRUE((*f)->close().ok());
}

inline std::string payload_for(int i, std::size_t size = 20) {
  std::string s = "record-" + std::to_string(i) + "-";
  while (s.size() < size)
    s.push_back(static_cast<char>('a' + (s.size() + i) % 26));
  s.resize(size);
  return s;
}

}  // namespace strata::durability::log::testutil

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_LOG_TEST_UTIL_H_
