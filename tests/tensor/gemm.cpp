#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/gemm.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include "reference/gemm_reference.hpp"
#include "support/thread_guard.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

using namespace xvis;

namespace {

template <class T>
constexpr double tolerance() { return sizeof(T) == 4 ? 1e-4 : 1e-12; }

template <class T>
std::vector<T> random_vector(std::size_t n, std::uint64_t seed) {
    auto t = random_uniform<T>({n}, -1.0, 1.0, seed);
    return std::vector<T>(t.begin(), t.end());
}

// Restores the thread count a test changed.
using xvis::testing::ThreadGuard;

struct Case {
    bool ta, tb;
    std::size_t M, N, K, pad;  // pad: extra columns in every leading dimension
    double alpha, beta;
};

// Runs gemm and the reference on the same random data and checks every element against an error bound
// relative to Σ|alpha·a·b| + |beta·c| (the magnitude the rounding error scales with).
template <class T>
void check(const Case& c, std::uint64_t seed, bool nan_c = false) {
    const std::size_t rows_a = c.ta ? c.K : c.M, cols_a = c.ta ? c.M : c.K;
    const std::size_t rows_b = c.tb ? c.N : c.K, cols_b = c.tb ? c.K : c.N;
    const std::size_t lda = cols_a + c.pad, ldb = cols_b + c.pad, ldc = c.N + c.pad;
    auto A = random_vector<T>(rows_a * lda + 1, seed);
    auto B = random_vector<T>(rows_b * ldb + 1, seed + 1);
    auto C = random_vector<T>(c.M * ldc + 1, seed + 2);
    if (nan_c) std::fill(C.begin(), C.end(), std::numeric_limits<T>::quiet_NaN());
    auto expected = C;
    const T alpha = T(c.alpha), beta = T(c.beta);
    kernels::gemm<T>(c.ta, c.tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
    reference::gemm<T>(c.ta, c.tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, expected.data(), ldc);
    std::vector<T> absA(A.size()), absB(B.size()), bound(C.size());
    for (std::size_t i = 0; i < A.size(); ++i) absA[i] = std::abs(A[i]);
    for (std::size_t i = 0; i < B.size(); ++i) absB[i] = std::abs(B[i]);
    reference::gemm<T>(c.ta, c.tb, c.M, c.N, c.K, T(std::abs(alpha)), absA.data(), lda, absB.data(), ldb, T(0),
                       bound.data(), ldc);
    std::size_t failures = 0;
    for (std::size_t i = 0; i < c.M; ++i)
        for (std::size_t j = 0; j < ldc; ++j) {
            const std::size_t at = i * ldc + j;
            if (j >= c.N) {  // padding columns of C must be untouched
                ASSERT_TRUE(nan_c ? std::isnan(C[at]) : C[at] == expected[at]) << "wrote outside C at " << i << "," << j;
                continue;
            }
            const double mag = double(bound[at]) + (beta == T(0) ? 0.0 : std::abs(double(beta) * double(expected[at])));
            const double err = std::abs(double(C[at]) - double(expected[at]));
            if (!(err <= tolerance<T>() * mag + 1e-30) && ++failures <= 5)
                ADD_FAILURE() << "C(" << i << "," << j << ") = " << C[at] << ", expected " << expected[at]
                              << " (M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << c.ta << " tb=" << c.tb
                              << " pad=" << c.pad << " alpha=" << c.alpha << " beta=" << c.beta << ")";
        }
    EXPECT_EQ(failures, 0u);
}

// Restores the micro-kernel choice a test changed.
struct KernelGuard {
    kernels::GemmKernel saved = kernels::gemm_kernel();
    ~KernelGuard() { kernels::set_gemm_kernel(saved); }
};

template <class T>
void sweep(int threads, kernels::GemmKernel kernel = kernels::GemmKernel::automatic) {
    ThreadGuard guard;
    KernelGuard kernel_guard;
    set_num_threads(threads);
    kernels::set_gemm_kernel(kernel);
    SCOPED_TRACE("micro-kernel " + kernels::gemm_kernel_isa());
    const std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> shapes = {
        {1, 1, 1},    {1, 7, 13},    {7, 1, 13},    {13, 17, 1},   {17, 33, 7},  {33, 13, 100},
        {100, 17, 33}, {6, 16, 256}, {12, 32, 257}, {145, 100, 33}, {257, 33, 17}, {64, 257, 100},
        {150, 200, 300}, {49, 530, 200},  // B packed in chunks of 16 panels, with a partial last panel
        {257, 17, 300}, {100, 7, 129},  // narrow C: computed as C^T = B^T A^T
        {1, 130, 300}, {300, 1, 77}, {1, 1, 1000}, {1, 3136, 128}, {128, 1, 3136},  // matrix-vector paths
        {1, 128, 3136}, {1, 200, 1001}};  // split over K in fixed blocks (K not a multiple of the blocks)
    std::uint64_t seed = 10;
    for (const auto& [M, N, K] : shapes)
        for (int t = 0; t < 4; ++t) {
            const bool ta = t & 1, tb = t & 2;
            check<T>({ta, tb, M, N, K, 0, 1.0, 0.0}, seed++);
            check<T>({ta, tb, M, N, K, 3, -0.5, 1.25}, seed++);  // lda > K etc. and accumulation
        }
}

}  // namespace

TEST(Gemm, FloatShapesTransposesOneThread) { sweep<float>(1); }
TEST(Gemm, FloatShapesTransposesTwoThreads) { sweep<float>(2); }
TEST(Gemm, DoubleShapesTransposesOneThread) { sweep<double>(1); }
// The build's own xsimd kernel, where `automatic` takes the AVX-512 one.
TEST(Gemm, FloatShapesTransposesPortableKernel) { sweep<float>(1, kernels::GemmKernel::portable); }
TEST(Gemm, DoubleShapesTransposesPortableKernel) { sweep<double>(2, kernels::GemmKernel::portable); }

// The AVX-512 kernel sums every element in the portable kernel's order: the same bits on every path (pairs of
// A panels with the second one partial, edge tiles, transposed C, beta != 0, packed operands in Winograd).
// Where the CPU has no AVX-512 both settings run the portable kernel; the reported instruction set says which.
template <class T>
void expect_kernels_agree() {
    KernelGuard guard;
    const std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> shapes = {
        {12, 16, 64}, {9, 16, 33}, {13, 37, 300}, {150, 200, 300}, {257, 17, 300}, {64, 49, 576}, {30, 100, 7}};
    std::uint64_t seed = 50;
    for (const auto& [M, N, K] : shapes)
        for (int t = 0; t < 4; ++t)
            for (const auto& [alpha, beta] : {std::pair{1.0, 0.0}, std::pair{-0.5, 1.25}}) {
                const bool ta = t & 1, tb = t & 2;
                const auto A = random_vector<T>(M * K, seed++), B = random_vector<T>(K * N, seed++);
                const auto C0 = random_vector<T>(M * N, seed++);
                std::vector<T> portable = C0, automatic = C0;
                const std::size_t lda = ta ? M : K, ldb = tb ? K : N;
                kernels::set_gemm_kernel(kernels::GemmKernel::portable);
                kernels::gemm<T>(ta, tb, M, N, K, T(alpha), A.data(), lda, B.data(), ldb, T(beta), portable.data(), N);
                kernels::set_gemm_kernel(kernels::GemmKernel::automatic);
                kernels::gemm<T>(ta, tb, M, N, K, T(alpha), A.data(), lda, B.data(), ldb, T(beta), automatic.data(), N);
                ASSERT_EQ(portable, automatic) << "kernel " << kernels::gemm_kernel_isa() << ", M=" << M << " N=" << N
                                               << " K=" << K << " ta=" << ta << " tb=" << tb << " beta=" << beta;
            }
}

TEST(Gemm, KernelsGiveTheSameBits) {
    KernelGuard guard;
    kernels::set_gemm_kernel(kernels::GemmKernel::portable);
    EXPECT_EQ(kernels::gemm_kernel(), kernels::GemmKernel::portable);
    EXPECT_NE(kernels::gemm_kernel_isa(), "avx512f");
    kernels::set_gemm_kernel(kernels::GemmKernel::automatic);
#if defined(__x86_64__) && defined(__GNUC__)
    const bool avx512 = __builtin_cpu_supports("avx512f") && build_info().simd_width == 8;
#else
    const bool avx512 = false;
#endif
    EXPECT_EQ(kernels::gemm_kernel_isa() == "avx512f", avx512) << kernels::gemm_kernel_isa();
    expect_kernels_agree<float>();
    expect_kernels_agree<double>();
}

TEST(Gemm, DoubleShapesTransposesTwoThreads) { sweep<double>(2); }

TEST(Gemm, BetaZeroDoesNotReadC) {
    for (int threads : {1, 2}) {
        ThreadGuard guard;
        set_num_threads(threads);
        check<float>({false, false, 37, 45, 29, 2, 1.0, 0.0}, 1, true);
        check<float>({true, true, 130, 170, 60, 0, 2.0, 0.0}, 2, true);
        check<double>({false, true, 19, 23, 300, 1, -1.0, 0.0}, 3, true);
    }
}

TEST(Gemm, AlphaBetaAndDegenerateSizes) {
    check<float>({false, false, 20, 30, 40, 0, 0.0, 2.0}, 4);  // alpha = 0: C = beta·C
    check<double>({true, false, 20, 30, 40, 5, 3.0, -1.0}, 5);
    check<double>({false, false, 9, 11, 0, 2, 1.0, 0.5}, 6);  // K = 0: C = beta·C
    check<double>({false, false, 9, 11, 0, 0, 1.0, 0.0}, 7, true);  // K = 0, beta = 0: zeros, NaN dropped
    std::vector<float> C(4, 1.0f);
    kernels::gemm<float>(false, false, 0, 2, 3, 1.0f, nullptr, 3, nullptr, 2, 0.0f, C.data(), 2);  // M = 0
    kernels::gemm<float>(false, false, 2, 0, 3, 1.0f, nullptr, 3, nullptr, 2, 0.0f, C.data(), 2);  // N = 0
    EXPECT_EQ(C, std::vector<float>(4, 1.0f));
}

TEST(Gemm, CrossesEveryBlockBoundary) {
    // N > NC (4080) columns, K > KC, M > MC: every loop of the blocked nest runs more than once.
    check<float>({false, false, 7, 4100, 300, 1, 1.0, 0.5}, 8);
    check<double>({true, true, 160, 90, 530, 0, 1.0, 0.0}, 9);
    ThreadGuard guard;
    set_num_threads(2);
    check<float>({false, true, 300, 260, 520, 0, 1.0, 1.0}, 10);
}

TEST(Gemm, ThreadCountDoesNotChangeResultShape) {
    // Conv-like shape (M small, N large) split across threads must equal the single-thread result closely.
    ThreadGuard guard;
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        check<float>({false, false, 64, 784, 576, 0, 1.0, 0.0}, 11);
        check<float>({true, false, 576, 196, 64, 0, 1.0, 0.0}, 12);
    }
}

// Matrix-vector products split their output vector across threads, each element summed in the same order:
// the same bits with 1 and 2 threads, for all four paths (the fc1 layer of the Fashion-MNIST CNN and its
// gradient: 3136 × 128, above the parallel threshold).
TEST(Gemm, MatrixVectorSameBitsForAnyThreadCount) {
    ThreadGuard guard;
    for (const auto& [M, N, K] : {std::tuple<std::size_t, std::size_t, std::size_t>{1, 3136, 128}, {1, 128, 3136},
                                  {3136, 1, 128}, {128, 1, 3136}})
        for (int t = 0; t < 4; ++t) {
            const bool ta = t & 1, tb = t & 2;
            const auto A = random_vector<float>(M * K, 30), B = random_vector<float>(K * N, 31);
            const auto C0 = random_vector<float>(M * N, 32);
            std::vector<float> C[2] = {C0, C0};
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                kernels::gemm<float>(ta, tb, M, N, K, 0.5f, A.data(), ta ? M : K, B.data(), tb ? K : N, 1.5f,
                                     C[threads - 1].data(), N);
            }
            for (std::size_t i = 0; i < C0.size(); ++i)
                ASSERT_EQ(C[0][i], C[1][i]) << "M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb
                                            << " element " << i;
        }
}

template <class T>
void check_batched(std::size_t batch, std::size_t M, std::size_t N, std::size_t K, bool share_a, bool share_b) {
    const std::size_t sa = share_a ? 0 : M * K, sb = share_b ? 0 : K * N, sc = M * N;
    auto A = random_vector<T>(share_a ? M * K : batch * M * K, 20);
    auto B = random_vector<T>(share_b ? K * N : batch * K * N, 21);
    auto C = random_vector<T>(batch * M * N, 22);
    auto expected = C;
    const T alpha = T(0.75), beta = T(-0.5);
    kernels::gemm_batched<T>(batch, true, false, M, N, K, alpha, A.data(), M, sa, B.data(), N, sb, beta, C.data(),
                             N, sc);
    for (std::size_t b = 0; b < batch; ++b)
        reference::gemm<T>(true, false, M, N, K, alpha, A.data() + b * sa, M, B.data() + b * sb, N, beta,
                           expected.data() + b * sc, N);
    for (std::size_t i = 0; i < C.size(); ++i)
        ASSERT_NEAR(C[i], expected[i], tolerance<T>() * (double(K) + 1.0)) << "element " << i << " batch " << batch;
}

TEST(Gemm, BatchedWithBroadcasting) {
    ThreadGuard guard;
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        check_batched<float>(4, 13, 17, 33, false, false);
        check_batched<float>(3, 70, 90, 200, true, false);   // A shared (stride 0)
        check_batched<double>(5, 33, 7, 100, false, true);   // B shared
        check_batched<double>(1, 100, 100, 100, false, false);
        check_batched<float>(0, 3, 3, 3, false, false);
    }
}

namespace {

// detail::gemm_packed on operands in the documented panel layouts: A packed by gemm_pack_a (both
// transposes), B written by hand with garbage (NaN) in the padding columns, which must not reach C.
template <class T>
void check_packed(std::size_t M, std::size_t N, std::size_t K, bool trans_a) {
    SCOPED_TRACE(::testing::Message() << M << "x" << N << "x" << K << (trans_a ? " trans_a" : ""));
    const auto panels = kernels::detail::gemm_panels<T>();
    const std::size_t mr = panels.mr, nr = panels.nr;
    const auto A = random_vector<T>(M * K, 30), B = random_vector<T>(K * N, 31);
    std::vector<T> pa((M + mr - 1) / mr * mr * K, T(-9));
    kernels::detail::gemm_pack_a<T>(trans_a, M, K, A.data(), trans_a ? M : K, pa.data());
    std::vector<T, aligned_allocator<T>> pb((N + nr - 1) / nr * nr * K, std::numeric_limits<T>::quiet_NaN());
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t j = 0; j < N; ++j) pb[(j / nr) * K * nr + k * nr + j % nr] = B[k * N + j];
    const std::size_t ldc = N + 3;
    std::vector<T> C(M * ldc, T(7)), expected(M * ldc, T(7));
    kernels::detail::gemm_packed<T>(M, N, K, pa.data(), pb.data(), C.data(), ldc);
    reference::gemm<T>(trans_a, false, M, N, K, T(1), A.data(), trans_a ? M : K, B.data(), N, T(0), expected.data(), ldc);
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < ldc; ++j)
            ASSERT_NEAR(C[i * ldc + j], expected[i * ldc + j], tolerance<T>() * (double(K) + 1.0))
                << "element (" << i << ", " << j << ")" << (j >= N ? " past N: must stay untouched" : "");
}

}  // namespace

TEST(Gemm, PackedOperands) {
    for (bool trans_a : {false, true}) {
        check_packed<float>(13, 37, 300, trans_a);  // partial A and B panels, two K blocks
        check_packed<float>(6, 16, 1, trans_a);
        check_packed<double>(20, 9, 70, trans_a);
    }
    check_packed<float>(5, 3, 0, false);  // K == 0: C = 0
}
