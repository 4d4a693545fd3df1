#pragma once
#include <string>

namespace xvis::peer {
// Best of 5 runs of a register-only FMA loop on `threads` threads, in GFLOP/s (2 flops per lane per FMA), in
// fma_peak_isa()'s vectors: "avx512f" where xvis's GEMM micro-kernel is AVX-512, "avx2" otherwise.
double fma_peak_gflops(int threads);
std::string fma_peak_isa();
}  // namespace xvis::peer
