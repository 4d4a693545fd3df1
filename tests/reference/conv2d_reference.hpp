#pragma once
// Naive 2-D convolution references for tests: the defining sums, written out loop by loop, in double.
#include <xvis/tensor/conv2d.hpp>

#include <cstddef>
#include <vector>

namespace xvis::reference {

// Calls f(n, k, oh, ow, c, r, s, ih, iw) for every term of the convolution sum whose input pixel lies inside
// the image; c is the input channel (absolute), r/s the kernel offset, c - g·C/G the weight's channel.
template <class F>
void for_each_conv_term(const kernels::Conv2dGeometry& g, F&& f) {
    const auto& p = g.p;
    const std::size_t cg = g.C / p.groups, kg = g.K / p.groups;
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t k = 0; k < g.K; ++k)
            for (std::size_t oh = 0; oh < g.OH; ++oh)
                for (std::size_t ow = 0; ow < g.OW; ++ow)
                    for (std::size_t c = 0; c < cg; ++c)
                        for (std::size_t r = 0; r < g.R; ++r)
                            for (std::size_t s = 0; s < g.S; ++s) {
                                const long ih = long(oh * p.stride_h + r * p.dilation_h) - long(p.pad_top);
                                const long iw = long(ow * p.stride_w + s * p.dilation_w) - long(p.pad_left);
                                if (ih < 0 || iw < 0 || ih >= long(g.H) || iw >= long(g.W)) continue;
                                f(n, k, oh, ow, k / kg * cg + c, c, r, s, std::size_t(ih), std::size_t(iw));
                            }
}

template <class T>
void conv2d_forward(const kernels::Conv2dGeometry& g, const T* x, const T* w, T* y) {
    const std::size_t cg = g.C / g.p.groups;
    std::vector<double> acc(g.N * g.K * g.OH * g.OW, 0.0);
    for_each_conv_term(g, [&](auto n, auto k, auto oh, auto ow, auto c, auto cw, auto r, auto s, auto ih, auto iw) {
        acc[((n * g.K + k) * g.OH + oh) * g.OW + ow] +=
            double(x[((n * g.C + c) * g.H + ih) * g.W + iw]) * double(w[((k * cg + cw) * g.R + r) * g.S + s]);
    });
    for (std::size_t i = 0; i < acc.size(); ++i) y[i] = T(acc[i]);
}

template <class T>
void conv2d_backward_data(const kernels::Conv2dGeometry& g, const T* dy, const T* w, T* dx) {
    const std::size_t cg = g.C / g.p.groups;
    std::vector<double> acc(g.N * g.C * g.H * g.W, 0.0);
    for_each_conv_term(g, [&](auto n, auto k, auto oh, auto ow, auto c, auto cw, auto r, auto s, auto ih, auto iw) {
        acc[((n * g.C + c) * g.H + ih) * g.W + iw] +=
            double(dy[((n * g.K + k) * g.OH + oh) * g.OW + ow]) * double(w[((k * cg + cw) * g.R + r) * g.S + s]);
    });
    for (std::size_t i = 0; i < acc.size(); ++i) dx[i] = T(acc[i]);
}

template <class T>
void conv2d_backward_weights(const kernels::Conv2dGeometry& g, const T* x, const T* dy, T* dw) {
    const std::size_t cg = g.C / g.p.groups;
    std::vector<double> acc(g.K * cg * g.R * g.S, 0.0);
    for_each_conv_term(g, [&](auto n, auto k, auto oh, auto ow, auto c, auto cw, auto r, auto s, auto ih, auto iw) {
        acc[((k * cg + cw) * g.R + r) * g.S + s] +=
            double(dy[((n * g.K + k) * g.OH + oh) * g.OW + ow]) * double(x[((n * g.C + c) * g.H + ih) * g.W + iw]);
    });
    for (std::size_t i = 0; i < acc.size(); ++i) dw[i] = T(acc[i]);
}

}  // namespace xvis::reference
