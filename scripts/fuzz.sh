#!/usr/bin/env bash
# Runs the libFuzzer targets (issue 11). Usage: scripts/fuzz.sh [seconds-per-fuzzer] [name...]
#   seconds: -max_total_time of each fuzzer (default 60; 0 = no time limit, with XVIS_FUZZ_RUNS).
#   names:   which targets (tests/fuzz/fuzz_<name>.cpp); default every one.
# Builds build-fuzz with clang (XVIS_BUILD_FUZZERS=ON: libFuzzer + AddressSanitizer + LeakSanitizer +
# UndefinedBehaviorSanitizer, OpenMP off, -O1 -g with assertions), then fuzzes each target in turn, starting from
# tests/fuzz/corpus/<name> and tests/fuzz/regressions/<name>. Those are only read: new inputs go to a temporary
# corpus (removed at the end unless XVIS_FUZZ_KEEP names a folder to keep it in). Fails (exit 1) on any crash,
# sanitizer report, leak, timeout (a single input running longer than its -timeout) or out-of-memory
# (-rss_limit_mb / -malloc_limit_mb), printing the reproducer's path; its input belongs in tests/fuzz/regressions/<name>/
# once fixed. Prints per fuzzer: executions, exec/s, corpus size, coverage.
# Environment:
#   XVIS_FUZZ_RUNS=N        stop each fuzzer after N executions (-runs; e.g. 10000000 with seconds 0)
#   XVIS_FUZZ_JOBS=N        N fuzzing processes per target (libFuzzer -fork=N; default 1)
#   XVIS_FUZZ_ARGS="..."    more libFuzzer flags, after the defaults (e.g. -max_len=100000)
#   XVIS_FUZZ_KEEP=dir      keep the new inputs in dir/<name> (to minimize and commit some by hand)
#   XVIS_FUZZ_BUILD=dir     build tree (default build-fuzz); XVIS_FUZZ_CMAKE_ARGS: extra configure arguments
# Per-target flags: tests/fuzz/fuzz_<name>.options, one libFuzzer flag a line (# comments), e.g. -max_len=65536.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
shift || true
build=${XVIS_FUZZ_BUILD:-build-fuzz}
jobs=${XVIS_FUZZ_JOBS:-1}
read -r -a extra_cmake <<<"${XVIS_FUZZ_CMAKE_ARGS:-}"
read -r -a extra_args <<<"${XVIS_FUZZ_ARGS:-}"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do n=${f#tests/fuzz/fuzz_}; names+=("${n%.cpp}"); done
fi
for n in "${names[@]}"; do
  [ -f "tests/fuzz/fuzz_$n.cpp" ] || { echo "fuzz: no tests/fuzz/fuzz_$n.cpp" >&2; exit 2; }
done

stage() { echo "== fuzz: $* [$(date +%T)]"; }
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (apt-get install clang libfuzzer-14-dev)" >&2; exit 1; }

stage configure "$build"
CC=${CC_FUZZ:-clang} CXX=${CXX_FUZZ:-clang++} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" -DXVIS_BUILD_FUZZERS=ON -DXVIS_BUILD_TESTS=OFF \
  -DXVIS_BUILD_BENCHMARKS=OFF -DXVIS_BUILD_APPS=OFF "${extra_cmake[@]}" >/dev/null
targets=()
for n in "${names[@]}"; do targets+=("xvis_fuzz_$n"); done
stage build "${targets[@]}"
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# libFuzzer reports leaks itself (-detect_leaks=1, its default); UBSan aborts (the build has no recovery).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitizers/ubsan.supp"

work=$(mktemp -d "${TMPDIR:-/tmp}/xvis-fuzz-run-XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=()
summary=()
for n in "${names[@]}"; do
  exe="$(cd "$build" && pwd)/tests/fuzz/xvis_fuzz_$n"
  corpus="$work/corpus/$n"
  artifacts="$(cd "$build" && pwd)/artifacts/$n/"
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  for d in corpus regressions; do [ -d "tests/fuzz/$d/$n" ] && seeds+=("tests/fuzz/$d/$n"); done
  # Defaults: a single input may run 10 s (a hang otherwise) and the process may hold 2 GiB; the target's
  # .options and XVIS_FUZZ_ARGS come after, so they win.
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
        -artifact_prefix="$artifacts")
  if [ -f "tests/fuzz/fuzz_$n.options" ]; then
    while read -r line; do
      line=${line%%#*}; line=${line//[[:space:]]/}
      [ -n "$line" ] && args+=("$line")
    done <"tests/fuzz/fuzz_$n.options"
  fi
  [ -n "${XVIS_FUZZ_RUNS:-}" ] && args+=(-runs="$XVIS_FUZZ_RUNS")
  [ "$jobs" -gt 1 ] && args+=(-fork="$jobs")
  args+=("${extra_args[@]}")
  log="$work/$n.log"
  stage run "xvis_fuzz_$n" "${args[@]}"
  touch "$work/$n.start"
  set +e
  (cd "$work" && "$exe" "${args[@]}" "$corpus" "${seeds[@]/#/$root/}") >"$log" 2>&1
  rc=$?
  set -e
  # The last status line ("#N ... cov: C ft: F corp: U/S exec/s: E ...") and the final stats.
  status=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  # (|| true: grep finds nothing in a log cut short, and pipefail would end the script here)
  execs=$(grep -oE 'stat::number_of_executed_units: +[0-9]+' "$log" | awk '{s+=$2} END {if (NR) print s}' || true)
  [ -z "$execs" ] && execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$status")
  rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | awk '{s+=$2} END {if (NR) print s}' || true)
  # -fork's status lines say "exec/s N" (one job's rate) and are the only stats; the time they report gives the rate.
  [ -z "$rate" ] && rate=$(sed -nE 's/.*exec\/s:? ([0-9]+).*/\1/p' <<<"$status")
  if [ "$jobs" -gt 1 ] && [ -n "$execs" ]; then
    t=$(sed -nE 's/.* time: ([0-9]+)s.*/\1/p' <<<"$status")
    [ -n "$t" ] && [ "$t" -gt 0 ] && rate=$((execs / t))
  fi
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$status")
  size=$(find "$corpus" -type f | wc -l)
  line="$n: ${execs:-?} executions, ${rate:-?} exec/s, cov ${cov:-?}, $size new inputs (seeds: $(find "${seeds[@]}" -type f | wc -l) files, $(find "${seeds[@]}" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}') bytes), exit $rc"
  summary+=("$line")
  echo "$line"
  if [ -n "${XVIS_FUZZ_KEEP:-}" ]; then mkdir -p "$XVIS_FUZZ_KEEP/$n"; cp -n "$corpus"/* "$XVIS_FUZZ_KEEP/$n/" 2>/dev/null || true; fi
  if [ $rc -ne 0 ]; then
    tail -n 60 "$log"
    reproducers=$(find "$artifacts" -type f -newer "$work/$n.start")
    echo "fuzz: xvis_fuzz_$n FAILED (exit $rc). Reproducer(s):" >&2
    printf '  %s\n' $reproducers >&2
    echo "  replay: $exe <reproducer>; once fixed, copy it to tests/fuzz/regressions/$n/<what-it-found>" >&2
    failed+=("$n")
  fi
done
stage summary
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
