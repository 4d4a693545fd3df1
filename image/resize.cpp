#include <xvis/image/resize.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xvis {

namespace {

// Strided access lets one routine serve both a lone plane (stride 1) and one channel of [H, W, C] (stride C)
// without copying the channel out.
struct Plane {
    const float* data;
    std::size_t h, w, stride;
    float at(std::size_t y, std::size_t x) const noexcept { return data[(y * w + x) * stride]; }
};

// Continuous source coordinate of output index `o` (half-pixel centres).
double source_coord(std::size_t o, double scale) noexcept { return (static_cast<double>(o) + 0.5) * scale - 0.5; }

std::size_t clamp_index(std::ptrdiff_t i, std::size_t n) noexcept {
    if (i < 0) return 0;
    if (static_cast<std::size_t>(i) >= n) return n - 1;
    return static_cast<std::size_t>(i);
}

// Keys' cubic convolution weights for the four taps i − 1 .. i + 2 at fractional offset t ∈ [0, 1).
void cubic_weights(double t, double w[4]) noexcept {
    constexpr double a = -0.75;
    auto near = [](double d) { return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0; };    // |d| ≤ 1
    auto far = [](double d) { return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a; };  // 1 < |d| < 2
    w[0] = far(1.0 + t);
    w[1] = near(t);
    w[2] = near(1.0 - t);
    w[3] = far(2.0 - t);
}

void resize_nearest(const Plane& in, float* out, std::size_t ostride, std::size_t oh, std::size_t ow) {
    const double sy = double(in.h) / double(oh), sx = double(in.w) / double(ow);
    for (std::size_t y = 0; y < oh; ++y) {
        const std::size_t iy = std::min(static_cast<std::size_t>((double(y) + 0.5) * sy), in.h - 1);
        for (std::size_t x = 0; x < ow; ++x) {
            const std::size_t ix = std::min(static_cast<std::size_t>((double(x) + 0.5) * sx), in.w - 1);
            out[(y * ow + x) * ostride] = in.at(iy, ix);
        }
    }
}

// Lower tap and weight of the upper tap for bilinear sampling along one axis.
void linear_tap(std::size_t o, double scale, std::size_t n, std::size_t& i0, std::size_t& i1, double& t) noexcept {
    const double s = std::clamp(source_coord(o, scale), 0.0, double(n - 1));
    i0 = static_cast<std::size_t>(s);  // s ≥ 0, so truncation is floor
    i1 = std::min(i0 + 1, n - 1);
    t = s - double(i0);
}

void resize_bilinear(const Plane& in, float* out, std::size_t ostride, std::size_t oh, std::size_t ow) {
    const double sy = double(in.h) / double(oh), sx = double(in.w) / double(ow);
    for (std::size_t y = 0; y < oh; ++y) {
        std::size_t y0, y1;
        double ty;
        linear_tap(y, sy, in.h, y0, y1, ty);
        for (std::size_t x = 0; x < ow; ++x) {
            std::size_t x0, x1;
            double tx;
            linear_tap(x, sx, in.w, x0, x1, tx);
            const double top = (1.0 - tx) * in.at(y0, x0) + tx * in.at(y0, x1);
            const double bottom = (1.0 - tx) * in.at(y1, x0) + tx * in.at(y1, x1);
            out[(y * ow + x) * ostride] = static_cast<float>((1.0 - ty) * top + ty * bottom);
        }
    }
}

void resize_bicubic(const Plane& in, float* out, std::size_t ostride, std::size_t oh, std::size_t ow) {
    const double sy = double(in.h) / double(oh), sx = double(in.w) / double(ow);
    for (std::size_t y = 0; y < oh; ++y) {
        const double fy = source_coord(y, sy);
        const double by = std::floor(fy);
        double wy[4];
        cubic_weights(fy - by, wy);
        std::size_t rows[4];
        for (int k = 0; k < 4; ++k) rows[k] = clamp_index(static_cast<std::ptrdiff_t>(by) - 1 + k, in.h);
        for (std::size_t x = 0; x < ow; ++x) {
            const double fx = source_coord(x, sx);
            const double bx = std::floor(fx);
            double wx[4];
            cubic_weights(fx - bx, wx);
            std::size_t cols[4];
            for (int k = 0; k < 4; ++k) cols[k] = clamp_index(static_cast<std::ptrdiff_t>(bx) - 1 + k, in.w);
            double acc = 0.0;
            for (int j = 0; j < 4; ++j) {
                double row = 0.0;
                for (int k = 0; k < 4; ++k) row += wx[k] * in.at(rows[j], cols[k]);
                acc += wy[j] * row;
            }
            out[(y * ow + x) * ostride] = static_cast<float>(acc);
        }
    }
}

void resize_strided(const Plane& in, float* out, std::size_t ostride, std::size_t oh, std::size_t ow,
                    Interpolation interpolation) {
    if (in.h == oh && in.w == ow) {  // exact copy: the formulas would give it too, up to rounding
        for (std::size_t i = 0; i < oh * ow; ++i) out[i * ostride] = in.data[i * in.stride];
        return;
    }
    switch (interpolation) {
        case Interpolation::nearest: resize_nearest(in, out, ostride, oh, ow); return;
        case Interpolation::bilinear: resize_bilinear(in, out, ostride, oh, ow); return;
        case Interpolation::bicubic: resize_bicubic(in, out, ostride, oh, ow); return;
    }
    throw std::invalid_argument("resize: unknown Interpolation value");
}

}  // namespace

void resize_plane(const float* in, std::size_t h, std::size_t w, float* out, std::size_t oh, std::size_t ow,
                  Interpolation interpolation) {
    resize_strided(Plane{in, h, w, 1}, out, 1, oh, ow, interpolation);
}

Tensor resize(const Tensor& image, std::size_t out_h, std::size_t out_w, Interpolation interpolation) {
    const Shape& s = image.shape();
    if (s.size() != 2 && s.size() != 3)
        throw ShapeError("resize: image " + shape_to_string(s) + " must be [H, W] or [H, W, C]");
    if (image.size() == 0 || out_h == 0 || out_w == 0)
        throw ShapeError("resize: cannot resize " + shape_to_string(s) + " to " + std::to_string(out_h) + "x" +
                         std::to_string(out_w) + " (empty input or output)");
    const std::size_t c = s.size() == 3 ? s[2] : 1;
    Shape out_shape = s;
    out_shape[0] = out_h;
    out_shape[1] = out_w;
    Tensor out(out_shape);
    for (std::size_t ch = 0; ch < c; ++ch)
        resize_strided(Plane{image.data() + ch, s[0], s[1], c}, out.data() + ch, c, out_h, out_w, interpolation);
    return out;
}

}  // namespace xvis
