// Saliency and Grad-CAM per image (W1 Fashion-MNIST CNN and W3 ResNet-18 of performance-targets.md).
// Two views: the keras-vis-style call (builds and compiles its graph on every call) and a reused explainer
// object (Saliency, GradCam: built once, each call only runs the compiled gradient; no allocation).
#include "bench_models.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace xvis;

// state.range: model (0 = Fashion-MNIST CNN, 1 = ResNet-18), batch, threads.
struct Setup {
    Model model;
    Tensor x;
    std::size_t batch;
};
Setup setup(const benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(1));
    set_num_threads(static_cast<int>(state.range(2)));
    Model m = state.range(0) == 0 ? bench::fashion_cnn() : bench::resnet18();
    Shape s = m.input().shape();
    s[0] = batch;
    return {std::move(m), random_uniform<float>(s, 0, 1, 1), batch};
}

void BM_saliency_call(benchmark::State& state) {
    auto [m, x, batch] = setup(state);
    for (auto _ : state) benchmark::DoNotOptimize(visualize_saliency(m, -1, {3}, x).data());
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_saliency_object(benchmark::State& state) {
    auto [m, x, batch] = setup(state);
    Saliency saliency(m, -1, {3}, x.shape());
    saliency(x);
    for (auto _ : state) benchmark::DoNotOptimize(saliency(x).data());
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

CamOptions cam_options(const Model& m, const benchmark::State& state) {
    CamOptions o;
    if (state.range(0) == 1) o.penultimate_layer = static_cast<std::int64_t>(m.find_layer_idx("layer4.1.out"));  // Grad-CAM on layer4
    return o;
}

void BM_gradcam_call(benchmark::State& state) {
    auto [m, x, batch] = setup(state);
    const CamOptions o = cam_options(m, state);
    for (auto _ : state) benchmark::DoNotOptimize(visualize_cam(m, -1, {3}, x, o).data());
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_gradcam_object(benchmark::State& state) {
    auto [m, x, batch] = setup(state);
    GradCam cam(m, -1, {3}, x.shape(), cam_options(m, state));
    cam(x);
    for (auto _ : state) benchmark::DoNotOptimize(cam(x).data());
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

// model (0 = Fashion-MNIST CNN, 1 = ResNet-18), batch, threads. ResNet-18 at batch 64 takes seconds per
// iteration: one iteration is measured.
void args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"model", "batch", "threads"});
    for (int t : {1, 2}) {
        b->Args({0, 1, t});
        b->Args({0, 64, t});
        b->Args({1, 1, t});
    }
    for (int t : {1, 2}) b->Args({1, 64, t});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_saliency_call)->Apply(args);
BENCHMARK(BM_saliency_object)->Apply(args);
BENCHMARK(BM_gradcam_call)->Apply(args);
BENCHMARK(BM_gradcam_object)->Apply(args);

}  // namespace
