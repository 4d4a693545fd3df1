// GEMM after GotoBLAS / BLIS: loops jc (NC columns of B, panel in L3) → pc (KC deep) → ic (MC rows of A,
// block in L2) → jr (NR columns, B micro-panel in L1) → ir (MR rows) → register-blocked xsimd micro-kernel.
// Threads take disjoint 2-D tiles of C and run the serial nest on them: no barriers, and the only duplicated
// work is packing the shared operand (a few % at the sizes where threading pays). Narrow C is computed as
// C^T = B^T A^T; conv2d can supply B through a callback (implicit im2col, detail::gemm_source_b).
#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/detail/gemm_kernel.hpp>
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/gemm.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

namespace xvis::kernels {

namespace gemm_detail {
#ifdef XVIS_GEMM_AVX512
// The kernel reads the avx2 build's 64-byte panels (a native AVX-512 build's xsimd kernel is AVX-512 already).
bool avx512_usable() { return Blocking<float>::NR * sizeof(float) == 64 && detail::cpu_has_avx512(); }
#else
bool avx512_usable() { return false; }
#endif
std::atomic<bool> avx512_active{avx512_usable()};
}  // namespace gemm_detail

namespace {
std::atomic<GemmKernel> kernel_choice{GemmKernel::automatic};
}  // namespace

void set_gemm_kernel(GemmKernel kernel) {
    kernel_choice.store(kernel, std::memory_order_relaxed);
    gemm_detail::avx512_active.store(kernel == GemmKernel::automatic && gemm_detail::avx512_usable(),
                                     std::memory_order_relaxed);
}
GemmKernel gemm_kernel() { return kernel_choice.load(std::memory_order_relaxed); }
std::string gemm_kernel_isa() {
    return gemm_detail::avx512_active.load(std::memory_order_relaxed) ? "avx512f" : xsimd::default_arch::name();
}

namespace {
using gemm_detail::Blocking;
using gemm_detail::micro_column;

// Per-thread packing buffer, allocated once at its full size (so later calls never allocate) and reused.
template <class T>
struct PackBuffer {
    T* ptr = nullptr;
    std::size_t n = 0;
    T* get(std::size_t need) {
        if (need > n) {
            if (ptr) aligned_allocator<T>().deallocate(ptr, n);
            ptr = aligned_allocator<T>().allocate(need);
            n = need;
        }
        return ptr;
    }
    ~PackBuffer() {
        if (ptr) aligned_allocator<T>().deallocate(ptr, n);
    }
};

}  // namespace

// Packing lives in gemm_pack.cpp (MR = 6 there too; NR = 2 batch widths in both: same flags, same arch).
namespace gemm_detail {
// op(A)[i0 + i, p0 + k] for i < mc, k < kc into MR-row micro-panels [panel][k][MR], zero-padded rows.
template <class T>
void pack_a(bool trans, const T* A, std::size_t lda, std::size_t i0, std::size_t mc, std::size_t p0,
            std::size_t kc, T* out);
// op(B)[p0 + k, j0 + j] for k < kc, j < nc into NR-column micro-panels [panel][k][NR], zero-padded columns.
template <class T>
void pack_b(bool trans, const T* B, std::size_t ldb, std::size_t p0, std::size_t kc, std::size_t j0,
            std::size_t nc, T* out);
}  // namespace gemm_detail

namespace {
using gemm_detail::pack_a;
using gemm_detail::pack_b;

// The whole loop nest on one (sub-)problem; A, B, C already point at its first element.
template <class T>
void gemm_serial(bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                 std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t rs, std::size_t cs) {
    using Bk = Blocking<T>;
    static thread_local PackBuffer<T> buf_a, buf_b;
    T* pa = buf_a.get(Bk::MC * Bk::KC);
    T* pb = buf_b.get(Bk::NC * Bk::KC);
    // Equal-sized K and M blocks: a remainder block (e.g. K = 576 → 256 + 256 + 64) would run the micro-kernel
    // with a short K loop that its C load/store overhead dominates.
    const std::size_t kb = (K + Bk::KC - 1) / Bk::KC, kstep = (K + kb - 1) / kb;
    const std::size_t mb = (M + Bk::MC - 1) / Bk::MC, mstep = ((M + mb - 1) / mb + Bk::MR - 1) / Bk::MR * Bk::MR;
    for (std::size_t jc = 0; jc < N; jc += Bk::NC) {
        const std::size_t nc = std::min(Bk::NC, N - jc);
        for (std::size_t pc = 0; pc < K; pc += kstep) {
            const std::size_t kc = std::min(kstep, K - pc);
            const T beta_k = pc == 0 ? beta : T(1);  // later K blocks accumulate onto the first one
            if (mb == 1) {
                // One block of A: nothing reuses a packed B panel, so pack NT columns at a time right before
                // their micro-kernels and use them while they are in L2 (saves a round trip through L3).
                pack_a(ta, A, lda, 0, M, pc, kc, pa);
                for (std::size_t jt = 0; jt < nc; jt += Bk::NT) {
                    const std::size_t nt = std::min(Bk::NT, nc - jt);
                    pack_b(tb, B, ldb, pc, kc, jc + jt, nt, pb);
                    for (std::size_t jr = 0; jr < nt; jr += Bk::NR)
                        micro_column(kc, pa, Bk::MR * kc, pb + jr * kc, C + (jc + jt + jr) * cs, rs, cs, alpha,
                                     beta_k, M, std::min(Bk::NR, nt - jr));
                }
                continue;
            }
            pack_b(tb, B, ldb, pc, kc, jc, nc, pb);
            for (std::size_t ic = 0; ic < M; ic += mstep) {
                const std::size_t mc = std::min(mstep, M - ic);
                pack_a(ta, A, lda, ic, mc, pc, kc, pa);
                for (std::size_t jr = 0; jr < nc; jr += Bk::NR) {
                    const std::size_t nr = std::min(Bk::NR, nc - jr);
                    micro_column(kc, pa, Bk::MR * kc, pb + jr * kc, C + ic * rs + (jc + jr) * cs, rs, cs, alpha,
                                 beta_k, mc, nr);
                }
            }
        }
    }
}

// The nest for B from a MatrixSource: K blocks outermost, then tiles of NT columns filled into an L2-resident
// buffer (the filled values are read once by the packing, so a bigger tile would only spill to L3).
// Columns of this sub-problem start at col0 of the source.
template <class T>
void gemm_serial_source(bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                        std::size_t lda, const detail::MatrixSource<T>& src, std::size_t col0, T beta, T* C,
                        std::size_t ldc) {
    using Bk = Blocking<T>;
    static thread_local PackBuffer<T> buf_a, buf_b, buf_t;
    T* pa = buf_a.get(Bk::MC * Bk::KC);
    T* pb = buf_b.get(Bk::NT * Bk::KC);
    T* tile = buf_t.get(Bk::NT * Bk::KC);
    const std::size_t kb = (K + Bk::KC - 1) / Bk::KC, kstep = (K + kb - 1) / kb;
    const std::size_t mb = (M + Bk::MC - 1) / Bk::MC, mstep = ((M + mb - 1) / mb + Bk::MR - 1) / Bk::MR * Bk::MR;
    const std::size_t ldt = tb ? Bk::KC : Bk::NT;
    for (std::size_t pc = 0; pc < K; pc += kstep) {
        const std::size_t kc = std::min(kstep, K - pc);
        const T beta_k = pc == 0 ? beta : T(1);
        if (mb == 1) pack_a(ta, A, lda, 0, M, pc, kc, pa);
        for (std::size_t jc = 0; jc < N; jc += Bk::NT) {
            const std::size_t nc = std::min(Bk::NT, N - jc);
            if (!tb)
                for (std::size_t k = 0; k < kc; ++k) src.fill(src.ctx, pc + k, col0 + jc, nc, tile + k * ldt);
            else
                for (std::size_t j = 0; j < nc; ++j) src.fill(src.ctx, col0 + jc + j, pc, kc, tile + j * ldt);
            if (mb == 1) {
                for (std::size_t jr = 0; jr < nc; jr += Bk::NR) {
                    const std::size_t nr = std::min(Bk::NR, nc - jr);
                    pack_b(tb, tile, ldt, 0, kc, jr, nr, pb);
                    micro_column(kc, pa, Bk::MR * kc, pb, C + jc + jr, ldc, std::size_t(1), alpha, beta_k, M, nr);
                }
                continue;
            }
            pack_b(tb, tile, ldt, 0, kc, 0, nc, pb);
            for (std::size_t ic = 0; ic < M; ic += mstep) {
                const std::size_t mc = std::min(mstep, M - ic);
                pack_a(ta, A, lda, ic, mc, pc, kc, pa);
                for (std::size_t jr = 0; jr < nc; jr += Bk::NR)
                    micro_column(kc, pa, Bk::MR * kc, pb + jr * kc, C + ic * ldc + jc + jr, ldc, std::size_t(1),
                                 alpha, beta_k, mc, std::min(Bk::NR, nc - jr));
            }
        }
    }
}

// C = beta · C (K == 0 or alpha == 0: A and B are not read).
template <class T>
void scale_c(std::size_t M, std::size_t N, T beta, T* C, std::size_t ldc) {
    for (std::size_t i = 0; i < M; ++i) {
        T* ci = C + i * ldc;
        if (beta == T(0))
            std::fill(ci, ci + N, T(0));
        else if (beta != T(1))
            for (std::size_t j = 0; j < N; ++j) ci[j] *= beta;
    }
}

// Below this many multiply-adds a parallel region costs more than it saves.
constexpr std::size_t parallel_min_work = std::size_t(1) << 20;

int threads_for(std::size_t work) { return work >= parallel_min_work ? detail::team_threads() : 1; }

// [begin, end) of part p of n, splitting `len` in whole units of `unit`.
inline void split(std::size_t len, std::size_t unit, std::size_t parts, std::size_t p, std::size_t& begin,
                  std::size_t& end) {
    const std::size_t units = (len + unit - 1) / unit;
    begin = std::min(len, units * p / parts * unit);
    end = std::min(len, units * (p + 1) / parts * unit);
}

// Fraction of the computed MR×NR tiles' area that is real output for an m×n problem.
inline double tile_use(std::size_t m, std::size_t n, std::size_t mr, std::size_t nr) {
    return double(m) / double((m + mr - 1) / mr * mr) * double(n) / double((n + nr - 1) / nr * nr);
}

// Threads over a tm × tn grid of C tiles, run(m0, m1, n0, n1) doing the serial nest on each.
template <class T, class Run>
void run_tiles(std::size_t M, std::size_t N, std::size_t K, const Run& run) {
    using Bk = Blocking<T>;
    const int nt = threads_for(M * N * K);
    if (nt <= 1) return run(std::size_t(0), M, std::size_t(0), N);
    // The grid with the smallest tile half-perimeter packs the least.
    const std::size_t mu = (M + Bk::MR - 1) / Bk::MR, nu = (N + Bk::NR - 1) / Bk::NR;
    std::size_t tm = 1, tn = std::size_t(nt), best = SIZE_MAX;
    for (std::size_t m = 1; m <= std::size_t(nt); ++m) {
        if (nt % m != 0) continue;
        const std::size_t n = std::size_t(nt) / m;
        if (m > mu || n > nu) continue;
        const std::size_t cost = (M + m - 1) / m + (N + n - 1) / n;
        if (cost < best) best = cost, tm = m, tn = n;
    }
    if (best == SIZE_MAX) tm = std::min<std::size_t>(nt, mu), tn = 1;  // tiny in both: some threads idle
    detail::team_for(tm * tn, nt, [&](std::size_t t, int) {
        std::size_t m0, m1, n0, n1;
        split(M, Bk::MR, tm, t / tn, m0, m1);
        split(N, Bk::NR, tn, t % tn, n0, n1);
        if (m0 != m1 && n0 != n1) run(m0, m1, n0, n1);
    });
}

// C(i, j) is C[i·rs + j·cs] (rs == 1 for the transposed-C trick).
template <class T>
void gemm_tiles(bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t rs, std::size_t cs) {
    run_tiles<T>(M, N, K, [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        const T* At = ta ? A + m0 : A + m0 * lda;
        const T* Bt = tb ? B + n0 * ldb : B + n0;
        gemm_serial(ta, tb, m1 - m0, n1 - n0, K, alpha, At, lda, Bt, ldb, beta, C + m0 * rs + n0 * cs, rs, cs);
    });
}

}  // namespace

namespace detail {  // gemv.cpp: M == 1 or N == 1
template <class T>
bool gemv(bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A, std::size_t lda,
          const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);
}

template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    using Bk = Blocking<T>;
    if (M == 0 || N == 0) return;
    if (K == 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
    if ((M == 1 || N == 1) && detail::gemv(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) return;
    // Narrow C (e.g. N = 49 for a 7×7 feature map) wastes most of the last NR-wide tile; computing
    // C^T = op(B)^T · op(A)^T puts the narrow side on MR = 6 instead. Its tiles are stored transposed through
    // the scalar edge path, so only when K is deep enough to hide that.
    if (K >= 128 && tile_use(N, M, Bk::MR, Bk::NR) > 1.1 * tile_use(M, N, Bk::MR, Bk::NR))
        return gemm_tiles(!trans_b, !trans_a, N, M, K, alpha, B, ldb, A, lda, beta, C, std::size_t(1), ldc);
    gemm_tiles(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, std::size_t(1));
}

namespace detail {
template <class T>
void gemm_source_b(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                   std::size_t lda, const MatrixSource<T>& B, T beta, T* C, std::size_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
    run_tiles<T>(M, N, K, [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        const T* At = trans_a ? A + m0 : A + m0 * lda;
        gemm_serial_source(trans_a, trans_b, m1 - m0, n1 - n0, K, alpha, At, lda, B, n0, beta, C + m0 * ldc + n0,
                           ldc);
    });
}

template <class T>
GemmPanels gemm_panels() {
    return {Blocking<T>::MR, Blocking<T>::NR};
}

template <class T>
void gemm_pack_a(bool trans_a, std::size_t M, std::size_t K, const T* A, std::size_t lda, T* pa) {
    pack_a(trans_a, A, lda, 0, M, 0, K, pa);
}

// K in equal blocks of at most KC (the B micro-panel stays in L1), each B micro-panel against every A panel.
// A is prepared once and read from memory (prefetched in the micro-kernel: stream_a).
template <class T>
void gemm_packed(std::size_t M, std::size_t N, std::size_t K, const T* pa, const T* pb, T* C, std::size_t ldc) {
    using Bk = Blocking<T>;
    if (M == 0 || N == 0) return;
    if (K == 0) return scale_c(M, N, T(0), C, ldc);
    const std::size_t kb = (K + Bk::KC - 1) / Bk::KC, kstep = (K + kb - 1) / kb;
    for (std::size_t pc = 0; pc < K; pc += kstep) {
        const std::size_t kc = std::min(kstep, K - pc);
        for (std::size_t jr = 0; jr < N; jr += Bk::NR)
            micro_column(kc, pa + pc * Bk::MR, Bk::MR * K, pb + jr * K + pc * Bk::NR, C + jr, ldc, std::size_t(1),
                         T(1), pc == 0 ? T(0) : T(1), M, std::min(Bk::NR, N - jr), true);
    }
}

#define XVIS_GEMM_PACKED_INSTANTIATE(T)                                                                        \
    template GemmPanels gemm_panels<T>();                                                                      \
    template void gemm_pack_a<T>(bool, std::size_t, std::size_t, const T*, std::size_t, T*);                   \
    template void gemm_packed<T>(std::size_t, std::size_t, std::size_t, const T*, const T*, T*, std::size_t);
XVIS_GEMM_PACKED_INSTANTIATE(float)
XVIS_GEMM_PACKED_INSTANTIATE(double)
#undef XVIS_GEMM_PACKED_INSTANTIATE

template void gemm_source_b<float>(bool, bool, std::size_t, std::size_t, std::size_t, float, const float*,
                                   std::size_t, const MatrixSource<float>&, float, float*, std::size_t);
template void gemm_source_b<double>(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*,
                                    std::size_t, const MatrixSource<double>&, double, double*, std::size_t);
}  // namespace detail

template <class T>
void gemm_batched(std::size_t batch, bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K,
                  T alpha, const T* A, std::size_t lda, std::size_t stride_a, const T* B, std::size_t ldb,
                  std::size_t stride_b, T beta, T* C, std::size_t ldc, std::size_t stride_c) {
    if (batch == 0 || M == 0 || N == 0) return;
    const int nt = threads_for(batch * M * N * K);
    // Whole matrices per thread when they split evenly or are too small to parallelize one by one; otherwise
    // each gemm parallelizes itself. (stride_c == 0 would race across the batch: keep that serial.)
    const bool over_batch = nt > 1 && stride_c != 0 && batch >= std::size_t(nt) &&
                            (batch % std::size_t(nt) == 0 || M * N * K < parallel_min_work * 4);
    if (!over_batch) {
        for (std::size_t b = 0; b < batch; ++b)
            gemm(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
                 C + b * stride_c, ldc);
        return;
    }
    detail::team_for(batch, nt, [&](std::size_t b, int) {  // gemm sees omp_in_parallel() and stays serial
        gemm(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
             C + b * stride_c, ldc);
    });
}

template void gemm<float>(bool, bool, std::size_t, std::size_t, std::size_t, float, const float*, std::size_t,
                          const float*, std::size_t, float, float*, std::size_t);
template void gemm<double>(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*, std::size_t,
                           const double*, std::size_t, double, double*, std::size_t);
template void gemm_batched<float>(std::size_t, bool, bool, std::size_t, std::size_t, std::size_t, float,
                                  const float*, std::size_t, std::size_t, const float*, std::size_t, std::size_t,
                                  float, float*, std::size_t, std::size_t);
template void gemm_batched<double>(std::size_t, bool, bool, std::size_t, std::size_t, std::size_t, double,
                                   const double*, std::size_t, std::size_t, const double*, std::size_t,
                                   std::size_t, double, double*, std::size_t, std::size_t);

}  // namespace xvis::kernels
