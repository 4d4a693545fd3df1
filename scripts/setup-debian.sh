#!/usr/bin/env bash
# Installs every Debian package xvis needs to build, test and benchmark. Idempotent: installs only what is
# missing, runs apt-get update only when something is. Needs root (or sudo) only when a package is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libxtensor-dev libxsimd-dev xtl-dev   # tensors; libxtensor-dev does not pull libxsimd-dev
  libgtest-dev libbenchmark-dev         # tests, benchmarks (OpenMP comes with g++'s libgomp)
  libstb-dev                            # PNG/JPEG read, PNG write
  zlib1g-dev                            # gzipped IDX datasets
  libonnx-dev libprotobuf-dev           # ONNX model files (onnx-ml.pb.h, libonnx_proto, libprotobuf)
  libonnx-testdata                      # ONNX conformance data (node tests with expected outputs)
  dataset-fashion-mnist                 # training / test data (/usr/share/datasets/fashion-mnist)
  libcli11-dev                          # the xvis command line
  chromium                              # the gallery page's tests (headless; tests/io/gallery_browser.cpp)
  nlohmann-json3-dev                    # sweep manifests (JSON lines)
  libxxhash-dev                         # hashes of parameters (compiled functions' prepared weights)
  libopenmpi-dev openmpi-bin            # sweeps over MPI ranks (optional: XVIS_USE_MPI follows what is found)
  clang libfuzzer-14-dev                # fuzz targets (scripts/fuzz.sh; GCC has no libFuzzer)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "setup: not root and no sudo. Run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
