// Packing for gemm.cpp: copies blocks of op(A) and op(B) into the micro-panel layouts its micro-kernel
// streams through (contiguous, 64-byte aligned, zero-padded to whole MR / NR tiles).
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#ifdef __AVX__
#include <xvis/tensor/detail/transpose8x8.hpp>

#include <immintrin.h>
#endif

namespace xvis::kernels::gemm_detail {
namespace {

template <class T>
struct Blocking {
    using batch = xsimd::batch<T>;
    static constexpr std::size_t W = batch::size;
    static constexpr std::size_t MR = 6;  // as in gemm.cpp
    static constexpr std::size_t NR = 2 * W;
};

// Transposed packing (trans_b) moves one element per instruction in scalar code, a quarter of the time of
// some backward-weights convolutions; with AVX a W×W block is transposed in registers instead. (xsimd 8's
// zip_lo/zip_hi interleave within 128-bit lanes on AVX, so they do not give a portable transpose.)
#ifdef __AVX__
template <class T>
constexpr bool has_simd_transpose = xsimd::batch<T>::size * sizeof(T) == 32;
// dst[kk·ldd + j] = src[j·lds + kk] for a W×W block.
inline void transpose_block(const float* src, std::size_t lds, float* dst, std::size_t ldd) {
    detail::transpose8x8(src, static_cast<std::ptrdiff_t>(lds), dst, static_cast<std::ptrdiff_t>(ldd));
}
inline void transpose_block(const double* src, std::size_t lds, double* dst, std::size_t ldd) {
    __m256d r[4];
    for (int i = 0; i < 4; ++i) r[i] = _mm256_loadu_pd(src + i * lds);
    const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    _mm256_store_pd(dst, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_store_pd(dst + ldd, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_store_pd(dst + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_store_pd(dst + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31));
}
#else
template <class T>
constexpr bool has_simd_transpose = false;
template <class T>
inline void transpose_block(const T*, std::size_t, T*, std::size_t) {}
#endif

}  // namespace

// op(B)[p0 + k, j0 + j] for k < kc, j < nc into NR-column micro-panels laid out [panel][k][NR], zero-padded.
template <class T>
void pack_b(bool trans, const T* B, std::size_t ldb, std::size_t p0, std::size_t kc, std::size_t j0,
            std::size_t nc, T* out) {
    using batch = typename Blocking<T>::batch;
    constexpr std::size_t W = Blocking<T>::W, NR = Blocking<T>::NR;
    if (!trans) {
        // Row by row over chunks of 16 panels: each row k is read as one contiguous run of up to 1 KiB, with
        // the rows two ahead prefetched. (Panel by panel, each row gave one cache line per panel.)
        constexpr std::size_t chunk = 16 * NR;
        for (std::size_t c0 = 0; c0 < nc; c0 += chunk) {
            const std::size_t cw = std::min(chunk, nc - c0), full = cw / NR * NR;
            for (std::size_t k = 0; k < kc; ++k) {
                const T* src = B + (p0 + k) * ldb + j0 + c0;
                T* dst = out + c0 * kc + k * NR;
                for (std::size_t jr = 0; jr < full; jr += NR) {
                    if (k + 2 < kc) __builtin_prefetch(src + 2 * ldb + jr);
                    batch::load_unaligned(src + jr).store_aligned(dst + jr * kc);
                    batch::load_unaligned(src + jr + W).store_aligned(dst + jr * kc + W);
                }
                for (std::size_t j = 0; full < cw && j < NR; ++j) dst[full * kc + j] = j < cw - full ? src[full + j] : T(0);
            }
        }
        return;
    }
    // Panel by panel: NR rows of B^T, each a run of kc elements. Runs that short (1 KiB) from NR rows at once
    // are more than the hardware prefetcher follows when B^T comes from memory (a layer's weights): while one
    // panel is transposed, the next panel's rows are prefetched, one line per line read.
    constexpr std::size_t line = 64 / sizeof(T);
    for (std::size_t jr = 0; jr < nc; jr += NR) {
        const std::size_t nr = std::min(NR, nc - jr);
        T* dst = out + jr * kc;
        const T* src = B + (j0 + jr) * ldb + p0;
        const bool ahead = jr + 2 * NR <= nc;  // the next panel is whole
        if (nr == NR) {
            std::size_t k = 0;
            if constexpr (has_simd_transpose<T>)
                for (; k + W <= kc; k += W) {
                    if (ahead && k % line == 0)
                        for (std::size_t j = 0; j < NR; ++j) __builtin_prefetch(src + (NR + j) * ldb + k);
                    for (std::size_t j = 0; j < NR; j += W) transpose_block(src + j * ldb + k, ldb, dst + k * NR + j, NR);
                }
            for (; k < kc; ++k)
#pragma GCC unroll 16
                for (std::size_t j = 0; j < NR; ++j) dst[k * NR + j] = src[j * ldb + k];
        } else {
            for (std::size_t k = 0; k < kc; ++k)
                for (std::size_t j = 0; j < NR; ++j) dst[k * NR + j] = j < nr ? src[j * ldb + k] : T(0);
        }
    }
}

// op(A)[i0 + i, p0 + k] for i < mc, k < kc into MR-row micro-panels laid out [panel][k][MR], zero-padded rows.
template <class T>
void pack_a(bool trans, const T* A, std::size_t lda, std::size_t i0, std::size_t mc, std::size_t p0,
            std::size_t kc, T* out) {
    constexpr std::size_t MR = Blocking<T>::MR;
    for (std::size_t ir = 0; ir < mc; ir += MR) {
        const std::size_t mr = std::min(MR, mc - ir);
        T* dst = out + ir * kc;
        if (!trans) {
            const T* src = A + (i0 + ir) * lda + p0;
            if (mr == MR) {
                for (std::size_t k = 0; k < kc; ++k)
#pragma GCC unroll 6
                    for (std::size_t i = 0; i < MR; ++i) dst[k * MR + i] = src[i * lda + k];
            } else {
                for (std::size_t k = 0; k < kc; ++k)
                    for (std::size_t i = 0; i < MR; ++i) dst[k * MR + i] = i < mr ? src[i * lda + k] : T(0);
            }
        } else {
            const T* src = A + p0 * lda + i0 + ir;
            if (mr == MR) {
                for (std::size_t k = 0; k < kc; ++k)
#pragma GCC unroll 6
                    for (std::size_t i = 0; i < MR; ++i) dst[k * MR + i] = src[k * lda + i];
            } else {
                for (std::size_t k = 0; k < kc; ++k)
                    for (std::size_t i = 0; i < MR; ++i) dst[k * MR + i] = i < mr ? src[k * lda + i] : T(0);
            }
        }
    }
}

#define XVIS_GEMM_PACK_INSTANTIATE(T)                                                                          \
    template void pack_a<T>(bool, const T*, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, T*); \
    template void pack_b<T>(bool, const T*, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, T*);
XVIS_GEMM_PACK_INSTANTIATE(float)
XVIS_GEMM_PACK_INSTANTIATE(double)
#undef XVIS_GEMM_PACK_INSTANTIATE

}  // namespace xvis::kernels::gemm_detail
