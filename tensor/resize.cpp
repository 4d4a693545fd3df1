// Resize tables and kernels. The coordinate arithmetic follows ONNX's reference implementation expression by
// expression (in double), so exact ties in nearest mode (s = k + 0.5) round the way the reference rounds.
// The forward pass reads precomputed per-axis tables (threads take output rows, disjoint in y); the adjoint
// scatters into dx, so threads take whole planes (disjoint in dx) and the summation order is fixed.
#include <xvis/tensor/detail/strided.hpp>
#include <xvis/tensor/resize.hpp>

#include <algorithm>
#include <cmath>

namespace xvis::kernels {
namespace {



// Nearest-mode rounding of s (the reference: an integral s is kept; else the ratio s − floor(s) decides).
double round_nearest(double s, ResizeNearest mode) {
    const double fl = std::floor(s), ratio = s - fl;
    if (ratio == 0.0) return fl;
    switch (mode) {
        case ResizeNearest::round_prefer_floor: return ratio <= 0.5 ? fl : fl + 1.0;
        case ResizeNearest::round_prefer_ceil: return ratio < 0.5 ? fl : fl + 1.0;
        case ResizeNearest::floor: return fl;
        case ResizeNearest::ceil: return fl + 1.0;
    }
    return fl;
}

}  // namespace

double resize_source_coordinate(std::size_t o, std::size_t in, std::size_t out, double scale,
                                ResizeCoordinates coordinates) {
    const double x = static_cast<double>(o);
    const double length = scale > 0.0 ? scale * static_cast<double>(in) : static_cast<double>(out);
    if (!(scale > 0.0)) scale = static_cast<double>(out) / static_cast<double>(in);
    switch (coordinates) {
        case ResizeCoordinates::half_pixel: return (x + 0.5) / scale - 0.5;
        case ResizeCoordinates::pytorch_half_pixel: return length > 1.0 ? (x + 0.5) / scale - 0.5 : 0.0;
        case ResizeCoordinates::align_corners:
            return length == 1.0 ? 0.0 : x * static_cast<double>(in - 1) / (length - 1.0);
        case ResizeCoordinates::asymmetric: return x / scale;
        case ResizeCoordinates::tf_half_pixel_for_nn: return (x + 0.5) / scale;
    }
    return 0.0;
}

ResizeAxis make_resize_axis(std::size_t in, std::size_t out, double scale, const ResizeOptions& o) {
    ResizeAxis a;
    a.i0.resize(out);
    a.i1.resize(out);
    a.w.assign(out, 0.0);
    const double last = static_cast<double>(in - 1);
    for (std::size_t k = 0; k < out; ++k) {
        const double s = resize_source_coordinate(k, in, out, scale, o.coordinates);
        if (o.mode == ResizeMode::nearest) {
            // NaN cannot occur (finite scales, in >= 1); clamp before the cast so it is always in range.
            a.i0[k] = a.i1[k] = static_cast<std::size_t>(std::clamp(round_nearest(s, o.nearest), 0.0, last));
        } else {
            const double c = std::clamp(s, 0.0, last);
            const double f = std::floor(c);
            a.i0[k] = static_cast<std::size_t>(f);
            a.i1[k] = std::min(a.i0[k] + 1, in - 1);
            a.w[k] = c - f;
        }
    }
    return a;
}

ResizeGeometry make_resize_geometry(const Shape& x, const Shape& y, const ResizeOptions& o, const std::string& call) {
    const auto fail = [&](const std::string& rule) {
        throw ShapeError(call + ": input shape " + shape_to_string(x) + ", output shape " + shape_to_string(y) + ": " +
                         rule);
    };
    if (x.size() < 2) fail("expected rank >= 2 (the last two axes are resized), got rank " + std::to_string(x.size()));
    if (y.size() != x.size())
        fail("the output must have the input's rank " + std::to_string(x.size()) + ", has rank " +
             std::to_string(y.size()));
    const std::size_t r = x.size();
    for (std::size_t i = 0; i + 2 < r; ++i)
        if (x[i] != y[i])
            fail("only the last two axes are resized: axis " + std::to_string(i) + " must keep its size " +
                 std::to_string(x[i]) + ", not " + std::to_string(y[i]));
    if (x[r - 2] == 0 || x[r - 1] == 0) fail("cannot resize an empty image");
    if (y[r - 2] == 0 || y[r - 1] == 0) fail("the output image must not be empty");
    for (std::size_t k = 0; k < 2; ++k)
        if (!(o.scales[k] >= 0.0) || !std::isfinite(o.scales[k]))
            fail("scale " + std::to_string(o.scales[k]) + " of axis " + std::to_string(r - 2 + k) +
                 " must be finite and > 0 (or 0: output / input)");
    ResizeGeometry g{};
    g.H = x[r - 2], g.W = x[r - 1], g.OH = y[r - 2], g.OW = y[r - 1];
    g.planes = shape_size(x) / (g.H * g.W);
    g.linear = o.mode == ResizeMode::linear;
    g.h = make_resize_axis(g.H, g.OH, o.scales[0], o);
    g.w = make_resize_axis(g.W, g.OW, o.scales[1], o);
    g.x_shape = x;
    g.y_shape = y;
    return g;
}

template <class T>
void resize_forward(const ResizeGeometry& g, const T* x, T* y) {
    const std::size_t rows = g.planes * g.OH;
    const std::size_t* i0w = g.w.i0.data();
    const std::size_t* i1w = g.w.i1.data();
    const double* ww = g.w.w.data();
    detail::parallel_for(rows, detail::worth_threads(rows * g.OW, rows), [&](std::size_t row) {
        const std::size_t pl = row / g.OH, oh = row % g.OH;
        const T* r0 = x + (pl * g.H + g.h.i0[oh]) * g.W;
        T* out = y + row * g.OW;
        if (!g.linear) {
            for (std::size_t ow = 0; ow < g.OW; ++ow) out[ow] = r0[i0w[ow]];
            return;
        }
        const T* r1 = x + (pl * g.H + g.h.i1[oh]) * g.W;
        const T bh = static_cast<T>(g.h.w[oh]), ah = T(1) - bh;
        for (std::size_t ow = 0; ow < g.OW; ++ow) {
            const T b = static_cast<T>(ww[ow]), a = T(1) - b;
            out[ow] = ah * (a * r0[i0w[ow]] + b * r0[i1w[ow]]) + bh * (a * r1[i0w[ow]] + b * r1[i1w[ow]]);
        }
    });
}

template <class T>
void resize_backward(const ResizeGeometry& g, const T* dy, T* dx) {
    detail::parallel_for(g.planes, detail::worth_threads(g.planes * (g.OH * g.OW + g.H * g.W), g.planes), [&](std::size_t pl) {
        T* d = dx + pl * g.H * g.W;
        std::fill(d, d + g.H * g.W, T(0));
        for (std::size_t oh = 0; oh < g.OH; ++oh) {
            const T* gy = dy + (pl * g.OH + oh) * g.OW;
            T* d0 = d + g.h.i0[oh] * g.W;
            if (!g.linear) {
                for (std::size_t ow = 0; ow < g.OW; ++ow) d0[g.w.i0[ow]] += gy[ow];
                continue;
            }
            T* d1 = d + g.h.i1[oh] * g.W;
            const T bh = static_cast<T>(g.h.w[oh]), ah = T(1) - bh;
            for (std::size_t ow = 0; ow < g.OW; ++ow) {
                const T b = static_cast<T>(g.w.w[ow]), a = T(1) - b;
                const T top = ah * gy[ow], bottom = bh * gy[ow];
                d0[g.w.i0[ow]] += a * top;
                d0[g.w.i1[ow]] += b * top;
                d1[g.w.i0[ow]] += a * bottom;
                d1[g.w.i1[ow]] += b * bottom;
            }
        }
    });
}

#define XVIS_INSTANTIATE(T)                                                    \
    template void resize_forward<T>(const ResizeGeometry&, const T*, T*);     \
    template void resize_backward<T>(const ResizeGeometry&, const T*, T*);
XVIS_INSTANTIATE(float)
XVIS_INSTANTIATE(double)
#undef XVIS_INSTANTIATE

}  // namespace xvis::kernels
