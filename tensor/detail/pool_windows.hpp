#pragma once
// Internal to pooling*.cpp: the windows of 2-D pooling clipped to the image, and the first maximum of a window.
#include <xvis/tensor/pooling.hpp>

#include <algorithm>
#include <cstddef>

namespace xvis::kernels::detail {

// Window of output (oh, ow) clipped to the image: rows [h0, h1), cols [w0, w1); ph × pw: its extent clipped to
// the padded image instead (the count_include_pad divisor: kh × kw unless a ceil-mode window overhangs).
struct Window {
    std::size_t h0, h1, w0, w1, ph, pw;
};

inline void clip(std::size_t o, std::size_t stride, std::size_t pad, std::size_t k, std::size_t n, std::size_t padded,
                 std::size_t& b, std::size_t& e, std::size_t& in_padded) {
    const std::size_t start = o * stride;  // position in the padded image
    b = start > pad ? start - pad : 0;
    e = std::min(n, start + k - pad);
    in_padded = std::min(padded, start + k) - start;
}
inline void clip_rows(const Pool2dGeometry& g, std::size_t oh, Window& w) {
    const auto& p = g.p;
    clip(oh, p.stride_h, p.pad_top, p.kernel_h, g.H, p.pad_top + g.H + p.pad_bottom, w.h0, w.h1, w.ph);
}
inline void clip_cols(const Pool2dGeometry& g, std::size_t ow, Window& w) {
    const auto& p = g.p;
    clip(ow, p.stride_w, p.pad_left, p.kernel_w, g.W, p.pad_left + g.W + p.pad_right, w.w0, w.w1, w.pw);
}

// Index (in the plane) of the first maximum of the window in row-major order. Without NaNs, a plain
// `v > best` select that g++ compiles to vmaxss + cmov: branches would mispredict on half of the compares
// of random data (~15 cycles each). With NaNs (checked per plane) the first NaN wins.
template <class T>
inline std::size_t window_argmax(const T* plane, std::size_t W, const Window& w, bool nan) {
    std::size_t arg = w.h0 * W + w.w0;
    T best = plane[arg];
    for (std::size_t h = w.h0; h < w.h1; ++h)
        for (std::size_t c = w.w0; c < w.w1; ++c) {
            const std::size_t i = h * W + c;
            const T v = plane[i];
            const bool gt = v > best;
            arg = gt ? i : arg;
            best = gt ? v : best;
        }
    if (nan) {
        for (std::size_t h = w.h0; h < w.h1; ++h)
            for (std::size_t c = w.w0; c < w.w1; ++c)
                if (plane[h * W + c] != plane[h * W + c]) return h * W + c;
    }
    return arg;
}

// Calls f(oh, ow, window) over the output positions of one plane.
template <class F>
inline void for_windows(const Pool2dGeometry& g, F&& f) {
    for (std::size_t oh = 0; oh < g.OH; ++oh) {
        Window w{};
        clip_rows(g, oh, w);
        for (std::size_t ow = 0; ow < g.OW; ++ow) {
            clip_cols(g, ow, w);
            f(oh * g.OW + ow, w);
        }
    }
}

}  // namespace xvis::kernels::detail
