// One activation-maximization iteration on the VGG-style network of performance-targets.md (W2): jitter,
// forward to the 5th conv's ReLU, AM(filter 7) + 1e-4·LPNorm(6) + 10·TV(2), gradient w.r.t. the input,
// L2 normalization, RMSprop. Reported as iterations per second.
#include "bench_models.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace xvis;

void BM_w2_activation_max_iteration(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Model m = xvis::bench::vgg_mini();
    const Node input = m.input();
    Optimizer opt(input, {{std::make_shared<ActivationMaximization>(m.layer_output("b3c1"), std::vector<std::int64_t>{7}), 1.0},
                          {std::make_shared<LPNorm>(input, 6.0), 1e-4},
                          {std::make_shared<TotalVariation>(input, 2.0), 10.0}});
    MinimizeOptions o;
    o.input_modifiers = {std::make_shared<Jitter>(0.05)};
    o.max_iter = 10;
    opt.minimize(o);  // warm-up
    for (auto _ : state) benchmark::DoNotOptimize(opt.minimize(o).best_loss);
    state.counters["iterations/s"] = benchmark::Counter(10.0, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_w2_activation_max_iteration)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
