// Kink and tie conventions (ops.hpp, docs/autodiff.md), checked exactly in float and in double:
// relu'(0) = 0, leaky_relu'(0) = alpha, |x|'(0) = 0, max-reduction ties share evenly, maximum / minimum ties
// go to a, max_pool ties go to the first maximum in row-major window order, padding never wins a max.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>

#include <gtest/gtest.h>

namespace xvis::test {
namespace {

using kernels::Pool2dParams;

// The gradients of y w.r.t. xs at `values`, in double and in float, must equal `expected` exactly
// (up to float rounding of the expected value).
void expect_gradients(const Node& y, const std::vector<Node>& xs, const std::vector<TensorD>& values,
                      const std::vector<std::vector<double>>& expected) {
    const std::vector<Node> g = gradients(y, xs);
    FunctionD fd = compile_double(g, xs);
    Function ff = compile(g, xs);
    std::vector<Tensor> vf;
    for (const auto& v : values) vf.push_back(v.cast<float>());
    for (std::size_t i = 0; i < xs.size(); ++i) {
        fd.set_input(i, values[i]);
        ff.set_input(i, vf[i]);
    }
    const auto& gd = fd.run();
    const auto& gf = ff.run();
    for (std::size_t i = 0; i < xs.size(); ++i) {
        ASSERT_EQ(gd[i].size(), expected[i].size());
        for (std::size_t j = 0; j < expected[i].size(); ++j) {
            EXPECT_DOUBLE_EQ(gd[i][j], expected[i][j]) << "double gradient of input " << i << " at flat index " << j;
            EXPECT_FLOAT_EQ(gf[i][j], float(expected[i][j])) << "float gradient of input " << i << " at flat index " << j;
        }
    }
}

std::vector<double> forward_double(const Node& out, const std::vector<Node>& xs, const std::vector<TensorD>& values) {
    FunctionD f = compile_double({out}, xs);
    for (std::size_t i = 0; i < xs.size(); ++i) f.set_input(i, values[i]);
    const auto& r = f.run()[0];
    return std::vector<double>(r.begin(), r.end());
}

Pool2dParams pool(std::size_t k, std::size_t s, std::size_t pad = 0) {
    Pool2dParams p;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = s;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = pad;
    return p;
}

const TensorD kink_values(Shape{3}, {-1.0, 0.0, 2.0});

TEST(Kinks, ReluDerivativeAtZeroIsZero) {
    const Node x = placeholder({3}, "x");
    expect_gradients(sum(relu(x)), {x}, {kink_values}, {{0, 0, 1}});
}

TEST(Kinks, LeakyReluDerivativeAtZeroIsAlpha) {
    const Node x = placeholder({3}, "x");
    expect_gradients(sum(leaky_relu(x, 0.25)), {x}, {kink_values}, {{0.25, 0.25, 1}});
}

TEST(Kinks, ReluGradAtZeroUsesAlpha) {
    const Node x = placeholder({3}, "x"), g = placeholder({3}, "g");
    EXPECT_EQ(forward_double(relu_grad(x, g, 0.5), {x, g}, {kink_values, TensorD({3}, {4.0, 4.0, 4.0})}),
              (std::vector<double>{2, 2, 4}));
    EXPECT_EQ(forward_double(relu_grad(x, g), {x, g}, {kink_values, TensorD({3}, {4.0, 4.0, 4.0})}),
              (std::vector<double>{0, 0, 4}));
}

TEST(Kinks, AbsDerivativeAtZeroIsZero) {
    const Node x = placeholder({3}, "x");
    expect_gradients(sum(abs(x)), {x}, {kink_values}, {{-1, 0, 1}});
    EXPECT_EQ(forward_double(sign(x), {x}, {kink_values}), (std::vector<double>{-1, 0, 1}));
}

TEST(Kinks, MaxReductionTiesShareEvenly) {
    const Node x = placeholder({4}, "x");
    expect_gradients(sum(max(x)), {x}, {TensorD({4}, {1.0, 3.0, 3.0, 2.0})}, {{0, 0.5, 0.5, 0}});

    const Node m = placeholder({2, 3}, "m");
    const TensorD mv({2, 3}, {1.0, 1.0, 1.0, 0.0, 2.0, 2.0});
    expect_gradients(sum(max(m, {1})), {m}, {mv}, {{1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0.5, 0.5}});
    expect_gradients(sum(max(m, {0}, true)), {m}, {mv}, {{1, 0, 0, 0, 1, 1}});
    expect_gradients(sum(max(m)), {m}, {TensorD({2, 3}, {2.0, 0.0, 2.0, 2.0, 1.0, 0.0})},
                     {{1.0 / 3, 0, 1.0 / 3, 1.0 / 3, 0, 0}});
}

TEST(Kinks, MaximumAndMinimumTiesGoToA) {
    const Node a = placeholder({3}, "a"), b = placeholder({3}, "b");
    const TensorD av({3}, {1.0, 2.0, 5.0}), bv({3}, {1.0, 3.0, 4.0});
    expect_gradients(sum(maximum(a, b)), {a, b}, {av, bv}, {{1, 0, 1}, {0, 1, 0}});
    expect_gradients(sum(minimum(a, b)), {a, b}, {av, bv}, {{1, 1, 0}, {0, 0, 1}});
    // Swapped operands: the tie still goes to the first operand.
    expect_gradients(sum(maximum(b, a)), {a, b}, {av, bv}, {{0, 0, 1}, {1, 1, 0}});
    // Broadcast scalar b tied with every element of a: all of it to a.
    const Node s = placeholder({}, "s");
    expect_gradients(sum(maximum(a, s)), {a, s}, {TensorD({3}, {1.0, 1.0, 0.0}), TensorD::scalar(1.0)}, {{1, 1, 0}, {1}});
}

TEST(Kinks, MaxPoolTiesGoToTheFirstInRowMajorWindowOrder) {
    const Node x = placeholder({1, 1, 2, 2}, "x");
    expect_gradients(sum(max_pool2d(x, pool(2, 2))), {x}, {TensorD({1, 1, 2, 2}, 5.0)}, {{1, 0, 0, 0}});
    expect_gradients(sum(max_pool2d(x, pool(2, 2))), {x}, {TensorD({1, 1, 2, 2}, {1.0, 3.0, 3.0, 2.0})}, {{0, 1, 0, 0}});
    expect_gradients(sum(max_pool2d(x, pool(2, 2))), {x}, {TensorD({1, 1, 2, 2}, {1.0, 2.0, 3.0, 3.0})}, {{0, 0, 1, 0}});

    // Overlapping 3x3 windows (stride 1) on a constant 3x4 image: each window routes to its own top-left cell.
    const Node y = placeholder({1, 1, 3, 4}, "y");
    expect_gradients(sum(max_pool2d(y, pool(3, 1))), {y}, {TensorD({1, 1, 3, 4}, 1.0)},
                     {{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}});

    // select (the adjoint used for second derivatives) picks the same cell.
    const Node v = placeholder({1, 1, 2, 2}, "v");
    EXPECT_EQ(forward_double(max_pool2d_select(x, v, pool(2, 2)), {x, v},
                             {TensorD({1, 1, 2, 2}, {1.0, 3.0, 3.0, 2.0}), TensorD({1, 1, 2, 2}, {10.0, 20.0, 30.0, 40.0})}),
              std::vector<double>{20.0});
}

TEST(Kinks, PaddingNeverWinsAMax) {
    const Node x = placeholder({1, 1, 2, 2}, "x");
    const TensorD negative({1, 1, 2, 2}, {-1.0, -2.0, -3.0, -4.0});
    // Every 2x2 window (stride 2, pad 1) holds one image cell and three padding cells.
    EXPECT_EQ(forward_double(max_pool2d(x, pool(2, 2, 1)), {x}, {negative}), (std::vector<double>{-1, -2, -3, -4}));
    expect_gradients(sum(max_pool2d(x, pool(2, 2, 1))), {x}, {negative}, {{1, 1, 1, 1}});
    // 3x3 stride 1 pad 1: 4 windows, all containing the whole image; the max is -1 everywhere.
    EXPECT_EQ(forward_double(max_pool2d(x, pool(3, 1, 1)), {x}, {negative}), (std::vector<double>{-1, -1, -1, -1}));
    expect_gradients(sum(max_pool2d(x, pool(3, 1, 1))), {x}, {negative}, {{4, 0, 0, 0}});
}

TEST(Kinks, PowZeroHasNoGradient) {
    const Node x = placeholder({3}, "x");
    expect_gradients(sum(pow(x, 0.0)), {x}, {kink_values}, {{0, 0, 0}});
    EXPECT_EQ(forward_double(pow(x, 0.0), {x}, {kink_values}), (std::vector<double>{1, 1, 1}));
}

TEST(Kinks, StopGradientBlocksOnlyItsBranch) {
    const Node x = placeholder({3}, "x");
    // d/dx [x · stop_gradient(x)] = stop_gradient(x) = x.
    expect_gradients(sum(mul(x, stop_gradient(x))), {x}, {kink_values}, {{-1, 0, 2}});
    expect_gradients(sum(stop_gradient(x)), {x}, {kink_values}, {{0, 0, 0}});
}

TEST(Kinks, ComparisonsHaveNoGradient) {
    const Node a = placeholder({3}, "a"), b = placeholder({3}, "b");
    const TensorD bv({3}, {0.0, 0.0, 3.0});
    const Node y = sum(equal(a, b) + greater(a, b) + greater_equal(a, b) + sign(a) + where(greater(a, b), a * 0.0, b * 0.0));
    expect_gradients(y, {a, b}, {kink_values, bv}, {{0, 0, 0}, {0, 0, 0}});
}

}  // namespace
}  // namespace xvis::test
