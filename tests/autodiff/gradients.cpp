// gradients(): accumulation, unused inputs, VJPs, overrides, pruning of unrequested gradients, whole-model
// gradient checks of a small CNN, and second derivatives (gradgradcheck) through every kind of primitive.
#include "small_cnn.hpp"

#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradcheck.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/topo.hpp>

#include <gtest/gtest.h>

#include <map>

namespace xvis::test {
namespace {

std::vector<double> eval(const std::vector<Node>& outs, std::size_t which, const std::vector<Node>& xs,
                         const std::vector<TensorD>& values) {
    FunctionD f = compile_double(outs, xs);
    for (std::size_t i = 0; i < xs.size(); ++i) f.set_input(i, values[i]);
    const auto& r = f.run()[which];
    return std::vector<double>(r.begin(), r.end());
}

std::map<std::string, int> count_types(const std::vector<Node>& outs) {
    std::map<std::string, int> n;
    for (const auto& node : topological_order(outs)) ++n[node.type()];
    return n;
}

TEST(Gradients, FanOutAccumulates) {
    const Node x = placeholder({3}, "x");
    const auto g = gradients(sum(x * x + x * 3.0), {x});
    EXPECT_EQ(eval(g, 0, {x}, {TensorD({3}, {1.0, -2.0, 0.5})}), (std::vector<double>{5.0, -1.0, 4.0}));
}

// Gradient nodes are named after what they differentiate; named nodes and the caller's grad_y keep their names.
TEST(Gradients, NamesGradientNodesAfterTheirForwardNodes) {
    const Node x = placeholder({2, 3}, "image");
    const Node h = relu(x * 2.0);
    EXPECT_TRUE(h.has_default_name());
    Node hn = h;
    hn.set_name("hidden");
    EXPECT_FALSE(h.has_default_name());
    const Node y = sum(h * h);
    const Node gy = constant(Tensor({}, 1.0f));
    const Node g = gradients(y, {x}, gy)[0];
    EXPECT_EQ(g.name(), "d/image");
    EXPECT_TRUE(gy.has_default_name()) << gy.name();
    bool saw_hidden = false;
    for (const Node& n : topological_order({g})) saw_hidden |= n.name() == "d/hidden";
    EXPECT_TRUE(saw_hidden) << "the gradient with respect to 'hidden' is named after it";
}

TEST(Gradients, UnusedInputGetsZerosOfItsShape) {
    const Node x = placeholder({3}, "x"), unused = placeholder({2, 2}, "unused");
    const auto g = gradients(sum(x), {x, unused});
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[1].shape(), (Shape{2, 2}));
    EXPECT_EQ(eval(g, 1, {x, unused}, {TensorD({3}, 1.0), TensorD({2, 2}, 1.0)}), (std::vector<double>(4, 0.0)));
    EXPECT_TRUE(gradients(sum(x), {}).empty());
}

TEST(Gradients, RepeatedRequestsAndPlaceholderY) {
    const Node x = placeholder({2}, "x");
    const auto g = gradients(sum(x * x), {x, x});
    const TensorD xv({2}, {1.5, -2.0});
    EXPECT_EQ(eval(g, 0, {x}, {xv}), (std::vector<double>{3.0, -4.0}));
    EXPECT_EQ(eval(g, 1, {x}, {xv}), (std::vector<double>{3.0, -4.0}));
    const Node s = placeholder({}, "s");
    EXPECT_EQ(eval(gradients(s, {s}), 0, {s}, {TensorD::scalar(3.0)}), std::vector<double>{1.0});
}

TEST(Gradients, OfYWithRespectToItselfIsOne) {
    const Node x = placeholder({2}, "x");
    const Node y = sum(exp(x));
    EXPECT_EQ(eval(gradients(y, {y}), 0, {x}, {TensorD({2}, 0.3)}), std::vector<double>{1.0});
}

TEST(Gradients, WithRespectToAnIntermediate) {
    const Node x = placeholder({3}, "x");
    const Node h = x * 2.0;
    const auto g = gradients(sum(h * h), {h, x});
    const TensorD xv({3}, {1.0, 2.0, 3.0});
    EXPECT_EQ(eval(g, 0, {x}, {xv}), (std::vector<double>{4.0, 8.0, 12.0}));   // 2h
    EXPECT_EQ(eval(g, 1, {x}, {xv}), (std::vector<double>{8.0, 16.0, 24.0}));  // 8x
}

TEST(Gradients, NonScalarWithoutGradYThrows) {
    const Node x = placeholder({3}, "x");
    EXPECT_THROW(gradients(x * 2.0, {x}), ShapeError);
    EXPECT_NO_THROW(gradients(reshape(sum(x), {1, 1}), {x}));  // one element, any rank
}

TEST(Gradients, VectorJacobianProductWithGradY) {
    const Node x = placeholder({3}, "x"), gy = placeholder({3}, "gy");
    const auto g = gradients(x * x, {x}, gy);
    EXPECT_EQ(eval(g, 0, {x, gy}, {TensorD({3}, {1.0, 2.0, -1.0}), TensorD({3}, {1.0, 2.0, 3.0})}),
              (std::vector<double>{2.0, 8.0, -6.0}));
    EXPECT_THROW(gradients(x * x, {x}, placeholder({4}, "bad")), ShapeError);
}

TEST(Gradients, InvalidNodesThrow) {
    const Node x = placeholder({3}, "x");
    EXPECT_THROW(gradients(Node(), {x}), std::invalid_argument);
    EXPECT_THROW(gradients(sum(x), {Node()}), std::invalid_argument);
}

TEST(Gradients, OverrideReplacesTheVjpOfAnOpType) {
    const Node x = placeholder({4}, "x");
    const TensorD w({4}, {1.0, -1.0, 2.0, -3.0});
    const Node y = sum(relu(x) * constant(w, "w"));
    const TensorD xv({4}, {-1.0, 2.0, 3.0, -0.5});
    EXPECT_EQ(eval(gradients(y, {x}), 0, {x}, {xv}), (std::vector<double>{0.0, -1.0, 2.0, 0.0}));

    int calls = 0;
    GradientOverrides guided;  // guided backprop: g·[g > 0]·[out > 0]
    guided["relu"] = [&calls](const Node& out, const Node& g) -> std::vector<Node> {
        ++calls;
        return {g * greater(g, scalar(0.0)) * greater(out, scalar(0.0))};
    };
    EXPECT_EQ(eval(gradients(y, {x}, guided), 0, {x}, {xv}), (std::vector<double>{0.0, 0.0, 2.0, 0.0}));
    EXPECT_EQ(calls, 1);
    // Other op types keep their VJP.
    GradientOverrides other;
    other["tanh"] = [](const Node&, const Node& g) -> std::vector<Node> { return {g * 100.0}; };
    EXPECT_EQ(eval(gradients(y, {x}, other), 0, {x}, {xv}), (std::vector<double>{0.0, -1.0, 2.0, 0.0}));
}

TEST(Gradients, OverrideWithWrongGradientCountThrows) {
    const Node x = placeholder({4}, "x");
    GradientOverrides bad;
    bad["relu"] = [](const Node&, const Node&) -> std::vector<Node> { return {}; };
    EXPECT_ANY_THROW(gradients(sum(relu(x)), {x}, bad));
}

TEST(Gradients, InputGradientOfACnnBuildsNoWeightGradient) {
    const auto values = small_cnn_values();
    const SmallCnnParams params = small_cnn_params(values);
    const Node image = placeholder(SmallCnnShapes{}.image, "image");
    const Node loss = small_cnn_loss(image, params.nodes[0], params.nodes[1], params.nodes[2], params.nodes[3]);

    const auto d_image = gradients(loss, {image});
    auto types = count_types(d_image);
    EXPECT_EQ(types["conv2d_backward_weights"], 0);
    EXPECT_EQ(types["conv2d_backward_data"], 1);
    // No node of the backward graph has a weight's shape except the weights themselves, and no matmul
    // produces [27, 4] (dW2) and no sum_to produces a bias shape.
    const auto order = topological_order(d_image);
    for (const auto& n : order) {
        if (n.kind() == NodeKind::parameter) continue;
        const SmallCnnShapes s;
        EXPECT_NE(n.shape(), s.w1) << n.type() << " " << n.describe();
        EXPECT_NE(n.shape(), s.w2) << n.type() << " " << n.describe();
        EXPECT_NE(n.shape(), s.b1) << n.type() << " " << n.describe();
        if (n.type() == "sum_to") {
            EXPECT_NE(n.shape(), s.b2) << n.describe();
        }
    }

    const auto d_weights = gradients(loss, params.nodes);
    types = count_types(d_weights);
    EXPECT_EQ(types["conv2d_backward_weights"], 1);
    EXPECT_EQ(types["conv2d_backward_data"], 0) << "the image gradient was built though only weights were requested";
    EXPECT_EQ(count_types(gradients(loss, {image, params.nodes[0]}))["conv2d_backward_weights"], 1);
}

TEST(Gradients, CnnGradcheckWithRespectToInput) {
    const auto values = small_cnn_values();
    const SmallCnnParams params = small_cnn_params(values);
    const Node image = placeholder(SmallCnnShapes{}.image, "image");
    const Node loss = small_cnn_loss(image, params.nodes[0], params.nodes[1], params.nodes[2], params.nodes[3]);
    const GradcheckResult r = gradcheck(loss, {image}, {values[0]});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.checked, 72u);
}

TEST(Gradients, CnnGradcheckWithRespectToWeights) {
    const auto values = small_cnn_values();
    const SmallCnnShapes s;
    std::vector<Node> in = {placeholder(s.image, "image"), placeholder(s.w1, "w1"), placeholder(s.b1, "b1"),
                            placeholder(s.w2, "w2"), placeholder(s.b2, "b2")};
    const Node loss = small_cnn_loss(in[0], in[1], in[2], in[3], in[4]);
    const GradcheckResult r = gradcheck(loss, in, values);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.checked, 72u + 54u + 3u + 108u + 4u);
}

TEST(Gradients, ParameterGradientSeesNewParameterValues) {
    auto w = std::make_shared<Tensor>(Shape{3}, std::vector<float>{1, 2, 3});
    const Node wn = parameter(w, "w");
    const Node x = placeholder({3}, "x");
    const auto g = gradients(sum(wn * wn * x), {wn});
    Function f = compile(g, {x});
    const Tensor xv({3}, {1.0f, 1.0f, 2.0f});
    EXPECT_EQ(std::vector<float>(f(xv)[0].begin(), f(xv)[0].end()), (std::vector<float>{2, 4, 12}));
    w->fill(-1.0f);
    EXPECT_EQ(std::vector<float>(f(xv)[0].begin(), f(xv)[0].end()), (std::vector<float>{-2, -2, -4}));
}

// ---- second derivatives
struct GradGradCase {
    std::string name;
    std::vector<Shape> shapes;
    std::function<Node(const std::vector<Node>&)> build;
    double lo = -1, hi = 1;
};

class SecondOrder : public ::testing::TestWithParam<GradGradCase> {};

TEST_P(SecondOrder, GradGradCheck) {
    const GradGradCase& c = GetParam();
    std::vector<Node> xs;
    std::vector<TensorD> values;
    for (std::size_t i = 0; i < c.shapes.size(); ++i) {
        xs.push_back(placeholder(c.shapes[i], "x" + std::to_string(i)));
        values.push_back(random_uniform<double>(c.shapes[i], c.lo, c.hi, 100 + i));
    }
    const Node y = c.build(xs);
    const GradcheckResult r = gradgradcheck(y, xs, values);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_GT(r.checked, 0u);
}

kernels::Conv2dParams strided_padded() {
    kernels::Conv2dParams p;
    p.stride_h = p.stride_w = 2;
    p.pad_top = p.pad_left = 1;
    p.pad_bottom = p.pad_right = 1;
    return p;
}
kernels::Pool2dParams pool3s2() {
    kernels::Pool2dParams p;
    p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    return p;
}

std::vector<GradGradCase> second_order_cases() {
    using V = const std::vector<Node>&;
    return {
        {"mul_exp", {{2, 3}, {2, 3}}, [](V x) { return sum(exp(x[0] * x[1]) * x[0]); }},
        {"tanh_sigmoid", {{2, 3}}, [](V x) { return sum(tanh(x[0]) * sigmoid(x[0] * 2.0)); }},
        // Through the composite VJPs (silu_grad, gelu_grad) and their own VJPs.
        {"silu_gelu", {{2, 3}, {2, 3}},
         [](V x) { return sum((x[0] * sigmoid(x[0])) * x[1] + ((x[1] * (erf(x[1] / scalar(1.4142135)) + 1.0)) * 0.5) * x[0]); }, -2, 2},
        {"div_log_sqrt_pow", {{2, 3}}, [](V x) { return sum(log(x[0]) / sqrt(x[0]) + pow(x[0], -1.5) * square(x[0])); }, 0.5, 2},
        {"broadcast_binary", {{2, 3}, {3}}, [](V x) { return sum(tanh(x[0] * x[1] + x[1] / (x[0] * x[0] + 1.0))); }},
        {"maximum_abs_leaky", {{2, 3}, {2, 3}}, [](V x) { return sum(square(maximum(x[0], x[1])) * abs(x[0]) + leaky_relu(x[1]) * x[0]); }},
        {"matmul", {{2, 3}, {3, 4}}, [](V x) { return sum(tanh(matmul(x[0], x[1]))); }},
        {"matmul_transposed_batched", {{2, 3, 2}, {4, 3}}, [](V x) { return sum(square(matmul(x[0], x[1], true, true))); }},
        {"conv2d", {{1, 2, 5, 5}, {2, 2, 3, 3}}, [](V x) { return sum(tanh(conv2d(x[0], x[1], strided_padded()))); }},
        {"conv2d_groups", {{1, 2, 4, 4}, {2, 1, 3, 3}},
         [](V x) {
             kernels::Conv2dParams p;
             p.groups = 2;
             return sum(square(conv2d(x[0], x[1], p)));
         }},
        {"max_pool", {{1, 2, 5, 5}}, [](V x) { return sum(square(max_pool2d(x[0], pool3s2()))); }},
        {"avg_pool", {{1, 2, 5, 5}}, [](V x) { return sum(square(avg_pool2d(x[0], pool3s2()))); }},
        {"global_avg_pool", {{1, 2, 3, 3}}, [](V x) { return sum(exp(global_avg_pool(x[0]))); }},
        {"softmax", {{2, 4}}, [](V x) { return sum(softmax(x[0]) * x[0]); }},
        {"log_softmax_axis0", {{3, 2}}, [](V x) { return sum(square(log_softmax(x[0], 0))); }},
        {"softmax_cross_entropy", {{2, 3}, {2, 3}}, [](V x) { return softmax_cross_entropy(x[0], sigmoid(x[1])); }},
        {"reductions", {{2, 3, 2}}, [](V x) { return sum(square(max(x[0], {1}))) + mean(exp(sum(x[0], {0, 2}))); }},
        {"layout", {{2, 3}},
         [](V x) {
             const Node a = slice(pad(x[0], {1, 0}, {0, 2}, 0.5), {0, 1}, {slice_full, slice_full}, {2, -1});
             const Node b = roll(transpose(x[0], {1, 0}), {1}, {0});
             return sum(square(concat({reshape(a, {2, 2}), reshape(b, {2, 3}), flatten(x[0] * x[0])}, 1)));
         }},
        {"relu_where", {{3, 4}}, [](V x) { return sum(square(relu(x[0])) + where(greater(x[0], scalar(0.2)), x[0] * x[0], x[0])); }},
    };
}

INSTANTIATE_TEST_SUITE_P(Compositions, SecondOrder, ::testing::ValuesIn(second_order_cases()),
                         [](const ::testing::TestParamInfo<GradGradCase>& i) { return i.param.name; });

TEST(SecondOrderCnn, InputGradientOfTheCnn) {
    const auto values = small_cnn_values();
    const SmallCnnParams params = small_cnn_params(values);
    const Node image = placeholder(SmallCnnShapes{}.image, "image");
    const Node loss = small_cnn_loss(image, params.nodes[0], params.nodes[1], params.nodes[2], params.nodes[3]);
    const GradcheckResult r = gradgradcheck(loss, {image}, {values[0]});
    EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
}  // namespace xvis::test

TEST(Graph, DeepChainsBuildRunAndReleaseWithoutRecursion) {
    // 300k nodes: destroying them recursively used to overflow the stack.
    xvis::Node x = xvis::placeholder({1}, "x");
    xvis::Node y = x;
    for (int i = 0; i < 300000; ++i) y = xvis::add_scalar(y, 1.0);
    xvis::Function f = xvis::compile({y}, {x});
    EXPECT_FLOAT_EQ(f(xvis::Tensor({1}, {0.5f}))[0][0], 300000.5f);
}
