// Register-only FMA loop: the machine's float32 peak, against which the conv rows are read (issue 13's target:
// ≥ 80 % of it). 10 independent FMA chains per thread (enough to cover the FMA latency), no memory traffic, in
// the widest vectors xvis's GEMM uses on this machine: 16 lanes where its micro-kernel is AVX-512, 8 otherwise.
#include "fma_peak.hpp"

#include <xvis/tensor/gemm.hpp>

#include <immintrin.h>

#include <chrono>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace xvis::peer {
namespace {

__attribute__((target("avx2,fma"))) float chains(long iterations) {
    __m256 acc[10];
    for (int i = 0; i < 10; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i) * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long n = 0; n < iterations; ++n)
        for (int i = 0; i < 10; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 s = acc[0];
    for (int i = 1; i < 10; ++i) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

__attribute__((target("avx512f"))) float chains512(long iterations) {
    __m512 acc[10];
    for (int i = 0; i < 10; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i) * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long n = 0; n < iterations; ++n)
        for (int i = 0; i < 10; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    __m512 s = acc[0];
    for (int i = 1; i < 10; ++i) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

}  // namespace

std::string fma_peak_isa() { return kernels::gemm_kernel_isa() == "avx512f" ? "avx512f" : "avx2"; }

double fma_peak_gflops(int threads) {
    const bool wide = fma_peak_isa() == "avx512f";
    const double lanes = wide ? 16 : 8;
    const long iterations = 20'000'000;  // 1.6 GFLOP per thread: ~15 ms at 100 GFLOP/s
    volatile float sink = 0;
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
        { sink = sink + (wide ? chains512(iterations) : chains(iterations)); }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double g = 2.0 * lanes * 10 * static_cast<double>(iterations) * threads / s * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

}  // namespace xvis::peer
