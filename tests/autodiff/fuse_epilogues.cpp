// compile()'s epilogue fusion (fuse_epilogues.hpp): which chains become fused convolutions, which must not, and
// that every output keeps its value bit for bit (float and double) against the same graph compiled unfused.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/fuse_epilogues.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/random.hpp>

#include <gtest/gtest.h>

#include <map>

namespace xvis::test {
namespace {

kernels::Conv2dParams pad1() {
    kernels::Conv2dParams p;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    return p;
}

// Step counts by op type of what f runs (from its profile, which lists every step).
std::map<std::string, int> step_types(Function& f, const Tensor& x) {
    f.enable_profiling();
    f(x);
    std::map<std::string, int> types;
    for (const auto& s : f.profile()) ++types[s.type];
    return types;
}

Node weight(const Shape& s, std::uint64_t seed, double scale = 0.3) {
    return constant(random_uniform<double>(s, -scale, scale, seed));
}

// Two residual blocks (16 channels, 14×14: Winograd forward and backward), the first with ONNX-style [1, K, 1, 1]
// biases, the second with Keras-style [K, 1, 1] ones and a residual on the left of the add; a saliency-style
// output (the loss and d loss / d x).
struct ResidualNet {
    Node x = placeholder({1, 16, 14, 14}, "x");
    Node stem, block1, block2, loss, grad;
    ResidualNet() {
        stem = relu(add(conv2d(x, weight({16, 16, 3, 3}, 1), pad1()), weight({1, 16, 1, 1}, 2, 0.1)));
        const Node a = relu(add(conv2d(stem, weight({16, 16, 3, 3}, 3), pad1()), weight({1, 16, 1, 1}, 4, 0.1)));
        block1 = relu(add(add(conv2d(a, weight({16, 16, 3, 3}, 5), pad1()), weight({1, 16, 1, 1}, 6, 0.1)), stem));
        const Node b = relu(add(weight({16, 1, 1}, 7, 0.1), conv2d(block1, weight({16, 16, 3, 3}, 8), pad1())));
        block2 = relu(add(block1, add(conv2d(b, weight({16, 16, 3, 3}, 9), pad1()), weight({16, 1, 1}, 10, 0.1))));
        loss = sum(mul(block2, weight({1, 16, 14, 14}, 11, 1.0)));
        grad = gradients(loss, {x})[0];
    }
};

void expect_same_bits(const std::vector<Node>& outputs, const Node& x, std::uint64_t seed) {
    const Tensor xv = random_uniform<float>(x.shape(), -1, 1, seed);
    Function fused = compile(outputs, {x});
    Function plain = compile(outputs, {x}, CompileOptions{false});
    for (int run = 0; run < 2; ++run) {  // the second run takes the prepared (transformed) weights
        const auto& a = fused(xv);
        const auto& b = plain(xv);
        for (std::size_t o = 0; o < outputs.size(); ++o) {
            ASSERT_EQ(a[o].shape(), b[o].shape());
            for (std::size_t i = 0; i < a[o].size(); ++i)
                ASSERT_EQ(a[o][i], b[o][i]) << "output " << o << " element " << i << " run " << run;
        }
    }
    const TensorD xd = xv.cast<double>();
    FunctionD fused_d = compile_double(outputs, {x});
    FunctionD plain_d = compile_double(outputs, {x}, CompileOptions{false});
    const auto& a = fused_d(xd);
    const auto& b = plain_d(xd);
    for (std::size_t o = 0; o < outputs.size(); ++o)
        for (std::size_t i = 0; i < a[o].size(); ++i) ASSERT_EQ(a[o][i], b[o][i]) << "double output " << o << " element " << i;
}

TEST(FuseEpilogues, ResidualNetworkFusesEveryChainAndKeepsTheBits) {
    ResidualNet n;
    expect_same_bits({n.loss, n.grad}, n.x, 21);
    Function f = compile({n.loss, n.grad}, {n.x});
    Function plain = compile({n.loss, n.grad}, {n.x}, CompileOptions{false});
    const Tensor xv = random_uniform<float>(n.x.shape(), -1, 1, 3);
    auto types = step_types(f, xv);
    EXPECT_EQ(types["conv2d_fused"], 5) << f.plan_string();
    EXPECT_EQ(types["conv2d"], 0) << f.plan_string();
    EXPECT_EQ(types["relu"], 0) << f.plan_string();
    // d/x through 5 convolutions: the 4 inner ones end in a ReLU mask (2 with the shortcut's gradient added);
    // the first convolution's input x has no ReLU.
    EXPECT_EQ(types["conv2d_backward_data_fused"], 4) << f.plan_string();
    EXPECT_EQ(types["conv2d_backward_data"], 1) << f.plan_string();
    EXPECT_EQ(types["relu_grad"], 1) << f.plan_string();  // block2's: its gradient comes from the loss, not a convolution
    EXPECT_LT(f.num_steps() + 15, plain.num_steps());
    EXPECT_LT(f.buffer_elements(), plain.buffer_elements());
}

TEST(FuseEpilogues, AnIntermediateOutputIsKept) {
    ResidualNet n;
    // block1's pre-activation sum, read by its ReLU and requested: the ReLU cannot take the sum in.
    const Node pre = n.block1.inputs()[0];
    expect_same_bits({n.grad, pre, n.stem}, n.x, 5);
    Function f = compile({n.grad, pre}, {n.x});
    auto types = step_types(f, random_uniform<float>(n.x.shape(), -1, 1, 3));
    EXPECT_GE(types["relu"], 1) << f.plan_string();  // block1's ReLU reads a kept sum
}

TEST(FuseEpilogues, ConvolutionReadTwiceIsNotFused) {
    const Node x = placeholder({1, 4, 8, 8}, "x");
    const Node c = conv2d(x, weight({4, 4, 3, 3}, 1), pad1());
    const Node y = relu(add(c, weight({1, 4, 1, 1}, 2, 0.1)));
    const Node out = sum(mul(y, c));  // c read by the bias add and by the product
    const Node g = gradients(out, {x})[0];
    expect_same_bits({out, g}, x, 9);
    Function f = compile({out, g}, {x});
    auto types = step_types(f, random_uniform<float>(x.shape(), -1, 1, 3));
    EXPECT_EQ(types["conv2d"], 1) << f.plan_string();
    EXPECT_EQ(types["conv2d_fused"], 0) << f.plan_string();
}

TEST(FuseEpilogues, LeakyReluAndOtherShapesStayOutside) {
    const Node x = placeholder({2, 3, 7, 7}, "x");
    // leaky_relu is not fused (only its bias is); a [K] operand of add broadcasts along W, not channels.
    const Node a = leaky_relu(add(conv2d(x, weight({3, 3, 3, 3}, 1), pad1()), weight({3, 1, 1}, 2, 0.1)), 0.2);
    const Node b = relu(add(conv2d(a, weight({7, 3, 1, 1}, 3)), weight({7}, 4, 0.1)));
    const Node out = sum(mul(b, b));
    const Node g = gradients(out, {x})[0];
    expect_same_bits({out, g}, x, 13);
    Function f = compile({out, g}, {x});
    auto types = step_types(f, random_uniform<float>(x.shape(), -1, 1, 3));
    EXPECT_EQ(types["conv2d_fused"], 1) << f.plan_string();  // the first convolution with its bias
    EXPECT_EQ(types["leaky_relu"], 1) << f.plan_string();
    EXPECT_EQ(types["conv2d"], 1) << f.plan_string();
    EXPECT_EQ(types["relu"], 1) << f.plan_string();
}

// MobileNetV2's ReLU6 (clip) and EfficientNet's SiLU (x·σ(x), whose VJP is one silu_grad node): the forward
// activation stays a step (its VJP reads the pre-activation), the VJP ends the backward-data convolution.
TEST(FuseEpilogues, ClipAndSiluVjpsEndTheBackwardData) {
    const Node x = placeholder({1, 16, 14, 14}, "x");
    const Node a = clip(add(conv2d(x, weight({16, 16, 3, 3}, 1), pad1()), weight({1, 16, 1, 1}, 2, 0.1)), 0.0, 6.0);
    kernels::Conv2dParams dw = pad1();
    dw.groups = 16;
    const Node pre = add(conv2d(a, weight({16, 1, 3, 3}, 3), dw), weight({1, 16, 1, 1}, 4, 0.1));
    const Node b = mul(pre, sigmoid(pre));
    const Node c = conv2d(b, weight({8, 16, 1, 1}, 5));
    const Node out = sum(mul(c, weight({1, 8, 14, 14}, 6, 1.0)));
    const Node g = gradients(out, {x})[0];
    expect_same_bits({out, g}, x, 17);
    Function f = compile({out, g}, {x});
    Function plain = compile({out, g}, {x}, CompileOptions{false});
    const Tensor xv = random_uniform<float>(x.shape(), -1, 1, 3);
    auto types = step_types(f, xv);
    auto plain_types = step_types(plain, xv);
    EXPECT_EQ(plain_types["silu_grad"], 1) << plain.plan_string();
    EXPECT_EQ(plain_types["clip_grad"], 1) << plain.plan_string();
    EXPECT_EQ(types["silu_grad"], 0) << f.plan_string();
    EXPECT_EQ(types["clip_grad"], 0) << f.plan_string();
    EXPECT_EQ(types["conv2d_backward_data_fused"], 2) << f.plan_string();
    EXPECT_EQ(types["clip"], 1) << f.plan_string();
    EXPECT_EQ(types["conv2d_fused"], 2) << f.plan_string();  // the biases
}

TEST(FuseEpilogues, NamesAndNothingToFuse) {
    const Node x = placeholder({1, 2, 5, 5}, "x");
    Node y = relu(add(conv2d(x, weight({2, 2, 3, 3}, 1), pad1()), weight({1, 2, 1, 1}, 2)));
    y.set_name("block/relu");
    const auto fused = fuse_epilogues({y});
    EXPECT_EQ(fused[0].type(), "conv2d_fused");
    EXPECT_EQ(fused[0].name(), "block/relu");  // profiles name the layer
    const Node plain = sum(exp(x));
    EXPECT_TRUE(fuse_epilogues({plain})[0].same(plain));  // nothing changed: the same nodes
    EXPECT_THROW(fuse_epilogues({Node()}), std::invalid_argument);
}

}  // namespace
}  // namespace xvis::test
