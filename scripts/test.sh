#!/usr/bin/env bash
# Installs what is missing, builds minnow and runs the whole test suite.
#   scripts/test.sh              Release build in build/
#   MINNOW_SANITIZE=ON scripts/test.sh   address + undefined-behaviour sanitizers in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

sanitize="${MINNOW_SANITIZE:-OFF}"
build_type="${MINNOW_BUILD_TYPE:-Release}"
if [ "$sanitize" = "ON" ]; then
  build_dir="${MINNOW_BUILD_DIR:-build-sanitize}"
  build_type="${MINNOW_BUILD_TYPE:-RelWithDebInfo}"
else
  build_dir="${MINNOW_BUILD_DIR:-build}"
fi
jobs="$(nproc)"

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DMINNOW_WERROR=ON \
  -DMINNOW_SANITIZE="$sanitize" -DMINNOW_BUILD_BENCH="$([ "$sanitize" = ON ] && echo OFF || echo ON)"
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
