// Internal helpers that propagate an error Status out of the current
// function. Kept out of the public headers so users' macro space stays clean.

#ifndef STRATA_DURABILITY_SRC_UTIL_STATUS_MACROS_H_
#define STRATA_DURABILITY_SRC_UTIL_STATUS_MACROS_H_

#include "strata/durability/result.h"
#include "strata/durability/status.h"

#define STRATA_CONCAT_INNER_(a, b) a##b
#define STRATA_CONCAT_(a, b) STRATA_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function if it is an error.
#define STRATA_RETURN_IF_ERROR(expr)                      \
  do {                                                    \
    ::strata::durability::Status strata_status_ = (expr); \
    if (!strata_status_.ok()) return strata_status_;      \
  } while (0)

// Evaluates a Result<T> expression; on error returns its Status, otherwise
// moves the value into `lhs` (which may be a declaration: `auto x`).
#define STRATA_ASSIGN_OR_RETURN(lhs, expr)                                     \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_CONCAT_(strata_result_, __LINE__), lhs, \
                                expr)
// `lhs` may be a declaration and `tmp` declares a name, so neither can be
// parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define STRATA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // STRATA_DURABILITY_SRC_UTIL_STATUS_MACROS_H_
