#!/usr/bin/env bash
# Install fern to a temporary prefix and build tests/install/consumer against it with
# find_package(fern), then run the consumer. Registered as the ctest test check.install.
#
#   check_install.sh <source dir> <work dir> <cmake generator> [-DVAR=VALUE ...]
#
# The -D arguments (compilers, build type) are passed to both configures. The work dir is wiped first.
set -euo pipefail

if (($# < 3)); then
  echo "usage: $0 <source dir> <work dir> <cmake generator> [-DVAR=VALUE ...]" >&2
  exit 2
fi
src="$(cd "$1" && pwd)"
work="$2"
generator="$3"
shift 3
jobs="${FERN_JOBS:-$(nproc 2>/dev/null || echo 2)}"

rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
prefix="$work/prefix"

step() { printf '\n== check_install: %s\n' "$*"; }

step "configure fern (no tests, examples, benchmarks or sanitizers)"
cmake -S "$src" -B "$work/fern-build" -G "$generator" "$@" \
  -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DFERN_BUILD_TESTS=OFF -DFERN_BUILD_EXAMPLES=OFF -DFERN_BUILD_BENCH=OFF \
  -DFERN_BUILD_FUZZ=OFF -DFERN_SANITIZE=OFF

step "build and install fern to $prefix"
cmake --build "$work/fern-build" -j "$jobs"
cmake --install "$work/fern-build"

for f in fernConfig.cmake fernConfigVersion.cmake fernTargets.cmake; do
  if [[ -z "$(find "$prefix" -name "$f" -print -quit)" ]]; then
    echo "check_install: $f was not installed under $prefix" >&2
    exit 1
  fi
done
if [[ ! -d "$prefix/include/fern" ]]; then
  echo "check_install: headers were not installed to $prefix/include/fern" >&2
  exit 1
fi

# Only the installed package may satisfy find_package(): no build tree, no user package registry.
step "configure the consumer against the installed package"
cmake -S "$src/tests/install/consumer" -B "$work/consumer-build" -G "$generator" "$@" \
  -DCMAKE_PREFIX_PATH="$prefix" \
  --no-warn-unused-cli -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DFERN_EXPECTED_PREFIX="$prefix"

step "build the consumer"
cmake --build "$work/consumer-build" -j "$jobs"

step "run the consumer"
"$work/consumer-build/fern_consumer"
echo "check_install: ok"
