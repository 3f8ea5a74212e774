// Internal path helpers shared by the in-memory and fault-injection Envs,
// which key their tables by path and so need one spelling per path.

#ifndef STRATA_DURABILITY_SRC_ENV_PATH_UTIL_H_
#define STRATA_DURABILITY_SRC_ENV_PATH_UTIL_H_

#include <string>
#include <string_view>

namespace strata::durability::env_internal {

// Collapses runs of '/' and drops a trailing '/' (except for "/" itself),
// so that "/a//b/" and "/a/b" name the same entry. "." segments and ".."
// are kept as they are: callers of the Env do not use them.
std::string normalize_path(std::string_view path);

// The directory part of a normalized path: "/a/b" -> "/a", "/a" -> "/",
// "a" -> ".".
std::string parent_dir(std::string_view path);

// The last component of a normalized path: "/a/b" -> "b".
std::string base_name(std::string_view path);

}  // namespace strata::durability::env_internal

#endif  // STRATA_DURABILITY_SRC_ENV_PATH_UTIL_H_
