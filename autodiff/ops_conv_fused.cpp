// Fused convolution primitives: a convolution and the element-wise steps that follow it in a CNN, in one step
// (the output is written once and finished in place while it is in cache; no buffer per intermediate).
//   conv2d_fused               = act(conv2d(x, w) + bias + residual)                      (forward)
//   conv2d_backward_data_fused = relu_grad(mask, conv2d_backward_data(dy, w) + residual)  (its backward)
// compile()'s epilogue fusion (fuse_epilogues.hpp) builds them from those compositions, which stay the reference:
// the op table checks both against them, and their VJPs are the compositions' VJPs.
#include <xvis/autodiff/detail/conv_support.hpp>
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/conv2d_epilogue.hpp>

namespace xvis {
namespace {

using detail::conv_attributes;
using detail::conv_geometry;
using kernels::Conv2dParams;

// A per-channel bias of an [N, K, OH, OW] output: K values along axis 1 once right-aligned ([K, 1, 1] or
// [1, K, 1, 1]), the shapes add() broadcasts that way.
bool is_channel_bias(const Shape& b, std::size_t K) {
    if (b.size() < 3 || b.size() > 4 || b[b.size() - 3] != K) return false;
    return b[b.size() - 1] == 1 && b[b.size() - 2] == 1 && (b.size() == 3 || b[0] == 1);
}

class Conv2dFusedOp : public OpImpl<Conv2dFusedOp> {
public:
    Conv2dFusedOp(kernels::Conv2dGeometry g, bool bias, bool residual, bool relu)
        : p_(g.p), g_(g), bias_(bias), residual_(residual), relu_(relu) {}
    static constexpr const char* name = "conv2d_fused";
    std::string type() const override { return name; }
    OpAttributes attributes() const override {
        return conv_attributes(type(), p_).add_bool("bias", bias_).add_bool("residual", residual_).add_bool("relu", relu_);
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2 + bias_ + residual_);
        const Shape y = conv_geometry(type(), in, in[0].shape(), in[1].shape(), p_).output_shape();
        if (bias_ && !is_channel_bias(in[2].shape(), y[1]))
            throw_op_error(type(), in, "the bias must hold the " + std::to_string(y[1]) + " output channels as [" +
                                           std::to_string(y[1]) + ", 1, 1] or [1, " + std::to_string(y[1]) + ", 1, 1]");
        if (residual_ && in[2 + bias_].shape() != y)
            throw_op_error(type(), in, "the residual must have the convolution's output shape " + shape_to_string(y));
        return y;
    }
    std::size_t workspace_size(const std::vector<Shape>&, const Shape&) const override { return kernels::conv2d_workspace_size(g_); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::conv2d_forward(g_, a.in(0), a.in(1), a.output, a.workspace, a.prepared);
        kernels::conv2d_epilogue(a.output, g_.N, g_.K, g_.OH * g_.OW, bias_ ? a.in(2) : nullptr,
                                 residual_ ? a.in(2 + bias_) : nullptr, relu_);
    }
    int prepared_input() const override { return 1; }
    std::size_t prepared_size(const std::vector<Shape>&, const Shape&) const override {
        return kernels::conv2d_prepared_size(g_, kernels::Conv2dPass::forward);
    }
    void prepare(const float* w, float* out) const override { kernels::conv2d_prepare_weights(g_, kernels::Conv2dPass::forward, w, out); }
    void prepare(const double* w, double* out) const override { kernels::conv2d_prepare_weights(g_, kernels::Conv2dPass::forward, w, out); }
    // The composition's: through relu (its mask from the output: y > 0 exactly where the pre-activation is),
    // then the sum's operands (the engine reduces the bias's gradient to its shape), then conv2d's.
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& x = out.inputs()[0];
        const Node& w = out.inputs()[1];
        const Node gp = relu_ ? relu_grad(out, g) : g;
        std::vector<Node> grads{conv2d_backward_data(gp, w, x.shape(), p_), conv2d_backward_weights(x, gp, w.shape(), p_)};
        if (bias_) grads.push_back(gp);
        if (residual_) grads.push_back(gp);
        return grads;
    }

private:
    Conv2dParams p_;
    kernels::Conv2dGeometry g_;
    bool bias_, residual_, relu_;
};

class Conv2dBackwardDataFusedOp : public OpImpl<Conv2dBackwardDataFusedOp> {
public:
    Conv2dBackwardDataFusedOp(Shape x_shape, kernels::Conv2dGeometry g, bool residual)
        : x_shape_(std::move(x_shape)), p_(g.p), g_(g), residual_(residual) {}
    static constexpr const char* name = "conv2d_backward_data_fused";
    std::string type() const override { return name; }
    OpAttributes attributes() const override {
        return conv_attributes(type(), p_).add_ints("x_shape", x_shape_).add_bool("residual", residual_);
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 3 + residual_);
        const auto geo = conv_geometry(type(), in, x_shape_, in[1].shape(), p_);
        if (in[0].shape() != geo.output_shape())
            throw_op_error(type(), in, "dy must have the convolution's output shape " + shape_to_string(geo.output_shape()));
        for (std::size_t i = 2; i < in.size(); ++i)
            if (in[i].shape() != x_shape_)
                throw_op_error(type(), in, std::string(i + 1 == in.size() ? "the mask" : "the residual") +
                                               " must have the convolution's input shape " + shape_to_string(x_shape_));
        return x_shape_;
    }
    std::size_t workspace_size(const std::vector<Shape>&, const Shape&) const override { return kernels::conv2d_workspace_size(g_); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::conv2d_backward_data(g_, a.in(0), a.in(1), a.output, a.workspace, a.prepared);
        kernels::relu_mask_epilogue(a.output, residual_ ? a.in(2) : nullptr, a.in(2 + residual_), shape_size(x_shape_));
    }
    int prepared_input() const override { return 1; }
    std::size_t prepared_size(const std::vector<Shape>&, const Shape&) const override {
        return kernels::conv2d_prepared_size(g_, kernels::Conv2dPass::backward_data);
    }
    void prepare(const float* w, float* out) const override {
        kernels::conv2d_prepare_weights(g_, kernels::Conv2dPass::backward_data, w, out);
    }
    void prepare(const double* w, double* out) const override {
        kernels::conv2d_prepare_weights(g_, kernels::Conv2dPass::backward_data, w, out);
    }
    // Linear in dy, w and the residual once the mask is fixed; none for the mask (relu_grad's, zero a.e.).
    std::vector<Node> vjp(const Node& out, const Node& gz) const override {
        const Node& dy = out.inputs()[0];
        const Node& w = out.inputs()[1];
        const Node h = relu_grad(out.inputs().back(), gz);
        std::vector<Node> grads{conv2d(h, w, p_), conv2d_backward_weights(h, dy, w.shape(), p_)};
        if (residual_) grads.push_back(h);
        grads.push_back(Node());
        return grads;
    }

private:
    Shape x_shape_;
    Conv2dParams p_;
    kernels::Conv2dGeometry g_;
    bool residual_;
};

}  // namespace

std::vector<OpTypeInfo> detail::conv_fused_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{Conv2dFusedOp::name, file}, {Conv2dBackwardDataFusedOp::name, file}};
}

Node conv2d_fused(const Node& x, const Node& w, const Node& bias, const Node& residual, const Conv2dParams& p, bool relu) {
    std::vector<Node> in{x, w};
    if (bias) in.push_back(bias);
    if (residual) in.push_back(residual);
    const auto g = conv_geometry(Conv2dFusedOp::name, in, x.shape(), w.shape(), p);
    return make_node(std::make_shared<Conv2dFusedOp>(g, bias.valid(), residual.valid(), relu), std::move(in));
}

Node conv2d_backward_data_fused(const Node& dy, const Node& w, const Node& residual, const Node& mask, const Shape& x_shape,
                                const Conv2dParams& p) {
    std::vector<Node> in{dy, w};
    if (residual) in.push_back(residual);
    in.push_back(mask);
    const auto g = conv_geometry(Conv2dBackwardDataFusedOp::name, in, x_shape, w.shape(), p);
    return make_node(std::make_shared<Conv2dBackwardDataFusedOp>(x_shape, g, residual.valid()), std::move(in));
}

}  // namespace xvis
