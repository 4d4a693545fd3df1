// Reduction benchmarks next to raw-loop baselines: full sum and per-channel sum (the bias gradient) of
// [1,64,112,112], and sum_to for a conv bias and a dense bias gradient. Bytes/s counts the bytes read.
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/reduce.hpp>
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

namespace {

using xvis::Shape;
using xvis::kernels::ReduceOp;

const Shape act{1, 64, 112, 112};

// Args: 0 = full sum, 1 = per channel (axes 0, 2, 3); threads.
void BM_reduce_sum(benchmark::State& state) {
    xvis::set_num_threads(int(state.range(1)));
    const auto x = xvis::random_uniform<float>(act, -1, 1, 1);
    float y[64];
    const std::uint32_t mask = state.range(0) ? 0b1101u : 0b1111u;
    for (auto _ : state) {
        xvis::kernels::reduce(ReduceOp::sum, x.data(), act, mask, y);
        benchmark::DoNotOptimize(y);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations() * x.size() * sizeof(float)));
    state.SetLabel(state.range(0) ? "per channel" : "full");
}
BENCHMARK(BM_reduce_sum)->ArgNames({"per_channel", "threads"})->ArgsProduct({{0, 1}, {1, 2}})->UseRealTime();

// The plain loops one would write: a float accumulator (g++ keeps it scalar without -ffast-math).
void BM_reduce_sum_rawloop(benchmark::State& state) {
    const auto x = xvis::random_uniform<float>(act, -1, 1, 1);
    const std::size_t C = 64, HW = 112 * 112;
    float y[64];
    for (auto _ : state) {
        const float* xp = x.data();
        if (state.range(0)) {
            for (std::size_t c = 0; c < C; ++c) {
                float s = 0;
                for (std::size_t i = 0; i < HW; ++i) s += xp[c * HW + i];
                y[c] = s;
            }
        } else {
            float s = 0;
            for (std::size_t i = 0; i < C * HW; ++i) s += xp[i];
            y[0] = s;
        }
        benchmark::DoNotOptimize(y);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations() * x.size() * sizeof(float)));
    state.SetLabel(state.range(0) ? "per channel" : "full");
}
BENCHMARK(BM_reduce_sum_rawloop)->ArgNames({"per_channel"})->Arg(0)->Arg(1)->UseRealTime();

// Args: 0 = [8,64,56,56] -> [64,1,1] (conv bias gradient), 1 = [256,1000] -> [1000] (dense bias); threads.
void BM_sum_to(benchmark::State& state) {
    xvis::set_num_threads(int(state.range(1)));
    const Shape sx = state.range(0) ? Shape{256, 1000} : Shape{8, 64, 56, 56};
    const Shape sy = state.range(0) ? Shape{1000} : Shape{64, 1, 1};
    const auto x = xvis::random_uniform<float>(sx, -1, 1, 1);
    xvis::Tensor y(sy);
    for (auto _ : state) {
        xvis::kernels::sum_to(x.data(), sx, y.data(), sy);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations() * x.size() * sizeof(float)));
    state.SetLabel(xvis::shape_to_string(sx) + " -> " + xvis::shape_to_string(sy));
}
BENCHMARK(BM_sum_to)->ArgNames({"dense", "threads"})->ArgsProduct({{0, 1}, {1, 2}})->UseRealTime();

void BM_sum_to_rawloop(benchmark::State& state) {
    const bool dense = state.range(0) != 0;
    const std::size_t N = dense ? 256 : 8, C = dense ? 1000 : 64, HW = dense ? 1 : 56 * 56;
    const auto x = xvis::random_uniform<float>({N * C * HW}, -1, 1, 1);
    xvis::Tensor y({C});
    for (auto _ : state) {
        const float* xp = x.data();
        float* yp = y.data();
        std::fill(yp, yp + C, 0.0f);
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t c = 0; c < C; ++c) {
                float s = 0;
                for (std::size_t i = 0; i < HW; ++i) s += xp[(n * C + c) * HW + i];
                yp[c] += s;
            }
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations() * x.size() * sizeof(float)));
    state.SetLabel(dense ? "[256, 1000] -> [1000]" : "[8, 64, 56, 56] -> [64, 1, 1]");
}
BENCHMARK(BM_sum_to_rawloop)->ArgNames({"dense"})->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
