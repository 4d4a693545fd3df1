#!/usr/bin/env bash
# The main job on a fresh machine: set-up, Release build of the `xvis` command line, then `xvis demo`, which
# trains the Fashion-MNIST CNN with xvis's own autodiff (or reuses xvis-demo/fashion_cnn.onnx), and writes
# activation maximization, saliency and Grad-CAM images and a gallery of them, index.html, to xvis-demo/.
# Extra arguments go to `xvis demo` (e.g. --epochs 2, --retrain, -o other-folder).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target xvis_cli
build/xvis demo "$@"
