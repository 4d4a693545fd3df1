// Reductions on a collapsed plan over x: y's strides are 0 on reduced axes, so after collapsing the axes
// alternate between reduced and kept groups. Two shapes of loop cover every mask:
//  * innermost group reduced (row sums, per-channel [N,C,H·W] over N and H·W, full sum): each output is a
//    sum of contiguous runs, vectorized with 4 accumulators, blocks of 1024 folded into a double;
//  * innermost group kept (column sums, sum over C of NCHW): vector adds of x rows into a stack tile of
//    partials, flushed into double every 64 rows.
// Threads split outputs (or tiles), so no two threads write one output and the result does not depend on
// the thread count except for the full sum, which splits the array and adds the partial doubles.
#include <xvis/tensor/detail/strided.hpp>
#include <xvis/tensor/reduce.hpp>

#include <xsimd/xsimd.hpp>

#include <limits>

namespace xvis::kernels {
namespace {

template <class T>
using B = xsimd::batch<T>;

// NaN-propagating max: a NaN operand wins and then stays.
template <class T>
inline T nanmax(T acc, T v) { return (v > acc || v != v) ? v : acc; }
template <class T>
inline B<T> nanmax(B<T> acc, B<T> v) { return xsimd::select((v > acc) | xsimd::isnan(v), v, acc); }

template <class T>
double contiguous_sum(const T* x, std::size_t n) {
    constexpr std::size_t W = B<T>::size, block = 1024;
    double total = 0.0;
    for (std::size_t b0 = 0; b0 < n; b0 += block) {
        const std::size_t e = std::min(n, b0 + block);
        B<T> s0(T(0)), s1(T(0)), s2(T(0)), s3(T(0));
        std::size_t i = b0;
        for (; i + 4 * W <= e; i += 4 * W) {
            s0 += B<T>::load_unaligned(x + i);
            s1 += B<T>::load_unaligned(x + i + W);
            s2 += B<T>::load_unaligned(x + i + 2 * W);
            s3 += B<T>::load_unaligned(x + i + 3 * W);
        }
        for (; i + W <= e; i += W) s0 += B<T>::load_unaligned(x + i);
        double part = static_cast<double>(xsimd::hadd((s0 + s1) + (s2 + s3)));
        for (; i < e; ++i) part += static_cast<double>(x[i]);
        total += part;
    }
    return total;
}

template <class T>
T contiguous_max(const T* x, std::size_t n) {
    constexpr std::size_t W = B<T>::size;
    T m = -std::numeric_limits<T>::infinity();
    std::size_t i = 0;
    if (n >= 2 * W) {
        B<T> m0 = B<T>::load_unaligned(x), m1 = B<T>::load_unaligned(x + W);
        for (i = 2 * W; i + 2 * W <= n; i += 2 * W) {
            m0 = nanmax(m0, B<T>::load_unaligned(x + i));
            m1 = nanmax(m1, B<T>::load_unaligned(x + i + W));
        }
        alignas(64) T buf[W];
        nanmax(m0, m1).store_aligned(buf);
        for (std::size_t j = 0; j < W; ++j) m = nanmax(m, buf[j]);
    }
    for (; i < n; ++i) m = nanmax(m, x[i]);
    return m;
}

// Offsets of every multi-index over `na` axes (extents ext, strides st), row-major order.
template <class F>
inline void for_each_offset(std::size_t na, const std::size_t* ext, const std::ptrdiff_t* st, F&& f) {
    std::array<std::size_t, max_rank> idx{};
    std::ptrdiff_t off = 0;
    for (;;) {
        f(off);
        std::size_t d = na;
        for (; d-- > 0;) {
            off += st[d];
            if (++idx[d] < ext[d]) break;
            off -= st[d] * static_cast<std::ptrdiff_t>(ext[d]);
            idx[d] = 0;
        }
        if (d == std::size_t(-1)) return;
    }
}

struct Groups {
    std::size_t nk = 0, nr = 0;  // kept and reduced axes, outer to inner
    std::array<std::size_t, max_rank> kext{}, rext{};
    std::array<std::ptrdiff_t, max_rank> kst{}, rst{};  // x strides
    // x offset of kept multi-index j (row-major over the first nkk kept axes).
    std::ptrdiff_t kept_offset(std::size_t j, std::size_t nkk) const {
        std::ptrdiff_t off = 0;
        for (std::size_t d = nkk; d-- > 0;) {
            off += static_cast<std::ptrdiff_t>(j % kext[d]) * kst[d];
            j /= kext[d];
        }
        return off;
    }
};

template <class T>
void reduce_impl(ReduceOp op, const T* x, const Shape& sx, std::uint32_t mask, T* y) {
    const bool is_sum = op == ReduceOp::sum;
    const std::size_t r = sx.size();
    std::size_t ny = 1;
    detail::Plan<2> p0;
    p0.rank = r;
    detail::contiguous_strides(sx, p0.st[0].data());
    std::ptrdiff_t ys = 1;
    for (std::size_t d = r; d-- > 0;) {
        p0.ext[d] = sx[d];
        const bool red = (mask >> d) & 1u;
        p0.st[1][d] = red ? 0 : ys;
        if (!red) {
            ys *= static_cast<std::ptrdiff_t>(sx[d]);
            ny *= sx[d];
        }
    }
    const auto p = detail::collapse(p0);
    if (p.rank == 0) {  // x is empty: the identity of the reduction
        std::fill(y, y + ny, is_sum ? T(0) : -std::numeric_limits<T>::infinity());
        return;
    }
    Groups g;
    for (std::size_t d = 0; d < p.rank; ++d) {
        if (p.st[1][d] == 0) {
            g.rext[g.nr] = p.ext[d];
            g.rst[g.nr++] = p.st[0][d];
        } else {
            g.kext[g.nk] = p.ext[d];
            g.kst[g.nk++] = p.st[0][d];
        }
    }
    if (g.nr == 0) {  // only extent-1 axes reduced: a copy
        std::copy(x, x + ny, y);
        return;
    }
    const std::size_t total = p.size();
    const bool par = total >= detail::parallel_threshold;
    if (p.st[1][p.rank - 1] == 0) {
        const std::size_t L = g.rext[g.nr - 1];
        if (g.nk == 0) {  // full reduction: split the contiguous array across threads
            if (!is_sum) {
                y[0] = contiguous_max(x, total);
                return;
            }
            // A fixed split (not one per thread) keeps the result independent of the thread count.
            constexpr std::size_t nparts = 8;
            double parts[nparts] = {};
            const auto bound = [&](std::size_t q) { return q == nparts ? total : total * q / nparts / 1024 * 1024; };
            detail::parallel_ranges(nparts, par, 1, [&](std::size_t b, std::size_t e) {
                for (std::size_t q = b; q < e; ++q) parts[q] = contiguous_sum(x + bound(q), bound(q + 1) - bound(q));
            });
            double s = 0.0;
            for (double v : parts) s += v;
            y[0] = static_cast<T>(s);
            return;
        }
        detail::parallel_ranges(ny, par, 1, [&](std::size_t b, std::size_t e) {
            for (std::size_t j = b; j < e; ++j) {
                const T* base = x + g.kept_offset(j, g.nk);
                double s = 0.0;
                T m = -std::numeric_limits<T>::infinity();
                for_each_offset(g.nr - 1, g.rext.data(), g.rst.data(), [&](std::ptrdiff_t off) {
                    if (is_sum) s += contiguous_sum(base + off, L);
                    else m = nanmax(m, contiguous_max(base + off, L));
                });
                y[j] = is_sum ? static_cast<T>(s) : m;
            }
        });
        return;
    }
    // Innermost group kept: tiles of up to `tile` outputs of one y row accumulate whole x rows.
    constexpr std::size_t tile = 256, flush = 64;
    constexpr std::size_t W = B<T>::size;
    const std::size_t L = g.kext[g.nk - 1];
    const std::size_t tiles_per_row = (L + tile - 1) / tile;
    const std::size_t items = (ny / L) * tiles_per_row;
    detail::parallel_ranges(items, par, 1, [&](std::size_t b, std::size_t e) {
        alignas(64) T part[tile];
        double acc[tile];
        for (std::size_t it = b; it < e; ++it) {
            const std::size_t jo = it / tiles_per_row, c0 = (it % tiles_per_row) * tile;
            const std::size_t n = std::min(tile, L - c0);
            const T* base = x + g.kept_offset(jo, g.nk - 1) + c0;
            T* yr = y + jo * L + c0;
            std::size_t rows = 0;
            const T init = is_sum ? T(0) : -std::numeric_limits<T>::infinity();
            std::fill(part, part + n, init);
            std::fill(acc, acc + n, 0.0);
            for_each_offset(g.nr, g.rext.data(), g.rst.data(), [&](std::ptrdiff_t off) {
                const T* xr = base + off;
                std::size_t i = 0;
                if (is_sum) {
                    for (; i + W <= n; i += W)
                        (B<T>::load_aligned(part + i) + B<T>::load_unaligned(xr + i)).store_aligned(part + i);
                    for (; i < n; ++i) part[i] += xr[i];
                    if (++rows == flush) {
                        for (std::size_t k = 0; k < n; ++k) acc[k] += static_cast<double>(part[k]);
                        std::fill(part, part + n, T(0));
                        rows = 0;
                    }
                } else {
                    for (; i + W <= n; i += W)
                        nanmax(B<T>::load_aligned(part + i), B<T>::load_unaligned(xr + i)).store_aligned(part + i);
                    for (; i < n; ++i) part[i] = nanmax(part[i], xr[i]);
                }
            });
            if (is_sum)
                for (std::size_t k = 0; k < n; ++k) yr[k] = static_cast<T>(acc[k] + static_cast<double>(part[k]));
            else
                std::copy(part, part + n, yr);
        }
    });
}

}  // namespace

template <class T>
void reduce(ReduceOp op, const T* x, const Shape& sx, std::uint32_t axis_mask, T* y) {
    reduce_impl(op, x, sx, axis_mask, y);
}

template <class T>
void sum_to(const T* x, const Shape& sx, T* y, const Shape& sy) {
    // Broadcasting sy to sx expands sx's leading axes and the axes where sy (right-aligned) has 1: summing
    // over those in keepdims layout gives exactly sy's elements in order.
    const std::size_t lead = sx.size() - sy.size();
    std::uint32_t mask = 0;
    for (std::size_t d = 0; d < sx.size(); ++d)
        if (d < lead || (sy[d - lead] == 1 && sx[d] != 1)) mask |= 1u << d;
    reduce_impl(ReduceOp::sum, x, sx, mask, y);
}

template void reduce<float>(ReduceOp, const float*, const Shape&, std::uint32_t, float*);
template void reduce<double>(ReduceOp, const double*, const Shape&, std::uint32_t, double*);
template void sum_to<float>(const float*, const Shape&, float*, const Shape&);
template void sum_to<double>(const double*, const Shape&, double*, const Shape&);

}  // namespace xvis::kernels
