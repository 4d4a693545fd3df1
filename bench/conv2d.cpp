// conv2d benchmarks at VGG and ResNet-18 layer sizes, batch 1 (the visualization workloads), forward,
// backward-data and backward-weights, 1 and 2 threads. GFLOP/s counts 2·N·K·OH·OW·C/G·R·S per pass (the
// direct convolution's work, also for Winograd, which does fewer multiply-adds: compare times, not peaks).
// The 3×3 stride-1 layers run with both algorithms (arg algo: 0 = fast, i.e. Winograd, 1 = im2col GEMM), and
// forward and backward-data also with prepared weights (algo 2: fast, the filters transformed before timing, as
// a compiled function keeps them between runs). A single layer's weights stay in cache, a whole network's do not:
// BM_conv2d_cold runs ResNet layer4's layers on weight sets larger than the L3, read from memory on every call.
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

namespace {

enum class Pass { forward, backward_data, backward_weights };

// One layer, batch 1, `threads` threads, algo 0 = fast (Winograd where it applies), 1 = im2col GEMM, 2 = fast with
// prepared weights. With cold_bytes > 0 the calls take weight sets in turn, together at least that large (0: one
// set, which stays in cache).
template <Pass pass>
void run_layer(benchmark::State& state, std::size_t C, std::size_t K, std::size_t H, std::size_t R,
               const xvis::kernels::Conv2dParams& p, int threads, int algo, std::size_t cold_bytes) {
    xvis::set_num_threads(threads);
    const auto saved = xvis::kernels::conv2d_algorithm();
    xvis::kernels::set_conv2d_algorithm(algo == 1 ? xvis::kernels::Conv2dAlgorithm::gemm
                                                  : xvis::kernels::Conv2dAlgorithm::fast);
    const auto g = xvis::kernels::make_conv2d_geometry({1, C, H, H}, {K, C / p.groups, R, R}, p, "bench");
    auto x = xvis::random_uniform<float>({1, C, H, H}, -1, 1, 1);
    auto y = xvis::random_uniform<float>(g.output_shape(), -1, 1, 3);
    xvis::Tensor work({xvis::kernels::conv2d_workspace_size(g) + 1});
    const auto which = pass == Pass::forward ? xvis::kernels::Conv2dPass::forward : xvis::kernels::Conv2dPass::backward_data;
    const std::size_t prepared_size = algo == 2 ? xvis::kernels::conv2d_prepared_size(g, which) : 0;
    const std::size_t per_set = std::max(K * C / p.groups * R * R, prepared_size) * sizeof(float);
    const std::size_t sets = cold_bytes ? std::max<std::size_t>(2, cold_bytes / per_set + 1) : 1;
    std::vector<xvis::Tensor> w, prepared;
    for (std::size_t i = 0; i < sets; ++i) {
        w.push_back(xvis::random_uniform<float>({K, C / p.groups, R, R}, -1, 1, 2 + i));
        prepared.emplace_back(xvis::Shape{prepared_size + 1});
        if (prepared_size) xvis::kernels::conv2d_prepare_weights(g, which, w[i].data(), prepared[i].data());
    }
    std::size_t i = 0;
    for (auto _ : state) {
        const float* pw = prepared_size ? prepared[i].data() : nullptr;
        if constexpr (pass == Pass::forward)
            xvis::kernels::conv2d_forward(g, x.data(), w[i].data(), y.data(), work.data(), pw);
        else if constexpr (pass == Pass::backward_data)
            xvis::kernels::conv2d_backward_data(g, y.data(), w[i].data(), x.data(), work.data(), pw);
        else
            xvis::kernels::conv2d_backward_weights(g, x.data(), y.data(), w[i].data(), work.data());
        benchmark::ClobberMemory();
        i = i + 1 == sets ? 0 : i + 1;
    }
    xvis::kernels::set_conv2d_algorithm(saved);
    const double flops = 2.0 * double(g.N * g.K * g.OH * g.OW) * double(C / p.groups * R * R);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Args: C, K, H (= W), R (= S), stride, pad, threads, groups, algo.
template <Pass pass>
void BM_conv2d(benchmark::State& state) {
    xvis::kernels::Conv2dParams p;
    p.stride_h = p.stride_w = std::size_t(state.range(4));
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = std::size_t(state.range(5));
    p.groups = std::size_t(state.range(7));
    run_layer<pass>(state, std::size_t(state.range(0)), std::size_t(state.range(1)), std::size_t(state.range(2)),
                    std::size_t(state.range(3)), p, int(state.range(6)), int(state.range(8)), 0);
}

// algo 2 (prepared weights) only where there is something to prepare: forward and backward-data.
template <int algos>
void layers(benchmark::internal::Benchmark* b) {
    b->ArgNames({"C", "K", "HW", "RS", "stride", "pad", "threads", "groups", "algo"});
    for (int threads : {1, 2}) {
        for (int algo = 0; algo < algos; ++algo) {
            // VGG-style 3×3 pad 1.
            b->Args({3, 64, 64, 3, 1, 1, threads, 1, algo});
            b->Args({64, 64, 64, 3, 1, 1, threads, 1, algo});
            b->Args({128, 128, 32, 3, 1, 1, threads, 1, algo});
            b->Args({256, 256, 16, 3, 1, 1, threads, 1, algo});
            // ResNet-18's four stages' 3×3 convs.
            b->Args({64, 64, 56, 3, 1, 1, threads, 1, algo});
            b->Args({128, 128, 28, 3, 1, 1, threads, 1, algo});
            b->Args({256, 256, 14, 3, 1, 1, threads, 1, algo});
            b->Args({512, 512, 7, 3, 1, 1, threads, 1, algo});
            // W1's (fashion_cnn's) second conv: small steps where per-call overheads show.
            b->Args({32, 64, 14, 3, 1, 1, threads, 1, algo});
        }
        // GEMM-path layers where its panels are narrow: ResNet-50's 1×1 at 14² and 7², ResNet-18's layer4.0 3×3 / 2.
        b->Args({256, 1024, 14, 1, 1, 0, threads, 1, 0});
        b->Args({512, 2048, 7, 1, 1, 0, threads, 1, 0});
        b->Args({2048, 512, 7, 1, 1, 0, threads, 1, 0});
        b->Args({256, 512, 14, 3, 2, 1, threads, 1, 0});
        // Stride-2 3×3 layers (torchvision's ResNet-50 v1.5 strides the 3×3): backward-data in channel blocks,
        // layer2.0 and layer3.0 of ResNet-50 and layer2.0 of ResNet-18; whole panel, layer4.0 of ResNet-50.
        b->Args({128, 128, 56, 3, 2, 1, threads, 1, 0});
        b->Args({512, 512, 14, 3, 2, 1, threads, 1, 0});
        b->Args({256, 256, 28, 3, 2, 1, threads, 1, 0});
        b->Args({64, 128, 56, 3, 2, 1, threads, 1, 0});
        // ResNet-18: stem and a 1×1 stride-2 downsample.
        b->Args({3, 64, 224, 7, 2, 3, threads, 1, 0});
        b->Args({64, 128, 56, 1, 2, 0, threads, 1, 0});
        // MobileNet depthwise 3×3: one tiny GEMM per channel.
        b->Args({32, 32, 112, 3, 1, 1, threads, 32, 0});
        b->Args({512, 512, 14, 3, 1, 1, threads, 512, 0});
    }
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_conv2d<Pass::forward>)->Apply(layers<3>);
BENCHMARK(BM_conv2d<Pass::backward_data>)->Apply(layers<3>);
BENCHMARK(BM_conv2d<Pass::backward_weights>)->Apply(layers<2>);

// A network's weights do not stay in cache: the same layer over weight sets in turn, together larger than the L3
// (at least 96 MiB), so every call reads its (prepared) weights from memory as in a ResNet's layer4.
// Args: C, K, H (= W), R (= S), pad, threads, algo (as in BM_conv2d).
template <Pass pass>
void BM_conv2d_cold(benchmark::State& state) {
    xvis::kernels::Conv2dParams p;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = std::size_t(state.range(4));
    run_layer<pass>(state, std::size_t(state.range(0)), std::size_t(state.range(1)), std::size_t(state.range(2)),
                    std::size_t(state.range(3)), p, int(state.range(5)), int(state.range(6)), std::size_t(96) << 20);
}

void cold_layers(benchmark::internal::Benchmark* b) {
    b->ArgNames({"C", "K", "HW", "RS", "pad", "threads", "algo"});
    for (int threads : {1, 2}) {
        for (int algo : {1, 2}) b->Args({512, 512, 7, 3, 1, threads, algo});  // ResNet layer4's 3×3
        b->Args({512, 2048, 7, 1, 0, threads, 1});                           // ResNet-50 layer4's 1×1
        b->Args({2048, 512, 7, 1, 0, threads, 1});
    }
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_conv2d_cold<Pass::forward>)->Apply(cold_layers);
BENCHMARK(BM_conv2d_cold<Pass::backward_data>)->Apply(cold_layers);

}  // namespace
