#pragma once
// Naive pooling references: every window walked over the padded image, padding cells skipped explicitly.
#include <xvis/tensor/pooling.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace xvis::reference {

// Calls f(n·C + c, oh·OW + ow, h, w) for every in-image cell (h, w) of every window, row-major.
template <class F>
void for_window_cells(const kernels::Pool2dGeometry& g, F&& f) {
    const auto& p = g.p;
    for (std::size_t plane = 0; plane < g.N * g.C; ++plane)
        for (std::size_t oh = 0; oh < g.OH; ++oh)
            for (std::size_t ow = 0; ow < g.OW; ++ow)
                for (std::size_t i = 0; i < p.kernel_h; ++i)
                    for (std::size_t j = 0; j < p.kernel_w; ++j) {
                        const auto h = static_cast<std::int64_t>(oh * p.stride_h + i) - std::int64_t(p.pad_top);
                        const auto w = static_cast<std::int64_t>(ow * p.stride_w + j) - std::int64_t(p.pad_left);
                        if (h < 0 || w < 0 || h >= std::int64_t(g.H) || w >= std::int64_t(g.W)) continue;
                        f(plane, oh * g.OW + ow, std::size_t(h), std::size_t(w));
                    }
}

// Flat x index of the first maximum of every window.
template <class T>
std::vector<std::size_t> max_pool_argmax(const kernels::Pool2dGeometry& g, const T* x) {
    std::vector<std::size_t> arg(g.N * g.C * g.OH * g.OW, SIZE_MAX);
    for_window_cells(g, [&](std::size_t plane, std::size_t o, std::size_t h, std::size_t w) {
        const std::size_t out = plane * g.OH * g.OW + o, in = (plane * g.H + h) * g.W + w;
        // First maximum in row-major order; the first NaN wins over any number.
        const bool nan_in = x[in] != x[in], nan_best = arg[out] != SIZE_MAX && x[arg[out]] != x[arg[out]];
        if (arg[out] == SIZE_MAX || x[in] > x[arg[out]] || (nan_in && !nan_best)) arg[out] = in;
    });
    return arg;
}

// count_include_pad divisor of window o (flat oh·OW + ow): its cells inside the padded image [−pt, H + pb) ×
// [−pl, W + pr), which is kh·kw except for a ceil-mode window overhanging it.
inline double include_pad_divisor(const kernels::Pool2dGeometry& g, std::size_t o) {
    const auto& p = g.p;
    const std::size_t h0 = o / g.OW * p.stride_h, w0 = o % g.OW * p.stride_w;  // padded coordinates
    const std::size_t ph = p.pad_top + g.H + p.pad_bottom, pw = p.pad_left + g.W + p.pad_right;
    return double((std::min(h0 + p.kernel_h, ph) - h0) * (std::min(w0 + p.kernel_w, pw) - w0));
}

template <class T>
std::vector<double> avg_pool(const kernels::Pool2dGeometry& g, const T* x) {
    const std::size_t no = g.N * g.C * g.OH * g.OW;
    std::vector<double> sum(no, 0.0), count(no, 0.0);
    for_window_cells(g, [&](std::size_t plane, std::size_t o, std::size_t h, std::size_t w) {
        sum[plane * g.OH * g.OW + o] += x[(plane * g.H + h) * g.W + w];
        count[plane * g.OH * g.OW + o] += 1.0;
    });
    for (std::size_t i = 0; i < no; ++i)
        sum[i] /= g.p.count_include_pad ? include_pad_divisor(g, i % (g.OH * g.OW)) : count[i];
    return sum;
}

template <class T>
std::vector<double> avg_pool_backward(const kernels::Pool2dGeometry& g, const T* dy) {
    const std::size_t no = g.N * g.C * g.OH * g.OW;
    std::vector<double> count(no, 0.0), dx(g.N * g.C * g.H * g.W, 0.0);
    for_window_cells(g, [&](std::size_t plane, std::size_t o, std::size_t, std::size_t) {
        count[plane * g.OH * g.OW + o] += 1.0;
    });
    for_window_cells(g, [&](std::size_t plane, std::size_t o, std::size_t h, std::size_t w) {
        const std::size_t out = plane * g.OH * g.OW + o;
        const double div = g.p.count_include_pad ? include_pad_divisor(g, o) : count[out];
        dx[(plane * g.H + h) * g.W + w] += dy[out] / div;
    });
    return dx;
}

}  // namespace xvis::reference
