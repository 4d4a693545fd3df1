// Matrix-vector products for gemm() calls with M == 1 or N == 1 (a dense layer on one image, and its
// gradient): the blocked GEMM would pad the single row to MR = 6 rows and pack the whole matrix on every call;
// streaming the matrix once is 3 to 6× faster. Large ones are split across threads (the matrix is read at one
// core's cache bandwidth: fc1 of the Fashion-MNIST CNN, 3136 × 128, took 0.06 ms on one thread), always the
// same way whatever the thread count, so results are the same bits with any count.
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/gemm.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>

namespace xvis::kernels::detail {

namespace {

template <class T>
T dot(const T* a, const T* b, std::size_t n) {
    using B = xsimd::batch<T>;
    constexpr std::size_t W = B::size;
    B s0(T(0)), s1(T(0)), s2(T(0)), s3(T(0));
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        s0 = xsimd::fma(B::load_unaligned(a + i), B::load_unaligned(b + i), s0);
        s1 = xsimd::fma(B::load_unaligned(a + i + W), B::load_unaligned(b + i + W), s1);
        s2 = xsimd::fma(B::load_unaligned(a + i + 2 * W), B::load_unaligned(b + i + 2 * W), s2);
        s3 = xsimd::fma(B::load_unaligned(a + i + 3 * W), B::load_unaligned(b + i + 3 * W), s3);
    }
    for (; i + W <= n; i += W) s0 = xsimd::fma(B::load_unaligned(a + i), B::load_unaligned(b + i), s0);
    T s = xsimd::hadd((s0 + s1) + (s2 + s3));
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
}

// y[0:n] += s · x[0:n]
template <class T>
void axpy(T s, const T* x, T* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] += s * x[i];
}

template <class T>
void start(T* c, std::size_t n, std::size_t stride, T beta) {
    for (std::size_t i = 0; i < n; ++i) c[i * stride] = beta == T(0) ? T(0) : beta * c[i * stride];
}

// Products of at least this many multiply-adds take the team (below, the fork costs more than it saves).
constexpr std::size_t parallel_min_work = std::size_t(1) << 16;
// Row vector times a K × N matrix: K in this many blocks, for N up to max_split_columns (partials on the stack).
constexpr std::size_t k_blocks = 4, max_split_columns = 512;
static_assert(k_blocks == 4, "gemv adds the k_blocks partial sums as (0 + 1) + (2 + 3)");

// f(begin, end) over [0, n) in ranges of whole 64-byte lines of output (no two threads write one line).
template <class T, class F>
void split_outputs(std::size_t n, std::size_t work, const F& f) {
    constexpr std::size_t line = 64 / sizeof(T);
    const std::size_t lines = (n + line - 1) / line;
    const int nt = work >= parallel_min_work ? int(std::min<std::size_t>(team_threads(), lines)) : 1;
    team_for(std::size_t(nt), nt, [&](std::size_t part, int) {
        const std::size_t b = std::min(n, lines * part / std::size_t(nt) * line);
        const std::size_t e = std::min(n, lines * (part + 1) / std::size_t(nt) * line);
        if (b < e) f(b, e);
    });
}

}  // namespace

// Handles C = alpha · op(A) · op(B) + beta · C when M == 1 or N == 1 and the vector operand is contiguous;
// returns false (nothing done) otherwise. K >= 1 and alpha != 0 (gemm() handles the rest).
template <class T>
bool gemv(bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A, std::size_t lda,
          const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    const std::size_t work = M * N * K;
    if (M == 1 && (!ta || lda == 1)) {  // row vector a (K) times op(B) (K × N)
        if (!tb && work >= parallel_min_work && N <= max_split_columns && K >= 4 * k_blocks) {
            // Split over K in k_blocks fixed blocks, partial sums added in block order (the same bits with any
            // thread count). Splitting C's columns instead kept each row's halves on two cores, while the
            // gradient (the tb case below, split by rows of B) reads whole rows: B's lines moved between the
            // cores' caches on every call (W1's dense layer: no faster at 2 threads than at 1).
            alignas(64) T part[k_blocks][max_split_columns];
            const int nt = int(std::min<std::size_t>(team_threads(), k_blocks));
            team_for(k_blocks, nt, [&](std::size_t blk, int) {
                std::fill(part[blk], part[blk] + N, T(0));
                for (std::size_t k = K * blk / k_blocks; k < K * (blk + 1) / k_blocks; ++k)
                    axpy(alpha * A[k], B + k * ldb, part[blk], N);
            });
            for (std::size_t n = 0; n < N; ++n)
                C[n] = (beta == T(0) ? T(0) : beta * C[n]) + ((part[0][n] + part[1][n]) + (part[2][n] + part[3][n]));
        } else if (!tb) {
            start(C, N, 1, beta);
            for (std::size_t k = 0; k < K; ++k) axpy(alpha * A[k], B + k * ldb, C, N);
        } else {
            split_outputs<T>(N, work, [&](std::size_t b, std::size_t e) {
                for (std::size_t n = b; n < e; ++n)
                    C[n] = (beta == T(0) ? T(0) : beta * C[n]) + alpha * dot(A, B + n * ldb, K);
            });
        }
        return true;
    }
    if (N == 1 && (tb || ldb == 1)) {  // op(A) (M × K) times column vector b (K)
        if (!ta) {
            split_outputs<T>(M, work, [&](std::size_t b, std::size_t e) {
                for (std::size_t m = b; m < e; ++m)
                    C[m * ldc] = (beta == T(0) ? T(0) : beta * C[m * ldc]) + alpha * dot(A + m * lda, B, K);
            });
            return true;
        }
        if (ldc == 1) {
            split_outputs<T>(M, work, [&](std::size_t b, std::size_t e) {
                start(C + b, e - b, 1, beta);
                for (std::size_t k = 0; k < K; ++k) axpy(alpha * B[k], A + k * lda + b, C + b, e - b);
            });
            return true;
        }
    }
    return false;
}

template bool gemv<float>(bool, bool, std::size_t, std::size_t, std::size_t, float, const float*, std::size_t, const float*,
                          std::size_t, float, float*, std::size_t);
template bool gemv<double>(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*, std::size_t,
                           const double*, std::size_t, double, double*, std::size_t);

}  // namespace xvis::kernels::detail
