#pragma once
// Naive double-precision references for the ONNX import primitives (Gather, Resize, Pad modes, ConvTranspose),
// written from the ONNX operator specs and the ONNX reference implementation (onnx/reference/ops/op_resize.py),
// one output element at a time through explicit multi-indices. They share no code with the kernels.
#include "reference/autodiff_reference.hpp"

#include <xvis/autodiff/ops.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace xvis::reference {

// ---- Gather: out[a, j, b] = x[a, idx[j] (+ n if negative), b]; the adjoint adds dy back at those places.
inline std::size_t onnx_index(double v, std::size_t n) {
    const auto k = static_cast<long>(v);
    return static_cast<std::size_t>(k < 0 ? k + long(n) : k);
}
inline Shape gather_shape(const Shape& x, const Shape& indices, std::size_t axis) {
    Shape s(x.begin(), x.begin() + long(axis));
    s.insert(s.end(), indices.begin(), indices.end());
    s.insert(s.end(), x.begin() + long(axis) + 1, x.end());
    return s;
}
// Calls f(flat out index, flat x index) for every output element of the gather.
template <class F>
void for_each_gathered(const Shape& xs, const TensorD& indices, std::size_t axis, F&& f) {
    const Shape ys = gather_shape(xs, indices.shape(), axis);
    const std::size_t ir = indices.rank();
    for (std::size_t i = 0; i < shape_size(ys); ++i) {
        const Index o = unravel(i, ys);
        Index j(o.begin() + long(axis), o.begin() + long(axis + ir));
        Index src(o.begin(), o.begin() + long(axis));
        src.push_back(onnx_index(indices[ravel(j, indices.shape())], xs[axis]));
        src.insert(src.end(), o.begin() + long(axis + ir), o.end());
        f(i, ravel(src, xs));
    }
}
inline TensorD gather(const TensorD& x, const TensorD& indices, std::size_t axis) {
    TensorD y(gather_shape(x.shape(), indices.shape(), axis));
    for_each_gathered(x.shape(), indices, axis, [&](std::size_t o, std::size_t s) { y[o] = x[s]; });
    return y;
}
inline TensorD gather_backward(const TensorD& dy, const TensorD& indices, const Shape& xs, std::size_t axis) {
    TensorD dx(xs, 0.0);
    for_each_gathered(xs, indices, axis, [&](std::size_t o, std::size_t s) { dx[s] += dy[o]; });
    return dx;
}

// ---- Resize, as op_resize.py computes it: a source coordinate per output position, the coefficients of the
// two neighbours (nearest: one of them 1), the neighbours of the edge-padded input, summed along W then H.
struct Taps {
    long i[2];     // neighbour positions, possibly −1 or in (the edge padding)
    double c[2];   // coefficients
};
inline double onnx_source(std::size_t o, std::size_t in, std::size_t out, double scale_given, ResizeCoordinates m) {
    const double x = double(o);
    const double scale = scale_given > 0 ? scale_given : double(out) / double(in);
    const double length = scale_given > 0 ? scale_given * double(in) : double(out);  // length_resized
    switch (m) {
        case ResizeCoordinates::half_pixel: return (x + 0.5) / scale - 0.5;
        case ResizeCoordinates::pytorch_half_pixel: return length == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
        case ResizeCoordinates::align_corners: return length == 1 ? 0.0 : x * double(in - 1) / (length - 1);
        case ResizeCoordinates::asymmetric: return x / scale;
        case ResizeCoordinates::tf_half_pixel_for_nn: return (x + 0.5) / scale;
    }
    return 0;
}
inline Taps onnx_taps(std::size_t o, std::size_t in, std::size_t out, double scale, const ResizeOptions& opt) {
    const double x = onnx_source(o, in, out, scale, opt.coordinates);
    // ratio in (0, 1]: an integral x counts as the right end of [x − 1, x].
    const double ratio = x == std::floor(x) ? 1.0 : x - std::floor(x);
    // The two positions of the padded range [−1, in] nearest to x, the smaller first on ties.
    std::vector<long> cand;
    for (long k = -1; k <= long(in); ++k) cand.push_back(k);
    std::stable_sort(cand.begin(), cand.end(), [&](long a, long b) { return std::abs(x - a) < std::abs(x - b); });
    Taps t{{std::min(cand[0], cand[1]), std::max(cand[0], cand[1])}, {1 - ratio, ratio}};
    if (opt.mode == ResizeMode::nearest) {
        bool right = true;  // integral x: ratio 1 takes the right neighbour
        if (ratio != 1.0) {
            switch (opt.nearest) {
                case ResizeNearest::round_prefer_floor: right = ratio > 0.5; break;
                case ResizeNearest::round_prefer_ceil: right = ratio >= 0.5; break;
                case ResizeNearest::floor: right = false; break;
                case ResizeNearest::ceil: right = true; break;
            }
        }
        t.c[0] = right ? 0.0 : 1.0;
        t.c[1] = right ? 1.0 : 0.0;
    }
    return t;
}
// The four taps of output element i: x[src[a][b]] with coefficient ch[a]·cw[b] (edge padding = clamped index).
struct ResizeTaps {
    std::size_t src[2][2];
    double ch[2], cw[2];
};
inline ResizeTaps resize_taps(std::size_t i, const Shape& xs, const Shape& ys, const ResizeOptions& o) {
    const std::size_t r = xs.size(), H = xs[r - 2], W = xs[r - 1];
    const auto edge = [](long k, std::size_t n) { return std::size_t(std::clamp(k, 0L, long(n) - 1)); };
    Index idx = unravel(i, ys);
    const Taps th = onnx_taps(idx[r - 2], H, ys[r - 2], o.scales[0], o);
    const Taps tw = onnx_taps(idx[r - 1], W, ys[r - 1], o.scales[1], o);
    ResizeTaps t{};
    for (int a = 0; a < 2; ++a) {
        t.ch[a] = th.c[a];
        t.cw[a] = tw.c[a];
        for (int b = 0; b < 2; ++b) {
            idx[r - 2] = edge(th.i[a], H);
            idx[r - 1] = edge(tw.i[b], W);
            t.src[a][b] = ravel(idx, xs);
        }
    }
    return t;
}
inline TensorD resize(const TensorD& x, const Shape& ys, const ResizeOptions& o) {
    TensorD y(ys);
    for (std::size_t i = 0; i < y.size(); ++i) {
        const ResizeTaps t = resize_taps(i, x.shape(), ys, o);
        double acc = 0;  // along W first, then H, as the reference does
        for (int a = 0; a < 2; ++a) acc += t.ch[a] * (t.cw[0] * x[t.src[a][0]] + t.cw[1] * x[t.src[a][1]]);
        y[i] = acc;
    }
    return y;
}
inline TensorD resize_backward(const TensorD& dy, const Shape& xs, const ResizeOptions& o) {
    TensorD dx(xs, 0.0);
    for (std::size_t i = 0; i < dy.size(); ++i) {
        const ResizeTaps t = resize_taps(i, xs, dy.shape(), o);
        for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 2; ++b) dx[t.src[a][b]] += t.ch[a] * t.cw[b] * dy[i];
    }
    return dx;
}

// ---- Pad modes (numpy.pad semantics): position i of an axis copies x[j], j = i − before, reflected or clamped.
inline long pad_source(long i, long before, long n, PadMode m) {
    long j = i - before;
    if (j >= 0 && j < n) return j;
    if (m == PadMode::constant) return -1;
    if (m == PadMode::edge) return j < 0 ? 0 : n - 1;
    return j < 0 ? -j : 2 * (n - 1) - j;  // reflect
}
// Calls f(flat out index, flat x index or −1).
template <class F>
void for_each_padded(const Shape& xs, const std::vector<std::size_t>& before, const std::vector<std::size_t>& after,
                     PadMode m, F&& f) {
    Shape ys = xs;
    for (std::size_t d = 0; d < xs.size(); ++d) ys[d] += before[d] + after[d];
    for (std::size_t i = 0; i < shape_size(ys); ++i) {
        Index idx = unravel(i, ys);
        bool inside = true;
        for (std::size_t d = 0; d < xs.size(); ++d) {
            const long j = pad_source(long(idx[d]), long(before[d]), long(xs[d]), m);
            inside = inside && j >= 0;
            idx[d] = std::size_t(std::max(j, 0L));
        }
        f(i, inside ? long(ravel(idx, xs)) : -1L);
    }
}
inline TensorD pad(const TensorD& x, const std::vector<std::size_t>& before, const std::vector<std::size_t>& after,
                   PadMode m, double value) {
    Shape ys = x.shape();
    for (std::size_t d = 0; d < ys.size(); ++d) ys[d] += before[d] + after[d];
    TensorD y(ys);
    for_each_padded(x.shape(), before, after, m, [&](std::size_t o, long s) { y[o] = s < 0 ? value : x[std::size_t(s)]; });
    return y;
}
inline TensorD pad_backward(const TensorD& dy, const Shape& xs, const std::vector<std::size_t>& before,
                            const std::vector<std::size_t>& after, PadMode m) {
    TensorD dx(xs, 0.0);
    for_each_padded(xs, before, after, m, [&](std::size_t o, long s) {
        if (s >= 0) dx[std::size_t(s)] += dy[o];
    });
    return dx;
}

// ---- ONNX ConvTranspose (2-D, NCHW), from its definition: every input pixel scatters its kernel
//   y[n, g·M + m, ih·sh − pt + r·dh, iw·sw − pl + s·dw] += x[n, g·Cg + c, ih, iw] · w[g·Cg + c, m, r, s]
// x [N, C_in, H, W]; w [C_in, M, kh, kw] (M = C_out / group); y [N, group·M, OH, OW] with
// OH = sh·(H − 1) + output_padding + dh·(kh − 1) + 1 − pt − pb (likewise OW); positions outside y are dropped.
inline Shape conv_transpose_shape(const Shape& x, const Shape& w, const kernels::Conv2dParams& p, std::size_t oph,
                                  std::size_t opw) {
    return {x[0], w[1] * p.groups, p.stride_h * (x[2] - 1) + oph + p.dilation_h * (w[2] - 1) + 1 - p.pad_top - p.pad_bottom,
            p.stride_w * (x[3] - 1) + opw + p.dilation_w * (w[3] - 1) + 1 - p.pad_left - p.pad_right};
}
inline TensorD conv_transpose(const TensorD& x, const TensorD& w, const kernels::Conv2dParams& p, std::size_t oph,
                              std::size_t opw) {
    const Shape ys = conv_transpose_shape(x.shape(), w.shape(), p, oph, opw);
    TensorD y(ys, 0.0);
    const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const std::size_t M = w.shape()[1], R = w.shape()[2], S = w.shape()[3], Cg = C / p.groups;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t ih = 0; ih < H; ++ih)
                for (std::size_t iw = 0; iw < W; ++iw)
                    for (std::size_t m = 0; m < M; ++m)
                        for (std::size_t r = 0; r < R; ++r)
                            for (std::size_t s = 0; s < S; ++s) {
                                const long oh = long(ih * p.stride_h + r * p.dilation_h) - long(p.pad_top);
                                const long ow = long(iw * p.stride_w + s * p.dilation_w) - long(p.pad_left);
                                if (oh < 0 || ow < 0 || oh >= long(ys[2]) || ow >= long(ys[3])) continue;
                                const std::size_t k = c / Cg * M + m;
                                y[((n * ys[1] + k) * ys[2] + std::size_t(oh)) * ys[3] + std::size_t(ow)] +=
                                    x[((n * C + c) * H + ih) * W + iw] * w[((c * M + m) * R + r) * S + s];
                            }
    return y;
}

}  // namespace xvis::reference
