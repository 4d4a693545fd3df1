#!/usr/bin/env bash
# xvis against PyTorch side by side in one run (issue 13): builds xvis_peer (Release) and runs
# bench/peer/compare.py, which alternates xvis and PyTorch 1.13 (Debian python3-torch, python3-torchvision,
# python3-onnx, for /usr/bin/python3) on every workload over idle-checked rounds and prints the markdown table.
#   scripts/compare.sh                 # everything, 3 rounds (about an hour on 2 cores)
#   scripts/compare.sh --quick         # 1 round, a subset, few calls: checks the harness end to end
#   scripts/compare.sh --only w3,w4    # groups (--list shows workloads and groups); --workloads a,b; --skip ...
#   scripts/compare.sh --xvis-only --quick   # without PyTorch (models already in the cache)
# PyTorch is optional: without it the script says so and exits 0. With it, OpenBLAS (libopenblas0-pthread) is
# required for PyTorch's GEMMs unless --blas default is given. Models are exported at run time to
# $XVIS_COMPARE_CACHE (default ~/.cache/xvis-compare, about 330 MB), never committed. Set BUILD_DIR to reuse a build.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
torch_python=${XVIS_TORCH_PYTHON:-/usr/bin/python3}
need_torch=1
for arg in "$@"; do
  case "$arg" in --xvis-only|--dry-run|--list|-h|--help) need_torch=0 ;; esac
done
if [ "$need_torch" = 1 ] && ! "$torch_python" -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "compare: PyTorch not found ($torch_python cannot import torch, torchvision and onnx: install python3-torch" \
       "python3-torchvision python3-onnx); skipping the comparison."
  exit 0
fi
# Without OpenBLAS, PyTorch's Linear / MatMul rows run on Debian's reference BLAS (10-30x slower): a whole run
# (20 min and more) whose GEMM-bound ratios mean nothing. Stop before it unless that BLAS is asked for.
blas_default=0
prev=
for arg in "$@"; do
  { [ "$arg" = --blas=default ] || { [ "$prev" = --blas ] && [ "$arg" = default ]; }; } && blas_default=1
  prev=$arg
done
if [ "$need_torch" = 1 ] && [ "$blas_default" = 0 ] && [ ! -d /usr/lib/x86_64-linux-gnu/openblas-pthread ]; then
  echo "compare: OpenBLAS is not installed (no /usr/lib/x86_64-linux-gnu/openblas-pthread), so PyTorch would run its" \
       "GEMMs on the reference BLAS: install libopenblas0-pthread, or pass --blas default to compare against it anyway." >&2
  exit 2
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target xvis_peer >/dev/null
XVIS_PEER="$build/bench/xvis_peer" exec python3 bench/peer/compare.py "$@"
