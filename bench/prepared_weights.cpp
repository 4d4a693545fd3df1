// The per-run price of prepared weights against what they save, on the same weights in one run: hashing a
// parameter (kernels::content_hash, what a compiled function does at every run) against transforming its
// filters (conv2d_prepare_weights, what Winograd did on every call before). 3×3 weights of ResNet-18's layers:
// 256→256 (2.4 MB) and 512→512 (9.4 MB), and all of ResNet-18's Winograd weights at once (38 MB, beyond most
// caches), 1 and 2 threads. Bytes/s counts the weights read.
#include <xvis/tensor/content_hash.hpp>
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

namespace {

// Args: channels (C = K; 0: 38 MB of weights, hashed only), threads.
void BM_prepared_weights_hash(benchmark::State& state) {
    const auto c = std::size_t(state.range(0));
    xvis::set_num_threads(int(state.range(1)));
    const std::size_t n = c ? c * c * 9 : std::size_t(9500000);
    const auto w = xvis::random_uniform<float>({n}, -1, 1, 1);
    for (auto _ : state) benchmark::DoNotOptimize(xvis::kernels::content_hash(w.data(), n * sizeof(float)));
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(n * sizeof(float)));
}

// Args: channels, threads. The forward pass's transform at 7² (16 tiles: ResNet-18's layer4 size).
void BM_prepared_weights_transform(benchmark::State& state) {
    const auto c = std::size_t(state.range(0));
    xvis::set_num_threads(int(state.range(1)));
    xvis::kernels::Conv2dParams p;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    const auto g = xvis::kernels::make_conv2d_geometry({1, c, 7, 7}, {c, c, 3, 3}, p, "bench");
    const auto w = xvis::random_uniform<float>({c, c, 3, 3}, -1, 1, 1);
    xvis::Tensor prepared({xvis::kernels::conv2d_prepared_size(g, xvis::kernels::Conv2dPass::forward)});
    for (auto _ : state) {
        xvis::kernels::conv2d_prepare_weights(g, xvis::kernels::Conv2dPass::forward, w.data(), prepared.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(w.size() * sizeof(float)));
}

void sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"C", "threads"});
    for (int threads : {1, 2})
        for (int c : {256, 512}) b->Args({c, threads});
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_prepared_weights_hash)->Apply(sizes)->Args({0, 1})->Args({0, 2});
BENCHMARK(BM_prepared_weights_transform)->Apply(sizes);

}  // namespace
