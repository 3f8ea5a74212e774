// Directory inspection and log-kind detection (see log_detect.h). Uses
// POSIX calls directly so that each refusal can say exactly why.

#include "log_detect.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "strata/durability/env.h"
#include "strata/durability/log/log_reader.h"

namespace strata_wal {

namespace sd = strata::durability;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The entry names of a directory, or nullopt with `*error` set.
std::optional<std::vector<std::string>> list_names(const std::string& dir,
                                                   std::string* error) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      *error = dir + ": no such directory (not a log)";
    } else {
      *error = dir + ": " + std::strerror(err);
    }
    return std::nullopt;
  }
  if (!S_ISDIR(st.st_mode)) {
    *error =
        dir + ": is a file, not a log directory" +
        (ends_with(dir, ".seg") ? " (pass the directory that holds it)" : "");
    return std::nullopt;
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    *error = dir + ": cannot open directory: " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::optional<LogDir> detect_log(const std::string& dir, std::string* error) {
  auto names = list_names(dir, error);
  if (!names) return std::nullopt;
  LogDir out;
  out.dir = dir;
  for (const std::string& name : *names) {
    if (ends_with(name, ".seg")) {
      out.segment_files.push_back(sd::join_path(dir, name));
    }
  }
  if (out.segment_files.empty()) {
    *error =
        dir + (names->empty() ? ": the directory is empty (not a log)"
                              : ": holds no segment (*.seg) file (not a log)");
    return std::nullopt;
  }
  for (const std::string& path : out.segment_files) {
    // Unreadable segments are refused up front: a permission problem is
    // not damage in the log.
    if (::access(path.c_str(), R_OK) != 0) {
      *error = path + ": cannot read: " + std::strerror(errno);
      return std::nullopt;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (!S_ISREG(st.st_mode)) {
        *error = path + ": not a regular file";
        return std::nullopt;
      }
      out.total_bytes += static_cast<uint64_t>(st.st_size);
    }
    if (!out.kind) {
      auto info = sd::log::read_segment_header(sd::Env::posix(), path);
      if (info.ok()) out.kind = info->kind;
    }
  }
  return out;
}

std::optional<bool> dir_is_missing_or_empty(const std::string& dir,
                                            std::string* error) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    *error = dir + ": " + std::strerror(errno);
    return std::nullopt;
  }
  auto names = list_names(dir, error);
  if (!names) return std::nullopt;
  return names->empty();
}

bool holds_only_creation_leftovers(const std::string& dir) {
  std::string error;
  auto names = list_names(dir, &error);
  if (!names) return false;
  for (const std::string& name : *names) {
    if (name != "LOCK" && name != "START" && !ends_with(name, ".tmp")) {
      return false;
    }
  }
  return true;
}

std::string log_kind_arg(sd::log::LogKind kind) {
  switch (kind) {
    case sd::log::LogKind::kMvcc:
      return "mvcc";
    case sd::log::LogKind::kTxLog:
      return "txlog";
    case sd::log::LogKind::kRaw:
      return "raw";
  }
  return "unknown";
}

}  // namespace strata_wal
