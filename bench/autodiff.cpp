// Gradients of a whole CNN through the compiled graph: d(logit)/d(input) (saliency; no weight gradients are
// built) against d(logit)/d(all parameters), on the Fashion-MNIST-sized CNN of performance-targets.md (W1).
#include <xvis/xvis.hpp>

#include <benchmark/benchmark.h>

#include <memory>

namespace {

using namespace xvis;

struct SmallCnn {
    Node image, logit;
    std::vector<Node> params;
};

Node param(SmallCnn& m, const Shape& shape, double scale, std::uint64_t seed) {
    auto t = std::make_shared<Tensor>(random_normal<float>(shape, 0.0, scale, seed));
    m.params.push_back(parameter(t));
    return m.params.back();
}

// Conv(1→32, 3×3, pad 1) + ReLU + MaxPool 2 → Conv(32→64) + ReLU + MaxPool 2 → Dense(3136→128) + ReLU →
// Dense(128→10); the loss is logit 3 summed over the batch.
SmallCnn build_w1(std::size_t batch) {
    SmallCnn m;
    m.image = placeholder({batch, 1, 28, 28}, "image");
    kernels::Conv2dParams same;
    same.pad_top = same.pad_bottom = same.pad_left = same.pad_right = 1;
    kernels::Pool2dParams pool;  // 2×2, stride 2
    Node h = conv2d(m.image, param(m, {32, 1, 3, 3}, 0.3, 1), same);
    h = max_pool2d(relu(h + reshape(param(m, {32}, 0.1, 2), {32, 1, 1})), pool);
    h = conv2d(h, param(m, {64, 32, 3, 3}, 0.06, 3), same);
    h = max_pool2d(relu(h + reshape(param(m, {64}, 0.1, 4), {64, 1, 1})), pool);
    h = relu(matmul(flatten(h), param(m, {3136, 128}, 0.02, 5)) + param(m, {128}, 0.1, 6));
    Node logits = matmul(h, param(m, {128, 10}, 0.1, 7)) + param(m, {10}, 0.1, 8);
    m.logit = sum(slice(logits, {0, 3}, {slice_full, 4}));
    return m;
}

void run_gradient(benchmark::State& state, bool wrt_params) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    set_num_threads(static_cast<int>(state.range(1)));
    SmallCnn m = build_w1(batch);
    std::vector<Node> wrt = wrt_params ? m.params : std::vector<Node>{m.image};
    std::vector<Node> outs = gradients(m.logit, wrt);
    outs.insert(outs.begin(), m.logit);
    Function f = compile(outs, {m.image});
    Tensor x = random_uniform<float>({batch, 1, 28, 28}, 0, 1, 9);
    f(x);
    for (auto _ : state) benchmark::DoNotOptimize(f(x)[0].data());
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["steps"] = static_cast<double>(f.num_steps());
}

void BM_w1_saliency_wrt_input(benchmark::State& state) { run_gradient(state, false); }
void BM_w1_gradient_wrt_params(benchmark::State& state) { run_gradient(state, true); }

BENCHMARK(BM_w1_saliency_wrt_input)->ArgNames({"batch", "threads"})->ArgsProduct({{1, 64}, {1, 2}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_w1_gradient_wrt_params)->ArgNames({"batch", "threads"})->ArgsProduct({{1, 64}, {1, 2}})->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
