// The GEMM micro-kernel in AVX-512, chosen at run time on CPUs that have it (detail/gemm_kernel.hpp). It reads
// the same packed micro-panels as the portable xsimd kernel, A in 6-row panels [kc][6] and B in 64-byte panels
// [kc][NR] (16 floats, 8 doubles), so packing, blocking and every caller stay as they are. One zmm register holds
// a row of the tile where the AVX2 kernel needs two, and two A panels are taken at once: 12 accumulators, enough
// independent chains for the FMA latency, and each B vector feeds 12 FMAs.
// Every element is summed in the portable kernel's order (one FMA per k, in order, then alpha and beta), so both
// kernels give the same bits, and so does a row whichever panel pairing it lands in.
// Only these functions are compiled for AVX-512 (target attributes, not a flag on the file), so no inline
// function from a header is emitted here in AVX-512 for the linker to pick in other files (the one header it takes,
// detail/gemm_prefetch.hpp, has no intrinsics and is inlined).
#include <xvis/tensor/detail/cpu_features.hpp>
#include <xvis/tensor/detail/gemm_prefetch.hpp>

#include <cstddef>

#ifdef XVIS_AVX512_KERNELS  // as XVIS_GEMM_AVX512 in detail/gemm_kernel.hpp
#include <immintrin.h>

namespace xvis::kernels::gemm_detail {

namespace {
constexpr std::size_t MR = 6;

template <class T>
struct Zmm;
template <>
struct Zmm<float> {
    using V = __m512;
    static constexpr std::size_t lanes = 16;
    __attribute__((target("avx512f"))) static V zero() { return _mm512_setzero_ps(); }
    __attribute__((target("avx512f"))) static V set1(float x) { return _mm512_set1_ps(x); }
    __attribute__((target("avx512f"))) static V load(const float* p) { return _mm512_loadu_ps(p); }
    __attribute__((target("avx512f"))) static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    __attribute__((target("avx512f"))) static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    __attribute__((target("avx512f"))) static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
};
template <>
struct Zmm<double> {
    using V = __m512d;
    static constexpr std::size_t lanes = 8;
    __attribute__((target("avx512f"))) static V zero() { return _mm512_setzero_pd(); }
    __attribute__((target("avx512f"))) static V set1(double x) { return _mm512_set1_pd(x); }
    __attribute__((target("avx512f"))) static V load(const double* p) { return _mm512_loadu_pd(p); }
    __attribute__((target("avx512f"))) static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
    __attribute__((target("avx512f"))) static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    __attribute__((target("avx512f"))) static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
};

// C[mr×nr] = alpha · a·b + beta · C for P A panels (panel p at a + p·a_stride, rows 6p..6p + 5 of the tile) and
// one B panel; beta == 0 never reads C. Whole 6-row tiles are stored from registers, others through a stack buffer.
template <std::size_t P, bool stream_a, class T>
__attribute__((target("avx512f"))) inline void tile(std::size_t kc, const T* __restrict a, std::size_t a_stride,
                                                    const T* __restrict b, T* c, std::size_t rs, std::size_t cs,
                                                    T alpha, T beta, std::size_t mr, std::size_t nr) {
    using Z = Zmm<T>;
    constexpr std::size_t NR = Z::lanes, rows = P * MR;
    typename Z::V acc[rows];
#pragma GCC unroll 12
    for (std::size_t i = 0; i < rows; ++i) acc[i] = Z::zero();
    const auto step = [](std::size_t k, const T* __restrict a, std::size_t a_stride, const T* __restrict b,
                         typename Z::V* acc) __attribute__((always_inline, target("avx512f"))) {
        const typename Z::V bk = Z::load(b + k * NR);
#pragma GCC unroll 2
        for (std::size_t p = 0; p < P; ++p)
#pragma GCC unroll 6
            for (std::size_t i = 0; i < MR; ++i)
                acc[p * MR + i] = Z::fma(Z::set1(a[p * a_stride + k * MR + i]), bk, acc[p * MR + i]);
    };
    if constexpr (stream_a) {
        for (std::size_t k0 = 0; k0 < kc; k0 += prefetch_every) {
#pragma GCC unroll 2
            for (std::size_t p = 0; p < P; ++p) prefetch_panel<MR>(a + p * a_stride, k0);
            const std::size_t k1 = k0 + prefetch_every < kc ? k0 + prefetch_every : kc;
#pragma GCC unroll 8
            for (std::size_t k = k0; k < k1; ++k) step(k, a, a_stride, b, acc);
        }
    } else {
#pragma GCC unroll 2
        for (std::size_t k = 0; k < kc; ++k) step(k, a, a_stride, b, acc);
    }
    const typename Z::V va = Z::set1(alpha), vb = Z::set1(beta);
    // Panel by panel, as the portable kernel stores each 6-row tile (same bits: whole tiles take one FMA for
    // beta, others alpha · acc + beta · c in scalars).
    for (std::size_t p = 0; p < P && p * MR < mr; ++p) {
        const std::size_t m = mr - p * MR < MR ? mr - p * MR : MR;
        typename Z::V* part = acc + p * MR;
        T* cp = c + p * MR * rs;
        if (m == MR && nr == NR && cs == 1) {
#pragma GCC unroll 6
            for (std::size_t i = 0; i < MR; ++i) {
                T* ci = cp + i * rs;
                const typename Z::V scaled = Z::mul(va, part[i]);
                Z::store(ci, beta == T(0) ? scaled : Z::fma(vb, Z::load(ci), scaled));
            }
            continue;
        }
        alignas(64) T tmp[MR * NR];
        for (std::size_t i = 0; i < MR; ++i) Z::store(tmp + i * NR, part[i]);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < nr; ++j) {
                T& cij = cp[i * rs + j * cs];
                cij = beta == T(0) ? alpha * tmp[i * NR + j] : alpha * tmp[i * NR + j] + beta * cij;
            }
    }
}

// The kernel with or without prefetching A (a compile-time choice: packed A keeps its loop unchanged).
template <std::size_t P, class T>
__attribute__((target("avx512f"))) void tile_for(bool stream_a, std::size_t kc, const T* a, std::size_t a_stride,
                                                 const T* b, T* c, std::size_t rs, std::size_t cs, T alpha, T beta,
                                                 std::size_t mr, std::size_t nr) {
    if (stream_a) return tile<P, true>(kc, a, a_stride, b, c, rs, cs, alpha, beta, mr, nr);
    tile<P, false>(kc, a, a_stride, b, c, rs, cs, alpha, beta, mr, nr);
}
}  // namespace

void micro_kernel_avx512(std::size_t kc, const float* a, const float* b, float* c, std::size_t rs, std::size_t cs,
                         float alpha, float beta, std::size_t mr, std::size_t nr, bool stream_a) {
    tile_for<1>(stream_a, kc, a, 0, b, c, rs, cs, alpha, beta, mr, nr);
}
void micro_kernel_avx512(std::size_t kc, const double* a, const double* b, double* c, std::size_t rs,
                         std::size_t cs, double alpha, double beta, std::size_t mr, std::size_t nr, bool stream_a) {
    tile_for<1>(stream_a, kc, a, 0, b, c, rs, cs, alpha, beta, mr, nr);
}
void micro_kernel_avx512_x2(std::size_t kc, const float* a, std::size_t a_stride, const float* b, float* c,
                            std::size_t rs, std::size_t cs, float alpha, float beta, std::size_t mr, std::size_t nr,
                            bool stream_a) {
    tile_for<2>(stream_a, kc, a, a_stride, b, c, rs, cs, alpha, beta, mr, nr);
}
void micro_kernel_avx512_x2(std::size_t kc, const double* a, std::size_t a_stride, const double* b, double* c,
                            std::size_t rs, std::size_t cs, double alpha, double beta, std::size_t mr,
                            std::size_t nr, bool stream_a) {
    tile_for<2>(stream_a, kc, a, a_stride, b, c, rs, cs, alpha, beta, mr, nr);
}

}  // namespace xvis::kernels::gemm_detail
#endif
