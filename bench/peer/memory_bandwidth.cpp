// Memory read bandwidth: a streaming sum in the vectors of fma_peak_isa() (AVX-512 where xvis's GEMM micro-kernel
// is, AVX2 otherwise) with 8 independent accumulators per thread (enough loads
// in flight that the loop is bound by memory, not by the add latency), static split, pages first touched by the
// thread that reads them.
#include "memory_bandwidth.hpp"

#include "fma_peak.hpp"

#include <immintrin.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <memory>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace xvis::peer {
namespace {

__attribute__((target("avx2"))) float sum_range(const float* p, std::size_t n) {
    __m256 acc[8];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (std::size_t i = 0; i + 64 <= n; i += 64)
        for (int j = 0; j < 8; ++j) acc[j] = _mm256_add_ps(acc[j], _mm256_load_ps(p + i + 8 * j));
    for (int j = 1; j < 8; ++j) acc[0] = _mm256_add_ps(acc[0], acc[j]);
    alignas(32) float out[8];
    _mm256_store_ps(out, acc[0]);
    return out[0];
}

__attribute__((target("avx512f"))) float sum_range512(const float* p, std::size_t n) {
    __m512 acc[8];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (std::size_t i = 0; i + 128 <= n; i += 128)
        for (int j = 0; j < 8; ++j) acc[j] = _mm512_add_ps(acc[j], _mm512_load_ps(p + i + 16 * j));
    for (int j = 1; j < 8; ++j) acc[0] = _mm512_add_ps(acc[0], acc[j]);
    return _mm512_reduce_add_ps(acc[0]);
}

struct AlignedFree {
    void operator()(float* p) const { std::free(p); }
};

}  // namespace

double read_bandwidth_gbps(int threads) {
    const std::size_t n = std::size_t(64) << 20;  // floats: 256 MiB
    std::unique_ptr<float, AlignedFree> buf(static_cast<float*>(std::aligned_alloc(64, n * sizeof(float))));
    float* a = buf.get();
    const bool wide = fma_peak_isa() == "avx512f";
    const long long chunks = static_cast<long long>(n / 128);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long long c = 0; c < chunks; ++c)
        for (std::size_t j = 0; j < 128; ++j) a[std::size_t(c) * 128 + j] = 1.0f;
    volatile float sink = 0;
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        {
#ifdef _OPENMP
            const std::size_t t = std::size_t(omp_get_thread_num()), T = std::size_t(omp_get_num_threads());
#else
            const std::size_t t = 0, T = 1;
#endif
            const std::size_t b = std::size_t(chunks) * t / T * 128, e = std::size_t(chunks) * (t + 1) / T * 128;
            total += wide ? sum_range512(a + b, e - b) : sum_range(a + b, e - b);
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        sink = sink + total;
        const double gbps = double(n * sizeof(float)) / s * 1e-9;
        if (gbps > best) best = gbps;
    }
    return best;
}

}  // namespace xvis::peer
