#pragma once
// Internal (not installed; conv2d.cpp and conv2d_blocks.cpp): the im2col panel of a 2-D convolution and its adjoint.
// Row (c·R + r)·S + s of the panel, column oh·OW + ow, holds x[c, oh·sh − pt + r·dh, ow·sw − pl + s·dw]
// (0 outside the image). The forward and backward-weights GEMMs read it tile by tile through PanelSource
// (implicit im2col); backward-data writes a panel and scatters it back with col2im.
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/detail/conv_columns.hpp>
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/gemm.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>

namespace xvis::kernels::detail {

using std::size_t;

// 1×1, stride 1, unpadded: the image is the panel.
inline bool is_pointwise(const Conv2dGeometry& g) {
    const auto& p = g.p;
    return g.R == 1 && g.S == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_bottom == 0 &&
           p.pad_left == 0 && p.pad_right == 0;
}

// Leading dimension of the im2col panel: rows start on 64-byte boundaries, and a row pitch that is a multiple
// of 4 KiB (e.g. 64×64 images in float) is avoided: the GEMM's packing reads 16 panel rows at once, and such a
// pitch maps them all to the same L1 set.
inline std::size_t panel_ld(const Conv2dGeometry& g) {
    const std::size_t ld = (g.OH * g.OW + 15) / 16 * 16;
    return ld % 512 == 0 ? ld + 16 : ld;
}

// Below this many panel elements the copy is cheaper than waking a second thread.
constexpr size_t parallel_min_elements = size_t(1) << 16;

// Threads for a copy of this many panel elements.
inline int copy_threads(size_t elements) { return elements >= parallel_min_elements ? team_threads() : 1; }

// dst[0, n) = src[0, n) for short rows (n is often 7 to 56): whole vectors, then one last vector that overlaps
// the previous one instead of a scalar tail. src and dst do not overlap.
template <class T>
inline void copy_short(const T* src, T* dst, size_t n) {
    using B = xsimd::batch<T>;
    constexpr size_t W = B::size;
    if (n < W) {
        for (size_t i = 0; i < n; ++i) dst[i] = src[i];
        return;
    }
    size_t i = 0;
    for (; i + W <= n; i += W) B::load_unaligned(src + i).store_unaligned(dst + i);
    if (i < n) B::load_unaligned(src + n - W).store_unaligned(dst + n - W);
}

// dst[0, n) += src[0, n): whole vectors, then a scalar tail.
template <class T>
inline void add_short(const T* src, T* dst, size_t n) {
    using B = xsimd::batch<T>;
    constexpr size_t W = B::size;
    size_t i = 0;
    for (; i + W <= n; i += W) (B::load_unaligned(dst + i) + B::load_unaligned(src + i)).store_unaligned(dst + i);
    for (; i < n; ++i) dst[i] += src[i];
}

// Row `row` = (c·R + r)·S + s of the im2col panel, columns [col, col + n) (column oh·OW + ow holds
// x[c, oh·sh − pt + r·dh, ow·sw − pl + s·dw], 0 outside the image), written to out.
template <class T>
void im2col_row(const Conv2dGeometry& g, const T* x, size_t row, size_t col, size_t n, T* out) {
    const auto& p = g.p;
    const size_t c = row / (g.R * g.S), r = row / g.S % g.R, s = row % g.S;
    const T* xc = x + c * g.H * g.W;
    const long off = long(s * p.dilation_w) - long(p.pad_left);
    size_t lo, hi;
    valid_range(off, p.stride_w, g.W, g.OW, lo, hi);
    for (size_t oh = col / g.OW, ow = col % g.OW; n > 0; ++oh, ow = 0) {
        const size_t len = std::min(n, g.OW - ow);
        const long ih = long(oh * p.stride_h + r * p.dilation_h) - long(p.pad_top);
        if (ih < 0 || ih >= long(g.H)) {
            std::fill(out, out + len, T(0));
        } else {
            // Valid part [a, b) of this row segment [ow, ow + len); zeros around it. Plain loops, not
            // std::copy / fill: segments are often a few floats (14 on a 14×14 map) and a memmove call per
            // segment cost more than the copy.
            const size_t a = std::clamp(lo, ow, ow + len), b = std::clamp(hi, a, ow + len);
            const T* src = xc + size_t(ih) * g.W;
            for (size_t t = ow; t < a; ++t) out[t - ow] = T(0);
            if (p.stride_w == 1) {
                copy_short(src + long(a) + off, out + (a - ow), b - a);
            } else if (p.stride_w == 2) {  // a constant stride: the compiler vectorizes the gather
                for (size_t t = a; t < b; ++t) out[t - ow] = src[long(2 * t) + off];
            } else {
                for (size_t t = a; t < b; ++t) out[t - ow] = src[long(t * p.stride_w) + off];
            }
            for (size_t t = b; t < ow + len; ++t) out[t - ow] = T(0);
        }
        out += len;
        n -= len;
    }
}

// The whole panel, rows ld apart, for c < cg channels.
template <class T>
void im2col(const Conv2dGeometry& g, size_t cg, const T* x, T* col, size_t ld) {
    const size_t rows = cg * g.R * g.S, P = g.OH * g.OW;
    team_for(rows, copy_threads(rows * P), [&](size_t row, int) { im2col_row(g, x, row, 0, P, col + row * ld); });
}

// The panel as a GEMM operand that the GEMM fills tile by tile (implicit im2col): reads come from the image,
// which stays in cache, instead of a panel R·S times its size.
template <class T>
struct PanelSource {
    const Conv2dGeometry* g;
    const T* x;
    static void fill(const void* ctx, size_t row, size_t col, size_t n, T* out) {
        const auto* self = static_cast<const PanelSource*>(ctx);
        im2col_row(*self->g, self->x, row, col, n, out);
    }
    detail::MatrixSource<T> source() const { return {&PanelSource::fill, this}; }
};

// dst[2i] += a[i], dst[2i + 1] += b[i] for i < n: the interleaved adds of two kernel columns of a stride-2
// convolution (contiguous in dx together, so they vectorize; each alone is a stride-2 scatter).
template <class T>
inline void add_pair_interleaved(const T* __restrict a, const T* __restrict b, T* __restrict dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[2 * i] += a[i], dst[2 * i + 1] += b[i];
}

// The adjoint of im2col: dx[c, ih, iw] += col[...] for every panel entry that came from (c, ih, iw).
// col2im_channel: channel c's part for output rows [oh0, oh1), whose panel columns start at col (column
// (oh − oh0)·OW + ow), on one thread. With stride 2 (undilated) kernel columns s and s + 1 are added together:
// their targets interleave (2·ow + s − pl and one more), so within a kernel row each dx element still gets at
// most one term from the pair, and the terms arrive in the same order (r, then s) as one column at a time.
template <class T>
void col2im_channel(const Conv2dGeometry& g, size_t c, const T* col, size_t ld, size_t oh0, size_t oh1, T* dx) {
    const auto& p = g.p;
    const long H = long(g.H);
    T* xc = dx + c * g.H * g.W;
    const bool pairs = p.stride_w == 2 && p.dilation_w == 1;
    for (size_t r = 0; r < g.R; ++r)
        for (size_t s = 0; s < g.S;) {
            const T* src = col + ((c * g.R + r) * g.S + s) * ld;
            size_t lo, hi;
            valid_range(long(s * p.dilation_w) - long(p.pad_left), p.stride_w, g.W, g.OW, lo, hi);
            const long iw0 = long(lo * p.stride_w + s * p.dilation_w) - long(p.pad_left);
            if (pairs && s + 1 < g.S) {
                size_t lo1, hi1;  // column s + 1: targets 2·ow + s + 1 − pl
                valid_range(long(s + 1) - long(p.pad_left), 2, g.W, g.OW, lo1, hi1);
                const size_t m_lo = std::max(lo, lo1), m_hi = std::max(m_lo, std::min(hi, hi1));  // both valid
                const long base = long(s) - long(p.pad_left);                                     // iw of ow = 0
                for (size_t oh = oh0; oh < oh1; ++oh, src += g.OW) {
                    const long ih = long(oh * p.stride_h + r * p.dilation_h) - long(p.pad_top);
                    if (ih < 0 || ih >= H) continue;
                    T* row = xc + size_t(ih) * g.W;
                    const T* src1 = src + ld;
                    for (size_t ow = lo; ow < std::min(hi, m_lo); ++ow) row[base + long(2 * ow)] += src[ow];
                    for (size_t ow = std::max(lo, m_hi); ow < hi; ++ow) row[base + long(2 * ow)] += src[ow];
                    for (size_t ow = lo1; ow < std::min(hi1, m_lo); ++ow) row[base + 1 + long(2 * ow)] += src1[ow];
                    for (size_t ow = std::max(lo1, m_hi); ow < hi1; ++ow) row[base + 1 + long(2 * ow)] += src1[ow];
                    if (m_lo < m_hi) add_pair_interleaved(src + m_lo, src1 + m_lo, row + (base + long(2 * m_lo)), m_hi - m_lo);
                }
                s += 2;
                continue;
            }
            for (size_t oh = oh0; oh < oh1; ++oh, src += g.OW) {
                const long ih = long(oh * p.stride_h + r * p.dilation_h) - long(p.pad_top);
                if (ih < 0 || ih >= H) continue;
                T* dst = xc + size_t(ih) * g.W + iw0;
                if (p.stride_w == 1)
                    add_short(src + lo, dst, hi - lo);
                else
                    for (size_t ow = lo; ow < hi; ++ow) dst[(ow - lo) * p.stride_w] += src[ow];
            }
            ++s;
        }
}

// col2im: the whole panel, parallel over channels, so no two threads write the same dx element.
template <class T>
void col2im(const Conv2dGeometry& g, size_t cg, const T* col, size_t ld, T* dx) {
    team_for(cg, copy_threads(cg * g.R * g.S * g.OH * g.OW), [&](size_t c, int) { col2im_channel(g, c, col, ld, 0, g.OH, dx); });
}

}  // namespace xvis::kernels::detail
