// Pooling against the naive references: stride != kernel, overlapping windows, asymmetric padding,
// count_include_pad both ways, ties, the adjoint identities, global average, geometry errors; float and
// double, 1 and 2 threads.
#include "reference/pooling_reference.hpp"
#include "support/thread_guard.hpp"

#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace xvis;
using kernels::Pool2dParams;

using xvis::testing::ThreadGuard;

template <class T>
void expect_close(const T* got, const std::vector<double>& want, double rt, const std::string& what) {
    for (std::size_t i = 0; i < want.size(); ++i)
        if (!(std::fabs(double(got[i]) - want[i]) <= rt * (1.0 + std::fabs(want[i])))) {
            ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << want[i];
            return;
        }
}

Pool2dParams params(std::size_t kh, std::size_t kw, std::size_t sh, std::size_t sw, std::size_t pt = 0,
                    std::size_t pb = 0, std::size_t pl = 0, std::size_t pr = 0, bool include_pad = false) {
    Pool2dParams p;
    p.kernel_h = kh, p.kernel_w = kw, p.stride_h = sh, p.stride_w = sw;
    p.pad_top = pt, p.pad_bottom = pb, p.pad_left = pl, p.pad_right = pr;
    p.count_include_pad = include_pad;
    return p;
}

template <class T>
double dot(const T* a, const T* b, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
    return s;
}

struct Case {
    Shape x;
    Pool2dParams p;
};
const std::vector<Case> cases = {
    {{2, 3, 8, 8}, params(2, 2, 2, 2)},
    {{1, 2, 9, 7}, params(2, 2, 2, 2)},                        // odd sizes: last row / column dropped
    {{2, 2, 11, 10}, params(3, 3, 2, 2)},                      // overlapping windows
    {{2, 2, 10, 9}, params(3, 2, 1, 3)},                       // stride != kernel, both ways
    {{1, 3, 7, 8}, params(3, 3, 2, 2, 1, 1, 1, 1)},            // symmetric padding
    {{2, 2, 7, 9}, params(3, 4, 2, 3, 2, 0, 1, 3)},            // asymmetric padding
    {{1, 1, 1, 1}, params(2, 2, 1, 1, 1, 0, 0, 1)},            // one pixel
    {{1, 2, 5, 6}, params(5, 6, 1, 1)},                        // window = image
    {{4, 32, 28, 28}, params(3, 3, 2, 2, 1, 1, 1, 1)},         // above the parallel threshold
    {{3, 16, 30, 30}, params(2, 2, 2, 2)},
    {{1, 2, 3, 4100}, params(2, 3, 1, 2, 1, 0, 2, 0)},       // wider than the separable passes' row buffer
    // backward's phased path (outputs whose windows no column padding clips, a vector of them at a time):
    {{1, 4, 112, 112}, params(3, 3, 2, 2, 1, 1, 1, 1)},        // the ResNet stem's pooling
    {{1, 2, 6, 70}, params(2, 4, 1, 3, 0, 1, 2, 1)},           // stride 3, padding on both sides, ragged end
    {{2, 3, 5, 40}, params(3, 3, 1, 1, 1, 1, 1, 1)},           // stride 1 (GoogLeNet / Inception)
    {{1, 1, 4, 37}, params(1, 5, 1, 4, 0, 0, 3, 0)},           // one window row, kernel wider than the stride
    // 2×2 / stride 2 fast path: full 8-window blocks, ragged ends, odd sizes, tiny planes.
    {{2, 3, 9, 33}, params(2, 2, 2, 2)},
    {{1, 2, 6, 16}, params(2, 2, 2, 2)},
    {{1, 2, 5, 47}, params(2, 2, 2, 2)},
    {{2, 2, 4, 2}, params(2, 2, 2, 2)},
    {{1, 1, 3, 3}, params(2, 2, 2, 2)},
    {{2, 32, 28, 28}, params(2, 2, 2, 2)},                     // above the parallel threshold
};

template <class T>
void check_max_pool() {
    ThreadGuard guard;
    std::uint64_t seed = 1;
    for (const auto& c : cases) {
        const auto g = kernels::make_pool2d_geometry(c.x, c.p, "test");
        // A coarse grid of values makes ties common, so the first-maximum rule is exercised.
        auto x = random_uniform<T>(c.x, -1, 1, seed++);
        for (auto& v : x) v = std::round(v * T(3)) / T(3);
        const Shape sy = g.output_shape();
        const auto dy = random_uniform<T>(sy, -1, 1, seed++);
        const auto v = random_uniform<T>(c.x, -1, 1, seed++);
        const auto arg = reference::max_pool_argmax(g, x.data());
        std::vector<double> want_y(arg.size()), want_dx(x.size(), 0.0), want_sel(arg.size());
        for (std::size_t o = 0; o < arg.size(); ++o) {
            want_y[o] = x[arg[o]];
            want_dx[arg[o]] += dy[o];
            want_sel[o] = v[arg[o]];
        }
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            const std::string what = shape_to_string(c.x) + " threads " + std::to_string(threads);
            BasicTensor<T> y(sy, T(-77)), dx(c.x, T(-77)), sel(sy, T(-77));
            kernels::max_pool2d_forward(g, x.data(), y.data());
            expect_close(y.data(), want_y, 0.0, "max forward " + what);
            kernels::max_pool2d_backward(g, x.data(), dy.data(), dx.data());
            expect_close(dx.data(), want_dx, 1e-6, "max backward " + what);
            kernels::max_pool2d_select(g, x.data(), v.data(), sel.data());
            expect_close(sel.data(), want_sel, 0.0, "max select " + what);
            // <backward(x, dy), v> == <dy, select(x, v)>.
            const double lhs = dot(dx.data(), v.data(), v.size()), rhs = dot(dy.data(), sel.data(), dy.size());
            EXPECT_NEAR(lhs, rhs, 1e-5 * (1 + std::fabs(lhs))) << what;
        }
    }
}
TEST(Pooling, MaxPoolFloat) { check_max_pool<float>(); }
TEST(Pooling, MaxPoolDouble) { check_max_pool<double>(); }

TEST(Pooling, TieGoesToFirstMaximum) {
    const auto g = kernels::make_pool2d_geometry({1, 1, 2, 4}, params(2, 2, 2, 2), "test");
    const float x[8] = {3, 3, 1, 5, 3, 3, 5, 5};
    const float dy[2] = {1, 2};
    float y[2], dx[8];
    kernels::max_pool2d_forward(g, x, y);
    kernels::max_pool2d_backward(g, x, dy, dx);
    EXPECT_EQ(y[0], 3);
    EXPECT_EQ(y[1], 5);
    const float want[8] = {1, 0, 0, 2, 0, 0, 0, 0};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(dx[i], want[i]) << i;
}

TEST(Pooling, PaddingNeverWinsAMax) {
    const auto g = kernels::make_pool2d_geometry({1, 1, 2, 2}, params(2, 2, 1, 1, 1, 1, 1, 1), "test");
    const float x[4] = {-5, -6, -7, -8};
    float y[9];
    kernels::max_pool2d_forward(g, x, y);
    const float want[9] = {-5, -5, -6, -5, -5, -6, -7, -7, -8};
    for (int i = 0; i < 9; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(Pooling, MaxPropagatesNaN) {
    const auto g = kernels::make_pool2d_geometry({1, 1, 2, 4}, params(2, 2, 2, 2), "test");
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float x[8] = {3, 1, 1, 5, nan, 3, 5, 5};
    const float dy[2] = {1, 2}, v[8] = {10, 11, 12, 13, 14, 15, 16, 17};
    float y[2], dx[8], sel[2];
    kernels::max_pool2d_forward(g, x, y);
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], 5);
    kernels::max_pool2d_backward(g, x, dy, dx);
    const float want[8] = {0, 0, 0, 2, 1, 0, 0, 0};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(dx[i], want[i]) << i;
    kernels::max_pool2d_select(g, x, v, sel);
    EXPECT_EQ(sel[0], 14);
    EXPECT_EQ(sel[1], 13);
}

// NaNs scattered over planes wide enough for the vector blocks and their ragged ends: every path (2×2 fast
// path and general windows) agrees with the reference's rule (first NaN wins, else first maximum).
template <class T>
void check_max_pool_nan() {
    const T nan = std::numeric_limits<T>::quiet_NaN();
    std::uint64_t seed = 900;
    for (const auto& p : {params(2, 2, 2, 2), params(3, 3, 2, 2, 1, 1, 1, 1)})
        for (const Shape& sx : {Shape{2, 3, 10, 37}, Shape{1, 2, 6, 16}}) {
            const auto g = kernels::make_pool2d_geometry(sx, p, "test");
            auto x = random_uniform<T>(sx, -1, 1, seed++);
            const auto pick = random_uniform<T>(sx, 0, 1, seed++);
            for (std::size_t i = 0; i < x.size(); ++i) {
                if (pick[i] < T(0.05)) x[i] = nan;
                else if (pick[i] < T(0.1)) x[i] = std::numeric_limits<T>::infinity();
                else x[i] = std::round(x[i] * T(2)) / T(2);
            }
            const auto dy = random_uniform<T>(g.output_shape(), -1, 1, seed++);
            const auto arg = reference::max_pool_argmax(g, x.data());
            std::vector<double> want_dx(x.size(), 0.0);
            for (std::size_t o = 0; o < arg.size(); ++o) want_dx[arg[o]] += dy[o];
            BasicTensor<T> y(g.output_shape(), T(-77)), dx(sx, T(-77));
            kernels::max_pool2d_forward(g, x.data(), y.data());
            kernels::max_pool2d_backward(g, x.data(), dy.data(), dx.data());
            const std::string what = shape_to_string(sx) + " kernel " + std::to_string(p.kernel_h);
            for (std::size_t o = 0; o < arg.size(); ++o) {
                const T want = x[arg[o]];
                if (want != want)
                    EXPECT_TRUE(y[o] != y[o]) << what << " output " << o << " should be NaN";
                else
                    EXPECT_EQ(y[o], want) << what << " output " << o;
            }
            expect_close(dx.data(), want_dx, 1e-6, "max backward with NaN " + what);
        }
}
TEST(Pooling, MaxPoolNaNFloat) { check_max_pool_nan<float>(); }
TEST(Pooling, MaxPoolNaNDouble) { check_max_pool_nan<double>(); }

template <class T>
void check_avg_pool() {
    ThreadGuard guard;
    std::uint64_t seed = 50;
    for (const auto& c0 : cases)
        for (const bool include_pad : {false, true}) {
            auto p = c0.p;
            p.count_include_pad = include_pad;
            const auto g = kernels::make_pool2d_geometry(c0.x, p, "test");
            const Shape sy = g.output_shape();
            const auto x = random_uniform<T>(c0.x, -1, 1, seed++);
            const auto dy = random_uniform<T>(sy, -1, 1, seed++);
            const auto want_y = reference::avg_pool(g, x.data());
            const auto want_dx = reference::avg_pool_backward(g, dy.data());
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                const std::string what = shape_to_string(c0.x) + (include_pad ? " include_pad" : "") +
                                         " threads " + std::to_string(threads);
                BasicTensor<T> y(sy, T(-77)), dx(c0.x, T(-77));
                kernels::avg_pool2d_forward(g, x.data(), y.data());
                expect_close(y.data(), want_y, 1e-6, "avg forward " + what);
                kernels::avg_pool2d_backward(g, dy.data(), dx.data());
                expect_close(dx.data(), want_dx, 1e-6, "avg backward " + what);
                // <avgpool(x), dy> == <x, avgpool_backward(dy)>.
                const double lhs = dot(y.data(), dy.data(), dy.size()), rhs = dot(x.data(), dx.data(), x.size());
                EXPECT_NEAR(lhs, rhs, 1e-5 * (1 + std::fabs(lhs))) << what;
            }
        }
}
TEST(Pooling, AvgPoolFloat) { check_avg_pool<float>(); }
TEST(Pooling, AvgPoolDouble) { check_avg_pool<double>(); }

TEST(Pooling, CountIncludePadDivisor) {
    // 3x3 window, padding 1: the corner window holds 4 image cells of 9.
    const float x[4] = {1, 1, 1, 1};
    float y[4];
    auto g = kernels::make_pool2d_geometry({1, 1, 2, 2}, params(3, 3, 1, 1, 1, 1, 1, 1, false), "test");
    kernels::avg_pool2d_forward(g, x, y);
    EXPECT_FLOAT_EQ(y[0], 1.0f);
    g = kernels::make_pool2d_geometry({1, 1, 2, 2}, params(3, 3, 1, 1, 1, 1, 1, 1, true), "test");
    kernels::avg_pool2d_forward(g, x, y);
    EXPECT_FLOAT_EQ(y[0], 4.0f / 9.0f);
}

template <class T>
void check_global_avg() {
    ThreadGuard guard;
    for (const auto& [planes, hw] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {6, 49}, {3, 5000}, {128, 785}}) {
        const auto x = random_uniform<T>({planes, hw}, -1, 1, hw);
        std::vector<double> want(planes, 0.0);
        for (std::size_t i = 0; i < planes; ++i) {
            for (std::size_t j = 0; j < hw; ++j) want[i] += x[i * hw + j];
            want[i] /= double(hw);
        }
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            std::vector<T> y(planes, T(-77));
            kernels::global_avg_pool_forward(planes, hw, x.data(), y.data());
            expect_close(y.data(), want, 1e-6, "global avg " + std::to_string(planes) + "x" + std::to_string(hw));
        }
    }
}
TEST(Pooling, GlobalAvgPoolFloat) { check_global_avg<float>(); }
TEST(Pooling, GlobalAvgPoolDouble) { check_global_avg<double>(); }

void expect_geometry_error(const Shape& x, const Pool2dParams& p, const std::string& rule) {
    try {
        kernels::make_pool2d_geometry(x, p, "max_pool2d");
        ADD_FAILURE() << "no error for " << shape_to_string(x) << " (" << rule << ")";
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("max_pool2d"), std::string::npos) << msg;
        EXPECT_NE(msg.find(shape_to_string(x)), std::string::npos) << msg;
        EXPECT_NE(msg.find(rule), std::string::npos) << msg;
    }
}

TEST(Pooling, GeometryErrors) {
    expect_geometry_error({1, 3, 8}, params(2, 2, 2, 2), "rank 4");
    expect_geometry_error({1, 1, 3, 8, 8}, params(2, 2, 2, 2), "rank 4");
    expect_geometry_error({1, 3, 8, 8}, params(0, 2, 2, 2), "kernel");
    expect_geometry_error({1, 3, 8, 8}, params(2, 2, 2, 0), "stride");
    expect_geometry_error({1, 3, 8, 8}, params(2, 2, 2, 2, 2, 0, 0, 0), "padding");
    expect_geometry_error({1, 3, 8, 8}, params(3, 3, 1, 1, 0, 0, 0, 3), "padding");
    expect_geometry_error({1, 3, 2, 8}, params(4, 2, 1, 1, 1, 0), "larger than the padded image");
    expect_geometry_error({1, 3, 0, 8}, params(2, 2, 1, 1, 1, 1), "empty image");
    const auto g = kernels::make_pool2d_geometry({2, 3, 7, 8}, params(3, 3, 2, 2, 1, 0, 0, 2), "ok");
    EXPECT_EQ(g.output_shape(), (Shape{2, 3, 3, 4}));
}

}  // namespace
