#pragma once
// Internal to xvis's kernel .cpp files: TotalVariation on channels_first 2-D images, as `planes` planes of
// H × W (tv_planes.cpp). Same contracts as kernels::tv_sum / tv_sum_grad with the channel axis 1 of a rank-4
// shape; tv_grad_planes writes every cell for β = 2 and adds into y (which the caller zeroed) otherwise.
#include <xvis/tensor/detail/cpu_features.hpp>

#include <cstddef>
#include <numeric>

namespace xvis::kernels::detail {

// automatic: float planes at β = 2 take the AVX-512 kernels (tv_planes_avx512.cpp) on CPUs that have them, in an
// AVX2 build; portable: always the xsimd kernels. Both give the same bits (tests/tensor/tv_planes.cpp).
enum class TvKernel { automatic, portable };

template <class T>
T tv_sum_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta,
                TvKernel kernel = TvKernel::automatic);
template <class T>
void tv_grad_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta, T g, T* y,
                    TvKernel kernel = TvKernel::automatic);

// Small planes (a 14² feature map: 13 rows of 13 region cells) are walked as one flat run of up to tv_flat_max
// cells, across the row ends, with per-cell column masks: rows of a few batches cost more in loop and edge
// handling than in arithmetic.
constexpr std::size_t tv_flat_max = 1024;

// Many small planes (a 512 × 14 × 14 feature map), β = 2, float: the AVX-512 kernels (sum and gradient) and the
// AVX2 build's xsimd sum walk the whole tensor as one run of cells, 16 a step across rows and planes (the sum's
// order is then the same in both), where the cells' rules (which differences a cell has) repeat every
// P / gcd(P, 16) steps (P = H·W), tabled once per call. This is that period, or 0 where the table would not pay
// (longer than tv_run_period_max steps, or than an eighth of the run).
constexpr std::size_t tv_run_period_max = 64;
inline std::size_t tv_run_period(std::size_t planes, std::size_t H, std::size_t W) {
    const std::size_t P = H * W, period = P / std::gcd(P, std::size_t(16));
    return period <= tv_run_period_max && period * 8 <= planes * P / 16 ? period : 0;
}

// β = 2: the gradient of cell (h, w) of plane p (H × W) times gb = g · β, in the order of terms every path keeps
// (so every path, scalar, batched or flat, gives these bits).
template <class T>
inline T tv_grad_cell(const T* p, std::size_t H, std::size_t W, std::size_t h, std::size_t w, T gb) {
    const T v = p[h * W + w];
    T acc = 0;
    if (h + 1 < H && w + 1 < W) acc -= (p[(h + 1) * W + w] - v) + (p[h * W + w + 1] - v);
    if (w >= 1 && h + 1 < H) acc += v - p[h * W + w - 1];
    if (h >= 1 && w + 1 < W) acc += v - p[(h - 1) * W + w];
    return gb * acc;
}

#ifdef XVIS_AVX512_KERNELS
// tv_planes_avx512.cpp, for CPUs with AVX-512F: β = 2 in float, with the bits of the AVX2 build's xsimd kernels.
// The sum needs (H − 1)·W in [8, tv_flat_max] or W ≥ 9 (the xsimd kernel's batched paths); the gradient any shape.
float tv_sum_planes_beta2_avx512(const float* x, std::size_t planes, std::size_t H, std::size_t W);
void tv_grad_planes_beta2_avx512(const float* x, std::size_t planes, std::size_t H, std::size_t W, float gb, float* y);
#endif

}  // namespace xvis::kernels::detail
