#pragma once
// The GEMM's register blocking and its micro-kernel, for gemm.cpp only (the blocking depends on the xsimd
// architecture xvis's .cpp files are compiled for, so no public header may see it).
// micro_column() and micro_kernel() run the AVX-512 kernels (gemm_kernel_avx512.cpp) where the CPU has them and
// the panels are 64 bytes wide (the avx2 build's), and the portable xsimd kernel otherwise; set_gemm_kernel()
// chooses. All give the same bits.
#include <xvis/tensor/detail/gemm_prefetch.hpp>
#include <xvis/tensor/gemm.hpp>

#include <xvis/tensor/detail/cpu_features.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>

// The AVX-512 kernel is compiled (with a target attribute) where detail/cpu_features.hpp says, chosen at run time.
#ifdef XVIS_AVX512_KERNELS
#define XVIS_GEMM_AVX512 1
#endif

namespace xvis::kernels {
namespace gemm_detail {

template <class T>
struct Blocking {
    using batch = xsimd::batch<T>;
    static constexpr std::size_t W = batch::size;  // 8 floats on avx2, 4 on sse2
    static constexpr std::size_t MR = 6;           // 6 × 2 accumulators + 2 B + 1 A = 15 of 16 vector registers
    static constexpr std::size_t NR = 2 * W;
    // Zen 3: KC·NR·sizeof(T) = 16 KiB B micro-panel in L1d (32 KiB); MC·KC·sizeof(T) ≈ 144 KiB A block in
    // L2 (512 KiB); KC·NC panel of B a few MiB in L3 (32 MiB shared).
    static constexpr std::size_t KC = 256;
    static constexpr std::size_t MC = (sizeof(T) == 4 ? 144 : 72);
    static constexpr std::size_t NC = 4080 / NR * NR;
    static constexpr std::size_t NT = 1024 / sizeof(T);  // columns of a filled B tile: KC·NT·sizeof(T) = 256 KiB
    static_assert(MC % MR == 0, "MC must be a multiple of MR");
};

#ifdef XVIS_GEMM_AVX512
// gemm_kernel_avx512.cpp: the contract of micro_kernel_portable, for 64-byte B panels (NR = 16 floats, 8 doubles)
// and MR = 6, with the portable kernel's bits; _x2 takes two A panels (panel 1 at a + a_stride, rows 6..11).
// stream_a: A comes from memory, not from a packing buffer in L2; prefetch it ahead (the same bits).
void micro_kernel_avx512(std::size_t kc, const float* a, const float* b, float* c, std::size_t rs, std::size_t cs,
                         float alpha, float beta, std::size_t mr, std::size_t nr, bool stream_a);
void micro_kernel_avx512(std::size_t kc, const double* a, const double* b, double* c, std::size_t rs,
                         std::size_t cs, double alpha, double beta, std::size_t mr, std::size_t nr, bool stream_a);
void micro_kernel_avx512_x2(std::size_t kc, const float* a, std::size_t a_stride, const float* b, float* c,
                            std::size_t rs, std::size_t cs, float alpha, float beta, std::size_t mr, std::size_t nr,
                            bool stream_a);
void micro_kernel_avx512_x2(std::size_t kc, const double* a, std::size_t a_stride, const double* b, double* c,
                            std::size_t rs, std::size_t cs, double alpha, double beta, std::size_t mr,
                            std::size_t nr, bool stream_a);
#endif
// Whether the AVX-512 kernels run now (the CPU has them and set_gemm_kernel allows it).
extern std::atomic<bool> avx512_active;

// The AVX-512 kernels for T now: their panel layout matches this build's, and they are active.
template <class T>
inline bool use_avx512() {
#ifdef XVIS_GEMM_AVX512
    if constexpr (Blocking<T>::MR == 6 && Blocking<T>::NR * sizeof(T) == 64)
        return avx512_active.load(std::memory_order_relaxed);
#endif
    return false;
}

// C[mr×nr] = alpha · a·b + beta · C from packed micro-panels a [kc][MR] and b [kc][NR]; beta == 0 never reads C.
// stream_a: a comes from memory, not from a packing buffer (prefetched, detail/gemm_prefetch.hpp; the same bits).
// C(i, j) is c[i·rs + j·cs]: cs == 1 normally, rs == 1 when the caller swapped the operands (C^T = B^T A^T).
// Partial or transposed tiles go through a small stack buffer so the FMA loop is always full width.
template <class T>
inline void micro_kernel_portable(std::size_t kc, const T* __restrict a, const T* __restrict b, T* c,
                                  std::size_t rs, std::size_t cs, T alpha, T beta, std::size_t mr, std::size_t nr,
                                  bool stream_a) {
    using batch = typename Blocking<T>::batch;
    constexpr std::size_t W = Blocking<T>::W, MR = Blocking<T>::MR, NR = Blocking<T>::NR;
    batch acc[MR][2];
#pragma GCC unroll 6
    for (std::size_t i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = batch(T(0));
    const auto step = [&](std::size_t k) {
        const batch b0 = batch::load_aligned(b + k * NR);
        const batch b1 = batch::load_aligned(b + k * NR + W);
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) {
            const batch ai(a[k * MR + i]);
            acc[i][0] = xsimd::fma(ai, b0, acc[i][0]);
            acc[i][1] = xsimd::fma(ai, b1, acc[i][1]);
        }
    };
    if (!stream_a) {
#pragma GCC unroll 4
        for (std::size_t k = 0; k < kc; ++k) step(k);
    } else {
        for (std::size_t k0 = 0; k0 < kc; k0 += prefetch_every) {
            prefetch_panel<MR>(a, k0);
            const std::size_t k1 = std::min(k0 + prefetch_every, kc);
#pragma GCC unroll 8
            for (std::size_t k = k0; k < k1; ++k) step(k);
        }
    }
    const batch va(alpha), vb(beta);
    if (mr == MR && nr == NR && cs == 1) {
#pragma GCC unroll 6
        for (std::size_t i = 0; i < MR; ++i) {
            T* ci = c + i * rs;
            if (beta == T(0)) {
                (va * acc[i][0]).store_unaligned(ci);
                (va * acc[i][1]).store_unaligned(ci + W);
            } else {
                xsimd::fma(vb, batch::load_unaligned(ci), va * acc[i][0]).store_unaligned(ci);
                xsimd::fma(vb, batch::load_unaligned(ci + W), va * acc[i][1]).store_unaligned(ci + W);
            }
        }
        return;
    }
    alignas(64) T tmp[MR * NR];
    for (std::size_t i = 0; i < MR; ++i) {
        acc[i][0].store_aligned(tmp + i * NR);
        acc[i][1].store_aligned(tmp + i * NR + W);
    }
    for (std::size_t i = 0; i < mr; ++i)
        for (std::size_t j = 0; j < nr; ++j) {
            T& cij = c[i * rs + j * cs];
            cij = beta == T(0) ? alpha * tmp[i * NR + j] : alpha * tmp[i * NR + j] + beta * cij;
        }
}

template <class T>
inline void micro_kernel(std::size_t kc, const T* __restrict a, const T* __restrict b, T* c, std::size_t rs,
                         std::size_t cs, T alpha, T beta, std::size_t mr, std::size_t nr, bool stream_a) {
#ifdef XVIS_GEMM_AVX512
    if (use_avx512<T>()) return micro_kernel_avx512(kc, a, b, c, rs, cs, alpha, beta, mr, nr, stream_a);
#endif
    micro_kernel_portable(kc, a, b, c, rs, cs, alpha, beta, mr, nr, stream_a);
}

// Rows [0, m) of C against one B panel: A panel p (rows 6p..6p + 5) at a + p·a_stride, C(i, j) at c[i·rs + j·cs].
// In AVX-512, pairs of panels take the 12-row kernel. stream_a: A is read from memory (micro_kernel_portable).
template <class T>
inline void micro_column(std::size_t kc, const T* a, std::size_t a_stride, const T* b, T* c, std::size_t rs,
                         std::size_t cs, T alpha, T beta, std::size_t m, std::size_t nr, bool stream_a = false) {
    constexpr std::size_t MR = Blocking<T>::MR;
    std::size_t ir = 0;
#ifdef XVIS_GEMM_AVX512
    if (use_avx512<T>())
        for (; ir + MR < m; ir += 2 * MR)  // pairs of panels, the second one possibly partial
            micro_kernel_avx512_x2(kc, a + ir / MR * a_stride, a_stride, b, c + ir * rs, rs, cs, alpha, beta,
                                   std::min(2 * MR, m - ir), nr, stream_a);
#endif
    for (; ir < m; ir += MR)
        micro_kernel(kc, a + ir / MR * a_stride, b, c + ir * rs, rs, cs, alpha, beta, std::min(MR, m - ir), nr,
                     stream_a);
}

}  // namespace gemm_detail
}  // namespace xvis::kernels
