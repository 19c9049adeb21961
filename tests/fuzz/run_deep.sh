#!/bin/sh
# Deep fuzzing in the `slow` suite: both libFuzzer targets (fuzz_scenario.c,
# fuzz_results.c) a fixed number of executions from their seed corpora, with
# AddressSanitizer and UBSan; any finding (crash, leak, timeout, sanitizer
# report) fails the test and leaves the input in WORK/artifacts, except a
# crash or hang of the results reader whose innermost frame is inside libhdf5 itself
# (HDF5 1.10.8 crashes on some crafted files before our checks can see the
# bytes: tests/fuzz/findings/README.md); that is printed as a known HDF5
# defect, with the executions done before it, and does not fail the test.
# The targets are built here in a clang build of their own (WORK/build,
# -Dfuzz=true), since the suite's own build may use gcc.
#
#   run_deep.sh SOURCE_ROOT WORK SCENARIO_RUNS RESULTS_RUNS
set -eu
src=$1 work=$2 nscen=$3 nres=$4
command -v clang >/dev/null || { echo "run_deep: clang is needed (scripts/quickstart --test installs it)" >&2; exit 1; }
mkdir -p "$work"
b=$work/build
if [ ! -f "$b/build.ninja" ]; then
  CC=clang meson setup "$b" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
    -Dbuildtype=debug -Dbench=false -Db_lundef=false >"$work/setup.log" 2>&1 ||
    { cat "$work/setup.log" >&2; exit 1; }
fi
ninja -C "$b" tests/fuzz_scenario tests/fuzz_results >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log" >&2; exit 1; }

t=$src/tests
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export ASAN_OPTIONS=detect_leaks=1:suppressions=$t/fuzz/asan_hdf5.supp
export LSAN_OPTIONS=suppressions=$t/fuzz/lsan_hdf5.supp
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
rm -rf "$work/artifacts"
mkdir -p "$work/artifacts"
status=0
fuzz() { # NAME RUNS SEED_DIRS...
  name=$1 runs=$2
  shift 2
  new=$work/new-$name
  rm -rf "$new"
  mkdir -p "$new"
  # new inputs go to a scratch folder first in the list, never into the sources
  if "$b/tests/$name" -runs="$runs" -seed=1 -timeout=30 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$name-" "$new" "$@" \
      >"$work/$name.log" 2>&1; then
    echo "$name: $(grep -E '^Done [0-9]+ runs' "$work/$name.log"), no finding"
  else
    # the innermost frame that is neither the sanitizer's or libFuzzer's own (interceptors,
    # the stack printer, the timeout alarm) nor libc's signal trampoline
    frame0=$(grep -E '^ *#[0-9]+ ' "$work/$name.log" |
      grep -vE '__interceptor_|__asan|__sanitizer|fuzzer::|libc\.so' | head -1 || true)
    if [ "$name" = fuzz_results ] && echo "$frame0" | grep -q 'libhdf5'; then
      echo "$name: known HDF5 1.10.8 defect, not ours (log $work/$name.log):"
      echo "  $frame0"
      grep -E '^#[0-9]+\s+(NEW|REDUCE|pulse|INITED)' "$work/$name.log" | tail -1 || true
    else
      echo "$name: FINDING (log $work/$name.log):"
      grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$work/$name.log" | head -20
      status=1
    fi
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work/$name.log" || true
}
fuzz fuzz_scenario "$nscen" "$t/fuzz/corpus" "$t/scenarios/bad" "$t/scenarios/good" \
  "$src/configs" "$src/configs/examples"
fuzz fuzz_results "$nres" "$t/fuzz/results"
exit $status
