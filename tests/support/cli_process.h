// Running the strata-wal binary (STRATA_WAL_BIN) from a black-box test: a
// temporary directory, a child process with its output in files, its exit
// code, and the JSON Lines it printed.
#ifndef STRATA_DURABILITY_TESTS_SUPPORT_CLI_PROCESS_H_
#define STRATA_DURABILITY_TESTS_SUPPORT_CLI_PROCESS_H_

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#ifndef STRATA_WAL_BIN
#error "STRATA_WAL_BIN must name the strata-wal binary"
#endif

namespace strata_wal_test {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/strata-wal-test-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    path_ = made == nullptr ? std::string("/tmp") : std::string(made);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& name) const {
    return path_ + "/" + name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Starts `strata-wal args...` with stdout and stderr sent to the two files.
inline pid_t spawn(const std::vector<std::string>& args, const std::string& out,
                   const std::string& err) {
  std::string bin = STRATA_WAL_BIN;
  std::vector<std::string> copy = args;
  std::vector<char*> argv{bin.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// The exit code, or 128 + the signal that ended the process (as a shell
// reports it).
inline int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `strata-wal args...` to the end.
inline RunResult run(const std::vector<std::string>& args) {
  TempDir io;
  const pid_t pid = spawn(args, io / "out", io / "err");
  RunResult r;
  r.code = wait_exit(pid);
  r.out = slurp(io / "out");
  r.err = slurp(io / "err");
  return r;
}

inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// One line of `strata-wal write --ack-file`: a transaction acknowledged by
// the log, with the LSN of its commit.
struct Ack {
  std::string id;
  uint64_t lsn = 0;
};

// The complete lines of an ack file (a writer killed mid-line leaves a last
// line that does not parse; it is left out).
inline std::vector<Ack> read_acks(const std::string& path) {
  std::vector<Ack> out;
  std::istringstream in(slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Ack a;
    if (fields >> a.id >> a.lsn) out.push_back(std::move(a));
  }
  return out;
}

inline std::vector<std::string> acked_ids(const std::string& path) {
  std::vector<std::string> out;
  for (Ack& a : read_acks(path)) out.push_back(std::move(a.id));
  return out;
}

inline std::vector<uint64_t> acked_lsns(const std::string& path) {
  std::vector<uint64_t> out;
  for (const Ack& a : read_acks(path)) out.push_back(a.lsn);
  return out;
}

}  // namespace strata_wal_test

#endif  // STRATA_DURABILITY_TESTS_SUPPORT_CLI_PROCESS_H_
