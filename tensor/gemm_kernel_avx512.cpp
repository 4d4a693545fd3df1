// The GEMM micro-kernel in AVX-512, chosen at run time on CPUs that have it (gemm.cpp). It reads the same
// packed micro-panels as the portable xsimd kernel, a [kc][6] and b [kc][NR] with NR = 64 bytes (16 floats,
// 8 doubles), so packing, blocking and every caller stay as they are; one zmm register holds a row of the tile
// where the AVX2 kernel needs two, so each k step is 6 FMAs instead of 12.
// Six accumulators would leave the FMA units waiting on their own latency (4 cycles, 2 units: 8 chains in
// flight), so even and odd k sum into separate accumulators, added at the end: results differ from the
// portable kernel's in rounding only.
// Only the functions below are compiled for AVX-512 (a target attribute, not a flag on the file), so no inline
// function from a header can be emitted here in AVX-512 and picked by the linker for other files.
#include <cstddef>

#if defined(__x86_64__) && defined(__GNUC__)  // as XVIS_GEMM_AVX512 in detail/gemm_kernel.hpp
#include <immintrin.h>

namespace xvis::kernels::gemm_detail {

namespace {
constexpr std::size_t MR = 6;

// c(i, j) = alpha · acc(i, j) + beta · c(i, j) through tmp[i·NR + j] for the first mr × nr of the tile;
// beta == 0 never reads c.
template <class T>
inline void store_edge(const T* tmp, std::size_t NR, T* c, std::size_t rs, std::size_t cs, T alpha, T beta,
                       std::size_t mr, std::size_t nr) {
    for (std::size_t i = 0; i < mr; ++i)
        for (std::size_t j = 0; j < nr; ++j) {
            T& cij = c[i * rs + j * cs];
            cij = beta == T(0) ? alpha * tmp[i * NR + j] : alpha * tmp[i * NR + j] + beta * cij;
        }
}
}  // namespace

__attribute__((target("avx512f"))) void micro_kernel_avx512(std::size_t kc, const float* __restrict a,
                                                             const float* __restrict b, float* c, std::size_t rs,
                                                             std::size_t cs, float alpha, float beta,
                                                             std::size_t mr, std::size_t nr) {
    constexpr std::size_t NR = 16;
    __m512 even[MR], odd[MR];
#pragma GCC unroll 6
    for (std::size_t i = 0; i < MR; ++i) even[i] = odd[i] = _mm512_setzero_ps();
    std::size_t k = 0;
#pragma GCC unroll 2
    for (; k + 2 <= kc; k += 2) {
        const __m512 b0 = _mm512_loadu_ps(b + k * NR), b1 = _mm512_loadu_ps(b + (k + 1) * NR);
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) {
            even[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[k * MR + i]), b0, even[i]);
            odd[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[(k + 1) * MR + i]), b1, odd[i]);
        }
    }
    if (k < kc) {
        const __m512 b0 = _mm512_loadu_ps(b + k * NR);
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) even[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[k * MR + i]), b0, even[i]);
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    if (mr == MR && nr == NR && cs == 1) {
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) {
            float* ci = c + i * rs;
            const __m512 acc = _mm512_mul_ps(va, _mm512_add_ps(even[i], odd[i]));
            _mm512_storeu_ps(ci, beta == 0.0f ? acc : _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), acc));
        }
        return;
    }
    alignas(64) float tmp[MR * NR];
    for (std::size_t i = 0; i < MR; ++i) _mm512_store_ps(tmp + i * NR, _mm512_add_ps(even[i], odd[i]));
    store_edge(tmp, NR, c, rs, cs, alpha, beta, mr, nr);
}

__attribute__((target("avx512f"))) void micro_kernel_avx512(std::size_t kc, const double* __restrict a,
                                                             const double* __restrict b, double* c, std::size_t rs,
                                                             std::size_t cs, double alpha, double beta,
                                                             std::size_t mr, std::size_t nr) {
    constexpr std::size_t NR = 8;
    __m512d even[MR], odd[MR];
#pragma GCC unroll 6
    for (std::size_t i = 0; i < MR; ++i) even[i] = odd[i] = _mm512_setzero_pd();
    std::size_t k = 0;
#pragma GCC unroll 2
    for (; k + 2 <= kc; k += 2) {
        const __m512d b0 = _mm512_loadu_pd(b + k * NR), b1 = _mm512_loadu_pd(b + (k + 1) * NR);
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) {
            even[i] = _mm512_fmadd_pd(_mm512_set1_pd(a[k * MR + i]), b0, even[i]);
            odd[i] = _mm512_fmadd_pd(_mm512_set1_pd(a[(k + 1) * MR + i]), b1, odd[i]);
        }
    }
    if (k < kc) {
        const __m512d b0 = _mm512_loadu_pd(b + k * NR);
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) even[i] = _mm512_fmadd_pd(_mm512_set1_pd(a[k * MR + i]), b0, even[i]);
    }
    const __m512d va = _mm512_set1_pd(alpha), vb = _mm512_set1_pd(beta);
    if (mr == MR && nr == NR && cs == 1) {
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) {
            double* ci = c + i * rs;
            const __m512d acc = _mm512_mul_pd(va, _mm512_add_pd(even[i], odd[i]));
            _mm512_storeu_pd(ci, beta == 0.0 ? acc : _mm512_fmadd_pd(vb, _mm512_loadu_pd(ci), acc));
        }
        return;
    }
    alignas(64) double tmp[MR * NR];
    for (std::size_t i = 0; i < MR; ++i) _mm512_store_pd(tmp + i * NR, _mm512_add_pd(even[i], odd[i]));
    store_edge(tmp, NR, c, rs, cs, alpha, beta, mr, nr);
}

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f"); }

}  // namespace xvis::kernels::gemm_detail
#endif
