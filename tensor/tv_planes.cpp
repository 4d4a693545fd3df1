// TotalVariation's kernels for channels_first 2-D images ([N, C, H, W] as N·C planes of H × W), the layout
// keras-vis users hit: vectorized along the rows (and across the rows of small planes), where the generic
// region walk of regularizers.cpp visits one cell at a time.
#include <xvis/tensor/detail/tv_planes.hpp>

#include <xsimd/xsimd.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>

namespace xvis::kernels::detail {
namespace {

// Lane indices 0, 1, ..., as a batch (for masks of the lanes a batch that overlaps the previous one repeats).
template <class T>
xsimd::batch<T> lane_indices() {
    alignas(64) T idx[xsimd::batch<T>::size];
    for (std::size_t i = 0; i < xsimd::batch<T>::size; ++i) idx[i] = T(i);
    return xsimd::batch<T>::load_aligned(idx);
}

// Small planes are walked as one flat run (detail/tv_planes.hpp), batch by batch across the row ends.
constexpr std::size_t flat_max = tv_flat_max;

// Column masks of a flat run of n cells starting at a row start: 1 where the cell is not in the last column
// (w < W − 1), and where it is not in the first (w ≥ 1). A column counter, not j % W (a division per cell).
template <class T>
void column_masks(std::size_t n, std::size_t W, T* not_last, T* not_first) {
    for (std::size_t j = 0, col = 0; j < n; ++j) {
        not_last[j] = col + 1 < W ? T(1) : T(0);
        not_first[j] = col >= 1 ? T(1) : T(0);
        if (++col == W) col = 0;
    }
}

// The AVX-512 kernels where the CPU has them: float planes, in a build whose xsimd batches are AVX2's 8 floats
// (whose bits those kernels reproduce; a native AVX-512 build's xsimd kernels are 16 lanes already).
template <class T>
bool use_avx512(TvKernel kernel) {
#ifdef XVIS_AVX512_KERNELS
    if constexpr (std::is_same_v<T, float> && xsimd::batch<float>::size == 8) {
        static const bool cpu = cpu_has_avx512();
        return kernel == TvKernel::automatic && cpu;
    }
#endif
    return false;
}

// Channels_first 2-D images, plane by plane. β = 2: small planes as a flat run (above); otherwise each row's
// W − 1 cells in whole batches, the last one overlapping the one before with the repeated lanes masked, summed in
// float per plane (flushed to double every 1024 batches) in two chains.

#if defined(__GNUC__)
#define XVIS_FLATTEN __attribute__((flatten))  // the row and batch lambdas inlined into the plane loop
#else
#define XVIS_FLATTEN
#endif
template <class T>
XVIS_FLATTEN void tv_grad_planes_beta2(const T* x, std::size_t planes, std::size_t H, std::size_t W, T gb, T* y) {
    using B = xsimd::batch<T>;
    constexpr std::size_t L = B::size;
    const B zero(T(0)), g(gb);
    const std::size_t n = H >= 2 ? (H - 2) * W : 0;  // the flat run: rows 1 .. H − 2
    const bool flat = n >= L && n <= flat_max;
    alignas(64) std::array<T, flat_max> not_last, not_first;
    if (flat) column_masks(n, W, not_last.data(), not_first.data());
    for (std::size_t pl = 0; pl < planes; ++pl) {
        const T* p = x + pl * H * W;
        T* q = y + pl * H * W;
        auto cell = [&](std::size_t h, std::size_t w) { q[h * W + w] = tv_grad_cell(p, H, W, h, w, gb); };
        const auto row = [&](std::size_t h) {
            const bool down = h + 1 < H, up = h >= 1;
            const T* r = p + h * W;
            T* out = q + h * W;
            const auto interior = [&](std::size_t w) {
                const B v = B::load_unaligned(r + w);
                B acc = zero;
                if (down) acc = zero - ((B::load_unaligned(r + W + w) - v) + (B::load_unaligned(r + w + 1) - v));
                if (down) acc += v - B::load_unaligned(r + w - 1);
                if (up) acc += v - B::load_unaligned(r - W + w);
                (g * acc).store_unaligned(out + w);
            };
            if (W >= L + 2) {
                std::size_t w = 1;
                for (; w + L <= W - 1; w += L) interior(w);
                if (w < W - 1) interior(W - 1 - L);
            } else {
                for (std::size_t w = 1; w + 1 < W; ++w) cell(h, w);
            }
            if (W == 1) return cell(h, 0);
            T a0 = 0;
            if (down) a0 -= (r[W] - r[0]) + (r[1] - r[0]);
            if (up) a0 += r[0] - r[-std::ptrdiff_t(W)];
            out[0] = gb * a0;
            T a1 = 0;
            if (down) a1 += r[W - 1] - r[W - 2];
            out[W - 1] = gb * a1;
        };
        if (!flat) {
            for (std::size_t h = 0; h < H; ++h) row(h);
            continue;
        }
        row(0);
        // Rows 1 .. H − 2 have a row above and below: the column alone decides (w < W − 1: the cell's own
        // differences and the one from above; w ≥ 1: the one from the left).
        const T* r = p + W;
        T* out = q + W;
        const auto batch = [&](std::size_t j) {
            const auto nl = B::load_unaligned(not_last.data() + j) != zero, nf = B::load_unaligned(not_first.data() + j) != zero;
            const B v = B::load_unaligned(r + j);
            B acc = xsimd::select(nl, zero - ((B::load_unaligned(r + W + j) - v) + (B::load_unaligned(r + j + 1) - v)), zero);
            acc = xsimd::select(nf, acc + (v - B::load_unaligned(r + j - 1)), acc);
            acc = xsimd::select(nl, acc + (v - B::load_unaligned(r + j - W)), acc);
            (g * acc).store_unaligned(out + j);
        };
        std::size_t j = 0;
        for (; j + L <= n; j += L) batch(j);
        if (j < n) batch(n - L);  // overlapping the last whole batch: it writes the same values again
        row(H - 1);
    }
}

// Many small planes (tv_run_period), in an AVX2 build (8-lane float batches): the AVX-512 kernel's order, steps
// of 16 cells over cells 0 .. N − W − 1 as four chains of 8 (even steps in a0, a1, odd ones in a2, a3),
// masked by the cells' rule (h < H − 1, w < W − 1), flushed to double every 1024 steps, the last partial step lane
// by lane (a batch would read past the tensor).
template <class T>
T tv_sum_run(const T* x, std::size_t N, std::size_t H, std::size_t W, std::size_t period) {
    using B = xsimd::batch<T>;
    static_assert(B::size == 8, "the run's chains are 8 lanes");
    alignas(64) std::array<T, 16 * tv_run_period_max> keep;
    for (std::size_t i = 0, h = 0, w = 0; i < 16 * period; ++i) {
        keep[i] = h + 1 < H && w + 1 < W ? T(1) : T(0);
        if (++w == W) {
            w = 0;
            if (++h == H) h = 0;
        }
    }
    const auto cells = [W](const T* r) {
        const B v = B::load_unaligned(r), dh = B::load_unaligned(r + W) - v, dw = B::load_unaligned(r + 1) - v;
        return xsimd::fma(dh, dh, dw * dw);
    };
    const B zero(T(0));
    // The AVX-512 kernel's order: its two accumulators are (a0 | a1) and (a2 | a3).
    const auto sum = [](B a0, B a1, B a2, B a3) { return xsimd::hadd((a0 + a2) + (a1 + a3)); };
    const std::size_t n = N - W, steps = n / 16;
    double total = 0;
    B a0 = zero, a1 = zero, a2 = zero, a3 = zero;  // even steps in a0, a1; odd ones in a2, a3
    std::size_t s = 0, k = 0;
    const auto step = [&](B& c0, B& c1, const T* r) {
        c0 += xsimd::select(B::load_aligned(keep.data() + 16 * k) != zero, cells(r), zero);
        c1 += xsimd::select(B::load_aligned(keep.data() + 16 * k + 8) != zero, cells(r + 8), zero);
        if (++k == period) k = 0;
    };
    const auto flush = [&] {
        if (s % 1024 == 0) {
            total += sum(a0, a1, a2, a3);
            a0 = a1 = a2 = a3 = zero;
        }
    };
    for (; s + 2 <= steps; s += 2, flush()) {  // an even and an odd step a turn (1024 is even)
        step(a0, a1, x + 16 * s);
        step(a2, a3, x + 16 * s + 16);
    }
    if (s < steps) {  // s is even
        step(a0, a1, x + 16 * s);
        ++s;
        flush();
    }
    if (16 * steps < n) {
        const bool even = s % 2 == 0;
        alignas(64) T lanes[16];
        (even ? a0 : a2).store_aligned(lanes);
        (even ? a1 : a3).store_aligned(lanes + 8);
        for (std::size_t i = 0; 16 * steps + i < n; ++i) {
            const T* r = x + 16 * steps + i;
            const T dh = r[W] - r[0], dw = r[1] - r[0];
            if (keep[16 * k + i] != T(0)) lanes[i] += std::fma(dh, dh, dw * dw);
        }
        (even ? a0 : a2) = B::load_aligned(lanes);
        (even ? a1 : a3) = B::load_aligned(lanes + 8);
        ++s;
        flush();
    }
    return static_cast<T>(total + sum(a0, a1, a2, a3));
}

}  // namespace

template <class T>
T tv_sum_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta, TvKernel kernel) {
    using B = xsimd::batch<T>;
    constexpr std::size_t L = B::size;
    double total = 0;
    const T half = static_cast<T>(beta / 2);
    const B lane = lane_indices<T>(), zero(T(0));
    const auto cells = [](const T* r, std::size_t W, std::size_t w) {  // (dh² + dw²) at r + w
        const B v = B::load_unaligned(r + w);
        const B dh = B::load_unaligned(r + W + w) - v, dw = B::load_unaligned(r + w + 1) - v;
        return xsimd::fma(dh, dh, dw * dw);  // explicit, as the AVX-512 kernel's (never left to contraction)
    };
    const std::size_t n = (H - 1) * W;
#ifdef XVIS_AVX512_KERNELS
    if constexpr (std::is_same_v<T, float>)
        if (beta == 2.0 && (tv_run_period(planes, H, W) || (n >= L && n <= flat_max) || W - 1 >= L) &&
            use_avx512<T>(kernel))
            return tv_sum_planes_beta2_avx512(x, planes, H, W);
#endif
    if constexpr (std::is_same_v<T, float> && L == 8)
        if (beta == 2.0)
            if (const std::size_t period = tv_run_period(planes, H, W)) return tv_sum_run(x, planes * H * W, H, W, period);
    if (beta == 2.0 && n >= L && n <= flat_max) {
        alignas(64) std::array<T, flat_max> keep, unused;
        column_masks(n, W, keep.data(), unused.data());
        const std::size_t full = n / L * L;
        const auto last = lane + B(T(n - L)) >= B(T(full));  // the overlapping last batch's new lanes
        for (std::size_t pl = 0; pl < planes; ++pl) {
            const T* r = x + pl * H * W;
            B a0(T(0)), a1(T(0));
            std::size_t j = 0;
            for (; j + 2 * L <= full; j += 2 * L) {
                a0 += xsimd::select(B::load_aligned(keep.data() + j) != zero, cells(r, W, j), zero);
                a1 += xsimd::select(B::load_aligned(keep.data() + j + L) != zero, cells(r, W, j + L), zero);
            }
            if (j < full) a0 += xsimd::select(B::load_aligned(keep.data() + j) != zero, cells(r, W, j), zero);
            if (full < n) a1 += xsimd::select((B::load_unaligned(keep.data() + n - L) != zero) && last, cells(r, W, n - L), zero);
            total += xsimd::hadd(a0 + a1);
        }
        return static_cast<T>(total);
    }
    const std::size_t w_last = (W - 1) / L * L;
    const auto tail = lane + B(T(W - 1 >= L ? W - 1 - L : 0)) >= B(T(w_last));
    for (std::size_t pl = 0; pl < planes; ++pl) {
        B acc(T(0)), acc_tail(T(0));
        std::size_t batches = 0;
        for (std::size_t h = 0; h + 1 < H; ++h) {
            const T* r = x + (pl * H + h) * W;
            if (beta == 2.0 && W - 1 >= L) {
                std::size_t w = 0;
                for (; w + 2 * L <= w_last; w += 2 * L) {
                    acc += cells(r, W, w);
                    acc_tail += cells(r, W, w + L);
                }
                if (w < w_last) acc += cells(r, W, w);
                if (w_last < W - 1) acc_tail += xsimd::select(tail, cells(r, W, W - 1 - L), zero);
                if ((batches += (W - 1 + L - 1) / L) >= 1024) {
                    total += xsimd::hadd(acc + acc_tail);
                    acc = acc_tail = zero;
                    batches = 0;
                }
                continue;
            }
            const T* nx = r + W;
            for (std::size_t w = 0; w + 1 < W; ++w) {
                const T dh = nx[w] - r[w], dw = r[w + 1] - r[w], sq = dh * dh + dw * dw;
                total += beta == 2.0 ? sq : (sq > 0 ? std::pow(sq, half) : T(0));
            }
        }
        total += xsimd::hadd(acc + acc_tail);
    }
    return static_cast<T>(total);
}

// β = 2 (the keras-vis default): the gradient is a 5-point stencil, one pass that writes every cell once, each
// cell in tv_grad_cell's order of terms (so every path gives its bits). Rows: the interior (1 ≤ w ≤ W − 2, where
// only the row decides which terms exist) in whole batches, the last one overlapping (it writes the same values
// again), the two edge cells by tv_grad_cell's formula with the terms their column rules out dropped. Small planes:
// rows 0 and H − 1 so, the rows between as one flat run with column masks. Float planes on AVX-512 CPUs:
// tv_planes_avx512.cpp, the same bits.

template <class T>
void tv_grad_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta, T g, T* y,
                    TvKernel kernel) {
    const T gb = g * static_cast<T>(beta), e = static_cast<T>(beta / 2 - 1);
#ifdef XVIS_AVX512_KERNELS
    if constexpr (std::is_same_v<T, float>)
        if (beta == 2.0 && use_avx512<T>(kernel)) return tv_grad_planes_beta2_avx512(x, planes, H, W, gb, y);
#endif
    if (beta == 2.0) return tv_grad_planes_beta2(x, planes, H, W, gb, y);
    // c(dh, dw) = g · β · (dh² + dw²)^(β/2 − 1), 0 where the sum is 0 (subgradient).
    auto coef = [&](T dh, T dw) {
        if (beta == 2.0) return gb;
        const T sq = dh * dh + dw * dw;
        return sq > 0 ? gb * std::pow(sq, e) : T(0);
    };
    for (std::size_t pl = 0; pl < planes; ++pl)
        for (std::size_t h = 0; h + 1 < H; ++h) {
            const T* r = x + (pl * H + h) * W;
            const T* nx = r + W;
            T* yr = y + (pl * H + h) * W;
            T* yn = yr + W;
            // Three scatter passes, each a plain vectorizable loop (one pass would carry a dependency along w).
            for (std::size_t w = 0; w + 1 < W; ++w) {
                const T dh = nx[w] - r[w], dw = r[w + 1] - r[w];
                yr[w] -= coef(dh, dw) * (dh + dw);
            }
            for (std::size_t w = 0; w + 1 < W; ++w) {
                const T dh = nx[w] - r[w], dw = r[w + 1] - r[w];
                yr[w + 1] += coef(dh, dw) * dw;
            }
            for (std::size_t w = 0; w + 1 < W; ++w) {
                const T dh = nx[w] - r[w], dw = r[w + 1] - r[w];
                yn[w] += coef(dh, dw) * dh;
            }
        }
}

template float tv_sum_planes<float>(const float*, std::size_t, std::size_t, std::size_t, double, TvKernel);
template double tv_sum_planes<double>(const double*, std::size_t, std::size_t, std::size_t, double, TvKernel);
template void tv_grad_planes<float>(const float*, std::size_t, std::size_t, std::size_t, double, float, float*, TvKernel);
template void tv_grad_planes<double>(const double*, std::size_t, std::size_t, std::size_t, double, double, double*,
                                     TvKernel);

}  // namespace xvis::kernels::detail
