// Helpers built on Env: path joining, atomic durable file replacement, and
// whole-file reads.

#include "strata/durability/env.h"
#include "util/status_macros.h"

namespace strata::durability {

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

Status write_file_atomically(Env* env, const std::string& dir,
                             const std::string& name, std::string_view data) {
  std::string path = join_path(dir, name);
  std::string tmp = path + ".tmp";
  STRATA_ASSIGN_OR_RETURN(auto file, env->new_writable_file(tmp));
  STRATA_RETURN_IF_ERROR(file->append(data));
  STRATA_RETURN_IF_ERROR(file->sync());
  STRATA_RETURN_IF_ERROR(file->close());
  STRATA_RETURN_IF_ERROR(env->rename_file(tmp, path));
  return env->sync_dir(dir);
}

Result<std::string> read_file(Env* env, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto file, env->new_random_access_file(path));
  STRATA_ASSIGN_OR_RETURN(uint64_t size, file->size());
  std::string out(static_cast<std::size_t>(size), '\0');
  STRATA_ASSIGN_OR_RETURN(std::size_t got, file->read(0, out));
  out.resize(got);
  return out;
}

}  // namespace strata::durability
