#!/bin/sh
# Deep fuzzing in the `slow` suite: both libFuzzer targets (fuzz_scenario.c,
# fuzz_results.c) a fixed number of executions from their seed corpora, with
# AddressSanitizer and UBSan; any finding (crash, hang, leak, out-of-memory,
# sanitizer report), in our code or inside libhdf5, fails the test and leaves
# the input in WORK/artifacts. (libhdf5's own crashes and hangs on damaged
# files are caught by the readers' probe, engine/output/probe.c, which reports
# them as a damaged file: tests/fuzz/findings/README.md.)
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
export ASAN_OPTIONS=detect_leaks=1
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
    echo "$name: FINDING (log $work/$name.log):"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$work/$name.log" | head -20
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work/$name.log" || true
}
fuzz fuzz_scenario "$nscen" "$t/fuzz/corpus" "$t/scenarios/bad" "$t/scenarios/good" \
  "$src/configs" "$src/configs/examples"
fuzz fuzz_results "$nres" "$t/fuzz/results"
exit $status
