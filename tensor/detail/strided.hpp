#pragma once
// Internal to xvis's kernel .cpp files (not part of the API): collapsed-dimension strided iteration over K
// operands and a thread-splitting helper. No heap allocation: all scratch is std::array of max_rank.
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/shape.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace xvis::kernels::detail {

// Elements above which element-wise and data-movement kernels split work across threads: below it the
// fork/join (a few µs) costs more than it saves.
inline constexpr std::size_t parallel_threshold = std::size_t(1) << 15;

// Fork only for large work split into several units, and when more than one thread is free (team_threads is 1
// inside a parallel region and while the team watch has the team stepped down).
inline bool worth_threads(std::size_t elements, std::size_t units = 2) {
    return units > 1 && elements >= parallel_threshold && team_threads() > 1;
}

// f(i) for i in [0, n): an OpenMP loop when `parallel`, else a plain one. The pragma is only reached when
// threads are wanted: even an if(false) parallel region costs a runtime call (and libgomp may allocate a team).
template <class F>
void parallel_for(std::size_t n, bool parallel, F&& f) {
    team_for(n, parallel ? team_threads() : 1, [&](std::size_t i, int) { f(i); });
}

// Calls f(begin, end) on disjoint sub-ranges of [0, n) covering it, in parallel when `parallel` is set and
// more than one thread is available. Range boundaries are multiples of `grain` (e.g. a SIMD width or a
// cache line) so threads never share a cache line of output.
template <class F>
void parallel_ranges(std::size_t n, bool parallel, std::size_t grain, F&& f) {
    const int nt = parallel && n > grain ? team_threads() : 1;
    if (nt > 1) {
        team_run(nt, [&](std::size_t t, std::size_t T) {
            const std::size_t chunks = (n + grain - 1) / grain;
            const std::size_t b = std::min(n, chunks * t / T * grain);
            const std::size_t e = std::min(n, chunks * (t + 1) / T * grain);
            if (b < e) f(b, e);
        });
        return;
    }
    if (n) f(std::size_t(0), n);
}

// K operands walked together over an iteration space of extents ext[0..rank). Strides are in elements and
// may be 0 (broadcast) or negative (reversed slices).
template <std::size_t K>
struct Plan {
    std::size_t rank = 0;
    std::array<std::size_t, max_rank> ext{};
    std::array<std::array<std::ptrdiff_t, max_rank>, K> st{};
    std::size_t size() const {
        std::size_t s = 1;
        for (std::size_t d = 0; d < rank; ++d) s *= ext[d];
        return s;
    }
    std::size_t inner() const { return ext[rank - 1]; }
    std::size_t rows() const { return size() / inner(); }
};

// Drops extent-1 axes and merges axis d into d+1 when every operand steps through them as one axis
// (st[d] == st[d+1]·ext[d+1]): e.g. bias [1,C,1,1] over [N,C,H,W] becomes [N, C, H·W] with strides
// (0, 1, 0). The result has rank >= 1 (a scalar becomes one element), unless some extent is 0 (rank 0).
template <std::size_t K>
Plan<K> collapse(const Plan<K>& in) {
    Plan<K> out;
    for (std::size_t d = 0; d < in.rank; ++d)
        if (in.ext[d] == 0) return out;
    for (std::size_t d = 0; d < in.rank; ++d) {
        if (in.ext[d] == 1) continue;
        bool merge = out.rank > 0;
        for (std::size_t k = 0; merge && k < K; ++k)
            merge = out.st[k][out.rank - 1] == in.st[k][d] * static_cast<std::ptrdiff_t>(in.ext[d]);
        if (merge) {
            out.ext[out.rank - 1] *= in.ext[d];
            for (std::size_t k = 0; k < K; ++k) out.st[k][out.rank - 1] = in.st[k][d];
        } else {
            out.ext[out.rank] = in.ext[d];
            for (std::size_t k = 0; k < K; ++k) out.st[k][out.rank] = in.st[k][d];
            ++out.rank;
        }
    }
    if (out.rank == 0) {
        out.rank = 1;
        out.ext[0] = 1;
        for (std::size_t k = 0; k < K; ++k) out.st[k][0] = 0;
    }
    return out;
}

// Element strides of `s` broadcast (NumPy, right-aligned) to `out`: 0 on axes it lacks or has as 1.
inline void broadcast_strides(const Shape& s, const Shape& out, std::ptrdiff_t* st) {
    const std::size_t r = out.size(), lead = r - s.size();
    std::ptrdiff_t stride = 1;
    for (std::size_t i = r; i-- > 0;) {
        if (i < lead || s[i - lead] == 1) {
            st[i] = 0;
        } else {
            st[i] = stride;
            stride *= static_cast<std::ptrdiff_t>(s[i - lead]);
        }
    }
}

// Row-major strides of `s` (the contiguous operand of a plan).
inline void contiguous_strides(const Shape& s, std::ptrdiff_t* st) {
    std::ptrdiff_t stride = 1;
    for (std::size_t i = s.size(); i-- > 0;) {
        st[i] = stride;
        stride *= static_cast<std::ptrdiff_t>(s[i]);
    }
}

// Plan over shape `out` where operand k has strides from broadcasting shapes[k] to out.
template <std::size_t K>
Plan<K> broadcast_plan(const Shape& out, const std::array<const Shape*, K>& shapes) {
    Plan<K> p;
    p.rank = out.size();
    for (std::size_t d = 0; d < p.rank; ++d) p.ext[d] = out[d];
    for (std::size_t k = 0; k < K; ++k) broadcast_strides(*shapes[k], out, p.st[k].data());
    return collapse(p);
}

// Calls f(off) for rows [r0, r1) of the plan (a row = every axis but the innermost fixed); off[k] is operand
// k's element offset at the row start. The innermost extent and strides are p.inner() and p.st[k][rank−1].
template <std::size_t K, class F>
void for_rows(const Plan<K>& p, std::size_t r0, std::size_t r1, F&& f) {
    if (r0 >= r1) return;
    std::array<std::size_t, max_rank> idx{};
    std::array<std::ptrdiff_t, K> off{};
    const std::size_t outer = p.rank - 1;
    std::size_t r = r0;
    for (std::size_t d = outer; d-- > 0;) {
        idx[d] = r % p.ext[d];
        r /= p.ext[d];
        for (std::size_t k = 0; k < K; ++k) off[k] += static_cast<std::ptrdiff_t>(idx[d]) * p.st[k][d];
    }
    for (std::size_t row = r0; row < r1; ++row) {
        f(off);
        for (std::size_t d = outer; d-- > 0;) {
            for (std::size_t k = 0; k < K; ++k) off[k] += p.st[k][d];
            if (++idx[d] < p.ext[d]) break;
            for (std::size_t k = 0; k < K; ++k) off[k] -= p.st[k][d] * static_cast<std::ptrdiff_t>(p.ext[d]);
            idx[d] = 0;
        }
    }
}

// for_rows over all rows, split across threads when the plan has at least parallel_threshold elements.
template <std::size_t K, class F>
void parallel_rows(const Plan<K>& p, F&& f) {
    if (p.rank == 0) return;
    const std::size_t rows = p.rows();
    const bool par = p.size() >= parallel_threshold && rows > 1;
    parallel_ranges(rows, par, 1, [&](std::size_t b, std::size_t e) { for_rows(p, b, e, f); });
}

}  // namespace xvis::kernels::detail
