// TotalVariation's β = 2 plane kernels (detail/tv_planes.hpp) in AVX-512 for float, chosen at run time on CPUs
// that have it. Against the AVX2 xsimd kernels: 16 cells a batch, the column rules as mask registers (a masked
// add where xsimd needs a compare and a select), and masked loads for the ragged ends instead of overlapping
// batches or scalar cells; many small planes as one run over the whole tensor (below). Same bits as the AVX2
// kernels:
// - the gradient computes each cell's terms in tv_grad_cell's order, whatever batch the cell lands in;
// - the sum keeps the AVX2 kernel's 8-lane chains as the halves of its 16-lane accumulators, its leftover
//   batches in the same halves, its flushes to double, and reduces them in xsimd's order.
// Only these functions are compiled for AVX-512 (target attributes, not a flag on the file), so no inline
// function from a header is emitted here in AVX-512 for the linker to pick in other files.
#include <xvis/tensor/detail/tv_planes.hpp>

#include <cstddef>
#include <cstdint>

#ifdef XVIS_AVX512_KERNELS
#include <immintrin.h>

#define XVIS_AVX512 __attribute__((target("avx512f")))

namespace xvis::kernels::detail {
namespace {

constexpr std::size_t L = 16;
constexpr std::size_t words_max = tv_flat_max / L + 1;

// Bit i of word k: cell 16k + i of a flat run that starts at a row start is not in the last column (not_last)
// / not in the first (not_first). A column counter, not j % W: the division would cost as much as a small plane.
void column_bits(std::size_t n, std::size_t W, std::uint16_t* not_last, std::uint16_t* not_first) {
    std::size_t col = 0;
    for (std::size_t k = 0; k * L < n; ++k) {
        unsigned nl = 0, nf = 0;
        for (std::size_t i = 0; i < L; ++i) {
            nl |= unsigned(col + 1 < W) << i;
            nf |= unsigned(col >= 1) << i;
            if (++col == W) col = 0;
        }
        not_last[k] = static_cast<std::uint16_t>(nl);
        not_first[k] = static_cast<std::uint16_t>(nf);
    }
}
bool bit(const std::uint16_t* words, std::size_t j) { return (words[j / L] >> (j % L)) & 1u; }
__mmask16 lanes_below(std::size_t m) { return static_cast<__mmask16>(m >= L ? 0xFFFFu : (1u << m) - 1u); }

// (dh² + dw²) of the cells at r (lanes in `lanes`; the others read nothing and give 0), as the xsimd kernel's
// fma(dh, dh, dw · dw).
XVIS_AVX512 inline __m512 cells(const float* r, std::size_t W, __mmask16 lanes) {
    const __m512 v = _mm512_maskz_loadu_ps(lanes, r);
    const __m512 dh = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, r + W), v);
    const __m512 dw = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, r + 1), v);
    return _mm512_fmadd_ps(dh, dh, _mm512_mul_ps(dw, dw));
}
// The low half's 8 lanes moved to the high half (where the xsimd kernel's second chain lives), the low half 0.
// (The masked forms with an explicit source: GCC 12 warns on the unmasked ones' undefined source.)
XVIS_AVX512 inline __m512 low_to_high(__m512 x) {
    return _mm512_mask_shuffle_f32x4(_mm512_setzero_ps(), 0xFF00, x, x, _MM_SHUFFLE(1, 0, 1, 0));
}

// xsimd's hadd(a0 + a1) of the AVX2 kernel, with a0 and a1 the halves of acc.
XVIS_AVX512 inline float reduce(__m512 acc) {
    const __m512d a = _mm512_castps_pd(acc);
    const __m256 lo = _mm256_castpd_ps(_mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xF, a, 0));
    const __m256 hi = _mm256_castpd_ps(_mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xF, a, 1));
    const __m256 s = _mm256_add_ps(lo, hi);
    __m256 t = _mm256_add_ps(s, _mm256_permute2f128_ps(s, s, 1));
    t = _mm256_hadd_ps(t, t);
    t = _mm256_hadd_ps(t, t);
    return _mm_cvtss_f32(_mm256_castps256_ps128(t));
}

// g · the gradient's stencil on 16 cells, in tv_grad_cell's order of terms: own (the cell's two differences),
// left (the difference from the left), up (the one from above) say which cells have each term.
XVIS_AVX512 inline __m512 stencil(__m512 g, __m512 v, __m512 down, __m512 right, __m512 left, __m512 up,
                                  __mmask16 own, __mmask16 from_left, __mmask16 from_up) {
    const __m512 zero = _mm512_setzero_ps();
    __m512 acc = _mm512_maskz_sub_ps(own, zero, _mm512_add_ps(_mm512_sub_ps(down, v), _mm512_sub_ps(right, v)));
    acc = _mm512_mask_add_ps(acc, from_left, acc, _mm512_sub_ps(v, left));
    acc = _mm512_mask_add_ps(acc, from_up, acc, _mm512_sub_ps(v, up));
    return _mm512_mul_ps(g, acc);
}

// One batch of the gradient at r (row-interior rules: the column decides through nl, nf; the row through down,
// up, whose rows are not read when absent; lanes outside `lanes` neither read nor write).
template <bool full>
XVIS_AVX512 inline void grad_batch(const float* r, std::size_t W, float* out, __m512 g, __mmask16 lanes,
                                   __mmask16 nl, __mmask16 nf, bool down, bool up) {
    const auto load = [lanes](const float* p) __attribute__((always_inline, target("avx512f"))) {
        return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(lanes, p);
    };
    const __m512 zero = _mm512_setzero_ps(), v = load(r);
    const __m512 y = stencil(g, v, down ? load(r + W) : zero, down ? load(r + 1) : zero, down ? load(r - 1) : zero,
                             up ? load(r - W) : zero, down ? nl : 0, down ? nf : 0, up ? nl : 0);
    if (full)
        _mm512_storeu_ps(out, y);
    else
        _mm512_mask_storeu_ps(out, lanes, y);
}

// Row h of a plane: the interior cells 1 .. W − 2 in batches (the last one masked), the two edge cells by
// tv_grad_cell.
// Rows of 48 cells or more: the interior in batches aligned with the storage (64 bytes), the first and the last
// one masked to the interior's cells, those between with their left and right neighbours permuted from the
// batches beside them (every load stays inside the row, or the row above or below where the row has one).
XVIS_AVX512 inline void grad_row_aligned(const float* r, std::size_t W, float* out, __m512 g, bool down, bool up) {
    const float* first = r + 1;
    const std::size_t skip = reinterpret_cast<std::uintptr_t>(first) / sizeof(float) % L;
    const float* a = first - skip;  // the first batch; its lanes from `skip` on are interior cells
    const std::size_t nb = (W - 2 + skip + L - 1) / L, tail = W - 2 + skip - (nb - 1) * L;
    float* const oa = out + (a - r);  // batch a's output
    const __mmask16 m_first = static_cast<__mmask16>(0xFFFFu << skip), m_last = lanes_below(tail);
    grad_batch<false>(a, W, oa, g, m_first, m_first, m_first, down, up);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i to_right = _mm512_add_epi32(lane, _mm512_set1_epi32(1)), to_left = _mm512_add_epi32(lane, _mm512_set1_epi32(15));
    const __m512 zero = _mm512_setzero_ps();
    const __mmask16 own = down ? 0xFFFF : 0, from_up = up ? 0xFFFF : 0;
    __m512 prev = _mm512_maskz_loadu_ps(m_first, a), v = _mm512_loadu_ps(a + L);
    for (std::size_t k = 1; k + 1 < nb; ++k) {
        const float* b = a + k * L;
        const __m512 next = k + 2 < nb ? _mm512_loadu_ps(b + L) : _mm512_maskz_loadu_ps(m_last, b + L);
        _mm512_storeu_ps(oa + k * L, stencil(g, v, down ? _mm512_loadu_ps(b + W) : zero, _mm512_permutex2var_ps(v, to_right, next),
                                             _mm512_permutex2var_ps(prev, to_left, v), up ? _mm512_loadu_ps(b - W) : zero,
                                             own, own, from_up));
        prev = v;
        v = next;
    }
    grad_batch<false>(a + (nb - 1) * L, W, oa + (nb - 1) * L, g, m_last, m_last, m_last, down, up);
}

XVIS_AVX512 inline void grad_row(const float* p, std::size_t H, std::size_t W, std::size_t h, float gb, float* q) {
    const bool down = h + 1 < H, up = h >= 1;
    const float* r = p + h * W;
    float* out = q + h * W;
    const __m512 g = _mm512_set1_ps(gb);
    if (W >= 3 * L) {
        grad_row_aligned(r, W, out, g, down, up);
    } else {
        std::size_t w = 1;
        for (; w + L <= W - 1; w += L) grad_batch<true>(r + w, W, out + w, g, 0xFFFF, 0xFFFF, 0xFFFF, down, up);
        if (w < W - 1) {
            const __mmask16 m = lanes_below(W - 1 - w);
            grad_batch<false>(r + w, W, out + w, g, m, m, m, down, up);
        }
    }
    out[0] = tv_grad_cell(p, H, W, h, 0, gb);
    if (W > 1) out[W - 1] = tv_grad_cell(p, H, W, h, W - 1, gb);
}

// Many small planes (tv_run_period): the whole tensor as one run of cells, 16 a batch across rows and planes, the
// batches at multiples of 16 cells (aligned with the tensor's storage). The rules of the cells, tabled a word per
// batch (own | left << 16 | up << 32, one load). The neighbours come from the batch and the batches before and
// after it by permutes (for W ≤ 16 all four, else left and right), not by loads that straddle cache lines.
constexpr std::size_t period_max = tv_run_period_max;

// The rules of the batches from cell c0 on.
void run_rules(std::size_t period, std::size_t H, std::size_t W, std::size_t c0, std::uint64_t* rules) {
    std::size_t h = c0 / W % H, w = c0 % W;
    for (std::size_t k = 0; k < period; ++k) {
        std::uint64_t own = 0, left = 0, up = 0;
        for (std::size_t i = 0; i < L; ++i) {
            own |= std::uint64_t(h + 1 < H && w + 1 < W) << i;
            left |= std::uint64_t(w >= 1 && h + 1 < H) << i;
            up |= std::uint64_t(h >= 1 && w + 1 < W) << i;
            if (++w == W) {
                w = 0;
                if (++h == H) h = 0;
            }
        }
        rules[k] = own | left << 16 | up << 32;
    }
}

// The gradient's run: from row 1 of the first plane to row H − 2 of the last, so every neighbour is inside the
// tensor (the first row of the run's cells, up to the first multiple of 16, by tv_grad_cell).
template <bool narrow>  // W ≤ 16: the cells above and below by permutes too
XVIS_AVX512 void grad_run(const float* x, std::size_t N, std::size_t H, std::size_t W, std::size_t period,
                          float gb, float* y) {
    const std::size_t P = H * W, end = N - W, c0 = (W + L - 1) / L * L;
    for (std::size_t c = W; c < c0 && c < end; ++c) y[c] = tv_grad_cell(x + c / P * P, H, W, c % P / W, c % W, gb);
    if (c0 >= end) return;
    std::uint64_t rules[period_max];
    run_rules(period, H, W, c0, rules);
    const __m512 g = _mm512_set1_ps(gb);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // permutex2var(a, i, b) takes lane i of a (i < 16) or i − 16 of b: the cells 1 and W to the right, 1 and W
    // to the left.
    const auto shifted = [&](std::size_t by) __attribute__((always_inline, target("avx512f"))) {
        return _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(by)));
    };
    const __m512i to_right = shifted(1), to_left = shifted(L - 1);
    const __m512i to_down = narrow ? shifted(W) : lane, to_up = narrow ? shifted(L - W) : lane;  // (W ≤ 16 only)
    std::size_t j = c0, k = 0;
    const auto rule = [&](int which) { return static_cast<__mmask16>(rules[k] >> (16 * which)); };
    __m512 prev = _mm512_loadu_ps(x + j - L), v = _mm512_loadu_ps(x + j);
    for (; j + L <= end && j + 2 * L <= N; j += L, k = k + 1 == period ? 0 : k + 1) {
        const __m512 next = _mm512_loadu_ps(x + j + L);
        const __m512 down = narrow ? _mm512_permutex2var_ps(v, to_down, next) : _mm512_loadu_ps(x + j + W);
        const __m512 up = narrow ? _mm512_permutex2var_ps(prev, to_up, v) : _mm512_loadu_ps(x + j - W);
        _mm512_storeu_ps(y + j, stencil(g, v, down, _mm512_permutex2var_ps(v, to_right, next),
                                        _mm512_permutex2var_ps(prev, to_left, v), up, rule(0), rule(1), rule(2)));
        prev = v;
        v = next;
    }
    for (; j < end; j += L, k = k + 1 == period ? 0 : k + 1) {
        const __mmask16 lanes = lanes_below(end - j);
        const auto load = [lanes](const float* p) __attribute__((always_inline, target("avx512f"))) {
            return _mm512_maskz_loadu_ps(lanes, p);
        };
        const float* r = x + j;
        _mm512_mask_storeu_ps(y + j, lanes, stencil(g, load(r), load(r + W), load(r + 1), load(r - 1), load(r - W),
                                                    rule(0), rule(1), rule(2)));
    }
}

// The sum's run: cells 0 .. N − W − 1 (all but the last plane's last row), batches of 16 masked by the rule "own",
// into two accumulators (even and odd batches: four chains of 8 in the xsimd kernel's terms), flushed to double
// every 1024 batches, the last partial batch masked.
template <bool narrow>
XVIS_AVX512 float sum_run(const float* x, std::size_t N, std::size_t H, std::size_t W, std::size_t period) {
    std::uint64_t rules[period_max];
    run_rules(period, H, W, 0, rules);
    const std::size_t n = N - W, steps = n / L;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i to_right = _mm512_add_epi32(lane, _mm512_set1_epi32(1));
    const __m512i to_down = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(W)));
    double total = 0;
    __m512 even = _mm512_setzero_ps(), odd = _mm512_setzero_ps();
    std::size_t s = 0, k = 0;
    const auto rule = [&]() __attribute__((always_inline, target("avx512f"))) {
        const auto m = static_cast<__mmask16>(rules[k]);
        if (++k == period) k = 0;
        return m;
    };
    const auto flush = [&]() __attribute__((always_inline, target("avx512f"))) {
        if (s % 1024 == 0) {
            total += reduce(_mm512_add_ps(even, odd));
            even = odd = _mm512_setzero_ps();
        }
    };
    // Batch s, alone (a ragged end): into even or odd.
    const auto add = [&](__m512 cells, __mmask16 lanes) __attribute__((always_inline, target("avx512f"))) {
        const __mmask16 m = rule() & lanes;  // (no reference to even or odd: it would keep them in memory)
        if (s % 2 == 0)
            even = _mm512_mask_add_ps(even, m, even, cells);
        else
            odd = _mm512_mask_add_ps(odd, m, odd, cells);
        ++s;
        flush();
    };
    const auto permuted = [&](__m512 v, __m512 next, const float* r) __attribute__((always_inline, target("avx512f"))) {
        const __m512 dh = _mm512_sub_ps(narrow ? _mm512_permutex2var_ps(v, to_down, next) : _mm512_loadu_ps(r + W), v);
        const __m512 dw = _mm512_sub_ps(_mm512_permutex2var_ps(v, to_right, next), v);
        return _mm512_fmadd_ps(dh, dh, _mm512_mul_ps(dw, dw));
    };
    if (steps > 0) {
        // Two batches a turn, an even and an odd one (1024 is even: the flush falls between turns).
        __m512 v = _mm512_loadu_ps(x);
        for (; s + 2 <= steps && L * s + 3 * L <= N; s += 2, flush()) {
            const float* r = x + L * s;
            const __m512 v1 = _mm512_loadu_ps(r + L), v2 = _mm512_loadu_ps(r + 2 * L);
            even = _mm512_mask_add_ps(even, rule(), even, permuted(v, v1, r));
            odd = _mm512_mask_add_ps(odd, rule(), odd, permuted(v1, v2, r + L));
            v = v2;
        }
        while (s < steps) add(cells(x + L * s, W, 0xFFFF), 0xFFFF);
    }
    if (L * steps < n) add(cells(x + L * steps, W, lanes_below(n - L * steps)), lanes_below(n - L * steps));
    return static_cast<float>(total + reduce(_mm512_add_ps(even, odd)));
}

}  // namespace

XVIS_AVX512 float tv_sum_planes_beta2_avx512(const float* x, std::size_t planes, std::size_t H, std::size_t W) {
    if (const std::size_t period = tv_run_period(planes, H, W))
        return W <= L ? sum_run<true>(x, planes * H * W, H, W, period) : sum_run<false>(x, planes * H * W, H, W, period);
    constexpr std::size_t half = L / 2;  // the AVX2 kernel's batch
    double total = 0;
    const std::size_t n = (H - 1) * W;
    if (n >= half && n <= tv_flat_max) {
        // The flat run of the xsimd kernel: pairs of 8-cell batches, an even leftover batch in the low chain, the
        // overlapping last batch's new lanes in the high one.
        std::uint16_t keep[words_max], unused[words_max];
        column_bits(n, W, keep, unused);
        const std::size_t full = n / half * half;
        std::size_t j_end = full / L * L;
        const bool leftover = j_end < full;
        unsigned tail = 0;  // lanes of the last batch at n − 8 (cells ≥ full, not in the last column)
        for (std::size_t i = 0; i < half; ++i) tail |= unsigned(n - half + i >= full && bit(keep, n - half + i)) << i;
        for (std::size_t pl = 0; pl < planes; ++pl) {
            const float* r = x + pl * H * W;
            __m512 acc = _mm512_setzero_ps();
            for (std::size_t j = 0; j < j_end; j += L) acc = _mm512_mask_add_ps(acc, keep[j / L], acc, cells(r + j, W, 0xFFFF));
            if (leftover) acc = _mm512_mask_add_ps(acc, keep[j_end / L] & 0xFFu, acc, cells(r + j_end, W, 0xFF));
            if (full < n) acc = _mm512_mask_add_ps(acc, static_cast<__mmask16>(tail << half), acc, low_to_high(cells(r + n - half, W, 0xFF)));
            total += reduce(acc);
        }
        return static_cast<float>(total);
    }
    // Rows of W − 1 ≥ 8 cells: pairs of batches, then the leftover batch in the low chain and the overlapping last
    // one's new lanes in the high chain, flushed to double every 1024 batches, as the xsimd kernel.
    const std::size_t w_last = (W - 1) / half * half, w_pairs = w_last / L * L;
    const unsigned tail = (0xFFu << (half - (W - 1 - w_last))) & 0xFFu;
    const __m512i to_right = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    for (std::size_t pl = 0; pl < planes; ++pl) {
        __m512 acc = _mm512_setzero_ps();
        std::size_t batches = 0;
        for (std::size_t h = 0; h + 1 < H; ++h) {
            const float* r = x + (pl * H + h) * W;
            // The right neighbours permuted from the next batch (inside the plane: row h + 1 exists), not loaded
            // across cache lines.
            __m512 v = _mm512_loadu_ps(r);
            for (std::size_t w = 0; w < w_pairs; w += L) {
                const __m512 next = _mm512_loadu_ps(r + w + L);
                const __m512 dh = _mm512_sub_ps(_mm512_loadu_ps(r + W + w), v);
                const __m512 dw = _mm512_sub_ps(_mm512_permutex2var_ps(v, to_right, next), v);
                acc = _mm512_add_ps(acc, _mm512_fmadd_ps(dh, dh, _mm512_mul_ps(dw, dw)));
                v = next;
            }
            if (w_pairs < w_last) acc = _mm512_mask_add_ps(acc, 0xFF, acc, cells(r + w_pairs, W, 0xFF));
            if (w_last < W - 1)
                acc = _mm512_mask_add_ps(acc, static_cast<__mmask16>(tail << half), acc, low_to_high(cells(r + W - 1 - half, W, 0xFF)));
            if ((batches += (W - 1 + half - 1) / half) >= 1024) {
                total += reduce(acc);
                acc = _mm512_setzero_ps();
                batches = 0;
            }
        }
        total += reduce(acc);
    }
    return static_cast<float>(total);
}

XVIS_AVX512 void tv_grad_planes_beta2_avx512(const float* x, std::size_t planes, std::size_t H, std::size_t W,
                                              float gb, float* y) {
    if (const std::size_t period = tv_run_period(planes, H, W)) {
        const std::size_t last = (planes - 1) * H * W;
        grad_row(x, H, W, 0, gb, y);
        if (W <= L)
            grad_run<true>(x, planes * H * W, H, W, period, gb, y);
        else
            grad_run<false>(x, planes * H * W, H, W, period, gb, y);
        grad_row(x + last, H, W, H - 1, gb, y + last);
        return;
    }
    const std::size_t n = H >= 2 ? (H - 2) * W : 0;  // the flat run: rows 1 .. H − 2
    const bool flat = n >= 1 && n <= tv_flat_max;
    std::uint16_t not_last[words_max], not_first[words_max];
    if (flat) column_bits(n, W, not_last, not_first);
    const std::size_t n_full = n / L * L;
    const __m512 g = _mm512_set1_ps(gb);
    for (std::size_t pl = 0; pl < planes; ++pl) {
        const float* p = x + pl * H * W;
        float* q = y + pl * H * W;
        if (!flat) {
            for (std::size_t h = 0; h < H; ++h) grad_row(p, H, W, h, gb, q);
            continue;
        }
        grad_row(p, H, W, 0, gb, q);
        // Rows 1 .. H − 2 have a row above and below: the column alone decides.
        const float* r = p + W;
        float* out = q + W;
        for (std::size_t j = 0; j < n_full; j += L)
            grad_batch<true>(r + j, W, out + j, g, 0xFFFF, not_last[j / L], not_first[j / L], true, true);
        if (n_full < n)
            grad_batch<false>(r + n_full, W, out + n_full, g, lanes_below(n - n_full), not_last[n_full / L],
                              not_first[n_full / L], true, true);
        grad_row(p, H, W, H - 1, gb, q);
    }
}

}  // namespace xvis::kernels::detail
#endif
