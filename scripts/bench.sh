#!/usr/bin/env bash
# The benchmark suite on a fresh machine: set-up, Release build, xvis_bench. Short form by default
# (0.05 s per benchmark); pass Google Benchmark flags to override, e.g.
#   scripts/bench.sh --benchmark_filter=gemm --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target xvis_bench
if [ $# -eq 0 ]; then set -- --benchmark_min_time=0.05; fi
build/bench/xvis_bench "$@"
