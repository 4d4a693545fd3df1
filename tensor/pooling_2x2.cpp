// Max pooling with 2×2 windows, stride 2, no padding and only whole windows (the pooling of nearly every CNN;
// not ceil_mode's partial last window), one plane at a time.
// The general path of pooling.cpp clips every window and pre-scans each plane for NaN; this one reads each row
// pair once: on AVX2, 8 windows per step (16 columns of two rows, deinterleaved with in-lane shuffles), the
// ragged end with masked loads and stores, and a block holding a NaN redone by the scalar code. Same results
// as the general path: the first maximum in row-major window order wins, a NaN wins over any number (the
// first NaN over later ones); the backward pass writes every dx element (0 off the argmax, and for the last
// row / column that odd sizes leave outside every window).
#include <xvis/tensor/pooling.hpp>

#include <algorithm>
#include <cstdint>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace xvis::kernels::detail {
namespace {

// Position (0..3 = a, b, c, d in row-major order) of the first maximum, a NaN winning over numbers.
template <class T>
inline int first_max4(T a, T b, T c, T d) {
    int i = 0;
    T m = a;
    const auto take = [&](T v, int k) {
        if (v > m || (v != v && m == m)) m = v, i = k;
    };
    take(b, 1);
    take(c, 2);
    take(d, 3);
    return i;
}

// Windows [ow0, ow1) of the row pair r0 / r1.
template <class T>
void forward_scalar(const T* r0, const T* r1, std::size_t ow0, std::size_t ow1, T* y) {
    for (std::size_t ow = ow0; ow < ow1; ++ow) {
        const T v[4] = {r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};
        y[ow] = v[first_max4(v[0], v[1], v[2], v[3])];
    }
}

template <class T>
void backward_scalar(const T* r0, const T* r1, const T* dy, std::size_t ow0, std::size_t ow1, T* d0, T* d1) {
    for (std::size_t ow = ow0; ow < ow1; ++ow) {
        const int i = first_max4(r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]);
        const T g = dy[ow];
        d0[2 * ow] = i == 0 ? g : T(0);
        d0[2 * ow + 1] = i == 1 ? g : T(0);
        d1[2 * ow] = i == 2 ? g : T(0);
        d1[2 * ow + 1] = i == 3 ? g : T(0);
    }
}

#if defined(__AVX2__)
// Lanes [0, n) set, n in [0, 8].
alignas(32) const std::int32_t mask_table[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0};
inline __m256i lanes(std::size_t n) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask_table + 16 - n));
}

// 8 windows starting at column 2·ow: loads (masked when k < 8 windows remain) of both rows.
struct Block {
    __m256 a0, a1, b0, b1;  // row 0 columns +0..7, +8..15; row 1 the same
    __m256i m0, m1, my;     // lane masks: columns 0..7, 8..15, outputs
    bool full;
    Block(const float* r0, const float* r1, std::size_t k) : full(k == 8) {
        if (full) {
            a0 = _mm256_loadu_ps(r0), a1 = _mm256_loadu_ps(r0 + 8);
            b0 = _mm256_loadu_ps(r1), b1 = _mm256_loadu_ps(r1 + 8);
            return;
        }
        m0 = lanes(std::min<std::size_t>(2 * k, 8)), m1 = lanes(2 * k > 8 ? 2 * k - 8 : 0), my = lanes(k);
        a0 = _mm256_maskload_ps(r0, m0), a1 = _mm256_maskload_ps(r0 + 8, m1);
        b0 = _mm256_maskload_ps(r1, m0), b1 = _mm256_maskload_ps(r1 + 8, m1);
    }
    bool has_nan() const {
        const __m256 u = _mm256_or_ps(_mm256_cmp_ps(a0, b0, _CMP_UNORD_Q), _mm256_cmp_ps(a1, b1, _CMP_UNORD_Q));
        return _mm256_movemask_ps(u) != 0;
    }
};

// Window order after the in-lane shuffles: [p0 p1 p4 p5 | p2 p3 p6 p7]; swapping the middle 64-bit chunks
// maps between it and output order (the permutation is its own inverse).
inline __m256 swap_middle(__m256 v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}

void forward_plane(const float* x, std::size_t W, std::size_t OH, std::size_t OW, float* y) {
    for (std::size_t oh = 0; oh < OH; ++oh) {
        const float* r0 = x + 2 * oh * W;
        const float* r1 = r0 + W;
        float* yr = y + oh * OW;
        for (std::size_t ow = 0; ow < OW; ow += 8) {
            const std::size_t k = std::min<std::size_t>(8, OW - ow);
            const Block b(r0 + 2 * ow, r1 + 2 * ow, k);
            if (b.has_nan()) {
                forward_scalar(r0, r1, ow, ow + k, yr);
                continue;
            }
            const __m256 v0 = _mm256_max_ps(b.a0, b.b0), v1 = _mm256_max_ps(b.a1, b.b1);
            const __m256 m = swap_middle(_mm256_max_ps(_mm256_shuffle_ps(v0, v1, 0x88), _mm256_shuffle_ps(v0, v1, 0xDD)));
            if (b.full)
                _mm256_storeu_ps(yr + ow, m);
            else
                _mm256_maskstore_ps(yr + ow, b.my, m);
        }
    }
}

void backward_plane(const float* x, const float* dy, std::size_t W, std::size_t OH, std::size_t OW, float* dx) {
    for (std::size_t oh = 0; oh < OH; ++oh) {
        const float* r0 = x + 2 * oh * W;
        const float* r1 = r0 + W;
        float* d0 = dx + 2 * oh * W;
        float* d1 = d0 + W;
        const float* g_row = dy + oh * OW;
        for (std::size_t ow = 0; ow < OW; ow += 8) {
            const std::size_t k = std::min<std::size_t>(8, OW - ow);
            const Block b(r0 + 2 * ow, r1 + 2 * ow, k);
            if (b.has_nan()) {
                backward_scalar(r0, r1, g_row, ow, ow + k, d0, d1);
                continue;
            }
            const __m256 A = _mm256_shuffle_ps(b.a0, b.a1, 0x88), B = _mm256_shuffle_ps(b.a0, b.a1, 0xDD);
            const __m256 C = _mm256_shuffle_ps(b.b0, b.b1, 0x88), D = _mm256_shuffle_ps(b.b0, b.b1, 0xDD);
            const __m256 m = _mm256_max_ps(_mm256_max_ps(A, B), _mm256_max_ps(C, D));
            const __m256 g = swap_middle(b.full ? _mm256_loadu_ps(g_row + ow) : _mm256_maskload_ps(g_row + ow, b.my));
            const __m256 ea = _mm256_cmp_ps(A, m, _CMP_EQ_OQ);
            const __m256 eb = _mm256_andnot_ps(ea, _mm256_cmp_ps(B, m, _CMP_EQ_OQ));
            const __m256 ab = _mm256_or_ps(ea, eb);
            const __m256 ec = _mm256_andnot_ps(ab, _mm256_cmp_ps(C, m, _CMP_EQ_OQ));
            const __m256 abc = _mm256_or_ps(ab, ec);
            const __m256 ga = _mm256_and_ps(ea, g), gb = _mm256_and_ps(eb, g), gc = _mm256_and_ps(ec, g);
            const __m256 gd = _mm256_andnot_ps(abc, g);
            // unpacklo / unpackhi of the shuffled order give columns 0..7 / 8..15 in order.
            float* p0 = d0 + 2 * ow;
            float* p1 = d1 + 2 * ow;
            if (b.full) {
                _mm256_storeu_ps(p0, _mm256_unpacklo_ps(ga, gb)), _mm256_storeu_ps(p0 + 8, _mm256_unpackhi_ps(ga, gb));
                _mm256_storeu_ps(p1, _mm256_unpacklo_ps(gc, gd)), _mm256_storeu_ps(p1 + 8, _mm256_unpackhi_ps(gc, gd));
            } else {
                _mm256_maskstore_ps(p0, b.m0, _mm256_unpacklo_ps(ga, gb));
                _mm256_maskstore_ps(p0 + 8, b.m1, _mm256_unpackhi_ps(ga, gb));
                _mm256_maskstore_ps(p1, b.m0, _mm256_unpacklo_ps(gc, gd));
                _mm256_maskstore_ps(p1 + 8, b.m1, _mm256_unpackhi_ps(gc, gd));
            }
        }
    }
}
#endif

template <class T>
void forward_plane(const T* x, std::size_t W, std::size_t OH, std::size_t OW, T* y) {
    for (std::size_t oh = 0; oh < OH; ++oh) forward_scalar(x + 2 * oh * W, x + (2 * oh + 1) * W, 0, OW, y + oh * OW);
}

template <class T>
void backward_plane(const T* x, const T* dy, std::size_t W, std::size_t OH, std::size_t OW, T* dx) {
    for (std::size_t oh = 0; oh < OH; ++oh)
        backward_scalar(x + 2 * oh * W, x + (2 * oh + 1) * W, dy + oh * OW, 0, OW, dx + 2 * oh * W,
                        dx + (2 * oh + 1) * W);
}

}  // namespace

bool is_max_pool_2x2(const Pool2dGeometry& g) {
    const auto& p = g.p;
    // ceil_mode on odd sizes adds partial windows (one row or column in the image) that this path cannot read.
    return p.kernel_h == 2 && p.kernel_w == 2 && p.stride_h == 2 && p.stride_w == 2 && p.pad_top == 0 &&
           p.pad_bottom == 0 && p.pad_left == 0 && p.pad_right == 0 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;
}

template <class T>
void max_pool_2x2_forward_plane(const Pool2dGeometry& g, const T* x, T* y) {
    forward_plane(x, g.W, g.OH, g.OW, y);
}

template <class T>
void max_pool_2x2_backward_plane(const Pool2dGeometry& g, const T* x, const T* dy, T* dx) {
    backward_plane(x, dy, g.W, g.OH, g.OW, dx);
    // Cells outside every window: the last column of each covered row pair when W is odd, the last row when
    // H is odd.
    if (g.W % 2 != 0)
        for (std::size_t h = 0; h < 2 * g.OH; ++h) dx[h * g.W + g.W - 1] = T(0);
    std::fill(dx + 2 * g.OH * g.W, dx + g.H * g.W, T(0));
}

template void max_pool_2x2_forward_plane<float>(const Pool2dGeometry&, const float*, float*);
template void max_pool_2x2_forward_plane<double>(const Pool2dGeometry&, const double*, double*);
template void max_pool_2x2_backward_plane<float>(const Pool2dGeometry&, const float*, const float*, float*);
template void max_pool_2x2_backward_plane<double>(const Pool2dGeometry&, const double*, const double*, double*);

}  // namespace xvis::kernels::detail
