// GEMM benchmarks: square sizes, the GEMM shapes of a 3×3 64→64 conv on 56×56 (forward, backward-data,
// backward-weights), float and double, 1 and 2 threads; plus a naive i-k-j loop for scale.
#include <xvis/tensor/gemm.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

namespace {

template <class T>
void run_gemm(benchmark::State& state, std::size_t M, std::size_t N, std::size_t K, bool ta, bool tb, int threads) {
    xvis::set_num_threads(threads);
    auto A = xvis::random_uniform<T>({M * K}, -1, 1, 1);
    auto B = xvis::random_uniform<T>({K * N}, -1, 1, 2);
    xvis::BasicTensor<T> C({M * N});
    for (auto _ : state) {
        xvis::kernels::gemm<T>(ta, tb, M, N, K, T(1), A.data(), ta ? M : K, B.data(), tb ? K : N, T(0), C.data(), N);
        benchmark::DoNotOptimize(C.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(M) * double(N) * double(K) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

template <class T>
void BM_gemm_square(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    run_gemm<T>(state, n, n, n, false, false, int(state.range(1)));
}
BENCHMARK(BM_gemm_square<float>)
    ->ArgNames({"n", "threads"})
    ->ArgsProduct({{128, 256, 512, 1024}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gemm_square<double>)
    ->ArgNames({"n", "threads"})
    ->ArgsProduct({{256, 512}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Args: M, N, K, trans_a, trans_b, threads.
void BM_gemm_shape(benchmark::State& state) {
    run_gemm<float>(state, std::size_t(state.range(0)), std::size_t(state.range(1)), std::size_t(state.range(2)),
                    state.range(3) != 0, state.range(4) != 0, int(state.range(5)));
}
BENCHMARK(BM_gemm_shape)
    ->ArgNames({"M", "N", "K", "ta", "tb", "threads"})
    ->Args({64, 3136, 576, 0, 0, 1})  // conv 3×3 64→64 56×56 forward
    ->Args({64, 3136, 576, 0, 0, 2})
    ->Args({576, 3136, 64, 1, 0, 1})  // backward-data: w^T · dy
    ->Args({576, 3136, 64, 1, 0, 2})
    ->Args({64, 576, 3136, 0, 1, 1})  // backward-weights: dy · col^T
    ->Args({64, 576, 3136, 0, 1, 2})
    ->Args({512, 512, 512, 1, 1, 1})  // both transposed
    // ConvNeXt-T's pointwise linears (MatMul on [1, H, W, C]; B the weight), forward and backward-data (B^T)
    ->Args({3136, 384, 96, 0, 0, 1})  // stage 1 (56²): 96 → 384
    ->Args({3136, 96, 384, 0, 0, 1})  //                384 → 96
    ->Args({3136, 384, 96, 0, 1, 1})
    ->Args({3136, 96, 384, 0, 1, 1})
    ->Args({196, 1536, 384, 0, 0, 1})  // stage 3 (14²)
    ->Args({196, 384, 1536, 0, 0, 1})
    ->Args({196, 1536, 384, 0, 1, 1})
    ->Args({196, 384, 1536, 0, 1, 1})
    ->Args({49, 3072, 768, 0, 0, 1})  // stage 4 (7²)
    ->Args({49, 768, 3072, 0, 0, 1})
    ->Args({49, 3072, 768, 0, 1, 1})
    ->Args({49, 768, 3072, 0, 1, 1})
    ->Args({2048, 49, 512, 0, 0, 1})  // ResNet-50 layer4 1×1 512 → 2048 at 7² (forward; weights 4 MiB)
    ->Args({2048, 49, 512, 0, 0, 2})
    ->Args({512, 49, 2048, 1, 0, 1})  // its backward-data: wᵀ · dy
    ->Args({512, 49, 2048, 1, 0, 2})
    ->Args({197, 3072, 768, 0, 0, 1})  // ViT-B/16 MLP (197 tokens)
    ->Args({197, 768, 3072, 0, 1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Baseline: the i-k-j loop a compiler auto-vectorizes (same -mavx2 -mfma as the library).
void BM_gemm_naive(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    auto A = xvis::random_uniform<float>({n * n}, -1, 1, 1);
    auto B = xvis::random_uniform<float>({n * n}, -1, 1, 2);
    xvis::Tensor C({n * n});
    for (auto _ : state) {
        float* c = C.data();
        const float *a = A.data(), *b = B.data();
        std::fill(c, c + n * n, 0.0f);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t k = 0; k < n; ++k) {
                const float aik = a[i * n + k];
                for (std::size_t j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
            }
        benchmark::DoNotOptimize(C.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * double(n * n * n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_gemm_naive)->ArgNames({"n"})->Arg(256)->Unit(benchmark::kMicrosecond);

}  // namespace
