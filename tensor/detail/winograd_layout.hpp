#pragma once
// How conv2d_winograd.cpp lays out Winograd F(2×2, 3×3)'s operands: the plan of one convolution (tiles, blocks,
// the strides of the 16 positions' matrices), the per-thread slots of the workspace, and the loops that write
// U into the GEMM's A panels, V into its B panels and read M back into the output. The arithmetic of each
// transform is in winograd_tiles.hpp; how the work is split over threads stays in the .cpp.
#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/detail/winograd_tiles.hpp>
#include <xvis/tensor/gemm.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace xvis::kernels::detail::winograd {

using std::ptrdiff_t;

// V and M of one block of tiles: 512 KiB in float, half of a Zen 4 L2. Counted in elements and in multiples
// of 16 tiles (NR divides 16 for float and double on every instruction set) so that float and double need the
// same workspace.
constexpr size_t block_elements = 128 * 1024, block_unit = 16;

inline size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Each transform reads or writes all 16 positions at once: 16 streams whose stride, if a multiple of 4 KiB,
// maps them to one L1 set (a 512-channel 7² layer: 21 ms, 4.7 ms once spread). An odd number of 64-byte
// lines (in float) spreads them over 16 sets.
inline size_t spread(size_t n) {
    const size_t lines = (n + 15) / 16;
    return (lines | 1) * 16;
}

// One stride-1 3×3 convolution: `in` [N, Ci, H, W] to `out` [N, Ko, OH, OW] (overwritten), the window of
// output (oh, ow) starting at input (oh − pt, ow − pl), zero outside the input.
struct Plan {
    size_t N, Ci, H, W, Ko, OH, OW;
    ptrdiff_t pt, pl;
    size_t th, tw, tiles;  // tile rows and columns of one image, tiles of the batch
    size_t nb;             // tiles per block, a multiple of NR
    size_t mr, nr;
    size_t u_stride, v_stride, m_stride;  // between the 16 positions' U, V and M matrices (spread())
};

template <class T>
Plan make_plan(size_t N, size_t Ci, size_t H, size_t W, size_t Ko, size_t OH, size_t OW, ptrdiff_t pt, ptrdiff_t pl) {
    const GemmPanels gp = gemm_panels<T>();
    Plan p{N, Ci, H, W, Ko, OH, OW, pt, pl, (OH + 1) / 2, (OW + 1) / 2, 0, 0, gp.mr, gp.nr, 0, 0, 0};
    p.tiles = N * p.th * p.tw;
    const size_t fit = block_elements / (positions * (Ci + Ko));
    p.nb = std::clamp(fit / block_unit * block_unit, block_unit, 16 * block_unit);
    p.u_stride = spread(round_up(Ko, p.mr) * Ci);
    p.v_stride = spread(Ci * p.nb);
    p.m_stride = spread(Ko * p.nb);
    return p;
}

template <class T>
Plan forward_plan(const Conv2dGeometry& g) {
    return make_plan<T>(g.N, g.C, g.H, g.W, g.K, g.OH, g.OW, ptrdiff_t(g.p.pad_top), ptrdiff_t(g.p.pad_left));
}
template <class T>
Plan backward_data_plan(const Conv2dGeometry& g) {
    return make_plan<T>(g.N, g.K, g.OH, g.OW, g.C, g.H, g.W, 2 - ptrdiff_t(g.p.pad_top), 2 - ptrdiff_t(g.p.pad_left));
}

// The GEMM reads V with aligned vector loads: the caller's workspace is only aligned to its element type, so
// everything starts on tensor_alignment bytes (as many elements of float cover it for double too).
constexpr size_t align_elements = tensor_alignment / sizeof(float);
template <class T>
T* align_up(T* p) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    return reinterpret_cast<T*>((a + tensor_alignment - 1) / tensor_alignment * tensor_alignment);
}

inline size_t filters_size(const Plan& p) { return positions * p.u_stride; }
// Per-thread rows of the transforms: the split input rows (8 of them) and the output tiles' rows (4), each
// with room for one whole batch past the run (widest: 16 lanes), so the last tiles of a run are computed as a
// whole batch too (at 14², runs of 7 tiles never filled a batch of 8 and ran scalar).
constexpr size_t max_lanes = 16;
inline size_t scratch_row(const Plan& p) { return p.tw + 1 + max_lanes; }
inline size_t scratch_size(const Plan& p) { return 8 * scratch_row(p); }
inline size_t slot_size(const Plan& p) {
    return positions * (p.v_stride + p.m_stride) + round_up(scratch_size(p), align_elements);
}

constexpr size_t max_mr = 8;

// U_ξ[k, c] = (G g Gᵀ)_ξ of filter(k, c), written as the GEMM's A panels of each ξ (rows past Ko zero).
// W channels at a time: the panel's W·mr filters (channel-major, as U stores them) are gathered into rows of
// one tap each, so the transform runs on batches and each U_ξ gets W·mr contiguous values (one filter per lane
// and 16 scattered scalar stores each took 25–30 % of a 256-channel 14² layer). Same arithmetic: same bits.
template <class T, class Filter>
void transform_filter_panel(const Plan& p, const Filter& filter, size_t panel, T* u) {
    using B = xsimd::batch<T>;
    constexpr size_t W = B::size;
    const size_t mr = p.mr, per_position = p.u_stride;
    T* base = u + panel * mr * p.Ci;
    size_t c0 = 0;
    if (mr <= max_mr) {
        alignas(64) T taps[9][W * max_mr];
        for (; c0 + W <= p.Ci; c0 += W) {
            for (size_t l = 0; l < W; ++l)
                for (size_t i = 0; i < mr; ++i) {
                    const size_t k = panel * mr + i;
                    T g[9] = {};
                    if (k < p.Ko) filter(k, c0 + l, g);
                    for (size_t j = 0; j < 9; ++j) taps[j][l * mr + i] = g[j];
                }
            for (size_t q = 0; q < mr; ++q) {
                B g[9], v[positions];
                for (size_t j = 0; j < 9; ++j) g[j] = B::load_aligned(&taps[j][q * W]);
                filter_transform(g, v);
                for (size_t xi = 0; xi < positions; ++xi) v[xi].store_unaligned(base + xi * per_position + c0 * mr + q * W);
            }
        }
    }
    for (size_t c = c0; c < p.Ci; ++c)
        for (size_t i = 0; i < mr; ++i) {
            const size_t k = panel * mr + i;
            T g[9] = {}, v[positions];
            if (k < p.Ko) filter(k, c, g);
            filter_transform(g, v);
            for (size_t xi = 0; xi < positions; ++xi) base[xi * per_position + c * mr + i] = v[xi];
        }
}

inline size_t filter_panels(const Plan& p) { return round_up(p.Ko, p.mr) / p.mr; }

// f(image, tile_row, first_column, columns, j) for each run of tiles along a tile row in block tiles
// [t0, t0 + n); j is the run's first tile within the block.
template <class F>
void for_tile_runs(const Plan& p, size_t t0, size_t n, const F& f) {
    const size_t per_image = p.th * p.tw;
    for (size_t t = t0; t < t0 + n;) {
        const size_t img = t / per_image, rest = t % per_image, ty = rest / p.tw, tx = rest % p.tw;
        const size_t len = std::min(p.tw - tx, t0 + n - t);
        f(img, ty, tx, len, t - t0);
        t += len;
    }
}

// e[m] = x(row, 2(m0 + m) − pl), o[m] = x(row, 2(m0 + m) + 1 − pl) for m < len, zero outside the image.
template <class T>
void split_row(const Plan& p, const T* plane, ptrdiff_t row, size_t m0, size_t len, T* e, T* o) {
    if (row < 0 || row >= ptrdiff_t(p.H)) {
        std::fill(e, e + len, T(0));
        std::fill(o, o + len, T(0));
        return;
    }
    const T* x = plane + size_t(row) * p.W;
    const ptrdiff_t W = ptrdiff_t(p.W), base = 2 * ptrdiff_t(m0) - p.pl;
    ptrdiff_t lo = 0, hi = ptrdiff_t(len);  // [lo, hi): both columns inside
    while (lo < hi && base + 2 * lo < 0) ++lo;
    while (hi > lo && base + 2 * (hi - 1) + 1 >= W) --hi;
    const auto at = [&](ptrdiff_t col) { return col >= 0 && col < W ? x[col] : T(0); };
    for (ptrdiff_t m = 0; m < lo; ++m) e[m] = at(base + 2 * m), o[m] = at(base + 2 * m + 1);
    for (ptrdiff_t m = lo; m < hi; ++m) e[m] = x[base + 2 * m], o[m] = x[base + 2 * m + 1];  // no pointer before x
    for (ptrdiff_t m = hi; m < ptrdiff_t(len); ++m) e[m] = at(base + 2 * m), o[m] = at(base + 2 * m + 1);
}

// V of block tiles [t0, t0 + n) for every input channel, into vb as the GEMM's B panels of each ξ:
// vb[ξ·v_stride + (j / NR)·Ci·NR + c·NR + j % NR] for block tile j.
// Along a run of tiles, the columns 2m, 2m + 1, 2m + 2, 2m + 3 of tile m are e[m], o[m], e[m + 1], o[m + 1]
// of its rows split into even and odd columns, so both halves of V = Bᵀ d B are contiguous vector loops.
template <class T>
void transform_inputs(const Plan& p, const T* in, size_t t0, size_t n, T* vb, T* scratch) {
    const size_t nr = p.nr, per_position = p.v_stride;
    for_tile_runs(p, t0, n, [&](size_t img, size_t ty, size_t tx, size_t len, size_t j0) {
        T* e[4];
        T* o[4];
        for (size_t i = 0; i < 4; ++i) e[i] = scratch + 2 * i * scratch_row(p), o[i] = e[i] + scratch_row(p);
        const T* const ev[4] = {e[0], e[1], e[2], e[3]};
        const T* const ov[4] = {o[0], o[1], o[2], o[3]};
        for (size_t c = 0; c < p.Ci; ++c) {
            const T* plane = in + (img * p.Ci + c) * p.H * p.W;
            for (size_t i = 0; i < 4; ++i) split_row(p, plane, 2 * ptrdiff_t(ty) - p.pt + ptrdiff_t(i), tx, len + 1, e[i], o[i]);
            // In runs that stay inside one NR panel.
            for (size_t q = 0; q < len;) {
                const size_t j = j0 + q, run = std::min(len - q, nr - j % nr);
                T* dst = vb + (j / nr) * p.Ci * nr + c * nr + j % nr;
                constexpr size_t W = xsimd::batch<T>::size;
                size_t m = q;
                for (; m + W <= q + run; m += W) input_tiles<xsimd::batch<T>>(ev, ov, m, dst + (m - q), per_position);
                if (m < q + run) {  // a partial batch (its spare lanes read the rows' room past the run)
                    if (j % nr + (m - q) + W <= nr) {
                        // The spare lanes land in this panel row's slots of later tiles: the runs that follow
                        // overwrite them, or they are padding the GEMM's columns past n never bring out.
                        input_tiles<xsimd::batch<T>>(ev, ov, m, dst + (m - q), per_position);
                    } else {  // they would reach the next channel's row, written already
                        alignas(64) T tmp[positions * W];
                        input_tiles<xsimd::batch<T>>(ev, ov, m, tmp, W);
                        for (size_t xi = 0; xi < positions; ++xi)
                            for (size_t l = 0; l < q + run - m; ++l) dst[(m - q) + xi * per_position + l] = tmp[xi * W + l];
                    }
                }
                q += run;
            }
        }
    });
}

// out = Aᵀ M A of output channels [k0, k1) for block tiles [t0, t0 + n), M_ξ[k, j] = mb[ξ·m_stride + (k − k0)·nb
// + j]; outputs past OH / OW dropped.
template <class T>
void transform_outputs(const Plan& p, const T* mb, size_t t0, size_t n, size_t k0, size_t k1, T* out, T* scratch) {
    const size_t per_position = p.m_stride;
    for_tile_runs(p, t0, n, [&](size_t img, size_t ty, size_t tx, size_t len, size_t j0) {
        T* __restrict y00 = scratch;
        T* __restrict y01 = y00 + scratch_row(p);
        T* __restrict y10 = y01 + scratch_row(p);
        T* __restrict y11 = y10 + scratch_row(p);
        const size_t oh = 2 * ty, ow = 2 * tx, full = std::min(len, (p.OW - ow) / 2);  // tiles with both columns
        for (size_t k = k0; k < k1; ++k) {
            const T* mk = mb + (k - k0) * p.nb + j0;
            // Whole batches, the last one partial: its spare lanes read M past the run (later tiles, or memory
            // of the slot after M) and write the y rows' room past it.
            for (size_t m = 0; m < len; m += xsimd::batch<T>::size)
                output_tiles<xsimd::batch<T>>(mk + m, per_position, y00 + m, y01 + m, y10 + m, y11 + m);
            T* plane = out + (img * p.Ko + k) * p.OH * p.OW;
            for (size_t r = 0; r < 2 && oh + r < p.OH; ++r) {
                T* __restrict row = plane + (oh + r) * p.OW + ow;
                const T* ya = r == 0 ? y00 : y10;
                const T* yb = r == 0 ? y01 : y11;
                for (size_t m = 0; m < full; ++m) row[2 * m] = ya[m], row[2 * m + 1] = yb[m];
                if (full < len) row[2 * full] = ya[full];  // the last tile of an odd width
            }
        }
    });
}

}  // namespace xvis::kernels::detail::winograd
