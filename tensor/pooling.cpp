// 2-D pooling over NCHW planes; threads take whole planes (each plane's output and dx are disjoint, so no
// atomics). Every window holds at least one in-image cell (make_pool2d_geometry rejects pad >= kernel and
// empty images, and ceil mode adds a window only when it starts before H + pt), so windows are clipped to the
// image and padding never enters a max or a sum.
#include <xvis/tensor/detail/pool_windows.hpp>
#include <xvis/tensor/detail/strided.hpp>
#include <xvis/tensor/pooling.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>

namespace xvis::kernels {

namespace detail {  // pooling_2x2.cpp: 2×2 windows, stride 2, no padding
bool is_max_pool_2x2(const Pool2dGeometry& g);
template <class T>
void max_pool_2x2_forward_plane(const Pool2dGeometry& g, const T* x, T* y);
template <class T>
void max_pool_2x2_backward_plane(const Pool2dGeometry& g, const T* x, const T* dy, T* dx);
}  // namespace detail

namespace detail {  // pooling_phased.cpp: windows clipped by rows only, vectorized across outputs
template <class T>
bool max_pool_backward_phased_plane(const Pool2dGeometry& g, const T* x, const T* dy, T* dx);
}  // namespace detail

namespace {

using namespace detail;

template <class T>
using B = xsimd::batch<T>;

template <class T>
bool has_nan(const T* x, std::size_t n) {
    constexpr std::size_t W = B<T>::size;
    std::size_t i = 0;
    B<T> acc(T(0));
    for (; i + W <= n; i += W) acc += B<T>::load_unaligned(x + i) * T(0);  // NaN or ±inf·0 = NaN
    bool nan = xsimd::any(xsimd::isnan(acc));
    for (; i < n; ++i) nan |= x[i] != x[i];
    return nan;  // may be true for an infinite value too: it only selects the careful path
}

// Calls f(plane index) for every N·C plane, split across threads when the input is large.
template <class F>
void for_planes(const Pool2dGeometry& g, F&& f) {
    const std::size_t planes = g.N * g.C;
    const bool par = planes * g.H * g.W >= detail::parallel_threshold;
    detail::parallel_ranges(planes, par, 1, [&](std::size_t b, std::size_t e) {
        for (std::size_t pl = b; pl < e; ++pl) f(pl);
    });
}

template <class T>
inline T divisor(const Pool2dGeometry& g, const Window& w) {
    return g.p.count_include_pad ? T(w.ph * w.pw) : T((w.h1 - w.h0) * (w.w1 - w.w0));
}

}  // namespace

Pool2dGeometry make_pool2d_geometry(const Shape& x, const Pool2dParams& p, const std::string& call) {
    const auto fail = [&](const std::string& rule) {
        throw ShapeError(call + ": input shape " + shape_to_string(x) + ": " + rule);
    };
    const auto hw = [](std::size_t h, std::size_t w) { return std::to_string(h) + "x" + std::to_string(w); };
    if (x.size() != 4) fail("expected rank 4 (N, C, H, W), got rank " + std::to_string(x.size()));
    if (p.kernel_h == 0 || p.kernel_w == 0) fail("kernel " + hw(p.kernel_h, p.kernel_w) + " must be nonzero");
    if (p.stride_h == 0 || p.stride_w == 0) fail("stride " + hw(p.stride_h, p.stride_w) + " must be nonzero");
    if (p.pad_top >= p.kernel_h || p.pad_bottom >= p.kernel_h || p.pad_left >= p.kernel_w ||
        p.pad_right >= p.kernel_w)
        fail("padding (top " + std::to_string(p.pad_top) + ", bottom " + std::to_string(p.pad_bottom) + ", left " +
             std::to_string(p.pad_left) + ", right " + std::to_string(p.pad_right) +
             ") must be smaller than the kernel " + hw(p.kernel_h, p.kernel_w));
    if (x[2] == 0 || x[3] == 0) fail("empty image " + hw(x[2], x[3]));
    const std::size_t ph = x[2] + p.pad_top + p.pad_bottom, pw = x[3] + p.pad_left + p.pad_right;
    if (p.kernel_h > ph || p.kernel_w > pw)
        fail("window " + hw(p.kernel_h, p.kernel_w) + " larger than the padded image " + hw(ph, pw));
    Pool2dGeometry g{};
    g.N = x[0];
    g.C = x[1];
    g.H = x[2];
    g.W = x[3];
    // ceil_mode: one more window when the stride leaves cells over, unless it would start at or beyond H + pt
    // (PyTorch's and ONNX's rule: a window never lies entirely in the bottom / right padding or past it).
    const auto extent = [&](std::size_t padded, std::size_t k, std::size_t s, std::size_t n, std::size_t front) {
        std::size_t o = (padded - k) / s + 1;
        if (p.ceil_mode && (padded - k) % s != 0 && o * s < n + front) ++o;
        return o;
    };
    g.OH = extent(ph, p.kernel_h, p.stride_h, x[2], p.pad_top);
    g.OW = extent(pw, p.kernel_w, p.stride_w, x[3], p.pad_left);
    g.p = p;
    return g;
}

namespace {

// Separable forward pass for max and average: per output row, a vector pass combines the window's image
// rows into one row of column results (W wide, on the stack), then each output combines kw columns.
inline constexpr std::size_t max_separable_width = 4096;

template <bool IsMax, class T>
void separable_forward(const Pool2dGeometry& g, const T* x, T* y) {
    constexpr std::size_t Wd = B<T>::size;
    for_planes(g, [&](std::size_t pl) {
        const T* xp = x + pl * g.H * g.W;
        T* yp = y + pl * g.OH * g.OW;
        const bool nan = IsMax && has_nan(xp, g.H * g.W);
        alignas(64) T col[max_separable_width];
        for (std::size_t oh = 0; oh < g.OH; ++oh) {
            Window w{};
            clip_rows(g, oh, w);
            std::copy(xp + w.h0 * g.W, xp + (w.h0 + 1) * g.W, col);
            for (std::size_t h = w.h0 + 1; h < w.h1; ++h) {
                const T* row = xp + h * g.W;
                std::size_t c = 0;
                for (; c + Wd <= g.W; c += Wd) {
                    const B<T> a = B<T>::load_aligned(col + c), v = B<T>::load_unaligned(row + c);
                    // A NaN operand wins the select, so NaNs reach the column result.
                    (IsMax ? xsimd::select((v > a) | xsimd::isnan(v), v, a) : a + v).store_aligned(col + c);
                }
                for (; c < g.W; ++c) col[c] = IsMax ? ((row[c] > col[c] || row[c] != row[c]) ? row[c] : col[c]) : col[c] + row[c];
            }
            for (std::size_t ow = 0; ow < g.OW; ++ow) {
                clip_cols(g, ow, w);
                T r = col[w.w0];
                for (std::size_t c = w.w0 + 1; c < w.w1; ++c) r = IsMax ? (col[c] > r ? col[c] : r) : r + col[c];
                if constexpr (IsMax) {
                    if (nan)
                        for (std::size_t c = w.w0; c < w.w1; ++c) r = col[c] != col[c] ? col[c] : r;
                    yp[oh * g.OW + ow] = r;
                } else {
                    yp[oh * g.OW + ow] = r / divisor<T>(g, w);
                }
            }
        }
    });
}

// Separable adjoint of the average: per output row, the shares of its windows are spread along one image
// row (scalar, kw adds per output), then that row is added to each of the window's kh image rows (vector).
template <class T>
void separable_avg_backward(const Pool2dGeometry& g, const T* dy, T* dx) {
    constexpr std::size_t Wd = B<T>::size;
    for_planes(g, [&](std::size_t pl) {
        const T* dyp = dy + pl * g.OH * g.OW;
        T* dxp = dx + pl * g.H * g.W;
        std::fill(dxp, dxp + g.H * g.W, T(0));
        alignas(64) T spread[max_separable_width];
        for (std::size_t oh = 0; oh < g.OH; ++oh) {
            Window w{};
            clip_rows(g, oh, w);
            std::fill(spread, spread + g.W, T(0));
            for (std::size_t ow = 0; ow < g.OW; ++ow) {
                clip_cols(g, ow, w);
                const T share = dyp[oh * g.OW + ow] / divisor<T>(g, w);
                for (std::size_t c = w.w0; c < w.w1; ++c) spread[c] += share;
            }
            for (std::size_t h = w.h0; h < w.h1; ++h) {
                T* row = dxp + h * g.W;
                std::size_t c = 0;
                for (; c + Wd <= g.W; c += Wd)
                    (B<T>::load_unaligned(row + c) + B<T>::load_aligned(spread + c)).store_unaligned(row + c);
                for (; c < g.W; ++c) row[c] += spread[c];
            }
        }
    });
}

}  // namespace

template <class T>
void max_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y) {
    if (detail::is_max_pool_2x2(g))
        return for_planes(g, [&](std::size_t pl) {
            detail::max_pool_2x2_forward_plane(g, x + pl * g.H * g.W, y + pl * g.OH * g.OW);
        });
    if (g.W <= max_separable_width) return separable_forward<true>(g, x, y);
    for_planes(g, [&](std::size_t pl) {
        const T* xp = x + pl * g.H * g.W;
        const bool nan = has_nan(xp, g.H * g.W);
        T* yp = y + pl * g.OH * g.OW;
        for_windows(g, [&](std::size_t o, const Window& w) { yp[o] = xp[window_argmax(xp, g.W, w, nan)]; });
    });
}

template <class T>
void max_pool2d_backward(const Pool2dGeometry& g, const T* x, const T* dy, T* dx) {
    if (detail::is_max_pool_2x2(g))
        return for_planes(g, [&](std::size_t pl) {
            detail::max_pool_2x2_backward_plane(g, x + pl * g.H * g.W, dy + pl * g.OH * g.OW, dx + pl * g.H * g.W);
        });
    for_planes(g, [&](std::size_t pl) {
        const T* xp = x + pl * g.H * g.W;
        const bool nan = has_nan(xp, g.H * g.W);
        const T* dyp = dy + pl * g.OH * g.OW;
        T* dxp = dx + pl * g.H * g.W;
        if (!nan && detail::max_pool_backward_phased_plane(g, xp, dyp, dxp)) return;
        std::fill(dxp, dxp + g.H * g.W, T(0));
        for_windows(g, [&](std::size_t o, const Window& w) { dxp[window_argmax(xp, g.W, w, nan)] += dyp[o]; });
    });
}

template <class T>
void max_pool2d_select(const Pool2dGeometry& g, const T* x, const T* v, T* y) {
    for_planes(g, [&](std::size_t pl) {
        const T* xp = x + pl * g.H * g.W;
        const bool nan = has_nan(xp, g.H * g.W);
        const T* vp = v + pl * g.H * g.W;
        T* yp = y + pl * g.OH * g.OW;
        for_windows(g, [&](std::size_t o, const Window& w) { yp[o] = vp[window_argmax(xp, g.W, w, nan)]; });
    });
}

template <class T>
void avg_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y) {
    if (g.W <= max_separable_width) return separable_forward<false>(g, x, y);
    for_planes(g, [&](std::size_t pl) {
        const T* xp = x + pl * g.H * g.W;
        T* yp = y + pl * g.OH * g.OW;
        for_windows(g, [&](std::size_t o, const Window& w) {
            T s = T(0);
            for (std::size_t h = w.h0; h < w.h1; ++h)
                for (std::size_t c = w.w0; c < w.w1; ++c) s += xp[h * g.W + c];
            yp[o] = s / divisor<T>(g, w);
        });
    });
}

template <class T>
void avg_pool2d_backward(const Pool2dGeometry& g, const T* dy, T* dx) {
    if (g.W <= max_separable_width) return separable_avg_backward(g, dy, dx);
    for_planes(g, [&](std::size_t pl) {
        const T* dyp = dy + pl * g.OH * g.OW;
        T* dxp = dx + pl * g.H * g.W;
        std::fill(dxp, dxp + g.H * g.W, T(0));
        for_windows(g, [&](std::size_t o, const Window& w) {
            const T share = dyp[o] / divisor<T>(g, w);
            for (std::size_t h = w.h0; h < w.h1; ++h)
                for (std::size_t c = w.w0; c < w.w1; ++c) dxp[h * g.W + c] += share;
        });
    });
}

template <class T>
void global_avg_pool_forward(std::size_t planes, std::size_t hw, const T* x, T* y) {
    // Vector partial sums over blocks of 1024 folded into a double: accurate for large planes.
    using B = xsimd::batch<T>;
    constexpr std::size_t Wd = B::size, block = 1024;
    const bool par = planes * hw >= detail::parallel_threshold;
    detail::parallel_ranges(planes, par, 1, [&](std::size_t b, std::size_t e) {
        for (std::size_t pl = b; pl < e; ++pl) {
            const T* xp = x + pl * hw;
            double total = 0.0;
            for (std::size_t b0 = 0; b0 < hw; b0 += block) {
                const std::size_t end = std::min(hw, b0 + block);
                B s0(T(0)), s1(T(0));
                std::size_t i = b0;
                for (; i + 2 * Wd <= end; i += 2 * Wd) {
                    s0 += B::load_unaligned(xp + i);
                    s1 += B::load_unaligned(xp + i + Wd);
                }
                double part = static_cast<double>(xsimd::hadd(s0 + s1));
                for (; i < end; ++i) part += static_cast<double>(xp[i]);
                total += part;
            }
            y[pl] = hw ? static_cast<T>(total / static_cast<double>(hw)) : T(0);
        }
    });
}

#define XVIS_INSTANTIATE(T)                                                                  \
    template void max_pool2d_forward<T>(const Pool2dGeometry&, const T*, T*);                \
    template void max_pool2d_backward<T>(const Pool2dGeometry&, const T*, const T*, T*);     \
    template void max_pool2d_select<T>(const Pool2dGeometry&, const T*, const T*, T*);       \
    template void avg_pool2d_forward<T>(const Pool2dGeometry&, const T*, T*);                \
    template void avg_pool2d_backward<T>(const Pool2dGeometry&, const T*, T*);               \
    template void global_avg_pool_forward<T>(std::size_t, std::size_t, const T*, T*);
XVIS_INSTANTIATE(float)
XVIS_INSTANTIATE(double)
#undef XVIS_INSTANTIATE

}  // namespace xvis::kernels
