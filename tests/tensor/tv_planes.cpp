// TotalVariation's plane kernels (tensor/detail/tv_planes.hpp): the automatic choice (the AVX-512 kernels, on CPUs
// that have them) against the portable xsimd kernels, bit for bit, sum and gradient at β = 2 in float, on shapes
// that take every path of both (flat runs shorter and longer than a batch, a ragged last batch, rows of whole
// and partial batches, planes past the flat limit, a flush of the sum to double, many small planes as one run), with NaN, ±inf and −0 among the
// values; and both against a naive double reference.
#include <xvis/tensor/detail/tv_planes.hpp>
#include <xvis/tensor/random.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace xvis;
using kernels::detail::TvKernel;

struct Planes {
    std::size_t planes, H, W;
};

std::string name(const Planes& s) {
    return std::to_string(s.planes) + "×" + std::to_string(s.H) + "×" + std::to_string(s.W);
}

const Planes shapes[] = {{1, 2, 2},   {3, 2, 9},    {2, 3, 3},   {4, 3, 6},    {2, 5, 4},     {512, 14, 14},
                         {3, 7, 7},   {2, 4, 16},   {2, 4, 17},  {2, 6, 18},   {2, 5, 21},    {1, 9, 33},
                         {2, 3, 40},  {3, 224, 224}, {1, 40, 30}, {1, 33, 31}, {2, 2, 17},    {1, 1100, 9},
                         {1, 12, 90}, {5, 2, 1030}, {1, 3, 600},  {2, 18, 57}, {1, 2000, 10}, {2, 100, 3},
                         // Many small planes (the AVX-512 gradient's tensor-wide run): W < 16, = 16 and > 16, H = 2.
                         {64, 4, 4},  {200, 3, 5},  {100, 6, 8}, {40, 28, 28}, {300, 2, 7}, {130, 7, 3},
                         {70, 5, 16}, {90, 4, 15},  {33, 17, 17}};

// Σ over cells (h < H − 1, w < W − 1) of (x[h+1][w] − x[h][w])² + (x[h][w+1] − x[h][w])², and its gradient times g.
double reference_sum(const std::vector<float>& x, const Planes& s) {
    double total = 0;
    for (std::size_t p = 0; p < s.planes; ++p)
        for (std::size_t h = 0; h + 1 < s.H; ++h)
            for (std::size_t w = 0; w + 1 < s.W; ++w) {
                const std::size_t i = (p * s.H + h) * s.W + w;
                const double v = x[i], dh = double(x[i + s.W]) - v, dw = double(x[i + 1]) - v;
                total += dh * dh + dw * dw;
            }
    return total;
}
std::vector<double> reference_grad(const std::vector<float>& x, const Planes& s, double g) {
    std::vector<double> y(x.size(), 0.0);
    for (std::size_t p = 0; p < s.planes; ++p)
        for (std::size_t h = 0; h + 1 < s.H; ++h)
            for (std::size_t w = 0; w + 1 < s.W; ++w) {
                const std::size_t i = (p * s.H + h) * s.W + w;
                const double v = x[i], dh = double(x[i + s.W]) - v, dw = double(x[i + 1]) - v;
                y[i] -= 2 * g * (dh + dw);
                y[i + s.W] += 2 * g * dh;
                y[i + 1] += 2 * g * dw;
            }
    return y;
}

// specials: NaN, ±inf, −0 among the values. Otherwise the first eighth of the tensor 256× the rest, so that where
// a float sum flushes to double shows in its bits (the later small terms are lost in a large partial sum).
std::vector<float> values(const Planes& s, std::uint64_t seed, bool specials) {
    const std::size_t n = s.planes * s.H * s.W;
    const auto t = random_uniform<float>({n}, -1, 1, seed);
    std::vector<float> v(t.begin(), t.end());
    if (!specials)
        for (std::size_t i = 0; i < n / 8; ++i) v[i] *= 256.0f;
    const float special[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(), -0.0f};
    if (specials)
        for (std::size_t i = 5; i < n; i += 101) v[i] = special[(i / 101) % 4];
    return v;
}

// Bits, with every NaN equal to every other (the kernels may pick either operand's payload).
void expect_bits(float got, float want, const std::string& what) {
    if (std::isnan(got) && std::isnan(want)) return;
    EXPECT_EQ(std::memcmp(&got, &want, sizeof(float)), 0) << what << ": " << got << ", expected " << want;
}

TEST(TvPlanes, AutomaticKernelGivesThePortableBits) {
    if (!kernels::detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU: automatic is portable";
    for (const Planes& s : shapes)
        for (bool specials : {false, true}) {
            const std::string what = name(s) + (specials ? " with NaN, ±inf, −0" : "");
            const std::vector<float> x = values(s, 11 + s.W, specials);
            using kernels::detail::tv_sum_planes;
            expect_bits(tv_sum_planes(x.data(), s.planes, s.H, s.W, 2.0, TvKernel::automatic),
                        tv_sum_planes(x.data(), s.planes, s.H, s.W, 2.0, TvKernel::portable), what + " sum");
            // Output buffers prefilled with different garbage: every cell must be written.
            std::vector<float> a(x.size(), 7.0f), b(x.size(), -3.0f);
            kernels::detail::tv_grad_planes(x.data(), s.planes, s.H, s.W, 2.0, 0.25f, a.data(), TvKernel::automatic);
            kernels::detail::tv_grad_planes(x.data(), s.planes, s.H, s.W, 2.0, 0.25f, b.data(), TvKernel::portable);
            for (std::size_t i = 0; i < x.size(); ++i) {
                expect_bits(a[i], b[i], what + " gradient, element " + std::to_string(i));
                if (HasFailure()) return;
            }
        }
}

TEST(TvPlanes, BothKernelsMatchTheReference) {
    for (TvKernel kernel : {TvKernel::automatic, TvKernel::portable})
        for (const Planes& s : shapes) {
            const std::string what = name(s) + (kernel == TvKernel::automatic ? " automatic" : " portable");
            std::vector<float> x = values(s, 5 + s.H, false);
            for (std::size_t i = 0; i < x.size() / 8; ++i) x[i] /= 256.0f;  // one scale: a sum's relative bound holds
            const double want = reference_sum(x, s);
            const float got = kernels::detail::tv_sum_planes(x.data(), s.planes, s.H, s.W, 2.0, kernel);
            EXPECT_NEAR(got, want, 1e-5 * want) << what << " sum";
            std::vector<float> y(x.size(), 7.0f);
            kernels::detail::tv_grad_planes(x.data(), s.planes, s.H, s.W, 2.0, 0.25f, y.data(), kernel);
            const std::vector<double> r = reference_grad(x, s, 0.25);
            std::size_t worst = 0;
            for (std::size_t i = 0; i < y.size(); ++i)
                if (std::fabs(y[i] - r[i]) > std::fabs(y[worst] - r[worst])) worst = i;
            EXPECT_NEAR(y[worst], r[worst], 1e-5) << what << " gradient, worst element " << worst;
        }
}

}  // namespace
