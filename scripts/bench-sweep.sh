#!/usr/bin/env bash
# Sweep throughput (items/s): saliency of the predicted class for Fashion-MNIST test images, three ways side by
# side, each repeated and reported as the median:
#   1 process x 1 thread, 1 process x 2 threads, mpirun -np 2 x 1 thread, and the same with `--mca pml ob1`
#   (Open MPI's shared-memory transport chosen up front: Debian's Open MPI otherwise spends ~0.2 s of MPI_Init
#   probing for Omni-Path / InfiniPath hardware (its psm and psm2 components), on every run of every rank).
# Two rates: over the whole command (model load, dataset read, MPI start-up and the gallery included: what a user
# waits for) and over the sweep alone (the rate the sweep's last line prints: from the first item handed out to
# the last manifest line; start-up excluded, which is what grows with the ranks on a long run).
# Every item creates and fsyncs 4 files and appends a synced manifest line: on a small model that disk work, not
# the explanation, sets the pace. SWEEP_BENCH_DIR=/dev/shm (tmpfs, where both cost little) measures the
# computation's scaling alone.
# Usage: [SWEEP_BENCH_DIR=dir] scripts/bench-sweep.sh [build dir (build)] [images (10000: the whole test set)] [repetitions (3)] [model (arch:fashion_cnn)]
set -euo pipefail
build=${1:-build}
images=${2:-10000}
reps=${3:-3}
model=${4:-arch:fashion_cnn}
xvis="$build/xvis"
[ -x "$xvis" ] || { echo "bench-sweep: $xvis not found (cmake --build $build --target xvis_cli)" >&2; exit 1; }
mpi=(mpirun --oversubscribe -np 2)
[ "$(id -u)" -eq 0 ] && mpi=(mpirun --allow-run-as-root --oversubscribe -np 2)
work=$(mktemp -d -p "${SWEEP_BENCH_DIR:-${TMPDIR:-/tmp}}")
trap 'rm -rf "$work"' EXIT

# seconds for one run into a fresh folder
run_once() {
  local out="$work/out"
  rm -rf "$out"
  local t0 t1
  t0=$(date +%s.%N)
  "$@" sweep "$model" --indices "0-$((images - 1))" -o "$out" > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  t1=$(date +%s.%N)
  [ "$(wc -l < "$out/manifest.jsonl")" -eq "$images" ] || { echo "bench-sweep: incomplete manifest" >&2; exit 1; }
  # "... done now (0 failed) in 9.0 s (1109.67 items/s, 1 rank × 1 thread); ..." → the sweep's own rate
  local rate
  rate=$(sed -n 's/.* done now .* s (\([0-9.]*\) items\/s,.*/\1/p' "$work/log" | tail -1)
  [ -n "$rate" ] || { echo "bench-sweep: no rate in the sweep's output" >&2; cat "$work/log" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" -v r="$rate" 'BEGIN { print b - a "/" r }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# SWEEP_BENCH_DIR=${SWEEP_BENCH_DIR:-} scripts/bench-sweep.sh $build $images $reps $model ($(df --output=fstype "$work" | tail -1)): saliency, top-1 class, $images Fashion-MNIST test images, median of $reps"
declare -A secs rates
# Interleaved repetitions, so that a change in the machine's load touches every configuration alike.
add() { local v; v=$(run_once "${@:2}"); secs[$1]+="${v%/*} "; rates[$1]+="${v#*/} "; }
for ((r = 0; r < reps; ++r)); do
  add one1 "$xvis" --threads 1
  add one2 "$xvis" --threads 2
  add mpi2 "${mpi[@]}" "$xvis" --threads 1
  add ob1 "${mpi[@]}" --mca pml ob1 "$xvis" --threads 1
done
base="" sbase=""
printf '%-26s %9s %9s %8s   %12s %8s\n' configuration seconds items/s speed-up "sweep items/s" speed-up
for key in one1 one2 mpi2 ob1; do
  case $key in one1) label="1 process x 1 thread";; one2) label="1 process x 2 threads";; mpi2) label="mpirun -np 2 x 1 thread";;
    ob1) label="  same, --mca pml ob1";; esac
  s=$(printf '%s\n' ${secs[$key]} | median)
  sr=$(printf '%s\n' ${rates[$key]} | median)
  rate=$(awk -v n="$images" -v s="$s" 'BEGIN { print n / s }')
  [ -z "$base" ] && base=$rate sbase=$sr
  printf '%-26s %9.2f %9.1f %7.2fx   %12.1f %7.2fx\n' "$label" "$s" "$rate" "$(awk -v r="$rate" -v b="$base" 'BEGIN { print r / b }')" \
    "$sr" "$(awk -v r="$sr" -v b="$sbase" 'BEGIN { print r / b }')"
done
