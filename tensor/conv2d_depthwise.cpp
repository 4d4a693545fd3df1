// Depthwise convolution (every group has one input channel: C/G = 1, any channel multiplier K/G) computed
// directly. As GEMMs it is one M = K/G, K = R·S product per channel: an im2col panel and a packed micro-kernel
// call for 9 multiply-adds per output, which ran at 3-6 GFLOP/s (MobileNet 3×3 layers). Here each output row
// is vectors of outputs accumulating R·S taps in a register, read from a zero-padded copy of the channel; at a
// column stride s the copy is split into s column phases so that every tap still reads contiguous columns, and
// rows narrower than a vector use vectors half as wide (7 × 7 maps). Backward-data at stride 1 is the same
// correlation with the flipped kernel; strided backward-data and backward-weights loop over taps. Units of work
// (image, channel) are disjoint in y and dx, so threads take whole units; dw is split by channel.
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/detail/conv_columns.hpp>
#include <xvis/tensor/detail/team.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace xvis::kernels::detail {
namespace {

using std::size_t;

// f(unit) for units [0, n), split across threads when the work is large enough to pay for them.
template <class F>
void for_units(size_t n, size_t work_per_unit, F&& f) {
    team_for(n, n * work_per_unit >= (size_t(1) << 16) ? team_threads() : 1, [&](size_t u, int) { f(u); });
}

// ih(oh, r): the input row of output row oh and kernel row r; cols(s, ...): kernel column s's output columns
// [lo, hi) that read inside the image, and the input column that lo reads; taps(oh, f): both, per valid tap.
struct Rows {
    const Conv2dGeometry& g;
    long ih(size_t oh, size_t r) const { return long(oh * g.p.stride_h + r * g.p.dilation_h) - long(g.p.pad_top); }
    void cols(size_t s, size_t& lo, size_t& hi, long& iw0) const {
        const long off = long(s * g.p.dilation_w) - long(g.p.pad_left);
        valid_range(off, g.p.stride_w, g.W, g.OW, lo, hi);
        iw0 = long(lo * g.p.stride_w) + off;
    }
    // f(ih, tap, lo, hi, iw0) for every tap (r, s) of output row oh whose input row ih is inside the image:
    // tap = r·S + s, output columns [lo, hi) read input columns from iw0 on.
    template <class F>
    void taps(size_t oh, F&& f) const {
        for (size_t r = 0; r < g.R; ++r) {
            const long row = ih(oh, r);
            if (row < 0 || row >= long(g.H)) continue;
            for (size_t s = 0; s < g.S; ++s) {
                size_t lo, hi;
                long iw0;
                cols(s, lo, hi, iw0);
                f(size_t(row), r * g.S + s, lo, hi, iw0);
            }
        }
    }
};

// y[i] += w · x[i·stride] for i < n. Restrict: y and x never alias here, and without it the compiler guards
// every short row with runtime overlap checks.
template <class T>
inline void axpy_row(std::size_t n, T w, const T* __restrict x, std::size_t stride, T* __restrict y) {
    if (stride == 1)
        for (std::size_t i = 0; i < n; ++i) y[i] += w * x[i];
    else
        for (std::size_t i = 0; i < n; ++i) y[i] += w * x[i * stride];
}

// y[i·stride] += w · x[i] (the adjoint).
template <class T>
inline void axpy_row_scatter(std::size_t n, T w, const T* __restrict x, std::size_t stride, T* __restrict y) {
    if (stride == 1)
        for (std::size_t i = 0; i < n; ++i) y[i] += w * x[i];
    else
        for (std::size_t i = 0; i < n; ++i) y[i * stride] += w * x[i];
}

// Scratch for the padded planes of one unit, per thread; grows on first use only.
template <class T>
T* scratch(size_t n) {
    static thread_local std::vector<T> buf;
    if (buf.size() < n) buf.resize(n);
    return buf.data();
}

// Rows of outputs are vectors of the default batch, or of one half as wide for narrow feature maps (7 × 7 with
// 8 floats per vector: the per-tap scalar loops cost 10× more there); void where no such batch exists.
template <class T>
using HalfBatch = xsimd::make_sized_batch_t<T, xsimd::batch<T>::size / 2>;

// The narrowest row correlate_planes vectorizes.
template <class T>
constexpr size_t min_vector_row() {
    if constexpr (std::is_void_v<HalfBatch<T>>) return xsimd::batch<T>::size;
    else return HalfBatch<T>::size;
}

// out[i, j] = Σ_{p, r, s} kern[(p·R + r)·S + s] · planes[p][i·sh + r·dh, j·sw + s·dw] for i < OH, j < OW: a
// correlation over zero-padded planes, so no tap needs a bounds check. Each plane is stored as sw column phases
// (phase q holds the plane's columns q, q + sw, q + 2·sw, ...; phase_size apart, rows ldp apart; planes
// plane_size apart), so that the columns one tap reads for consecutive outputs are contiguous at any stride.
// W outputs per vector, all taps accumulated in a register; the last vector of a row overlaps the one
// before (OW >= W), which is harmless as out is written, not accumulated.
template <class B, class T>
void correlate_planes_with(const T* planes, size_t plane_size, size_t phase_size, size_t nplanes, size_t ldp,
                           const T* kern, size_t R, size_t S, size_t sh, size_t sw, size_t dh, size_t dw, size_t OH,
                           size_t OW, T* out) {
    constexpr size_t W = B::size;
    // Where tap t's columns start in a phased row: column offset t·dw is phase (t·dw) mod sw, (t·dw) / sw
    // columns in (computed once: a division per tap and vector cost more than the FMAs).
    size_t* tap = scratch<size_t>(S);
    for (size_t t = 0; t < S; ++t) tap[t] = (t * dw) % sw * phase_size + t * dw / sw;
    for (size_t i = 0; i < OH; ++i)
        for (size_t j0 = 0; j0 < OW; j0 += W) {
            const size_t j = std::min(j0, OW - W);
            B acc(T(0));
            for (size_t p = 0; p < nplanes; ++p)
                for (size_t r = 0; r < R; ++r) {
                    const T* row = planes + p * plane_size + (i * sh + r * dh) * ldp + j;
                    const T* k = kern + (p * R + r) * S;
                    for (size_t t = 0; t < S; ++t) acc = xsimd::fma(B(k[t]), B::load_unaligned(row + tap[t]), acc);
                }
            acc.store_unaligned(out + i * OW + j);
        }
}

// correlate_planes_with the widest batch that OW (>= min_vector_row<T>()) fills.
template <class T>
void correlate_planes(const T* planes, size_t plane_size, size_t phase_size, size_t nplanes, size_t ldp, const T* kern,
                      size_t R, size_t S, size_t sh, size_t sw, size_t dh, size_t dw, size_t OH, size_t OW, T* out) {
    if constexpr (!std::is_void_v<HalfBatch<T>>)
        if (OW < xsimd::batch<T>::size)
            return correlate_planes_with<HalfBatch<T>>(planes, plane_size, phase_size, nplanes, ldp, kern, R, S, sh, sw,
                                                       dh, dw, OH, OW, out);
    correlate_planes_with<xsimd::batch<T>>(planes, plane_size, phase_size, nplanes, ldp, kern, R, S, sh, sw, dh, dw, OH,
                                           OW, out);
}

// The zero-padded plane pad[a, b] = src[a − top, b − left] (0 outside src, rows × cols), for a < prows, stored
// as sw column phases: dst[q][a][m] = pad[a, m·sw + q] for m < pcols (each phase prows × pcols, in order).
// line: pcols·sw elements of scratch for sw > 1.
template <class T>
void pad_plane(const T* src, size_t rows, size_t cols, long top, long left, size_t prows, size_t pcols, size_t sw,
               T* line, T* dst) {
    const size_t width = pcols * sw;  // the padded row, before it is split into phases
    size_t lo, hi;                    // its columns b whose source column b − left is inside [0, cols)
    valid_range(-left, 1, cols, width, lo, hi);
    for (size_t a = 0; a < prows; ++a) {
        const long sa = long(a) - top;
        T* d = sw == 1 ? dst + a * pcols : line;
        if (sa < 0 || sa >= long(rows)) {
            for (size_t q = 0; q < sw; ++q) std::fill(dst + (q * prows + a) * pcols, dst + (q * prows + a + 1) * pcols, T(0));
            continue;
        }
        std::fill(d, d + lo, T(0));
        std::copy(src + size_t(sa) * cols + (long(lo) - left), src + size_t(sa) * cols + (long(hi) - left), d + lo);
        std::fill(d + hi, d + width, T(0));
        if (sw == 2) {  // the common stride, with a constant step the compiler vectorizes
            T* even = dst + a * pcols;
            T* odd = dst + (prows + a) * pcols;
            for (size_t m = 0; m < pcols; ++m) even[m] = line[2 * m], odd[m] = line[2 * m + 1];
        } else if (sw > 2) {
            for (size_t q = 0; q < sw; ++q) {
                T* phase = dst + (q * prows + a) * pcols;
                for (size_t m = 0; m < pcols; ++m) phase[m] = line[m * sw + q];
            }
        }
    }
}

}  // namespace

bool is_depthwise(const Conv2dGeometry& g) { return g.p.groups > 1 && g.C == g.p.groups; }

template <class T>
void depthwise_forward(const Conv2dGeometry& g, const T* x, const T* w, T* y) {
    const size_t kg = g.K / g.p.groups, RS = g.R * g.S, sw = g.p.stride_w;
    const Rows rows{g};
    for_units(g.N * g.K, g.OH * g.OW * RS, [&](size_t u) {  // u = n·K + k
        const size_t n = u / g.K, k = u % g.K, c = k / kg;
        const T* xc = x + (n * g.C + c) * g.H * g.W;
        const T* wk = w + k * RS;
        T* yk = y + u * g.OH * g.OW;
        if (g.OW >= min_vector_row<T>()) {
            // Padded plane: rows (OH − 1)·sh + (R − 1)·dh + 1; per column phase, the OW outputs' columns plus
            // the widest tap offset ((S − 1)·dw / sw columns).
            const size_t prows = (g.OH - 1) * g.p.stride_h + (g.R - 1) * g.p.dilation_h + 1;
            const size_t pcols = g.OW + (g.S - 1) * g.p.dilation_w / sw;
            T* plane = scratch<T>(sw * prows * pcols + pcols * sw);
            pad_plane(xc, g.H, g.W, long(g.p.pad_top), long(g.p.pad_left), prows, pcols, sw, plane + sw * prows * pcols, plane);
            correlate_planes(plane, sw * prows * pcols, prows * pcols, 1, pcols, wk, g.R, g.S, g.p.stride_h, sw,
                             g.p.dilation_h, g.p.dilation_w, g.OH, g.OW, yk);
            return;
        }
        std::fill(yk, yk + g.OH * g.OW, T(0));
        for (size_t oh = 0; oh < g.OH; ++oh) {
            T* yr = yk + oh * g.OW;
            rows.taps(oh, [&](size_t ih, size_t tap, size_t lo, size_t hi, long iw0) {
                axpy_row(hi - lo, wk[tap], xc + ih * g.W + iw0, sw, yr + lo);
            });
        }
    });
}

template <class T>
void depthwise_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx) {
    const size_t kg = g.K / g.p.groups, RS = g.R * g.S, sw = g.p.stride_w;
    const Rows rows{g};
    for_units(g.N * g.C, kg * g.OH * g.OW * RS, [&](size_t u) {  // u = n·C + c: its kg output channels
        const size_t n = u / g.C, c = u % g.C;
        T* dxc = dx + u * g.H * g.W;
        if (sw == 1 && g.p.stride_h == 1 && g.W >= min_vector_row<T>()) {
            // Stride 1: dx is the correlation of dy, padded by (R − 1)·dh − pt rows above and (S − 1)·dw − pl
            // columns left, with the flipped kernel, summed over the channel's kg outputs.
            const size_t dh = g.p.dilation_h, dwl = g.p.dilation_w;
            const size_t prows = g.H + (g.R - 1) * dh, pcols = g.W + (g.S - 1) * dwl, psize = prows * pcols;
            T* planes = scratch<T>(kg * psize + kg * RS);
            T* flipped = planes + kg * psize;
            for (size_t j = 0; j < kg; ++j) {
                const size_t k = c * kg + j;
                pad_plane(dy + (n * g.K + k) * g.OH * g.OW, g.OH, g.OW, long((g.R - 1) * dh) - long(g.p.pad_top),
                          long((g.S - 1) * dwl) - long(g.p.pad_left), prows, pcols, 1, static_cast<T*>(nullptr), planes + j * psize);
                for (size_t t = 0; t < RS; ++t) flipped[j * RS + t] = w[k * RS + RS - 1 - t];
            }
            correlate_planes(planes, psize, psize, kg, pcols, flipped, g.R, g.S, 1, 1, dh, dwl, g.H, g.W, dxc);
            return;
        }
        std::fill(dxc, dxc + g.H * g.W, T(0));
        for (size_t j = 0; j < kg; ++j) {
            const size_t k = c * kg + j;
            const T* dyk = dy + (n * g.K + k) * g.OH * g.OW;
            const T* wk = w + k * RS;
            for (size_t oh = 0; oh < g.OH; ++oh) {
                const T* dyr = dyk + oh * g.OW;
                rows.taps(oh, [&](size_t ih, size_t tap, size_t lo, size_t hi, long iw0) {
                    axpy_row_scatter(hi - lo, wk[tap], dyr + lo, sw, dxc + ih * g.W + iw0);
                });
            }
        }
    });
}

template <class T>
void depthwise_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw) {
    const size_t kg = g.K / g.p.groups, RS = g.R * g.S, sw = g.p.stride_w;
    const Rows rows{g};
    for_units(g.K, g.N * g.OH * g.OW * RS, [&](size_t k) {  // dw[k] sums over the batch
        const size_t c = k / kg;
        T* dwk = dw + k * RS;
        for (size_t r = 0; r < g.R; ++r)
            for (size_t s = 0; s < g.S; ++s) {
                size_t lo, hi;
                long iw0;
                rows.cols(s, lo, hi, iw0);
                T acc = T(0);
                for (size_t n = 0; n < g.N; ++n) {
                    const T* xc = x + (n * g.C + c) * g.H * g.W;
                    const T* dyk = dy + (n * g.K + k) * g.OH * g.OW;
                    for (size_t oh = 0; oh < g.OH; ++oh) {
                        const long ih = rows.ih(oh, r);
                        if (ih < 0 || ih >= long(g.H)) continue;
                        const T* src = xc + size_t(ih) * g.W + iw0;
                        const T* dyr = dyk + oh * g.OW;
                        T row = T(0);
                        if (sw == 1)
                            for (size_t ow = lo; ow < hi; ++ow) row += dyr[ow] * src[ow - lo];
                        else
                            for (size_t ow = lo; ow < hi; ++ow) row += dyr[ow] * src[(ow - lo) * sw];
                        acc += row;
                    }
                }
                dwk[r * g.S + s] = acc;
            }
    });
}

#define XVIS_DEPTHWISE_INSTANTIATE(T)                                                             \
    template void depthwise_forward<T>(const Conv2dGeometry&, const T*, const T*, T*);          \
    template void depthwise_backward_data<T>(const Conv2dGeometry&, const T*, const T*, T*);    \
    template void depthwise_backward_weights<T>(const Conv2dGeometry&, const T*, const T*, T*);
XVIS_DEPTHWISE_INSTANTIATE(float)
XVIS_DEPTHWISE_INSTANTIATE(double)
#undef XVIS_DEPTHWISE_INSTANTIATE

}  // namespace xvis::kernels::detail
