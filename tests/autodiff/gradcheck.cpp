// The checker itself: it must pass correct gradients, fail wrong ones (custom ops with deliberately wrong
// VJPs) and name the right input and element, and reject bad arguments.
#include <xvis/autodiff/gradcheck.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/random.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace xvis::test {
namespace {

// The test ops are defined outside xvis: make_node() builds them once they are registered as custom types.
[[maybe_unused]] const bool test_ops_registered = [] {
    for (const char* type : {"test_square", "test_three_x_squared", "test_cube"}) register_custom_op_type(type, __FILE__);
    return true;
}();

// y = x² with a VJP of factor · 2x · g, plus `bump` at flat index `bad_index` (if >= 0).
class TestSquareOp : public OpImpl<TestSquareOp> {
public:
    TestSquareOp(double factor, long bad_index, double bump) : factor_(factor), bad_index_(bad_index), bump_(bump) {}
    std::string type() const override { return "test_square"; }
    Shape infer_shape(const std::vector<Node>& in) const override { return in.at(0).shape(); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        for (std::size_t i = 0; i < shape_size(a.out_shape()); ++i) a.output[i] = a.in(0)[i] * a.in(0)[i];
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        Node grad = mul(g, scale(out.inputs()[0], 2.0 * factor_));
        if (bad_index_ >= 0) {
            TensorD b(out.shape(), 0.0);
            b[std::size_t(bad_index_)] = bump_;
            grad = add(grad, constant(b, "bump"));
        }
        return {grad};
    }

private:
    double factor_;
    long bad_index_;
    double bump_;
};
Node test_square(const Node& x, double factor = 1.0, long bad_index = -1, double bump = 1.0) {
    return make_node(std::make_shared<TestSquareOp>(factor, bad_index, bump), {x});
}

// d = 3x², whose own VJP is wrong (3x instead of 6x): first derivatives of x³ are right, second ones wrong.
class TestThreeXSquaredOp : public OpImpl<TestThreeXSquaredOp> {
public:
    std::string type() const override { return "test_three_x_squared"; }
    Shape infer_shape(const std::vector<Node>& in) const override { return in.at(0).shape(); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        for (std::size_t i = 0; i < shape_size(a.out_shape()); ++i) a.output[i] = 3 * a.in(0)[i] * a.in(0)[i];
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override { return {mul(g, scale(out.inputs()[0], 3.0))}; }
};
class TestCubeOp : public OpImpl<TestCubeOp> {
public:
    std::string type() const override { return "test_cube"; }
    Shape infer_shape(const std::vector<Node>& in) const override { return in.at(0).shape(); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        for (std::size_t i = 0; i < shape_size(a.out_shape()); ++i) a.output[i] = a.in(0)[i] * a.in(0)[i] * a.in(0)[i];
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        return {mul(g, make_node(std::make_shared<TestThreeXSquaredOp>(), {out.inputs()[0]}))};
    }
};

TensorD values(const Shape& s, std::uint64_t seed) { return random_uniform<double>(s, -1.0, 1.0, seed); }

TEST(Gradcheck, PassesACorrectGradient) {
    const Node x = placeholder({2, 3}, "x");
    const GradcheckResult r = gradcheck(sum(test_square(x) * constant(values({2, 3}, 1))), {x}, {values({2, 3}, 2)});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.checked, 6u);
    EXPECT_EQ(r.message.rfind("gradcheck ok", 0), 0u) << r.message;
    EXPECT_LE(r.abs_error, 1e-7);
}

TEST(Gradcheck, FailsATwiceTooLargeGradientAndNamesTheInput) {
    const Node a = placeholder({3}, "good_input"), x = placeholder({2, 3}, "bad_input");
    const Node y = sum(a * a) + sum(test_square(x, 2.0));
    const GradcheckResult r = gradcheck(y, {a, x}, {values({3}, 3), values({2, 3}, 4)});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.worst_input, 1u);
    EXPECT_EQ(r.checked, 9u);
    EXPECT_NEAR(r.analytic, 2.0 * r.numeric, 1e-6);
    EXPECT_NEAR(r.rel_error, 1.0, 1e-6);
    EXPECT_EQ(r.message.rfind("gradcheck FAILED: input 1 'bad_input' at [", 0), 0u) << r.message;
    EXPECT_NE(r.message.find("over 9 elements"), std::string::npos) << r.message;
}

TEST(Gradcheck, FailsAGradientWrongAtOneElementAndNamesIt) {
    const Node a = placeholder({2}, "a"), x = placeholder({2, 3}, "x");
    const Node y = sum(exp(a)) * sum(test_square(x, 1.0, 5, 0.5));
    const GradcheckResult r = gradcheck(y, {a, x}, {values({2}, 5), values({2, 3}, 6)});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.worst_input, 1u);
    EXPECT_EQ(r.worst_index, 5u);
    EXPECT_EQ(r.worst_position, (Shape{1, 2}));
    EXPECT_NEAR(r.analytic - r.numeric, 0.5, 1e-6);  // the bump (added after the chain rule)
    EXPECT_NE(r.message.find("input 1 'x' at [1, 2]"), std::string::npos) << r.message;
}

TEST(Gradcheck, ToleranceOptionsAreApplied) {
    const Node x = placeholder({4}, "x");
    const Node y = sum(test_square(x, 1.001));
    const TensorD v = values({4}, 7);
    EXPECT_FALSE(gradcheck(y, {x}, {v}).ok);
    GradcheckOptions loose;
    loose.rtol = 1e-2;
    EXPECT_TRUE(gradcheck(y, {x}, {v}, loose).ok);
}

TEST(Gradcheck, NonFiniteGradientFails) {
    const Node x = placeholder({3}, "x");
    const GradcheckResult r =
        gradcheck(sum(test_square(x, std::numeric_limits<double>::quiet_NaN())), {x}, {values({3}, 8)});
    EXPECT_FALSE(r.ok) << r.message;
    EXPECT_TRUE(std::isnan(r.analytic));
}

TEST(Gradcheck, OverridesInOptionsAreUsed) {
    const Node x = placeholder({5}, "x");
    const Node y = sum(relu(x) * x);
    const TensorD v({5}, {-0.9, -0.3, 0.2, 0.6, 1.1});
    EXPECT_TRUE(gradcheck(y, {x}, {v}).ok);
    GradcheckOptions wrong;
    wrong.overrides["relu"] = [](const Node&, const Node& g) -> std::vector<Node> { return {g}; };  // identity: wrong
    const GradcheckResult r = gradcheck(y, {x}, {v}, wrong);
    EXPECT_FALSE(r.ok);
    EXPECT_LT(r.worst_index, 2u);  // the negative elements, where relu' is 0
}

TEST(Gradcheck, IndependentOutputAndNoInputs) {
    const Node x = placeholder({2}, "x"), z = placeholder({2}, "z");
    const GradcheckResult r = gradcheck(sum(x * x), {x, z}, {values({2}, 9), values({2}, 10)});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.checked, 4u);
    EXPECT_TRUE(gradcheck(sum(constant(values({2}, 1))), {}, {}).ok);
}

TEST(Gradcheck, ArgumentErrors) {
    const Node x = placeholder({2, 3}, "x");
    const TensorD v = values({2, 3}, 11);
    EXPECT_THROW(gradcheck(x * 2.0, {x}, {v}), ShapeError);                  // y not one element
    EXPECT_THROW(gradcheck(sum(x), {x}, {}), std::invalid_argument);         // values count
    EXPECT_THROW(gradcheck(sum(x), {x}, {v, v}), std::invalid_argument);
    EXPECT_THROW(gradcheck(sum(x), {x}, {values({3, 2}, 1)}), ShapeError);   // value shape
    EXPECT_THROW(gradcheck(sum(x), {x * 1.0}, {v}), std::invalid_argument);  // not a placeholder
    EXPECT_THROW(gradcheck(sum(x), {x, x}, {v, v}), std::invalid_argument);  // listed twice
    EXPECT_THROW(gradcheck(Node(), {x}, {v}), std::invalid_argument);
    GradcheckOptions bad;
    bad.eps = 0;
    EXPECT_THROW(gradcheck(sum(x), {x}, {v}, bad), std::invalid_argument);
    EXPECT_THROW(gradgradcheck(x * 2.0, {x}, {v}), ShapeError);
    try {
        gradcheck(sum(x), {x}, {values({3, 2}, 1)});
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("[3, 2]"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
    }
}

TEST(GradGradcheck, PassesCorrectSecondDerivatives) {
    const Node x = placeholder({2, 3}, "x");
    const GradcheckResult r = gradgradcheck(sum(pow(x, 3.0) * exp(x)), {x}, {values({2, 3}, 12)});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.checked, 6u);
    EXPECT_EQ(r.message.rfind("gradgradcheck ok", 0), 0u) << r.message;
}

TEST(GradGradcheck, CatchesAWrongSecondDerivativeThatGradcheckMisses) {
    const Node x = placeholder({2, 3}, "cubed");
    const Node y = sum(make_node(std::make_shared<TestCubeOp>(), {x}) * constant(values({2, 3}, 13)));
    const TensorD v = values({2, 3}, 14);
    EXPECT_TRUE(gradcheck(y, {x}, {v}).ok);
    const GradcheckResult r = gradgradcheck(y, {x}, {v});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message.rfind("gradgradcheck FAILED: input 0 'cubed'", 0), 0u) << r.message;
}

}  // namespace
}  // namespace xvis::test
