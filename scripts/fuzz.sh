#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (address + undefined-behaviour
# sanitizers) and runs each one for a bounded number of executions, starting from the seed
# corpus in tests/fuzz/corpus/<target>. Exits non-zero if any target crashes, trips a
# sanitizer, leaks, times out or runs out of memory; the input that did it is kept in
# <build dir>/artifacts/ and can be replayed with: <build dir>/fuzz_<target> <artifact>.
#
#   scripts/fuzz.sh                          every target, 20000 executions each
#   FUZZ_RUNS=2000000 scripts/fuzz.sh        longer
#   FUZZ_TARGETS=csv scripts/fuzz.sh         one target
#   scripts/fuzz.sh -max_total_time=600      extra libFuzzer flags for every target
#   FUZZ_CXXFLAGS="-O1 -g1" scripts/fuzz.sh  an optimized build (slower to build, faster to run)
#
# New interesting inputs go to <build dir>/corpus/<target> (kept between runs), never into
# the repository's seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${FUZZ_RUNS:-20000}"
targets="${FUZZ_TARGETS:-model_file safetensors csv}"
build_dir="${MINNOW_FUZZ_BUILD_DIR:-build-fuzz}"
cxx_flags="${FUZZ_CXXFLAGS:--O0 -g1}"
extra_flags=("$@")

if [ -z "${CXX:-}" ]; then
  for candidate in clang++ clang++-14; do
    if command -v "$candidate" > /dev/null; then CXX="$candidate"; break; fi
  done
fi
if [ -z "${CXX:-}" ] || ! "$CXX" --version 2>/dev/null | grep -qi clang; then
  echo "fuzz: clang++ is needed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

start=$(date +%s)
echo "fuzz: building the targets with $CXX in $build_dir" >&2
mkdir -p "$build_dir"
cmake -S tests/fuzz -B "$build_dir" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS_FUZZ="$cxx_flags" \
  > "$build_dir/configure.log" 2>&1 \
  || { cat "$build_dir/configure.log" >&2; exit 1; }
build_targets=()
for target in $targets; do build_targets+=("fuzz_$target"); done
cmake --build "$build_dir" -j "$(nproc)" --target "${build_targets[@]}" >&2
built=$(date +%s)

mkdir -p "$build_dir/artifacts" "$build_dir/logs"
failed=0
summary=()
for target in $targets; do
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus"
  dict=()
  if [ -f "tests/fuzz/$target.dict" ]; then dict=(-dict="tests/fuzz/$target.dict"); fi
  log="$build_dir/logs/$target.log"
  target_start=$(date +%s)
  status=0
  # detect_leaks stays on (the default): a leak is a failure too.
  ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$build_dir/fuzz_$target" -runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$target-" "${dict[@]}" \
      "${extra_flags[@]}" "$corpus" "tests/fuzz/corpus/$target" > "$log" 2>&1 || status=$?
  seconds=$(( $(date +%s) - target_start ))
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$status" -eq 0 ]; then
    result="ok"
  else
    result="FAILED (exit $status)"
    failed=1
    echo "---- fuzz_$target: last lines of $log ----" >&2
    tail -40 "$log" >&2
  fi
  summary+=("$(printf '%-12s %-20s %9s executions  %5s edges  %4s s' "$target" "$result" \
    "${executions:-?}" "${coverage:-?}" "$seconds")")
done

echo "fuzz: summary (build $(( built - start )) s, total $(( $(date +%s) - start )) s)"
for line in "${summary[@]}"; do echo "  $line"; done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED; the inputs that failed are in $build_dir/artifacts/" >&2
  exit 1
fi
echo "fuzz: every target ran clean"
