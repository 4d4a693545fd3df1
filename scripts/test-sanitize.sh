#!/usr/bin/env bash
# The test suite under sanitizers (issue 11). Usage: scripts/test-sanitize.sh [address,undefined|thread]
#   address,undefined (default): build-asan, AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer,
#     the whole suite (each GoogleTest executable whole, then ctest for the rest). Any report fails the run:
#     UBSan does not recover, ASan halts on the first error, leaks fail the process at exit.
#   thread: build-tsan, ThreadSanitizer with OpenMP off (libgomp is not instrumented), only the test
#     executables that use threads, and in them the tests that do (see thread_tests below).
# Builds RelWithDebInfo with -O2 -g1: instrumented -O0 would make the suite several times slower, and line
# tables (-g1) are all a report needs for its file:line (full -g took 20-30 % longer to compile).
# Extra configure arguments: XVIS_SANITIZE_CMAKE_ARGS (e.g. "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache").
# Suppressions (third-party code only, each with its reason): tests/sanitizers/*.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mode=${1:-address,undefined}
jobs=$(nproc)
read -r -a extra <<<"${XVIS_SANITIZE_CMAKE_ARGS:-}"
opt_flags="-O2 -g1 -DNDEBUG"

# The runtimes come with g++ (libgcc-12-dev depends on them); say so plainly if one is missing.
need_runtime() {
  if ! echo 'int main(){}' | ${CXX:-c++} -x c++ - -o /dev/null "$1" 2>/dev/null; then
    echo "test-sanitize: ${CXX:-c++} cannot link $1 (install the runtime: libasan8 libubsan1 / libtsan2)" >&2
    exit 1
  fi
}

stage() { echo "== test-sanitize ($mode): $* [$(date +%T)]"; }

case "$mode" in
  address,undefined|undefined,address)
    mode=address,undefined
    need_runtime -fsanitize=address,undefined
    build=build-asan
    # detect_leaks: leaks fail the run (LeakSanitizer, part of ASan). halt_on_error: first report ends it.
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitizers/ubsan.supp"
    stage configure
    # The benchmarks are not tests: not built here (saves a quarter of the instrumented build).
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$opt_flags" \
          -DXVIS_SANITIZE=address,undefined \
          -DXVIS_BUILD_BENCHMARKS=OFF "${extra[@]}"
    stage build
    cmake --build "$build" -j"$jobs"
    # Each GoogleTest executable runs whole, one process per executable (two at a time, largest first), not
    # one process per test as ctest does: an instrumented process takes 0.1-0.5 s to start (the io tests scan
    # the ONNX conformance data to name their cases), which over 2,400 tests was 7 of ctest's 11 minutes.
    # Stage 1 (scripts/test.sh) keeps ctest's one-process-per-test isolation. A report ends its executable
    # (halt_on_error) and fails the stage; the log names the test. A hang ends at 20 minutes (timeout), as
    # ctest's TIMEOUT properties did.
    logs="$root/$build/test-logs"
    rm -rf "$logs" && mkdir -p "$logs"
    # The executables' folders, which are also their ctest labels (tests/CMakeLists.txt), largest first.
    areas=(autodiff cli tensor io mpi sweep layers visualization losses optimizer image training)
    exes=()
    for a in "${areas[@]}"; do
      if [ -x "$build/tests/xvis_tests_$a" ]; then exes+=("xvis_tests_$a"); fi
    done
    stage "run ${exes[*]}"
    failed=0
    # shellcheck disable=SC2016  # expanded by the inner bash
    printf '%s\n' "${exes[@]}" | (cd "$build/tests" && xargs -P "$jobs" -I{} bash -c '
      start=$SECONDS
      if timeout 1200 ./"$1" >"$2/$1.log" 2>&1; then
        echo "  passed $1 ($((SECONDS - start)) s)"
      else
        rc=$?; [ $rc -eq 124 ] && echo "  $1 ran past 1200 s (timeout)"
        echo "  FAILED $1 (exit $rc, $((SECONDS - start)) s), log $2/$1.log:"; tail -n 80 "$2/$1.log"; exit 1
      fi' _ {} "$logs") || failed=1
    # The rest (install consumer, README snippets, examples, fuzz replays) through ctest.
    stage "ctest, all but the GoogleTest executables"
    ctest --test-dir "$build" --output-on-failure -j"$jobs" -LE "^($(IFS='|'; echo "${areas[*]}"))\$" || failed=1
    if [ "$failed" -ne 0 ]; then
      echo "test-sanitize (address,undefined): FAILED (above)" >&2
      exit 1
    fi
    ;;
  thread)
    need_runtime -fsanitize=thread
    build=build-tsan
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp"
    # Executables with tests that start threads: the whole of visualization and layers (explainers and
    # model graphs used from several threads), and the Thread/Concurren-named tests of the others.
    whole=(visualization layers)
    partial=(io tensor autodiff training)
    targets=()
    for a in "${whole[@]}" "${partial[@]}"; do targets+=("xvis_tests_$a"); done
    stage configure
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$opt_flags" \
          -DXVIS_SANITIZE=thread \
          -DXVIS_BUILD_BENCHMARKS=OFF "${extra[@]}"
    stage build "${targets[@]}"
    cmake --build "$build" -j"$jobs" --target "${targets[@]}"
    failed=()
    run() {  # executable [gtest filter]
      local exe="$build/tests/$1"; shift
      stage run "$(basename "$exe")" "$@"
      "$exe" "$@" || failed+=("$(basename "$exe") $*")
    }
    for a in "${whole[@]}"; do run "xvis_tests_$a"; done
    for a in "${partial[@]}"; do
      # Test names containing Thread or Concurren, from --gtest_list_tests ("Suite." lines, then "  Test").
      # Not those named for a kernel thread count (...OneThread, ...TwoThreads, ...ThreadCount...): their
      # threads are OpenMP's, off in this build, so here they run on one thread with nothing for TSan to see
      # (the reference conv and GEMM sweeps took 3.5 of this stage's 11.5 minutes); stages 1 and 2 run them.
      filter=$("$build/tests/xvis_tests_$a" --gtest_list_tests | awk '
        /^[^ ]/ { suite = $1; next }
        (suite $1) ~ /Thread|Concurren/ && $1 !~ /(OneThread|TwoThreads)$|ThreadCount/ {
          printf "%s%s%s", sep, suite, $1; sep = ":"
        }')
      # The imported-model explanations from several threads (docs/attribution.md, "Threads").
      if [ "$a" = io ]; then filter="ArchitectureThreads.*:ArchitectureBatch.*${filter:+:$filter}"; fi
      if [ -n "$filter" ]; then run "xvis_tests_$a" --gtest_filter="$filter"; fi
    done
    if [ ${#failed[@]} -ne 0 ]; then
      printf 'test-sanitize (thread): FAILED: %s\n' "${failed[@]}" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 [address,undefined|thread]" >&2
    exit 2
    ;;
esac
stage done
