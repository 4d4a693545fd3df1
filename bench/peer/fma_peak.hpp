#pragma once
namespace xvis::peer {
// Best of 5 runs of a register-only AVX2 FMA loop on `threads` threads, in GFLOP/s (2 flops per lane per FMA).
double fma_peak_gflops(int threads);
}  // namespace xvis::peer
