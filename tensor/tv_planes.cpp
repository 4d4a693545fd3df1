// TotalVariation's kernels for channels_first 2-D images ([N, C, H, W] as N·C planes of H × W), the layout
// keras-vis users hit: vectorized along the rows (and across the rows of small planes), where the generic
// region walk of regularizers.cpp visits one cell at a time.
#include <xvis/tensor/detail/tv_planes.hpp>

#include <xsimd/xsimd.hpp>

#include <array>
#include <cmath>
#include <cstddef>

namespace xvis::kernels::detail {
namespace {

// Lane indices 0, 1, ..., as a batch (for masks of the lanes a batch that overlaps the previous one repeats).
template <class T>
xsimd::batch<T> lane_indices() {
    alignas(64) T idx[xsimd::batch<T>::size];
    for (std::size_t i = 0; i < xsimd::batch<T>::size; ++i) idx[i] = T(i);
    return xsimd::batch<T>::load_aligned(idx);
}

// Small planes (a 14² feature map: 13 rows of 13 region cells) are walked as one flat run of cells, batch by batch
// across the row ends, with per-cell column masks (periodic in W, built once per call for up to flat_max cells):
// rows of a few batches cost more in loop and edge handling than in arithmetic.
constexpr std::size_t flat_max = 1024;

// Column masks of a flat run of n cells starting at a row start: 1 where the cell is not in the last column
// (w < W − 1), and where it is not in the first (w ≥ 1).
template <class T>
void column_masks(std::size_t n, std::size_t W, T* not_last, T* not_first) {
    for (std::size_t j = 0; j < n; ++j) {
        not_last[j] = j % W + 1 < W ? T(1) : T(0);
        not_first[j] = j % W >= 1 ? T(1) : T(0);
    }
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
        auto cell = [&](std::size_t h, std::size_t w) {
            const T v = p[h * W + w];
            T acc = 0;
            if (h + 1 < H && w + 1 < W) acc -= (p[(h + 1) * W + w] - v) + (p[h * W + w + 1] - v);
            if (w >= 1 && h + 1 < H) acc += v - p[h * W + w - 1];
            if (h >= 1 && w + 1 < W) acc += v - p[(h - 1) * W + w];
            q[h * W + w] = gb * acc;
        };
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

}  // namespace

template <class T>
T tv_sum_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta) {
    using B = xsimd::batch<T>;
    constexpr std::size_t L = B::size;
    double total = 0;
    const T half = static_cast<T>(beta / 2);
    const B lane = lane_indices<T>(), zero(T(0));
    const auto cells = [](const T* r, std::size_t W, std::size_t w) {  // (dh² + dw²) at r + w
        const B v = B::load_unaligned(r + w);
        const B dh = B::load_unaligned(r + W + w) - v, dw = B::load_unaligned(r + w + 1) - v;
        return dh * dh + dw * dw;
    };
    const std::size_t n = (H - 1) * W;
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
// cell in cell()'s order of terms (so every path gives cell()'s bits). Rows: the interior (1 ≤ w ≤ W − 2, where only
// the row decides which terms exist) in whole batches, the last one overlapping (it writes the same values again),
// the two edge cells by cell()'s formula with the terms their column rules out dropped. Small planes: rows 0 and
// H − 1 so, the rows between as one flat run with column masks.

template <class T>
void tv_grad_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta, T g, T* y) {
    const T gb = g * static_cast<T>(beta), e = static_cast<T>(beta / 2 - 1);
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

template float tv_sum_planes<float>(const float*, std::size_t, std::size_t, std::size_t, double);
template double tv_sum_planes<double>(const double*, std::size_t, std::size_t, std::size_t, double);
template void tv_grad_planes<float>(const float*, std::size_t, std::size_t, std::size_t, double, float, float*);
template void tv_grad_planes<double>(const double*, std::size_t, std::size_t, std::size_t, double, double, double*);

}  // namespace xvis::kernels::detail
