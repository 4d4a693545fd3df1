// gradients()'s composite VJPs: SiLU and GELU compositions get one fused gradient node (silu_grad, gelu_grad)
// with the right values, and keep their primitives' VJPs wherever an inner node can be seen (requested,
// shared, overridden) or the chain is not the activation.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/topo.hpp>
#include <xvis/tensor/random.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace xvis::test {
namespace {

std::map<std::string, int> count_types(const std::vector<Node>& outs) {
    std::map<std::string, int> n;
    for (const auto& node : topological_order(outs)) ++n[node.type()];
    return n;
}

double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double silu_derivative(double x) { return sigmoid_d(x) * (1 + x * (1 - sigmoid_d(x))); }
double gelu_derivative(double x, double a, double k, double c) {
    return c * (k + std::erf(a * x) + x * a * 1.1283791670955126 * std::exp(-a * a * x * x));
}

struct Fixture {
    Node x = placeholder({3, 17}, "x");
    TensorD xv = random_uniform<double>({3, 17}, -4, 4, 7);
    TensorD wv = random_uniform<double>({3, 17}, -1, 1, 8);
    Node w = constant(wv, "w");
    // d sum(f(x)·w)/dx against f'(x)·w, and the gradient graph's op types.
    std::map<std::string, int> check(const Node& fx, const std::function<double(double)>& df,
                                     const GradientOverrides& overrides = {}) const {
        const std::vector<Node> g = gradients(sum(fx * w), {x}, overrides);
        FunctionD f = compile_double(g, {x});
        const TensorD& got = f(xv)[0];
        for (std::size_t i = 0; i < xv.size(); ++i)
            EXPECT_NEAR(got[i], df(xv[i]) * wv[i], 1e-12 * (1 + std::fabs(got[i]))) << "element " << i << " x " << xv[i];
        return count_types(g);
    }
};

TEST(CompositeVjp, SiluIsOneFusedNode) {
    Fixture t;
    for (const Node& fx : {t.x * sigmoid(t.x), sigmoid(t.x) * t.x}) {
        const auto types = t.check(fx, silu_derivative);
        EXPECT_EQ(types.count("silu_grad") ? types.at("silu_grad") : 0, 1);
        EXPECT_EQ(types.count("sigmoid_grad"), 0u);
    }
}

TEST(CompositeVjp, GeluFormsAreOneFusedNode) {
    Fixture t;
    const Node& x = t.x;
    const double r2 = static_cast<float>(std::sqrt(2.0));
    struct Form {
        const char* name;
        Node fx;
        double a, k, c;
    };
    const Form forms[] = {
        {"pytorch onnx", (x * (erf(x / scalar(r2)) + scalar(1.0))) * scalar(0.5), 1 / r2, 1, 0.5},
        {"keras", (0.5 * x) * (1.0 + erf(x * 0.7071067811865476)), 0.7071067811865476, 1, 0.5},
        {"scaled sum first", x * (0.5 * (erf(x * 0.7071067811865476) + 1.0)), 0.7071067811865476, 1, 0.5},
        {"odd constants", 2.0 * (x * (erf(1.3 * x) - 0.25)), 1.3, -0.25, 2.0},
        {"erf of x", x * erf(x), 1, 0, 1},
    };
    for (const Form& f : forms) {
        SCOPED_TRACE(f.name);
        const auto types = t.check(f.fx, [&](double v) { return gelu_derivative(v, f.a, f.k, f.c); });
        EXPECT_EQ(types.count("gelu_grad") ? types.at("gelu_grad") : 0, 1);
        EXPECT_EQ(types.count("erf_grad"), 0u);
    }
}

TEST(CompositeVjp, VisibleInnerNodesKeepThePrimitiveVjps) {
    Fixture t;
    const Node& x = t.x;
    // An inner node requested (a Grad-CAM layer on the sigmoid): its own gradient is right, no fusion.
    {
        const Node s = sigmoid(x);
        const std::vector<Node> g = gradients(sum(x * s * t.w), {x, s});
        EXPECT_EQ(count_types(g).count("silu_grad"), 0u);
        FunctionD f = compile_double(g, {x});
        const auto& r = f(t.xv);
        for (std::size_t i = 0; i < t.xv.size(); ++i) {
            EXPECT_NEAR(r[0][i], silu_derivative(t.xv[i]) * t.wv[i], 1e-12);
            EXPECT_NEAR(r[1][i], t.xv[i] * t.wv[i], 1e-12);
        }
    }
    // An inner node used elsewhere too.
    {
        const Node s = sigmoid(x);
        const auto types = t.check(x * s + s, [](double v) { return silu_derivative(v) + sigmoid_d(v) * (1 - sigmoid_d(v)); });
        EXPECT_EQ(types.count("silu_grad"), 0u);
        const Node e = erf(x * 0.5);
        const auto gtypes = t.check(x * (e + 1.0) + e * e, [](double v) {
            const double ev = std::erf(0.5 * v), de = 0.5 * 1.1283791670955126 * std::exp(-0.25 * v * v);
            return ev + 1.0 + v * de + 2 * ev * de;
        });
        EXPECT_EQ(gtypes.count("gelu_grad"), 0u);
    }
    // An override of an op type in the chain: the override runs.
    {
        int calls = 0;
        GradientOverrides o;
        o["sigmoid"] = [&calls](const Node& out, const Node& g) -> std::vector<Node> {
            ++calls;
            return {sigmoid_grad(out, g)};
        };
        const auto types = t.check(x * sigmoid(x), silu_derivative, o);
        EXPECT_EQ(calls, 1);
        EXPECT_EQ(types.count("silu_grad"), 0u);
    }
    // A constant of the chain requested too: it gets its own gradient (the outer product keeps its primitive
    // VJP; the inner x·(erf + 1), a GELU with c = 1, may still fuse).
    {
        const Node half = scalar(0.5), sqrt2 = scalar(1.4142135);
        const Node y = sum(((x * (erf(x / sqrt2) + scalar(1.0))) * half) * t.w);
        const std::vector<Node> g = gradients(y, {x, half});
        FunctionD f = compile_double(g, {x});
        const auto& r = f(t.xv);
        double want_half = 0;
        for (std::size_t i = 0; i < t.xv.size(); ++i) {
            const double v = t.xv[i];
            EXPECT_NEAR(r[0][i], gelu_derivative(v, 1 / 1.4142135, 1, 0.5) * t.wv[i], 1e-9);
            want_half += v * (1 + std::erf(v / 1.4142135)) * t.wv[i];
        }
        EXPECT_NEAR(r[1][0], want_half, 1e-9 * (1 + std::fabs(want_half)));
    }
    // Not the activation: σ and erf of x + 0.1.
    {
        const Node y = x + 0.1;
        const auto ds = [](double v) { return sigmoid_d(v + 0.1) * (1 + v * (1 - sigmoid_d(v + 0.1))); };
        EXPECT_EQ(t.check(x * sigmoid(y), ds).count("silu_grad"), 0u);
        const auto de = [](double v) { return std::erf(v + 0.1) + v * 1.1283791670955126 * std::exp(-(v + 0.1) * (v + 0.1)); };
        EXPECT_EQ(t.check(x * erf(y), de).count("gelu_grad"), 0u);
    }
}

}  // namespace
}  // namespace xvis::test
