// One activation-maximization iteration on the VGG-style network of performance-targets.md (W2): jitter,
// forward to the 5th conv's ReLU, AM(filter 7) + 1e-4·LPNorm(6) + 10·TV(2), gradient w.r.t. the input,
// L2 normalization, RMSprop. Reported as iterations per second.
#include <xvis/xvis.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace xvis;

Model vgg_mini() {
    auto conv = [](std::size_t f, const char* name) {
        return std::make_shared<Conv2D>(f, std::array<std::size_t, 2>{3, 3}, "relu", "same", name);
    };
    return Model::sequential({std::make_shared<InputLayer>(Shape{3, 64, 64}), conv(64, "b1c1"), conv(64, "b1c2"),
                              std::make_shared<MaxPooling2D>(), conv(128, "b2c1"), conv(128, "b2c2"),
                              std::make_shared<MaxPooling2D>(), conv(256, "b3c1"), conv(256, "b3c2"),
                              std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(),
                              std::make_shared<Dense>(256, "relu", "fc"), std::make_shared<Dense>(10, "linear", "out")},
                             "vgg_mini", 1);
}

void BM_w2_activation_max_iteration(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Model m = vgg_mini();
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
