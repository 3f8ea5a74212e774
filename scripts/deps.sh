#!/usr/bin/env bash
# Installs the Debian packages strata-durability needs to build and test,
# with apt-get, and only those that are missing. Quiet when nothing is.
#
#   ./scripts/deps.sh          (or: source scripts/deps.sh)
#
# Runs `apt-get update` only when something has to be installed. Needs root
# (or sudo) only then. Set STRATA_SKIP_DEPS=1 to skip the check entirely.

# True when the package is fully installed (dpkg -s also knows packages that
# were removed but left their configuration behind).
strata_deps_installed() {
  local status
  status="$(dpkg -s "$1" 2>/dev/null)" || return 1
  [[ "$status" == *$'\nStatus: install ok installed'* ||
    "$status" == 'Status: install ok installed'* ]]
}

strata_deps_main() {
  if [[ "${STRATA_SKIP_DEPS:-0}" == 1 ]]; then
    return 0
  fi

  # Required: the build, the tests, the tool and the fuzz/lint tooling.
  local required=(
    build-essential cmake ninja-build pkg-config g++
    clang-14 libclang-rt-14-dev
    libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
    libcli11-dev libfmt-dev nlohmann-json3-dev
    clang-format clang-tidy
  )
  # Optional: nice to have (llvm-symbolizer for readable sanitizer stacks);
  # a failure to install them is only a warning.
  local optional=(llvm-14)

  local missing=() missing_optional=() p
  for p in "${required[@]}"; do
    strata_deps_installed "$p" || missing+=("$p")
  done
  for p in "${optional[@]}"; do
    strata_deps_installed "$p" || missing_optional+=("$p")
  done
  if ((${#missing[@]} == 0 && ${#missing_optional[@]} == 0)); then
    return 0
  fi

  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "deps: missing packages (${missing[*]} ${missing_optional[*]}) and not root; install them by hand" >&2
      return 1
    fi
  fi

  echo "deps: installing ${missing[*]} ${missing_optional[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  local apt_opts=(-y -q --no-install-recommends -o Dpkg::Use-Pty=0)
  "${sudo[@]}" apt-get update -q >/dev/null || {
    echo "deps: apt-get update failed" >&2
    return 1
  }
  if ((${#missing[@]} > 0)); then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install "${apt_opts[@]}" "${missing[@]}" >/dev/null || {
      echo "deps: apt-get install ${missing[*]} failed" >&2
      return 1
    }
  fi
  if ((${#missing_optional[@]} > 0)); then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install "${apt_opts[@]}" "${missing_optional[@]}" >/dev/null ||
      echo "deps: optional ${missing_optional[*]} could not be installed (continuing)" >&2
  fi

  for p in "${missing[@]}"; do
    if ! strata_deps_installed "$p"; then
      echo "deps: $p is still not installed" >&2
      return 1
    fi
  done
  echo "deps: done" >&2
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  strata_deps_main "$@"
else
  strata_deps_main "$@"
fi
