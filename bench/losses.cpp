// Loss throughput (W4 of performance-targets.md): each keras-vis loss's value, and value + gradient, through
// compiled graphs, on the sizes keras-vis users hit: a 512×14×14 feature map and a 3×224×224 image. Against
// BM_loss_bandwidth_copy: a copy of the same tensor in cache, the least a loss + gradient moves (read x, write
// dx), for issue 13's target "loss kernels within 2.5× of cache bandwidth" (1 thread: loss time / copy time).
#include <xvis/xvis.hpp>

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

namespace {

using namespace xvis;

enum class Which { am, lp, tv };

// range(0): threads; range(1): 0 = a 1×512×14×14 feature map, 1 = a 1×3×224×224 image.
void run_loss(benchmark::State& state, Which which, bool with_grad) {
    set_num_threads(static_cast<int>(state.range(0)));
    const Shape shape = state.range(1) == 0 ? Shape{1, 512, 14, 14} : Shape{1, 3, 224, 224};
    Node x = placeholder(shape, "x");
    std::unique_ptr<Loss> loss;
    const std::int64_t filter = shape[1] > 7 ? 7 : 0;  // a 3-channel image has no filter 7
    if (which == Which::am) loss = std::make_unique<ActivationMaximization>(x, std::vector<std::int64_t>{filter});
    if (which == Which::lp) loss = std::make_unique<LPNorm>(x, 6.0);
    if (which == Which::tv) loss = std::make_unique<TotalVariation>(x, 2.0);
    Node y = loss->build_loss();
    std::vector<Node> outs{y};
    if (with_grad) outs.push_back(gradients(y, {x})[0]);
    Function f = compile(outs, {x});
    Tensor v = random_uniform<float>(shape, 0, 1, 1);
    f(v);
    for (auto _ : state) benchmark::DoNotOptimize(f(v)[0].data());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(v.size() * sizeof(float)));
    state.counters["steps"] = static_cast<double>(f.num_steps());
}

// range(0): 0 = 512×14×14 floats, 1 = 3×224×224; one thread, warm (the loss rows' tensors stay in L2 too).
void BM_loss_bandwidth_copy(benchmark::State& state) {
    const std::size_t n = state.range(0) == 0 ? 512 * 14 * 14 : 3 * 224 * 224;
    std::vector<float> a(n, 1.0f), b(n, 0.0f);
    for (auto _ : state) {
        std::memcpy(b.data(), a.data(), n * sizeof(float));
        benchmark::DoNotOptimize(b.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n * sizeof(float)));
}

void BM_loss_activation_max(benchmark::State& s) { run_loss(s, Which::am, false); }
void BM_loss_activation_max_grad(benchmark::State& s) { run_loss(s, Which::am, true); }
void BM_loss_lp_norm(benchmark::State& s) { run_loss(s, Which::lp, false); }
void BM_loss_lp_norm_grad(benchmark::State& s) { run_loss(s, Which::lp, true); }
void BM_loss_total_variation(benchmark::State& s) { run_loss(s, Which::tv, false); }
void BM_loss_total_variation_grad(benchmark::State& s) { run_loss(s, Which::tv, true); }

BENCHMARK(BM_loss_bandwidth_copy)->ArgName("image")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_loss_activation_max)->ArgNames({"threads", "image"})->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_loss_activation_max_grad)->ArgNames({"threads", "image"})->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_loss_lp_norm)->ArgNames({"threads", "image"})->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_loss_lp_norm_grad)->ArgNames({"threads", "image"})->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_loss_total_variation)->ArgNames({"threads", "image"})->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_loss_total_variation_grad)->ArgNames({"threads", "image"})->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
