// Element-wise kernels against the naive references: every op, broadcasts in every position, ranks 0 to 6,
// float and double, 1 and 2 threads (the large shapes cross the parallel threshold).
#include "reference/elementwise_reference.hpp"
#include "support/thread_guard.hpp"

#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace xvis;
using kernels::BinaryOp;
using kernels::UnaryOp;

template <class T>
constexpr double rtol() { return sizeof(T) == 4 ? 2e-6 : 1e-13; }

// Reports the first mismatch only (with its index), so a broken kernel does not flood the log.
template <class T>
void expect_close(const T* got, const std::vector<double>& want, double rt, double at, const std::string& what) {
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double g = got[i], w = want[i];
        if (std::isnan(w) && std::isnan(g)) continue;
        if (!(std::fabs(g - w) <= at + rt * std::fabs(w))) {
            ADD_FAILURE() << what << ": element " << i << " is " << g << ", expected " << w;
            return;
        }
    }
}

// Values on a 0.25 grid in [-2, 2]: exact in float, with ties for the comparison ops.
template <class T>
BasicTensor<T> grid_values(const Shape& s, std::uint64_t seed) {
    BasicTensor<T> t(s);
    Rng rng(seed);
    for (auto& v : t) v = T(0.25 * double(rng.uniform_int(-8, 8)));
    return t;
}

using xvis::testing::ThreadGuard;

const std::vector<std::pair<Shape, Shape>> broadcast_pairs = {
    {{}, {}},
    {{}, {5}},
    {{1}, {3, 4}},
    {{3, 4}, {1}},
    {{7}, {7}},
    {{3, 4}, {4}},
    {{3, 4}, {3, 1}},
    {{3, 1}, {1, 4}},
    {{3, 1, 5}, {1, 4, 1}},
    {{2, 3, 4, 5}, {1, 3, 1, 1}},
    {{3, 1, 1}, {2, 3, 4, 5}},
    {{4, 1, 6, 1, 3}, {6, 5, 1}},
    {{2, 3, 1, 4, 1, 5}, {3, 2, 1, 4, 5}},
    {{1, 1, 1}, {1}},
    {{0, 3}, {3}},
    {{2, 64, 17, 19}, {64, 1, 1}},  // bias broadcast above the parallel threshold
    {{300, 1}, {300, 129}},         // column
    {{257}, {300, 257}},            // row
    {{300, 129}, {300, 129}},       // equal shapes
    {{40003}, {}},                  // scalar operand
};

template <class T>
void check_binary_all() {
    ThreadGuard guard;
    const BinaryOp ops[] = {BinaryOp::add,     BinaryOp::sub,     BinaryOp::mul,   BinaryOp::div,
                            BinaryOp::maximum, BinaryOp::minimum, BinaryOp::equal, BinaryOp::greater,
                            BinaryOp::greater_equal, BinaryOp::relu_grad, BinaryOp::sigmoid_grad,
                            BinaryOp::tanh_grad, BinaryOp::erf_grad};
    std::uint64_t seed = 1;
    for (const auto& [sa, sb] : broadcast_pairs) {
        const Shape sy = broadcast_shapes(sa, sb, "test");
        const auto a = grid_values<T>(sa, seed++);
        auto b = grid_values<T>(sb, seed++);
        for (const BinaryOp op : ops) {
            if (op == BinaryOp::div)
                for (auto& v : b) v = v == T(0) ? T(1) : v;
            const auto want = reference::binary(op, a.data(), sa, b.data(), sb, sy, 0.1);
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                BasicTensor<T> y(sy, T(-77));
                kernels::binary(op, a.data(), sa, b.data(), sb, y.data(), sy, T(0.1));
                expect_close(y.data(), want, rtol<T>(), 0.0,
                             "binary op " + std::to_string(int(op)) + " " + shape_to_string(sa) + " with " +
                                 shape_to_string(sb) + " threads " + std::to_string(threads));
            }
        }
    }
}
TEST(Elementwise, BinaryAllOpsAllBroadcastsFloat) { check_binary_all<float>(); }
TEST(Elementwise, BinaryAllOpsAllBroadcastsDouble) { check_binary_all<double>(); }

TEST(Elementwise, BinaryOutputMayAliasAnOperand) {
    const Shape s{5, 37}, sb{37};
    auto a = random_uniform<float>(s, -1, 1, 3);
    const auto b = random_uniform<float>(sb, -1, 1, 4);
    const auto want = reference::binary(BinaryOp::mul, a.data(), s, b.data(), sb, s, 0.0);
    kernels::binary(BinaryOp::mul, a.data(), s, b.data(), sb, a.data(), s);
    expect_close(a.data(), want, 1e-6, 0.0, "in-place mul");
}

// activation_grad against the formulas in double, at vector, tail and parallel sizes, with y aliasing g.
template <class T>
void check_activation_grad() {
    ThreadGuard guard;
    using kernels::ActivationGradOp;
    const kernels::ActivationGradParams gelu{0.7071067811865476, 1.0, 0.5}, odd{1.3, -0.25, 2.0};
    const std::size_t sizes[] = {0, 1, 7, 8, 9, 31, 1000, 40003};
    std::uint64_t seed = 500;
    for (const auto& [op, prm] : {std::pair{ActivationGradOp::silu, kernels::ActivationGradParams{}},
                                  std::pair{ActivationGradOp::gelu, gelu}, std::pair{ActivationGradOp::gelu, odd}})
        for (std::size_t n : sizes) {
            const auto x = random_uniform<T>({n}, -6, 6, seed++);
            const auto g = random_uniform<T>({n}, -2, 2, seed++);
            BasicTensor<T> aux({n});
            std::vector<double> want(n);
            for (std::size_t i = 0; i < n; ++i) {
                const double xv = x[i], gv = g[i];
                if (op == ActivationGradOp::silu) {
                    const double s = 1.0 / (1.0 + std::exp(-xv));
                    aux[i] = static_cast<T>(s);
                    want[i] = gv * (s + xv * s * (1.0 - s));  // d/dx x·σ(x)
                } else {
                    const double e = std::erf(prm.a * xv);
                    aux[i] = static_cast<T>(e);
                    want[i] = gv * prm.c * (prm.k + e + xv * prm.a * 2.0 / std::sqrt(M_PI) * std::exp(-prm.a * prm.a * xv * xv));
                }
            }
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                BasicTensor<T> y = g;  // in place over g
                kernels::activation_grad(op, x.data(), aux.data(), y.data(), y.data(), n, prm);
                expect_close(y.data(), want, sizeof(T) == 4 ? 2e-5 : 1e-12, sizeof(T) == 4 ? 1e-6 : 1e-13,
                             "activation_grad " + std::to_string(int(op)) + " n " + std::to_string(n) + " threads " +
                                 std::to_string(threads));
            }
        }
}
TEST(Elementwise, ActivationGradFloat) { check_activation_grad<float>(); }
TEST(Elementwise, ActivationGradDouble) { check_activation_grad<double>(); }

// clip and clip_grad equal maximum-then-minimum and its composed VJP, element for element: ties at the bounds,
// NaN, an empty range (lo > hi), infinite bounds; vector tails and both thread counts.
template <class T>
void check_clip() {
    ThreadGuard guard;
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
    const std::pair<T, T> bounds[] = {{T(0), T(6)}, {T(-0.5), T(0.75)}, {T(0.5), T(-1)}, {-inf, T(1)}, {T(0), inf}};
    std::uint64_t seed = 900;
    for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(13), std::size_t(40003)})
        for (const auto& [lo, hi] : bounds) {
            BasicTensor<T> x = grid_values<T>({n}, seed++);  // 0.25 grid: hits the bounds exactly
            if (n > 3) x[3] = nan;
            for (std::size_t i = 0; i + 7 < n; i += 7) x[i] = T(7.5) * x[i];  // past 6 too
            const auto g = random_uniform<T>({n}, -1, 1, seed++);
            std::vector<double> want_y(n), want_dx(n);
            for (std::size_t i = 0; i < n; ++i) {
                const double v = x[i], m = v < double(lo) ? double(lo) : v;  // maximum: select(a < b, b, a)
                want_y[i] = double(hi) < m ? double(hi) : m;                  // minimum: select(b < a, b, a)
                want_dx[i] = (v >= double(lo) && m <= double(hi)) ? double(g[i]) : 0.0;
            }
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                BasicTensor<T> y({n}), dx = g;
                kernels::clip(x.data(), y.data(), n, lo, hi);
                kernels::clip_grad(x.data(), dx.data(), dx.data(), n, lo, hi);  // in place over g
                const std::string what = "clip [" + std::to_string(lo) + ", " + std::to_string(hi) + "] n " +
                                         std::to_string(n) + " threads " + std::to_string(threads);
                expect_close(y.data(), want_y, 0.0, 0.0, what);
                expect_close(dx.data(), want_dx, 0.0, 0.0, what + " grad");
            }
        }
}
TEST(Elementwise, ClipFloat) { check_clip<float>(); }
TEST(Elementwise, ClipDouble) { check_clip<double>(); }

template <class T>
void check_unary_all() {
    ThreadGuard guard;
    struct Case {
        UnaryOp op;
        double param;
        double lo, hi;
    };
    const Case cases[] = {
        {UnaryOp::neg, 0, -3, 3},        {UnaryOp::exp, 0, -20, 20},     {UnaryOp::log, 0, 1e-3, 50},
        {UnaryOp::abs, 0, -3, 3},        {UnaryOp::sqrt, 0, 0, 50},      {UnaryOp::square, 0, -3, 3},
        {UnaryOp::relu, 0, -3, 3},       {UnaryOp::leaky_relu, 0.2, -3, 3}, {UnaryOp::sigmoid, 0, -30, 30},
        {UnaryOp::tanh, 0, -10, 10},     {UnaryOp::sign, 0, -3, 3},      {UnaryOp::pow, 2, -3, 3},
        {UnaryOp::pow, 3, -3, 3},        {UnaryOp::pow, -2, 0.1, 3},     {UnaryOp::pow, 0, -3, 3},
        {UnaryOp::pow, 0.5, 0, 4},       {UnaryOp::pow, 2.5, 0, 4},      {UnaryOp::pow, -1.7, 0.1, 4},
        {UnaryOp::pow, 6, -2, 2},        {UnaryOp::scale, -1.5, -3, 3},  {UnaryOp::add_scalar, 0.75, -3, 3},
        {UnaryOp::step, 0, -3, 3},       {UnaryOp::erf, 0, -5, 5},       {UnaryOp::erf, 0, -0.8, 0.8},
    };
    const std::size_t sizes[] = {0, 1, 7, 8, 9, 31, 1000, 40003};
    std::uint64_t seed = 100;
    for (const auto& c : cases)
        for (const std::size_t n : sizes) {
            auto x = random_uniform<T>({n}, c.lo, c.hi, seed++);
            if (n > 3 && (c.op == UnaryOp::sign || c.op == UnaryOp::step || c.op == UnaryOp::relu)) x[2] = T(0);
            std::vector<double> want(n);
            for (std::size_t i = 0; i < n; ++i) want[i] = reference::unary_op(c.op, x[i], c.param);
            // xsimd's exp/log/pow/tanh are within a few ulps; the rest are exact or one rounding.
            const double rt = sizeof(T) == 4 ? 1e-5 : 1e-12;
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                BasicTensor<T> y({n}, T(-77));
                kernels::unary(c.op, x.data(), y.data(), n, T(c.param));
                const std::string what = "unary op " + std::to_string(int(c.op)) + " param " +
                                         std::to_string(c.param) + " n " + std::to_string(n);
                expect_close(y.data(), want, rt, 1e-30, what);
                auto inplace = x;  // y aliasing x
                kernels::unary(c.op, inplace.data(), inplace.data(), n, T(c.param));
                expect_close(inplace.data(), want, rt, 1e-30, what + " in place");
            }
        }
}
TEST(Elementwise, UnaryAllOpsFloat) { check_unary_all<float>(); }
TEST(Elementwise, UnaryAllOpsDouble) { check_unary_all<double>(); }

template <class T>
void check_unary_edges() {
    const T big = T(1000);
    BasicTensor<T> x({11}, {-big, big, T(-88.8), T(88.8), T(-745), T(745), T(0), T(-0.0), T(1e-30), T(-1e-30), T(40)});
    BasicTensor<T> y(x.shape());
    kernels::unary(UnaryOp::sigmoid, x.data(), y.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_TRUE(std::isfinite(y[i])) << "sigmoid(" << x[i] << ")";
        EXPECT_NEAR(y[i], reference::unary_op(UnaryOp::sigmoid, x[i], 0), 1e-7) << "sigmoid(" << x[i] << ")";
    }
    EXPECT_EQ(y[0], T(0));
    EXPECT_EQ(y[1], T(1));
    // std::pow semantics at 0: 0^0 = 1, 0^-1 = inf, 0^0.5 = 0; negative base with a non-integer power: NaN.
    BasicTensor<T> z({3}, {T(0), T(0), T(-2)});
    for (const double p : {0.0, -1.0, 0.5, 2.5}) {
        kernels::unary(UnaryOp::pow, z.data(), y.data(), 3, T(p));
        for (std::size_t i = 0; i < 3; ++i) {
            const double w = std::pow(double(z[i]), p);
            if (std::isnan(w)) EXPECT_TRUE(std::isnan(y[i])) << "pow(" << z[i] << ", " << p << ")";
            else EXPECT_EQ(double(y[i]), w) << "pow(" << z[i] << ", " << p << ")";
        }
    }
}
TEST(Elementwise, SigmoidStableAndPowEdgesFloat) { check_unary_edges<float>(); }
TEST(Elementwise, SigmoidStableAndPowEdgesDouble) { check_unary_edges<double>(); }

template <class T>
void check_where_and_broadcast() {
    ThreadGuard guard;
    const std::vector<std::array<Shape, 3>> triples = {
        {Shape{}, Shape{}, Shape{}},
        {Shape{3, 4}, Shape{3, 4}, Shape{3, 4}},
        {Shape{3, 1}, Shape{1, 4}, Shape{}},
        {Shape{4}, Shape{3, 1}, Shape{2, 1, 1}},
        {Shape{2, 1, 5, 1}, Shape{3, 1, 1}, Shape{1, 1, 4}},
        {Shape{1, 2, 1, 3, 1, 2}, Shape{2, 2, 1, 1, 2}, Shape{3, 1}},
        {Shape{2, 64, 17, 19}, Shape{64, 1, 1}, Shape{}},
    };
    std::uint64_t seed = 500;
    for (const auto& [sc, sa, sb] : triples) {
        const Shape sy = broadcast_shapes(broadcast_shapes(sc, sa, "t"), sb, "t");
        auto c = grid_values<T>(sc, seed++);
        for (auto& v : c) v = v > T(0) ? v : T(0);
        const auto a = grid_values<T>(sa, seed++), b = grid_values<T>(sb, seed++);
        const auto want = reference::where(c.data(), sc, a.data(), sa, b.data(), sb, sy);
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            BasicTensor<T> y(sy, T(-77));
            kernels::where(c.data(), sc, a.data(), sa, b.data(), sb, y.data(), sy);
            expect_close(y.data(), want, 0.0, 0.0, "where " + shape_to_string(sy));
            for (const Shape* s : {&sc, &sa, &sb}) {
                const auto& src = s == &sc ? c : (s == &sa ? a : b);
                BasicTensor<T> z(sy, T(-77));
                kernels::broadcast_to(src.data(), *s, z.data(), sy);
                expect_close(z.data(), reference::broadcast_to(src.data(), *s, sy), 0.0, 0.0,
                             "broadcast_to " + shape_to_string(*s) + " -> " + shape_to_string(sy));
            }
        }
    }
}
TEST(Elementwise, WhereAndBroadcastToFloat) { check_where_and_broadcast<float>(); }
TEST(Elementwise, WhereAndBroadcastToDouble) { check_where_and_broadcast<double>(); }

}  // namespace
