// The error table: each row builds an op on badly shaped inputs or with bad arguments; building must throw
// ShapeError whose message names the op, the input nodes and their shapes (and the rule that failed).
#include <xvis/autodiff/ops.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <typeinfo>
#include <vector>

namespace xvis::test {
namespace {

using kernels::Conv2dParams;
using kernels::Pool2dParams;

struct ErrorCase {
    std::string name;
    std::function<Node()> build;
    std::vector<std::string> expect;  // substrings of what()
};
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

Node P(Shape s, const std::string& name) { return placeholder(std::move(s), name); }

Pool2dParams pool(std::size_t k, std::size_t s) {
    Pool2dParams p;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = s;
    return p;
}

std::vector<ErrorCase> error_cases() {
    std::vector<ErrorCase> t;
    // Binary ops: both nodes and both shapes in the message.
    using BinaryBuilder = Node (*)(const Node&, const Node&);
    const std::vector<std::pair<std::string, BinaryBuilder>> binaries = {
        {"add", &xvis::add},         {"sub", &xvis::sub},         {"mul", &xvis::mul},
        {"div", &xvis::div},         {"maximum", &xvis::maximum}, {"minimum", &xvis::minimum},
        {"equal", &xvis::equal},     {"greater", &xvis::greater}, {"greater_equal", &xvis::greater_equal},
    };
    for (const auto& [type, op] : binaries) {
        auto f = op;
        t.push_back({type + "_no_broadcast", [f] { return f(P({2, 3}, "lhs_node"), P({4}, "rhs_node")); },
                     {type, "lhs_node", "[2, 3]", "rhs_node", "[4]"}});
    }
    t.push_back({"mul_transposed_shapes", [] { return P({2, 3}, "lhs_node") * P({3, 2}, "rhs_node"); },
                 {"mul", "lhs_node", "[2, 3]", "rhs_node", "[3, 2]"}});
    t.push_back({"clip_nan_bound", [] { return clip(P({2, 3}, "act"), 0.0, std::nan("")); }, {"clip", "act", "[2, 3]", "NaN"}});
    t.push_back({"clip_grad_mismatch", [] { return clip_grad(P({2, 3}, "act"), P({3, 2}, "grad_in"), 0.0, 6.0); },
                 {"clip_grad", "act", "[2, 3]", "grad_in", "[3, 2]"}});
    t.push_back({"relu_grad_mismatch", [] { return relu_grad(P({2, 3}, "pre_act"), P({3, 3}, "grad_in")); },
                 {"relu_grad", "pre_act", "[2, 3]", "grad_in", "[3, 3]"}});
    t.push_back({"where_mismatch", [] { return where(P({2}, "cond_node"), P({3}, "then_node"), P({3}, "else_node")); },
                 {"where", "cond_node", "[2]", "then_node", "[3]"}});
    t.push_back({"broadcast_to_bad", [] { return broadcast_to(P({2, 3}, "src_node"), {3, 3}); },
                 {"broadcast_to", "src_node", "[2, 3]", "[3, 3]"}});
    t.push_back({"sum_to_bad", [] { return sum_to(P({2, 3}, "src_node"), {4}); }, {"sum_to", "src_node", "[2, 3]", "[4]"}});

    // Axes.
    t.push_back({"sum_axis_out_of_range", [] { return sum(P({2, 3}, "x_node"), {2}); }, {"sum", "x_node", "[2, 3]", "2"}});
    t.push_back({"max_negative_axis_out_of_range", [] { return max(P({2, 3}, "x_node"), {-3}); },
                 {"max", "x_node", "[2, 3]", "-3"}});
    t.push_back({"mean_repeated_axis", [] { return mean(P({2, 3}, "x_node"), {0, -2}); }, {"mean", "x_node", "[2, 3]"}});
    // Compositions name the op the caller used, not the primitive that happened to check the axis.
    t.push_back({"softmax_bad_axis", [] { return softmax(P({2, 3}, "x_node"), 5); }, {"softmax", "x_node", "[2, 3]", "5"}});
    t.push_back({"log_softmax_bad_axis", [] { return log_softmax(P({2, 3}, "x_node"), -3); },
                 {"log_softmax", "x_node", "[2, 3]", "-3"}});
    t.push_back({"softmax_cross_entropy_mismatch",
                 [] { return softmax_cross_entropy(P({2, 3}, "logits_node"), P({2, 4}, "labels_node")); },
                 {"softmax_cross_entropy", "logits_node", "[2, 3]", "labels_node", "[2, 4]"}});

    // Layout.
    t.push_back({"transpose_repeated_perm", [] { return transpose(P({2, 3}, "x_node"), {0, 0}); },
                 {"transpose", "x_node", "[2, 3]", "[0, 0]"}});
    t.push_back({"transpose_perm_too_long", [] { return transpose(P({2, 3}, "x_node"), {0, 1, 2}); },
                 {"transpose", "x_node", "[2, 3]"}});
    t.push_back({"transpose_perm_out_of_range", [] { return transpose(P({2, 3}, "x_node"), {0, 2}); },
                 {"transpose", "x_node", "[2, 3]"}});
    t.push_back({"slice_step_zero", [] { return slice(P({4, 5}, "x_node"), {0, 0}, {2, 2}, {1, 0}); },
                 {"slice", "x_node", "[4, 5]", "step 0"}});
    t.push_back({"slice_too_many_axes", [] { return slice(P({4}, "x_node"), {0, 0}, {1, 1}); }, {"slice", "x_node", "[4]"}});
    t.push_back({"reshape_size_mismatch", [] { return reshape(P({2, 3}, "x_node"), {4, 2}); },
                 {"reshape", "x_node", "[2, 3]", "[4, 2]"}});
    t.push_back({"flatten_rank0", [] { return flatten(P({}, "x_node")); }, {"flatten", "x_node", "[]"}});
    t.push_back({"pad_too_many_axes", [] { return pad(P({2, 3}, "x_node"), {1, 1, 1}, {}); }, {"pad", "x_node", "[2, 3]"}});
    t.push_back({"concat_mismatch", [] { return concat({P({2, 3}, "first_node"), P({3, 3}, "second_node")}, 1); },
                 {"concat", "first_node", "[2, 3]", "second_node", "[3, 3]"}});
    t.push_back({"concat_rank_mismatch", [] { return concat({P({2, 3}, "first_node"), P({2, 3, 1}, "second_node")}, 0); },
                 {"concat", "first_node", "[2, 3]", "second_node", "[2, 3, 1]"}});
    t.push_back({"concat_axis_out_of_range", [] { return concat({P({2, 3}, "first_node"), P({2, 3}, "second_node")}, 2); },
                 {"concat", "first_node", "[2, 3]", "2"}});
    t.push_back({"concat_empty", [] { return concat({}, 0); }, {"concat"}});
    t.push_back({"roll_axis_out_of_range", [] { return roll(P({2, 3}, "x_node"), {1}, {2}); }, {"roll", "x_node", "[2, 3]"}});
    t.push_back({"roll_count_mismatch", [] { return roll(P({2, 3}, "x_node"), {1, 2}, {0}); }, {"roll", "x_node", "[2, 3]"}});

    // Linear algebra.
    t.push_back({"matmul_inner_mismatch", [] { return matmul(P({2, 3}, "lhs_node"), P({4, 5}, "rhs_node")); },
                 {"matmul", "lhs_node", "[2, 3]", "rhs_node", "[4, 5]", "3", "4"}});
    t.push_back({"matmul_same_shape_operands", [] { return matmul(P({2, 3}, "lhs_node"), P({2, 3}, "rhs_node"), false, false); },
                 {"matmul", "lhs_node", "rhs_node", "[2, 3]"}});
    t.push_back({"matmul_batch_mismatch", [] { return matmul(P({2, 3, 4}, "lhs_node"), P({3, 4, 5}, "rhs_node")); },
                 {"matmul", "lhs_node", "[2, 3, 4]", "rhs_node", "[3, 4, 5]"}});
    t.push_back({"matmul_rank1", [] { return matmul(P({3}, "lhs_node"), P({3, 2}, "rhs_node")); },
                 {"matmul", "lhs_node", "[3]", "rhs_node", "[3, 2]"}});

    // Convolution.
    t.push_back({"conv2d_channel_mismatch", [] { return conv2d(P({1, 3, 5, 5}, "image"), P({2, 2, 3, 3}, "kernel")); },
                 {"conv2d", "image", "[1, 3, 5, 5]", "kernel", "[2, 2, 3, 3]"}});
    t.push_back({"conv2d_groups_mismatch",
                 [] {
                     Conv2dParams p;
                     p.groups = 2;
                     return conv2d(P({1, 3, 5, 5}, "image"), P({4, 1, 3, 3}, "kernel"), p);
                 },
                 {"conv2d", "image", "[1, 3, 5, 5]", "kernel", "[4, 1, 3, 3]"}});
    t.push_back({"conv2d_kernel_too_large", [] { return conv2d(P({1, 1, 2, 2}, "image"), P({1, 1, 3, 3}, "kernel")); },
                 {"conv2d", "image", "[1, 1, 2, 2]", "kernel", "[1, 1, 3, 3]"}});
    t.push_back({"conv2d_rank3_input", [] { return conv2d(P({1, 5, 5}, "image"), P({1, 1, 3, 3}, "kernel")); },
                 {"conv2d", "image", "[1, 5, 5]", "kernel"}});
    t.push_back({"conv2d_zero_stride",
                 [] {
                     Conv2dParams p;
                     p.stride_h = 0;
                     return conv2d(P({1, 1, 5, 5}, "image"), P({1, 1, 3, 3}, "kernel"), p);
                 },
                 {"conv2d", "image", "kernel"}});
    t.push_back({"conv2d_backward_data_bad_dy",
                 [] { return conv2d_backward_data(P({1, 2, 4, 4}, "dy_node"), P({2, 1, 3, 3}, "kernel"), {1, 1, 5, 5}, {}); },
                 {"conv2d_backward_data", "dy_node", "[1, 2, 4, 4]", "kernel", "[2, 1, 3, 3]", "[1, 2, 3, 3]"}});
    t.push_back({"conv2d_fused_bias_along_w",  // [K] broadcasts along W, not along the channels
                 [] { return conv2d_fused(P({1, 2, 5, 5}, "image"), P({3, 2, 3, 3}, "kernel"), P({3}, "bias_node"), Node(), {}, true); },
                 {"conv2d_fused", "image", "kernel", "bias_node", "[3]", "[3, 1, 1] or [1, 3, 1, 1]"}});
    t.push_back({"conv2d_fused_bad_residual",
                 [] { return conv2d_fused(P({1, 2, 5, 5}, "image"), P({3, 2, 3, 3}, "kernel"), Node(), P({1, 3, 5, 5}, "shortcut"), {}, false); },
                 {"conv2d_fused", "shortcut", "[1, 3, 5, 5]", "output shape [1, 3, 3, 3]"}});
    t.push_back({"conv2d_fused_channel_mismatch",
                 [] { return conv2d_fused(P({1, 3, 5, 5}, "image"), P({2, 2, 3, 3}, "kernel"), Node(), Node(), {}, true); },
                 {"conv2d_fused", "image", "[1, 3, 5, 5]", "kernel", "[2, 2, 3, 3]"}});
    t.push_back({"conv2d_backward_data_fused_bad_mask",
                 [] {
                     return conv2d_backward_data_fused(P({1, 2, 3, 3}, "dy_node"), P({2, 1, 3, 3}, "kernel"), Node(),
                                                       {P({1, 1, 5, 4}, "mask_node")}, {1, 1, 5, 5}, {});
                 },
                 {"conv2d_backward_data_fused", "mask_node", "[1, 1, 5, 4]", "the activation's input", "input shape [1, 1, 5, 5]"}});
    t.push_back({"conv2d_backward_data_fused_silu_one_aux",  // SiLU's VJP reads x and σ(x)
                 [] {
                     ActivationVjp silu;
                     silu.kind = ActivationVjp::Kind::silu;
                     return conv2d_backward_data_fused(P({1, 2, 3, 3}, "dy_node"), P({2, 1, 3, 3}, "kernel"), Node(),
                                                       {P({1, 1, 5, 5}, "x_node")}, {1, 1, 5, 5}, {}, silu);
                 },
                 {"conv2d_backward_data_fused", "x_node", "silu VJP reads 2 activation input(s), got 1"}});
    t.push_back({"conv2d_backward_data_fused_bad_residual",
                 [] {
                     return conv2d_backward_data_fused(P({1, 2, 3, 3}, "dy_node"), P({2, 1, 3, 3}, "kernel"), P({1, 2, 5, 5}, "res"),
                                                       {P({1, 1, 5, 5}, "mask_node")}, {1, 1, 5, 5}, {});
                 },
                 {"conv2d_backward_data_fused", "res", "[1, 2, 5, 5]", "the residual"}});
    t.push_back({"conv2d_backward_weights_bad_dy",
                 [] { return conv2d_backward_weights(P({1, 1, 5, 5}, "image"), P({1, 2, 4, 4}, "dy_node"), {2, 1, 3, 3}, {}); },
                 {"conv2d_backward_weights", "image", "[1, 1, 5, 5]", "dy_node", "[1, 2, 4, 4]"}});

    // Pooling.
    t.push_back({"max_pool2d_window_too_large", [] { return max_pool2d(P({1, 1, 2, 2}, "image"), pool(3, 1)); },
                 {"max_pool2d", "image", "[1, 1, 2, 2]"}});
    t.push_back({"avg_pool2d_window_too_large", [] { return avg_pool2d(P({1, 1, 2, 5}, "image"), pool(3, 1)); },
                 {"avg_pool2d", "image", "[1, 1, 2, 5]"}});
    t.push_back({"max_pool2d_rank3", [] { return max_pool2d(P({1, 4, 4}, "image"), pool(2, 2)); },
                 {"max_pool2d", "image", "[1, 4, 4]"}});
    t.push_back({"avg_pool2d_zero_stride", [] { return avg_pool2d(P({1, 1, 4, 4}, "image"), pool(2, 0)); },
                 {"avg_pool2d", "image", "[1, 1, 4, 4]"}});
    t.push_back({"max_pool2d_backward_bad_dy",
                 [] { return max_pool2d_backward(P({1, 1, 4, 4}, "image"), P({1, 1, 3, 3}, "dy_node"), pool(2, 2)); },
                 {"max_pool2d_backward", "image", "[1, 1, 4, 4]", "dy_node", "[1, 1, 3, 3]"}});
    t.push_back({"max_pool2d_select_bad_v",
                 [] { return max_pool2d_select(P({1, 1, 4, 4}, "image"), P({1, 1, 2, 2}, "v_node"), pool(2, 2)); },
                 {"max_pool2d_select", "image", "[1, 1, 4, 4]", "v_node", "[1, 1, 2, 2]"}});
    t.push_back({"avg_pool2d_backward_bad_dy",
                 [] { return avg_pool2d_backward(P({1, 1, 3, 3}, "dy_node"), {1, 1, 4, 4}, pool(2, 2)); },
                 {"avg_pool2d_backward", "dy_node", "[1, 1, 3, 3]"}});
    t.push_back({"global_avg_pool_rank3", [] { return global_avg_pool(P({2, 3, 4}, "x_node")); },
                 {"global_avg_pool", "x_node", "[2, 3, 4]"}});

    // ONNX import primitives.
    const auto indices = [](std::vector<double> v, Shape s) { return constant(TensorD(std::move(s), v), "idx_node"); };
    t.push_back({"gather_axis_out_of_range", [] { return gather(P({2, 3}, "x_node"), P({2}, "idx_node"), 2); },
                 {"gather", "x_node", "[2, 3]", "idx_node", "[2]", "axis 2", "rank 2"}});
    t.push_back({"gather_rank0_x", [] { return gather(P({}, "x_node"), P({2}, "idx_node"), 0); },
                 {"gather", "x_node", "[]", "rank-0"}});
    t.push_back({"gather_constant_index_too_large", [=] { return gather(P({4, 3}, "x_node"), indices({0, 3, 1}, {3}), 1); },
                 {"gather", "x_node", "[4, 3]", "idx_node", "index 3", "axis 1 of size 3"}});
    t.push_back({"gather_constant_index_too_negative", [=] { return gather(P({4, 3}, "x_node"), indices({-5}, {1}), 0); },
                 {"gather", "index -5", "axis 0 of size 4", "-4 to 3"}});
    t.push_back({"gather_constant_index_not_integer", [=] { return gather(P({4, 3}, "x_node"), indices({1.5}, {}), 0); },
                 {"gather", "x_node", "index 1.5", "not an integer"}});
    t.push_back({"gather_empty_axis", [] { return gather(P({0, 3}, "x_node"), P({2}, "idx_node"), 0); },
                 {"gather", "x_node", "[0, 3]", "empty"}});
    t.push_back({"gather_output_rank_too_large", [] { return gather(P({2, 2, 2, 2}, "x_node"), P({1, 1, 1, 1}, "idx_node"), 0); },
                 {"gather", "x_node", "[2, 2, 2, 2]", "idx_node", "rank 7"}});
    t.push_back({"gather_backward_bad_dy",
                 [] { return gather_backward(P({2, 3}, "dy_node"), P({4}, "idx_node"), {5, 3}, 0); },
                 {"gather_backward", "dy_node", "[2, 3]", "idx_node", "[4, 3]", "[5, 3]"}});
    t.push_back({"gather_backward_constant_index_out_of_range",
                 [=] { return gather_backward(P({2, 3}, "dy_node"), indices({0, 7}, {2}), {5, 3}, 0); },
                 {"gather_backward", "dy_node", "index 7", "axis 0 of size 5"}});
    t.push_back({"resize_rank1", [] { return resize(P({4}, "x_node"), {8}); }, {"resize", "x_node", "[4]", "[8]", "rank >= 2"}});
    t.push_back({"resize_leading_axis_changed", [] { return resize(P({1, 3, 4, 4}, "x_node"), {1, 2, 8, 8}); },
                 {"resize", "x_node", "[1, 3, 4, 4]", "[1, 2, 8, 8]", "axis 1 must keep its size 3"}});
    t.push_back({"resize_rank_mismatch", [] { return resize(P({3, 4, 4}, "x_node"), {1, 3, 8, 8}); },
                 {"resize", "x_node", "[3, 4, 4]", "[1, 3, 8, 8]", "rank 3"}});
    t.push_back({"resize_empty_output", [] { return resize(P({1, 1, 4, 4}, "x_node"), {1, 1, 0, 8}); },
                 {"resize", "x_node", "[1, 1, 4, 4]", "[1, 1, 0, 8]", "empty"}});
    t.push_back({"resize_negative_scale",
                 [] {
                     ResizeOptions o;
                     o.scales = {2.0, -1.0};
                     return resize(P({1, 1, 4, 4}, "x_node"), {1, 1, 8, 8}, o);
                 },
                 {"resize", "x_node", "[1, 1, 4, 4]", "scale -1", "axis 3"}});
    t.push_back({"resize_backward_bad_dy", [] { return resize_backward(P({1, 5, 8}, "dy_node"), {2, 4, 4}); },
                 {"resize_backward", "dy_node", "[1, 5, 8]", "[2, 4, 4]", "axis 0"}});
    t.push_back({"pad_reflect_too_wide", [] { return pad(P({2, 3}, "x_node"), {0, 1}, {0, 3}, PadMode::reflect); },
                 {"pad", "x_node", "[2, 3]", "reflect", "axis 1 of size 3", "fewer than 3"}});
    t.push_back({"pad_edge_empty_axis", [] { return pad(P({2, 0}, "x_node"), {0, 1}, {0, 0}, PadMode::edge); },
                 {"pad", "x_node", "[2, 0]", "edge", "axis 1 of size 0"}});
    t.push_back({"pad_mode_too_many_axes", [] { return pad(P({2, 3}, "x_node"), {1, 1, 1}, {}, PadMode::edge); },
                 {"pad", "x_node", "[2, 3]", "rank 2"}});
    t.push_back({"pad_backward_bad_dy",
                 [] { return pad_backward(P({4, 4}, "dy_node"), {2, 3}, {1, 1}, {1, 1}, PadMode::reflect); },
                 {"pad_backward", "dy_node", "[4, 4]", "[4, 5]", "[2, 3]"}});
    t.push_back({"max_pool2d_ceil_window_too_large",
                 [] {
                     Pool2dParams p = pool(3, 2);
                     p.ceil_mode = true;
                     return max_pool2d(P({1, 1, 2, 2}, "image"), p);
                 },
                 {"max_pool2d", "image", "[1, 1, 2, 2]", "larger than the padded image"}});
    t.push_back({"conv_transpose_bad_output_shape",  // output_padding >= stride: the output has another window
                 [] {
                     Conv2dParams p;
                     p.stride_h = p.stride_w = 2;
                     return conv2d_backward_data(P({1, 2, 3, 3}, "x_node"), P({2, 1, 3, 3}, "kernel"), {1, 1, 9, 9}, p);
                 },
                 {"conv2d_backward_data", "x_node", "[1, 2, 3, 3]", "kernel", "[1, 2, 4, 4]"}});
    return t;
}

class ErrorTable : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorTable, ThrowsShapeErrorNamingOpNodesAndShapes) {
    const ErrorCase& c = GetParam();
    try {
        const Node n = c.build();
        FAIL() << "no exception; built " << n.describe();
    } catch (const ShapeError& e) {
        const std::string what = e.what();
        for (const auto& s : c.expect) EXPECT_NE(what.find(s), std::string::npos) << "'" << s << "' not in: " << what;
    } catch (const std::exception& e) {
        FAIL() << "threw a " << typeid(e).name() << " that is not a ShapeError: " << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Ops, ErrorTable, ::testing::ValuesIn(error_cases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& i) { return i.param.name; });

TEST(OpErrors, InvalidInputNodeIsRejected) {
    EXPECT_THROW(add(Node(), placeholder({2}, "x")), std::invalid_argument);
    EXPECT_THROW(relu(Node()), std::invalid_argument);
    EXPECT_THROW(erf(Node()), std::invalid_argument);
    EXPECT_THROW(gather(Node(), placeholder({2}, "i"), 0), std::invalid_argument);
    EXPECT_THROW(gather(placeholder({2}, "x"), Node(), 0), std::invalid_argument);
    EXPECT_THROW(resize(Node(), {1, 1}), std::invalid_argument);
    EXPECT_THROW(pad(Node(), {1}, {1}, PadMode::reflect), std::invalid_argument);
}

TEST(OpErrors, ShapeErrorIsAnInvalidArgument) {
    EXPECT_THROW(add(placeholder({2}), placeholder({3})), std::invalid_argument);
}

}  // namespace
}  // namespace xvis::test
