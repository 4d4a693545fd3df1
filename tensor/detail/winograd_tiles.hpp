#pragma once
// Winograd F(2×2, 3×3)'s three transforms on registers, for conv2d_winograd.cpp (which lays out their operands):
// U = G g Gᵀ of a filter, V = Bᵀ d B of an input tile, Y = Aᵀ M A of a transformed output tile, each on xsimd
// batches with one filter or tile per lane; the filter transform also on scalars, in the same order (the same
// bits). B, G and A hold only 0, ±1 and ±½.
#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <type_traits>

namespace xvis::kernels::detail::winograd {

using std::size_t;
constexpr size_t positions = 16;  // ξ: the 4×4 transformed tile

// U = G g Gᵀ on values of any type (scalars, or batches holding one filter per lane), in one order for both.
template <class V>
void filter_transform(const V (&g)[9], V (&v)[positions]) {
    using S = typename std::conditional_t<std::is_arithmetic_v<V>, xsimd::batch<V>, V>::value_type;
    const V half(S(0.5));
    V t[4][3];
    for (size_t s = 0; s < 3; ++s) {  // G g: the rows
        t[0][s] = g[s];
        t[1][s] = half * (g[s] + g[3 + s] + g[6 + s]);
        t[2][s] = half * (g[s] - g[3 + s] + g[6 + s]);
        t[3][s] = g[6 + s];
    }
    for (size_t r = 0; r < 4; ++r) {  // (G g) Gᵀ: the columns
        v[r * 4 + 0] = t[r][0];
        v[r * 4 + 1] = half * (t[r][0] + t[r][1] + t[r][2]);
        v[r * 4 + 2] = half * (t[r][0] - t[r][1] + t[r][2]);
        v[r * 4 + 3] = t[r][2];
    }
}

// V = Bᵀ d B of B::size consecutive tiles from tile m: rows i of the tiles' patches split into even and odd
// columns (tile m's columns are e[i][m], o[i][m], e[i][m + 1], o[i][m + 1]); tile m's V_ξ at v[ξ·stride], the
// next tiles' after it. Rows and columns both combine as d0 − d2, d1 + d2, d2 − d1, d1 − d3. Explicit batches:
// as plain loops GCC could not rule out aliasing between the streams and ran them scalar.
template <class B, class T>
void input_tiles(const T* const (&e)[4], const T* const (&o)[4], size_t m, T* v, size_t stride) {
    const auto rows = [](const B (&d)[4], B (&r)[4]) {  // Bᵀ d on one column
        r[0] = d[0] - d[2], r[1] = d[1] + d[2], r[2] = d[2] - d[1], r[3] = d[1] - d[3];
    };
    B c0[4], c1[4], c2[4], c3[4], d[4];  // Bᵀ d: columns 2m, 2m + 1, 2m + 2, 2m + 3
    for (size_t i = 0; i < 4; ++i) d[i] = B::load_unaligned(e[i] + m);
    rows(d, c0);
    for (size_t i = 0; i < 4; ++i) d[i] = B::load_unaligned(o[i] + m);
    rows(d, c1);
    for (size_t i = 0; i < 4; ++i) d[i] = B::load_unaligned(e[i] + m + 1);
    rows(d, c2);
    for (size_t i = 0; i < 4; ++i) d[i] = B::load_unaligned(o[i] + m + 1);
    rows(d, c3);
    for (size_t r = 0; r < 4; ++r) {  // (Bᵀ d) B on each row
        T* out = v + 4 * r * stride;
        (c0[r] - c2[r]).store_unaligned(out);
        (c1[r] + c2[r]).store_unaligned(out + stride);
        (c2[r] - c1[r]).store_unaligned(out + 2 * stride);
        (c1[r] - c3[r]).store_unaligned(out + 3 * stride);
    }
}

// Y = Aᵀ M A of B::size consecutive tiles, M_ξ at m + ξ·stride: the four outputs of each tile into y00, y01
// (top row) and y10, y11. Explicit batches for the same reason as input_tiles.
template <class B, class T>
void output_tiles(const T* m, size_t stride, T* y00, T* y01, T* y10, T* y11) {
    B s0[4], s1[4];  // Aᵀ M: rows m0 + m1 + m2, m1 − m2 − m3
    for (size_t c = 0; c < 4; ++c) {
        const B a = B::load_unaligned(m + c * stride), b = B::load_unaligned(m + (4 + c) * stride);
        const B d = B::load_unaligned(m + (8 + c) * stride), f = B::load_unaligned(m + (12 + c) * stride);
        s0[c] = a + b + d;
        s1[c] = b - d - f;
    }
    (s0[0] + s0[1] + s0[2]).store_unaligned(y00), (s0[1] - s0[2] - s0[3]).store_unaligned(y01);
    (s1[0] + s1[1] + s1[2]).store_unaligned(y10), (s1[1] - s1[2] - s1[3]).store_unaligned(y11);
}

}  // namespace xvis::kernels::detail::winograd
