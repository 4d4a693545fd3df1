// Pooling benchmarks next to raw-loop baselines (the nested window loop with bounds checks one would write).
// Cases: 2x2/2 and 3x3/2 pad 1 on [1,64,112,112] and [64,32,28,28]. Bytes/s counts x read + y written
// (forward) or x, dy read + dx written (backward).
#include <xvis/tensor/pooling.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>

namespace {

using xvis::Shape;
using xvis::kernels::Pool2dGeometry;
using xvis::kernels::Pool2dParams;

Pool2dGeometry geometry(std::int64_t c) {
    const Shape x = (c & 1) ? Shape{64, 32, 28, 28} : Shape{1, 64, 112, 112};
    Pool2dParams p;
    if (c >= 2) {
        p.kernel_h = p.kernel_w = 3;
        p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    }
    return xvis::kernels::make_pool2d_geometry(x, p, "bench");
}
std::string label(const Pool2dGeometry& g) {
    return std::to_string(g.p.kernel_h) + "x" + std::to_string(g.p.kernel_w) + "/2 " +
           xvis::shape_to_string({g.N, g.C, g.H, g.W});
}

enum Kind { max_fwd, max_bwd, avg_fwd, avg_bwd };

// Args: case, kind, threads.
void BM_pool(benchmark::State& state) {
    xvis::set_num_threads(int(state.range(2)));
    const auto g = geometry(state.range(0));
    const auto kind = Kind(state.range(1));
    const auto x = xvis::random_uniform<float>({g.N, g.C, g.H, g.W}, -1, 1, 1);
    const auto dy = xvis::random_uniform<float>(g.output_shape(), -1, 1, 2);
    xvis::Tensor y(g.output_shape()), dx(x.shape());
    for (auto _ : state) {
        switch (kind) {
            case max_fwd: xvis::kernels::max_pool2d_forward(g, x.data(), y.data()); break;
            case max_bwd: xvis::kernels::max_pool2d_backward(g, x.data(), dy.data(), dx.data()); break;
            case avg_fwd: xvis::kernels::avg_pool2d_forward(g, x.data(), y.data()); break;
            case avg_bwd: xvis::kernels::avg_pool2d_backward(g, dy.data(), dx.data()); break;
        }
        benchmark::ClobberMemory();
    }
    const std::size_t bytes = kind == max_fwd || kind == avg_fwd ? x.size() + y.size()
                              : kind == max_bwd                  ? 2 * x.size() + y.size()
                                                                 : x.size() + y.size();
    state.SetBytesProcessed(std::int64_t(state.iterations() * bytes * sizeof(float)));
    const char* names[] = {"max fwd ", "max bwd ", "avg fwd ", "avg bwd "};
    state.SetLabel(names[kind] + label(g));
}
BENCHMARK(BM_pool)->ArgNames({"case", "kind", "threads"})->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2, 3}, {1, 2}})->UseRealTime();

void BM_pool_rawloop(benchmark::State& state) {
    const auto g = geometry(state.range(0));
    const auto kind = Kind(state.range(1));
    const auto x = xvis::random_uniform<float>({g.N, g.C, g.H, g.W}, -1, 1, 1);
    const auto dy = xvis::random_uniform<float>(g.output_shape(), -1, 1, 2);
    xvis::Tensor y(g.output_shape()), dx(x.shape());
    const long H = long(g.H), W = long(g.W), kh = long(g.p.kernel_h), kw = long(g.p.kernel_w);
    const long s = long(g.p.stride_h), pad = long(g.p.pad_top);
    for (auto _ : state) {
        const float *xp = x.data(), *dyp = dy.data();
        float *yp = y.data(), *dxp = dx.data();
        if (kind == max_bwd || kind == avg_bwd) std::fill(dxp, dxp + dx.size(), 0.0f);
        for (std::size_t pl = 0; pl < g.N * g.C; ++pl)
            for (long oh = 0; oh < long(g.OH); ++oh)
                for (long ow = 0; ow < long(g.OW); ++ow) {
                    const std::size_t o = (pl * g.OH + std::size_t(oh)) * g.OW + std::size_t(ow);
                    float best = -1e30f, sum = 0;
                    long arg = -1, count = 0;
                    for (long i = 0; i < kh; ++i)
                        for (long j = 0; j < kw; ++j) {
                            const long h = oh * s - pad + i, w = ow * s - pad + j;
                            if (h < 0 || h >= H || w < 0 || w >= W) continue;
                            const long idx = (long(pl) * H + h) * W + w;
                            if (kind == avg_bwd) { ++count; continue; }
                            if (xp[idx] > best) best = xp[idx], arg = idx;
                            sum += xp[idx];
                            ++count;
                        }
                    if (kind == max_fwd) yp[o] = best;
                    else if (kind == max_bwd) dxp[arg] += dyp[o];
                    else if (kind == avg_fwd) yp[o] = sum / float(count);
                    else
                        for (long i = 0; i < kh; ++i)
                            for (long j = 0; j < kw; ++j) {
                                const long h = oh * s - pad + i, w = ow * s - pad + j;
                                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                                dxp[(long(pl) * H + h) * W + w] += dyp[o] / float(count);
                            }
                }
        benchmark::ClobberMemory();
    }
    const std::size_t bytes = kind == max_fwd || kind == avg_fwd ? x.size() + y.size()
                              : kind == max_bwd                  ? 2 * x.size() + y.size()
                                                                 : x.size() + y.size();
    state.SetBytesProcessed(std::int64_t(state.iterations() * bytes * sizeof(float)));
    const char* names[] = {"max fwd ", "max bwd ", "avg fwd ", "avg bwd "};
    state.SetLabel(names[kind] + label(g));
}
BENCHMARK(BM_pool_rawloop)->ArgNames({"case", "kind"})->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2, 3}})->UseRealTime();

}  // namespace
