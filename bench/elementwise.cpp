// Element-wise and data-movement benchmarks, each next to a raw-loop baseline doing the same work (plain
// pointer loops compiled with the library's flags). Bytes/s counts reads + writes, to compare with the
// ~60–100 GB/s cache and ~21 GB/s (one core) memory bandwidth of these machines.
#include <xvis/tensor/elementwise.hpp>
#include <xvis/tensor/layout.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

#include <cmath>

namespace {

using xvis::Shape;
using xvis::kernels::BinaryOp;
using xvis::kernels::UnaryOp;

const Shape shapes[] = {{1, 3, 224, 224}, {1, 512, 14, 14}, {1, 64, 112, 112}};
const UnaryOp unary_ops[] = {UnaryOp::relu, UnaryOp::exp, UnaryOp::sigmoid};
const char* unary_names[] = {"relu", "exp", "sigmoid"};

void finish(benchmark::State& state, std::size_t bytes_per_iter, const std::string& label) {
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes_per_iter));
    state.SetLabel(label);
}

// Args: shape index, op index, threads.
void BM_unary(benchmark::State& state) {
    xvis::set_num_threads(int(state.range(2)));
    const Shape& s = shapes[state.range(0)];
    const auto x = xvis::random_uniform<float>(s, -4, 4, 1);
    xvis::Tensor y(s);
    const UnaryOp op = unary_ops[state.range(1)];
    for (auto _ : state) {
        xvis::kernels::unary(op, x.data(), y.data(), x.size());
        benchmark::ClobberMemory();
    }
    finish(state, 2 * x.size() * sizeof(float), unary_names[state.range(1)] + std::string(" ") + xvis::shape_to_string(s));
}
BENCHMARK(BM_unary)->ArgNames({"shape", "op", "threads"})->ArgsProduct({{0, 1, 2}, {0, 1, 2}, {1, 2}})->UseRealTime();

void BM_unary_rawloop(benchmark::State& state) {
    const Shape& s = shapes[state.range(0)];
    const auto x = xvis::random_uniform<float>(s, -4, 4, 1);
    xvis::Tensor y(s);
    const std::size_t n = x.size();
    const float* xp = x.data();
    float* yp = y.data();
    for (auto _ : state) {
        switch (state.range(1)) {
            case 0: for (std::size_t i = 0; i < n; ++i) yp[i] = xp[i] > 0.0f ? xp[i] : 0.0f; break;
            case 1: for (std::size_t i = 0; i < n; ++i) yp[i] = std::exp(xp[i]); break;
            default: for (std::size_t i = 0; i < n; ++i) yp[i] = 1.0f / (1.0f + std::exp(-xp[i])); break;
        }
        benchmark::ClobberMemory();
    }
    finish(state, 2 * n * sizeof(float), unary_names[state.range(1)] + std::string(" ") + xvis::shape_to_string(s));
}
BENCHMARK(BM_unary_rawloop)->ArgNames({"shape", "op"})->ArgsProduct({{0, 1, 2}, {0, 1, 2}})->UseRealTime();

// Args: 0 = same-shape add on [1,64,112,112], 1 = bias [1,64,1,1] over it; threads.
void BM_binary_add(benchmark::State& state) {
    xvis::set_num_threads(int(state.range(1)));
    const Shape sa{1, 64, 112, 112}, sb = state.range(0) ? Shape{1, 64, 1, 1} : sa;
    const auto a = xvis::random_uniform<float>(sa, -1, 1, 1);
    const auto b = xvis::random_uniform<float>(sb, -1, 1, 2);
    xvis::Tensor y(sa);
    for (auto _ : state) {
        xvis::kernels::binary(BinaryOp::add, a.data(), sa, b.data(), sb, y.data(), sa);
        benchmark::ClobberMemory();
    }
    finish(state, (state.range(0) ? 2 : 3) * a.size() * sizeof(float), state.range(0) ? "bias" : "same shape");
}
BENCHMARK(BM_binary_add)->ArgNames({"bias", "threads"})->ArgsProduct({{0, 1}, {1, 2}})->UseRealTime();

void BM_binary_add_rawloop(benchmark::State& state) {
    const std::size_t C = 64, HW = 112 * 112;
    const auto a = xvis::random_uniform<float>({C * HW}, -1, 1, 1);
    const auto b = xvis::random_uniform<float>({state.range(0) ? C : C * HW}, -1, 1, 2);
    xvis::Tensor y({C * HW});
    const float *ap = a.data(), *bp = b.data();
    float* yp = y.data();
    for (auto _ : state) {
        if (state.range(0)) {
            for (std::size_t c = 0; c < C; ++c)
                for (std::size_t i = 0; i < HW; ++i) yp[c * HW + i] = ap[c * HW + i] + bp[c];
        } else {
            for (std::size_t i = 0; i < C * HW; ++i) yp[i] = ap[i] + bp[i];
        }
        benchmark::ClobberMemory();
    }
    finish(state, (state.range(0) ? 2 : 3) * a.size() * sizeof(float), state.range(0) ? "bias" : "same shape");
}
BENCHMARK(BM_binary_add_rawloop)->ArgNames({"bias"})->Arg(0)->Arg(1)->UseRealTime();

// NCHW -> NHWC. Args: shape index, threads.
void BM_transpose_nchw_nhwc(benchmark::State& state) {
    xvis::set_num_threads(int(state.range(1)));
    const Shape& s = shapes[state.range(0)];
    const auto x = xvis::random_uniform<float>(s, -1, 1, 1);
    xvis::Tensor y({s[0], s[2], s[3], s[1]});
    const std::size_t perm[4] = {0, 2, 3, 1};
    for (auto _ : state) {
        xvis::kernels::transpose(x.data(), s, perm, y.data());
        benchmark::ClobberMemory();
    }
    finish(state, 2 * x.size() * sizeof(float), xvis::shape_to_string(s));
}
BENCHMARK(BM_transpose_nchw_nhwc)->ArgNames({"shape", "threads"})->ArgsProduct({{0, 1, 2}, {1, 2}})->UseRealTime();

void BM_transpose_nchw_nhwc_rawloop(benchmark::State& state) {
    const Shape& s = shapes[state.range(0)];
    const auto x = xvis::random_uniform<float>(s, -1, 1, 1);
    xvis::Tensor y(s);
    const std::size_t N = s[0], C = s[1], H = s[2], W = s[3];
    for (auto _ : state) {
        const float* xp = x.data();
        float* yp = y.data();
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t h = 0; h < H; ++h)
                for (std::size_t w = 0; w < W; ++w)
                    for (std::size_t c = 0; c < C; ++c) yp[((n * H + h) * W + w) * C + c] = xp[((n * C + c) * H + h) * W + w];
        benchmark::ClobberMemory();
    }
    finish(state, 2 * x.size() * sizeof(float), xvis::shape_to_string(s));
}
BENCHMARK(BM_transpose_nchw_nhwc_rawloop)->ArgNames({"shape"})->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

// Jitter-style roll of an image by (5, -7) pixels. Args: threads.
void BM_roll(benchmark::State& state) {
    xvis::set_num_threads(int(state.range(0)));
    const Shape s{1, 3, 224, 224};
    const auto x = xvis::random_uniform<float>(s, -1, 1, 1);
    xvis::Tensor y(s);
    const std::int64_t shifts[4] = {0, 0, 5, -7};
    for (auto _ : state) {
        xvis::kernels::roll(x.data(), s, shifts, y.data());
        benchmark::ClobberMemory();
    }
    finish(state, 2 * x.size() * sizeof(float), "1x3x224x224");
}
BENCHMARK(BM_roll)->ArgNames({"threads"})->Arg(1)->Arg(2)->UseRealTime();

void BM_roll_rawloop(benchmark::State& state) {
    const std::size_t P = 3, H = 224, W = 224, sh = 5, sw = W - 7;
    const auto x = xvis::random_uniform<float>({P * H * W}, -1, 1, 1);
    xvis::Tensor y({P * H * W});
    for (auto _ : state) {
        const float* xp = x.data();
        float* yp = y.data();
        for (std::size_t p = 0; p < P; ++p)
            for (std::size_t h = 0; h < H; ++h)
                for (std::size_t w = 0; w < W; ++w)
                    yp[(p * H + (h + sh) % H) * W + (w + sw) % W] = xp[(p * H + h) * W + w];
        benchmark::ClobberMemory();
    }
    finish(state, 2 * x.size() * sizeof(float), "1x3x224x224");
}
BENCHMARK(BM_roll_rawloop)->UseRealTime();

}  // namespace
