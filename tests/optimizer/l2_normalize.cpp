// l2_normalize, graph and array forms: hand-computed values, agreement between the forms, the 1e-12 floor
// (zero and tiny gradients), finite differences, no allocation, and the Optimizer's normalized gradient.
#include <xvis/autodiff/gradcheck.hpp>
#include <xvis/xvis.hpp>

#include "support/counting_allocator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace xvis;

namespace {

std::vector<float> values(const Tensor& t) { return {t.begin(), t.end()}; }

// The graph form run on `value`.
Tensor graph_l2_normalize(const Tensor& value) {
    Node g = placeholder(value.shape());
    Node out = l2_normalize(g);
    EXPECT_EQ(out.shape(), value.shape());
    Function f = compile({out}, {g});
    return f(value)[0];
}

}  // namespace

TEST(L2Normalize, HandComputedValues) {
    Tensor g({2, 2}, {3, 0, -4, 0});  // Σ g² = 25 over the whole tensor
    EXPECT_DOUBLE_EQ(l2_normalize(g), 5.0);
    EXPECT_EQ(g.shape(), (Shape{2, 2}));
    EXPECT_FLOAT_EQ(g[0], 0.6f);
    EXPECT_FLOAT_EQ(g[2], -0.8f);
    EXPECT_EQ(g[1], 0.0f);
    const Tensor graph = graph_l2_normalize(Tensor({2, 2}, {3, 0, -4, 0}));
    EXPECT_FLOAT_EQ(graph[0], 0.6f);
    EXPECT_FLOAT_EQ(graph[2], -0.8f);
    // Across the batch axis too (axis=None): two samples share one norm, sqrt(1 + 4 + 4 + 16) = 5.
    Tensor batch({2, 1, 2}, {1, 2, 2, 4});
    EXPECT_DOUBLE_EQ(l2_normalize(batch), 5.0);
    EXPECT_FLOAT_EQ(batch[3], 0.8f);
}

TEST(L2Normalize, GraphAndArrayFormsAgree) {
    const Tensor value = random_normal<float>({2, 3, 4, 5}, 0.5, 3.0, 11);
    const Tensor graph = graph_l2_normalize(value);
    Tensor array = value;
    const double divisor = l2_normalize(array);
    double squares = 0, unit = 0;
    for (float v : value) squares += double(v) * v;
    EXPECT_NEAR(divisor, std::sqrt(squares), 1e-9 * std::sqrt(squares));
    ASSERT_EQ(graph.shape(), array.shape());
    for (std::size_t i = 0; i < array.size(); ++i) {
        EXPECT_NEAR(array[i], graph[i], 1e-6 * std::fabs(graph[i]) + 1e-9) << i;
        EXPECT_NEAR(array[i], value[i] / std::sqrt(squares), 1e-6 * std::fabs(array[i]) + 1e-9) << i;
        unit += double(array[i]) * array[i];
    }
    EXPECT_NEAR(unit, 1.0, 1e-6);
}

TEST(L2Normalize, ZeroAndTinyGradientsUseTheFloor) {
    // Zero: the divisor is sqrt(1e-12) = 1e-6, the result stays 0 (keras-vis would otherwise divide 0 by 0).
    Tensor zero({3, 2}, 0.0f);
    EXPECT_DOUBLE_EQ(l2_normalize(zero), 1e-6);
    EXPECT_EQ(values(zero), std::vector<float>(6, 0.0f));
    EXPECT_EQ(values(graph_l2_normalize(Tensor({3, 2}, 0.0f))), std::vector<float>(6, 0.0f));
    // Σ g² = 5e-14 < 1e-12: divided by 1e-6, not by the norm, so the result is not a unit vector.
    Tensor tiny({2}, {1e-7f, -2e-7f});
    EXPECT_NEAR(l2_normalize(tiny), 1e-6, 1e-18);
    EXPECT_NEAR(tiny[0], 0.1, 1e-6);
    EXPECT_NEAR(tiny[1], -0.2, 1e-6);
    const Tensor graph = graph_l2_normalize(Tensor({2}, {1e-7f, -2e-7f}));
    EXPECT_NEAR(graph[0], 0.1, 1e-6);
    EXPECT_NEAR(graph[1], -0.2, 1e-6);
}

TEST(L2Normalize, NanPropagatesInBothForms) {
    Tensor g({3}, {1, std::nanf(""), 2});
    l2_normalize(g);
    const Tensor graph = graph_l2_normalize(Tensor({3}, {1, std::nanf(""), 2}));
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(std::isnan(g[i])) << i;
        EXPECT_TRUE(std::isnan(graph[i])) << i;
    }
}

TEST(L2Normalize, GraphGradientMatchesFiniteDifferences) {
    // y = Σ w · l2_normalize(x): checks d/dx (through the norm) and d/dw.
    Node x = placeholder({2, 3}), w = placeholder({2, 3});
    Node y = sum(mul(w, l2_normalize(x)));
    const TensorD xv = random_normal<double>({2, 3}, 0.0, 1.0, 5), wv = random_normal<double>({2, 3}, 0.0, 1.0, 6);
    const GradcheckResult r = gradcheck(y, {x, w}, {xv, wv});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.checked, 12u);
    // At x = 0 (below the floor, also for the ±1e-9 probes): y = Σ w·x / 1e-6, a finite gradient of 1e6 · w.
    GradcheckOptions tiny;
    tiny.eps = 1e-9;
    const GradcheckResult z = gradcheck(y, {x, w}, {TensorD({2, 3}, 0.0), wv}, tiny);
    EXPECT_TRUE(z.ok) << z.message;
}

TEST(L2Normalize, ArrayFormAllocatesNothing) {
    using xvis::testing::allocation_count;
    Tensor g = random_uniform<float>({4, 3, 16, 16}, -1, 1, 3);
    const long before = allocation_count();
    for (int i = 0; i < 5; ++i) l2_normalize(g);
    EXPECT_EQ(allocation_count(), before) << "the array l2_normalize allocated";
    EXPECT_NEAR(l2_normalize(g), 1.0, 1e-5) << "normalizing a unit tensor again divides by 1";
}

// The Optimizer with norm_grads = true hands its callbacks l2_normalize of the gradient it would hand them
// with norm_grads = false.
TEST(L2Normalize, TheOptimizerNormalizesWithIt) {
    struct Cubic : Loss {
        Node x;
        explicit Cubic(Node n) : x(std::move(n)) {}
        Node build_loss() const override { return sum(mul(square(x), x)); }
    };
    struct LastGrads : Callback {
        Tensor grads;
        void callback(int, const NamedLosses&, double, const Tensor& g, const Tensor&) override { grads = g; }
    };
    Node x = placeholder({1, 2, 3});
    MinimizeOptions o;
    o.seed_input = Tensor({1, 2, 3}, {1, -2, 0.5f, 3, 0, -1});
    o.max_iter = 1;
    auto raw = std::make_shared<LastGrads>(), normalized = std::make_shared<LastGrads>();
    o.callbacks = {raw};
    Optimizer(x, {{std::make_shared<Cubic>(x), 1.0}}, {0, 255}, {}, /*norm_grads=*/false).minimize(o);
    o.callbacks = {normalized};
    Optimizer(x, {{std::make_shared<Cubic>(x), 1.0}}, {0, 255}, {}, /*norm_grads=*/true).minimize(o);
    // d/dx Σ x³ = 3x²: [3, 12, 0.75, 27, 0, 3].
    EXPECT_FLOAT_EQ(raw->grads[3], 27.0f);
    Tensor expected = raw->grads;
    l2_normalize(expected);
    ASSERT_EQ(normalized->grads.shape(), expected.shape());
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(normalized->grads[i], expected[i], 1e-6) << i;
}
