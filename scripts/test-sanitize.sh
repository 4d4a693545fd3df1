#!/usr/bin/env bash
# The test suite under sanitizers (issue 11). Usage: scripts/test-sanitize.sh [address,undefined|thread]
#   address,undefined (default): build-asan, AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer,
#     the whole suite (ctest). Any report fails its test: UBSan does not recover, ASan halts on the first
#     error, leaks fail the process at exit.
#   thread: build-tsan, ThreadSanitizer with OpenMP off (libgomp is not instrumented), only the test
#     executables that use threads, and in them the tests that do (see thread_tests below).
# Builds RelWithDebInfo (-O2 -g): instrumented -O0 would make the suite several times slower.
# Extra configure arguments: XVIS_SANITIZE_CMAKE_ARGS (e.g. "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache").
# Suppressions (third-party code only, each with its reason): tests/sanitizers/*.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mode=${1:-address,undefined}
jobs=$(nproc)
read -r -a extra <<<"${XVIS_SANITIZE_CMAKE_ARGS:-}"

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
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXVIS_SANITIZE=address,undefined \
          -DXVIS_BUILD_BENCHMARKS=OFF "${extra[@]}"
    stage build
    cmake --build "$build" -j"$jobs"
    stage ctest
    ctest --test-dir "$build" --output-on-failure -j"$jobs"
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
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXVIS_SANITIZE=thread \
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
