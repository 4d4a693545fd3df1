// Data movement as strided copies on a collapsed plan (detail/strided.hpp): operand 0 is the destination,
// operand 1 the source, each with its own (possibly negative or permuted) strides. Contiguous runs become
// std::copy; transposes that move the contiguous axis are done in cache-sized 2-D tiles.
#include <xvis/tensor/detail/strided.hpp>
#include <xvis/tensor/layout.hpp>

#include <algorithm>
#include <type_traits>
#ifdef __AVX__
#include <xvis/tensor/detail/transpose8x8.hpp>

#include <immintrin.h>
#endif

namespace xvis::kernels {
namespace {

using detail::Plan;
using Strides = std::array<std::ptrdiff_t, max_rank>;

Strides strides_of(const Shape& s) {
    Strides st{};
    detail::contiguous_strides(s, st.data());
    return st;
}

// dst[off0] = src[off1] over the plan, row by row.
template <class T>
void copy_plan(T* dst, const T* src, const Plan<2>& p) {
    if (p.rank == 0) return;
    const std::ptrdiff_t ds = p.st[0][p.rank - 1], ss = p.st[1][p.rank - 1];
    const std::size_t n = p.inner();
    if (p.rank == 1 && ds == 1 && ss == 1) {  // one contiguous block: split it across threads
        detail::parallel_ranges(n, n >= detail::parallel_threshold, 64,
                                [&](std::size_t b, std::size_t e) { std::copy(src + b, src + e, dst + b); });
        return;
    }
    detail::parallel_rows(p, [&](const std::array<std::ptrdiff_t, 2>& off) {
        T* d = dst + off[0];
        const T* s = src + off[1];
        if (ds == 1 && ss == 1) {
            std::copy(s, s + n, d);
        } else {
            for (std::size_t i = 0; i < n; ++i)
                d[static_cast<std::ptrdiff_t>(i) * ds] = s[static_cast<std::ptrdiff_t>(i) * ss];
        }
    });
}

#ifdef __AVX__
using detail::transpose8x8;
#endif

// Transpose whose source is contiguous along plan axis j but not along the innermost axis: for every
// index of the other axes, dst[a·dj + b] = src[a + b·sl] over a < ext[j], b < ext[last], in square tiles
// so both the strided reads and the writes stay within L1.
template <class T>
void tiled_transpose(T* dst, const T* src, const Plan<2>& p, std::size_t j) {
    constexpr std::size_t tile = 32;
    const std::size_t last = p.rank - 1, A = p.ext[j], Bn = p.ext[last];
    const std::ptrdiff_t dj = p.st[0][j], sl = p.st[1][last];
    // The remaining axes as their own plan (extent-1 placeholders for j and last keep it rank >= 1).
    Plan<2> outer = p;
    outer.ext[j] = 1;
    outer.ext[last] = 1;
    std::size_t n_outer = 1;
    for (std::size_t d = 0; d < p.rank; ++d) n_outer *= outer.ext[d];
    // Few columns (e.g. NCHW -> NHWC of an RGB image): the Bn source streams are read sequentially anyway,
    // so long strips beat square tiles.
    const std::size_t tile_a = Bn < 8 ? 1024 : tile;
    const std::size_t a_tiles = (A + tile_a - 1) / tile_a;
    const std::size_t items = n_outer * a_tiles;
    detail::parallel_ranges(items, p.size() >= detail::parallel_threshold, 1, [&](std::size_t b, std::size_t e) {
        for (std::size_t it = b; it < e; ++it) {
            // Offsets of outer index it / a_tiles (row-major over the outer plan's extents).
            std::size_t o = it / a_tiles;
            std::ptrdiff_t od = 0, os = 0;
            for (std::size_t d = p.rank; d-- > 0;) {
                const std::size_t i = o % outer.ext[d];
                o /= outer.ext[d];
                od += static_cast<std::ptrdiff_t>(i) * p.st[0][d];
                os += static_cast<std::ptrdiff_t>(i) * p.st[1][d];
            }
            const std::size_t a0 = (it % a_tiles) * tile_a, a1 = std::min(A, a0 + tile_a);
            for (std::size_t b0 = 0; b0 < Bn; b0 += tile) {
                const std::size_t b1 = std::min(Bn, b0 + tile);
                std::size_t a8 = a0, b8 = b0;  // the part done in 8x8 register blocks
#ifdef __AVX__
                if constexpr (std::is_same_v<T, float>) {
                    a8 = a0 + (a1 - a0) / 8 * 8;
                    b8 = b0 + (b1 - b0) / 8 * 8;
                    for (std::size_t a = a0; a < a8; a += 8)
                        for (std::size_t bb = b0; bb < b8; bb += 8)
                            transpose8x8(src + os + static_cast<std::ptrdiff_t>(a) + static_cast<std::ptrdiff_t>(bb) * sl,
                                         sl, dst + od + static_cast<std::ptrdiff_t>(a) * dj + static_cast<std::ptrdiff_t>(bb), dj);
                }
#endif
                // Ragged edges (and double): scalar, first the columns right of the blocks, then the rows below.
                const auto scalar = [&](std::size_t ab, std::size_t ae, std::size_t bb0, std::size_t be) {
                    for (std::size_t a = ab; a < ae; ++a) {
                        T* d = dst + od + static_cast<std::ptrdiff_t>(a) * dj;
                        const T* s = src + os + static_cast<std::ptrdiff_t>(a);
                        for (std::size_t bb = bb0; bb < be; ++bb) d[bb] = s[static_cast<std::ptrdiff_t>(bb) * sl];
                    }
                };
                if (Bn < 8) {  // one sequential source stream at a time, the strip of dst stays in L1
                    for (std::size_t bb = b0; bb < b1; ++bb) {
                        T* d = dst + od + static_cast<std::ptrdiff_t>(bb);
                        const T* s = src + os + static_cast<std::ptrdiff_t>(bb) * sl;
                        for (std::size_t a = a0; a < a1; ++a)
                            d[static_cast<std::ptrdiff_t>(a) * dj] = s[static_cast<std::ptrdiff_t>(a)];
                    }
                    continue;
                }
                scalar(a0, a8, b8, b1);
                scalar(a8, a1, b0, b1);
            }
        }
    });
}

}  // namespace

template <class T>
void transpose(const T* x, const Shape& sx, const std::size_t* perm, T* y) {
    const std::size_t r = sx.size();
    const Strides xs = strides_of(sx);
    Plan<2> p0;
    p0.rank = r;
    for (std::size_t i = 0; i < r; ++i) {
        p0.ext[i] = sx[perm[i]];
        p0.st[1][i] = xs[perm[i]];
    }
    std::ptrdiff_t stride = 1;
    for (std::size_t i = r; i-- > 0;) {
        p0.st[0][i] = stride;
        stride *= static_cast<std::ptrdiff_t>(p0.ext[i]);
    }
    const auto p = detail::collapse(p0);
    if (p.rank >= 2 && p.st[1][p.rank - 1] != 1) {
        for (std::size_t j = 0; j + 1 < p.rank; ++j)
            if (p.st[1][j] == 1) return tiled_transpose(y, x, p, j);
    }
    copy_plan(y, x, p);
}

template <class T>
void slice(const T* x, const Shape& sx, const std::int64_t* begin, const std::int64_t* step, T* y, const Shape& sy) {
    const Strides xs = strides_of(sx), ys = strides_of(sy);
    Plan<2> p0;
    p0.rank = sy.size();
    std::ptrdiff_t base = 0;
    for (std::size_t d = 0; d < p0.rank; ++d) {
        p0.ext[d] = sy[d];
        p0.st[0][d] = ys[d];
        p0.st[1][d] = xs[d] * static_cast<std::ptrdiff_t>(step[d]);
        base += xs[d] * static_cast<std::ptrdiff_t>(begin[d]);
    }
    copy_plan(y, x + base, detail::collapse(p0));
}

template <class T>
void slice_backward(const T* dy, const Shape& sy, const std::int64_t* begin, const std::int64_t* step, T* dx,
                    const Shape& sx) {
    std::fill(dx, dx + shape_size(sx), T(0));
    const Strides xs = strides_of(sx), ys = strides_of(sy);
    Plan<2> p0;
    p0.rank = sy.size();
    std::ptrdiff_t base = 0;
    for (std::size_t d = 0; d < p0.rank; ++d) {
        p0.ext[d] = sy[d];
        p0.st[0][d] = xs[d] * static_cast<std::ptrdiff_t>(step[d]);
        p0.st[1][d] = ys[d];
        base += xs[d] * static_cast<std::ptrdiff_t>(begin[d]);
    }
    copy_plan(dx + base, dy, detail::collapse(p0));
}

template <class T>
void pad(const T* x, const Shape& sx, const std::size_t* before, T value, T* y, const Shape& sy) {
    std::fill(y, y + shape_size(sy), value);
    const Strides xs = strides_of(sx), ys = strides_of(sy);
    Plan<2> p0;
    p0.rank = sx.size();
    std::ptrdiff_t base = 0;
    for (std::size_t d = 0; d < p0.rank; ++d) {
        p0.ext[d] = sx[d];
        p0.st[0][d] = ys[d];
        p0.st[1][d] = xs[d];
        base += ys[d] * static_cast<std::ptrdiff_t>(before[d]);
    }
    copy_plan(y + base, x, detail::collapse(p0));
}

template <class T>
void copy_to_axis_offset(const T* x, const Shape& sx, std::size_t axis, std::size_t offset, T* y, const Shape& sy) {
    const Strides xs = strides_of(sx), ys = strides_of(sy);
    Plan<2> p0;
    p0.rank = sx.size();
    for (std::size_t d = 0; d < p0.rank; ++d) {
        p0.ext[d] = sx[d];
        p0.st[0][d] = ys[d];
        p0.st[1][d] = xs[d];
    }
    copy_plan(y + ys[axis] * static_cast<std::ptrdiff_t>(offset), x, detail::collapse(p0));
}

template <class T>
void roll(const T* x, const Shape& s, const std::int64_t* shifts, T* y) {
    const std::size_t total = shape_size(s);
    if (total == 0) return;
    // Normalized shifts in [0, n). Trailing unshifted axes are folded into the last shifted one (a shift of
    // k on an axis of n blocks of size B is a shift of k·B on n·B elements), so each row is two copies.
    std::array<std::size_t, max_rank> ext{}, sh{};
    std::size_t rank = 0;
    for (std::size_t d = 0; d < s.size(); ++d) {
        const auto n = static_cast<std::int64_t>(s[d]);
        ext[d] = s[d];
        sh[d] = static_cast<std::size_t>(((shifts[d] % n) + n) % n);
        if (sh[d] != 0) rank = d + 1;
    }
    if (rank == 0) {
        std::copy(x, x + total, y);
        return;
    }
    std::size_t block = 1;
    for (std::size_t d = rank; d < s.size(); ++d) block *= s[d];
    ext[rank - 1] *= block;
    sh[rank - 1] *= block;
    const std::size_t L = ext[rank - 1], k = sh[rank - 1];
    const std::size_t rows = total / L;
    detail::parallel_ranges(rows, total >= detail::parallel_threshold, 1, [&](std::size_t b, std::size_t e) {
        for (std::size_t row = b; row < e; ++row) {
            // Source row of output row `row`: index j − shift (mod n) on every outer axis.
            std::size_t o = row, src = 0, mul = L;
            for (std::size_t d = rank - 1; d-- > 0;) {
                const std::size_t j = o % ext[d];
                o /= ext[d];
                src += ((j + ext[d] - sh[d]) % ext[d]) * mul;
                mul *= ext[d];
            }
            const T* xr = x + src;
            T* yr = y + row * L;
            std::copy(xr, xr + (L - k), yr + k);
            std::copy(xr + (L - k), xr + L, yr);
        }
    });
}

#define XVIS_INSTANTIATE(T)                                                                                     \
    template void transpose<T>(const T*, const Shape&, const std::size_t*, T*);                                 \
    template void slice<T>(const T*, const Shape&, const std::int64_t*, const std::int64_t*, T*, const Shape&); \
    template void slice_backward<T>(const T*, const Shape&, const std::int64_t*, const std::int64_t*, T*,      \
                                    const Shape&);                                                              \
    template void pad<T>(const T*, const Shape&, const std::size_t*, T, T*, const Shape&);                      \
    template void roll<T>(const T*, const Shape&, const std::int64_t*, T*);                                     \
    template void copy_to_axis_offset<T>(const T*, const Shape&, std::size_t, std::size_t, T*, const Shape&);
XVIS_INSTANTIATE(float)
XVIS_INSTANTIATE(double)
#undef XVIS_INSTANTIATE

}  // namespace xvis::kernels
