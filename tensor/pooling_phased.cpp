// Max pooling's backward pass for any window and stride, vectorized across the outputs of a row: the general
// path finds each window's first maximum with a chain of dependent compares (about 40 cycles a 3×3 window; the
// ResNet stem's 112² → 56² pooling took 2.3 ms of a 53 ms saliency call). Here each input row the windows read
// is split into its `stride` column phases (phase q holds columns q, q + s, q + 2s, ...), so window cell (r, c)
// of Wd consecutive outputs is one contiguous vector load, and the running maximum and the cell index of the
// first maximum are kept for Wd outputs at once. The gradient then goes to each output's cell in output order,
// as in the general path: the same first maximum in row-major window order, the same sums, the same bits.
// Only for planes without NaN (the caller checks), and for outputs whose windows no column padding clips; the
// others take the general path's window_argmax.
#include <xvis/tensor/detail/pool_windows.hpp>
#include <xvis/tensor/pooling.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>

namespace xvis::kernels::detail {

namespace {
// The phases of the window's rows live on the stack (stride 1 reads the rows in place), and so do the tables.
constexpr std::size_t max_phase_elements = 4096, max_kernel_height = 64, max_kernel_width = 64, max_cells = 256;
}  // namespace

template <class T>
bool max_pool_backward_phased_plane(const Pool2dGeometry& g, const T* x, const T* dy, T* dx) {
    using B = xsimd::batch<T>;
    constexpr std::size_t Wd = B::size;
    const auto& p = g.p;
    const std::size_t s = p.stride_w, kw = p.kernel_w, pl = p.pad_left, W = g.W;
    const std::size_t phase_len = (W + s - 1) / s, row_len = s * phase_len;
    if ((s > 1 && p.kernel_h * row_len > max_phase_elements) || p.kernel_h > max_kernel_height || kw > max_kernel_width || p.kernel_h * kw > max_cells)
        return false;
    // Outputs [ow_lo, ow_hi) have every window column inside the image: ow·s ≥ pl and ow·s − pl + kw ≤ W.
    const std::size_t ow_lo = std::min(g.OW, (pl + s - 1) / s);
    const std::size_t ow_hi = W + pl >= kw ? std::max(ow_lo, std::min(g.OW, (W + pl - kw) / s + 1)) : ow_lo;
    if (ow_hi - ow_lo < Wd) return false;
    alignas(64) T phases[max_phase_elements];
    const T* row[max_kernel_height];  // the phases of the window's rows
    alignas(64) T arg[Wd];
    // Window column c of output ow is phase (ow·s − pl + c) mod s, element (ow·s − pl + c) div s = ow + offset[c]
    // past that phase's start (offset[c] may be negative; the sum is not, for ow ≥ ow_lo).
    std::ptrdiff_t offset[max_kernel_width];
    for (std::size_t c = 0; c < kw; ++c) {
        const std::size_t col = ow_lo * s - pl + c;
        offset[c] = static_cast<std::ptrdiff_t>((col % s) * phase_len + col / s) - static_cast<std::ptrdiff_t>(ow_lo);
    }
    std::size_t cell[max_cells];  // window cell k = r·kw + c: its place in the plane past the window's first cell
    for (std::size_t k = 0; k < p.kernel_h * kw; ++k) cell[k] = (k / kw) * W + k % kw;
    std::fill(dx, dx + g.H * W, T(0));
    for (std::size_t oh = 0; oh < g.OH; ++oh) {
        Window w{};
        clip_rows(g, oh, w);
        const T* dyr = dy + oh * g.OW;
        const auto scalar = [&](std::size_t ow) {
            clip_cols(g, ow, w);
            dx[window_argmax(x, W, w, false)] += dyr[ow];
        };
        for (std::size_t ow = 0; ow < ow_lo; ++ow) scalar(ow);
        const std::size_t rows = w.h1 - w.h0;
        for (std::size_t r = 0; r < rows; ++r) {
            const T* in = x + (w.h0 + r) * W;
            T* ph = phases + r * row_len;
            row[r] = s == 1 ? in : ph;  // stride 1: the row is its only phase
            if (s == 2) {  // the common case, in a loop the compiler vectorizes
                for (std::size_t j = 0; j < W / 2; ++j) ph[j] = in[2 * j], ph[phase_len + j] = in[2 * j + 1];
                if (W % 2) ph[W / 2] = in[W - 1];
            } else if (s > 2) {
                for (std::size_t q = 0; q < s; ++q)
                    for (std::size_t j = 0, i = q; i < W; ++j, i += s) ph[q * phase_len + j] = in[i];
            }
        }
        std::size_t ow = ow_lo;
        for (; ow + Wd <= ow_hi; ow += Wd) {
            const std::size_t col0 = ow * s - pl;  // the first window column of output ow
            B best(T(0)), at(T(0));  // best: set by cell (0, 0)
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t c = 0; c < kw; ++c) {
                    const B v = B::load_unaligned(row[r] + static_cast<std::ptrdiff_t>(ow) + offset[c]);
                    if (r == 0 && c == 0) {
                        best = v;
                        continue;
                    }
                    const auto gt = v > best;  // strict: the first maximum in row-major order stays
                    best = xsimd::select(gt, v, best);
                    at = xsimd::select(gt, B(T(r * kw + c)), at);
                }
            at.store_aligned(arg);
            T* first = dx + w.h0 * W + col0;  // output ow's first window cell
            for (std::size_t l = 0; l < Wd; ++l) first[l * s + cell[static_cast<std::size_t>(arg[l])]] += dyr[ow + l];
        }
        for (; ow < g.OW; ++ow) scalar(ow);
    }
    return true;
}

template bool max_pool_backward_phased_plane<float>(const Pool2dGeometry&, const float*, const float*, float*);
template bool max_pool_backward_phased_plane<double>(const Pool2dGeometry&, const double*, const double*, double*);

}  // namespace xvis::kernels::detail
