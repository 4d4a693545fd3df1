#pragma once
// Naive double-precision pooling references for the autodiff op table (part of autodiff_reference.hpp): every
// window enumerated cell by cell over the padded image, floor or ceil mode, padding cells skipped explicitly.
#include <xvis/tensor/pooling.hpp>
#include <xvis/tensor/tensor.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

namespace xvis::reference {

// Pooling by explicit windows. f(o, cells, padded) with cells the in-image (h, w) of the window in row-major
// window order, padded the number of its cells inside the padded image [−pt, H + pb) × [−pl, W + pr).
struct PoolWindows {
    std::size_t N, C, H, W, OH, OW;
    kernels::Pool2dParams p;
};
// ceil_mode (PyTorch's rule): ceil((n + pads − k) / s) + 1 windows, less the last one if it starts at or beyond
// n + front padding.
inline std::size_t pool_extent(std::size_t n, std::size_t front, std::size_t back, std::size_t k, std::size_t s,
                               bool ceil_mode) {
    const double span = double(n + front + back - k) / double(s);
    std::size_t o = std::size_t(ceil_mode ? std::ceil(span) : std::floor(span)) + 1;
    if (ceil_mode && (o - 1) * s >= n + front) --o;
    return o;
}
inline PoolWindows pool_windows(const Shape& x, const kernels::Pool2dParams& p) {
    return {x[0], x[1], x[2], x[3], pool_extent(x[2], p.pad_top, p.pad_bottom, p.kernel_h, p.stride_h, p.ceil_mode),
            pool_extent(x[3], p.pad_left, p.pad_right, p.kernel_w, p.stride_w, p.ceil_mode), p};
}
template <class F>
void for_each_window(const PoolWindows& g, F&& f) {
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t c = 0; c < g.C; ++c)
            for (std::size_t oh = 0; oh < g.OH; ++oh)
                for (std::size_t ow = 0; ow < g.OW; ++ow) {
                    std::vector<std::size_t> cells;  // flat indices into x, row-major window order
                    std::size_t padded = 0;
                    for (std::size_t r = 0; r < g.p.kernel_h; ++r)
                        for (std::size_t s = 0; s < g.p.kernel_w; ++s) {
                            const long h = long(oh * g.p.stride_h + r) - long(g.p.pad_top);
                            const long w = long(ow * g.p.stride_w + s) - long(g.p.pad_left);
                            padded += h < long(g.H + g.p.pad_bottom) && w < long(g.W + g.p.pad_right);
                            if (h < 0 || w < 0 || h >= long(g.H) || w >= long(g.W)) continue;
                            cells.push_back(((n * g.C + c) * g.H + std::size_t(h)) * g.W + std::size_t(w));
                        }
                    f(((n * g.C + c) * g.OH + oh) * g.OW + ow, cells, padded);
                }
}
// First maximum in row-major window order.
inline std::size_t window_argmax(const TensorD& x, const std::vector<std::size_t>& cells) {
    std::size_t best = cells[0];
    for (std::size_t c : cells)
        if (x[c] > x[best]) best = c;
    return best;
}
inline TensorD max_pool2d(const TensorD& x, const kernels::Pool2dParams& p) {
    const auto g = pool_windows(x.shape(), p);
    TensorD y(Shape{g.N, g.C, g.OH, g.OW});
    for_each_window(g, [&](std::size_t o, const std::vector<std::size_t>& cells, std::size_t) { y[o] = x[window_argmax(x, cells)]; });
    return y;
}
inline TensorD max_pool2d_backward(const TensorD& x, const TensorD& dy, const kernels::Pool2dParams& p) {
    TensorD dx(x.shape(), 0.0);
    for_each_window(pool_windows(x.shape(), p),
                    [&](std::size_t o, const std::vector<std::size_t>& cells, std::size_t) { dx[window_argmax(x, cells)] += dy[o]; });
    return dx;
}
inline TensorD max_pool2d_select(const TensorD& x, const TensorD& v, const kernels::Pool2dParams& p) {
    const auto g = pool_windows(x.shape(), p);
    TensorD y(Shape{g.N, g.C, g.OH, g.OW});
    for_each_window(g, [&](std::size_t o, const std::vector<std::size_t>& cells, std::size_t) { y[o] = v[window_argmax(x, cells)]; });
    return y;
}
inline double avg_divisor(const kernels::Pool2dParams& p, const std::vector<std::size_t>& cells, std::size_t padded) {
    return p.count_include_pad ? double(padded) : double(cells.size());
}
inline TensorD avg_pool2d(const TensorD& x, const kernels::Pool2dParams& p) {
    const auto g = pool_windows(x.shape(), p);
    TensorD y(Shape{g.N, g.C, g.OH, g.OW});
    for_each_window(g, [&](std::size_t o, const std::vector<std::size_t>& cells, std::size_t padded) {
        double acc = 0;
        for (std::size_t c : cells) acc += x[c];
        y[o] = acc / avg_divisor(p, cells, padded);
    });
    return y;
}
inline TensorD avg_pool2d_backward(const TensorD& dy, const Shape& x_shape, const kernels::Pool2dParams& p) {
    TensorD dx(x_shape, 0.0);
    for_each_window(pool_windows(x_shape, p), [&](std::size_t o, const std::vector<std::size_t>& cells, std::size_t padded) {
        for (std::size_t c : cells) dx[c] += dy[o] / avg_divisor(p, cells, padded);
    });
    return dx;
}

}  // namespace xvis::reference
