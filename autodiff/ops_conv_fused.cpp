// Fused convolution primitives: a convolution and the element-wise steps that follow it in a CNN, in one step
// (the output is written once and finished in place while it is in cache; no buffer per intermediate).
//   conv2d_fused               = act(conv2d(x, w) + bias + residual)                      (forward)
//   conv2d_backward_data_fused = act_vjp(aux, conv2d_backward_data(dy, w) + residual)     (its backward)
// (act_vjp: the VJP of a ReLU, clip, SiLU or GELU, linear in its last operand.)
// compile()'s epilogue fusion (fuse_epilogues.hpp) builds them from those compositions, which stay the reference:
// the op table checks both against them, and their VJPs are the compositions' VJPs.
#include <xvis/autodiff/detail/conv_support.hpp>
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/conv2d_epilogue.hpp>
#include <xvis/tensor/elementwise.hpp>

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

class Conv2dFusedOp : public detail::ConvPassOp<Conv2dFusedOp> {
public:
    Conv2dFusedOp(kernels::Conv2dGeometry g, bool bias, bool residual, bool relu)
        : ConvPassOp(g, kernels::Conv2dPass::forward), p_(g.p), bias_(bias), residual_(residual), relu_(relu) {}
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
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::conv2d_forward(g_, a.in(0), a.in(1), a.output, a.workspace, a.prepared);
        kernels::conv2d_epilogue(a.output, g_.N, g_.K, g_.OH * g_.OW, bias_ ? a.in(2) : nullptr,
                                 residual_ ? a.in(2 + bias_) : nullptr, relu_);
    }
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
    bool bias_, residual_, relu_;
};

const char* kind_name(ActivationVjp::Kind k) {
    switch (k) {
        case ActivationVjp::Kind::relu: return "relu";
        case ActivationVjp::Kind::clip: return "clip";
        case ActivationVjp::Kind::silu: return "silu";
        default: return "gelu";
    }
}
std::size_t aux_count(ActivationVjp::Kind k) {
    return k == ActivationVjp::Kind::silu || k == ActivationVjp::Kind::gelu ? 2 : 1;
}

// The activation's VJP on z (the composition's last node), from the aux nodes.
Node activation_vjp_node(const ActivationVjp& act, const std::vector<Node>& aux, const Node& z) {
    switch (act.kind) {
        case ActivationVjp::Kind::relu: return relu_grad(aux[0], z);
        case ActivationVjp::Kind::clip: return clip_grad(aux[0], z, act.lo, act.hi);
        case ActivationVjp::Kind::silu: return silu_grad(aux[0], aux[1], z);
        default: return gelu_grad(aux[0], aux[1], z, act.a, act.k, act.c);
    }
}

class Conv2dBackwardDataFusedOp : public detail::ConvPassOp<Conv2dBackwardDataFusedOp> {
public:
    Conv2dBackwardDataFusedOp(Shape x_shape, kernels::Conv2dGeometry g, bool residual, ActivationVjp act)
        : ConvPassOp(g, kernels::Conv2dPass::backward_data), x_shape_(std::move(x_shape)), p_(g.p), residual_(residual), act_(act) {}
    static constexpr const char* name = "conv2d_backward_data_fused";
    std::string type() const override { return name; }
    OpAttributes attributes() const override {
        OpAttributes a = conv_attributes(type(), p_).add_ints("x_shape", x_shape_).add_bool("residual", residual_);
        a.add_enum("activation", static_cast<std::int64_t>(act_.kind), kind_name(act_.kind));
        if (act_.kind == ActivationVjp::Kind::clip) a.add_double("lo", act_.lo).add_double("hi", act_.hi);
        if (act_.kind == ActivationVjp::Kind::gelu) a.add_double("a", act_.a).add_double("k", act_.k).add_double("c", act_.c);
        return a;
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2 + residual_ + aux_count(act_.kind));
        const auto geo = conv_geometry(type(), in, x_shape_, in[1].shape(), p_);
        if (in[0].shape() != geo.output_shape())
            throw_op_error(type(), in, "dy must have the convolution's output shape " + shape_to_string(geo.output_shape()));
        for (std::size_t i = 2; i < in.size(); ++i)
            if (in[i].shape() != x_shape_)
                throw_op_error(type(), in, std::string(residual_ && i == 2 ? "the residual" : "the activation's input") +
                                               " must have the convolution's input shape " + shape_to_string(x_shape_));
        return x_shape_;
    }
    // In place after the convolution, with the element-wise kernels of the composition (each may write over
    // its gradient operand), so the bits are the composition's.
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::conv2d_backward_data(g_, a.in(0), a.in(1), a.output, a.workspace, a.prepared);
        const std::size_t n = shape_size(x_shape_), x0 = 2 + residual_;
        const T* r = residual_ ? a.in(2) : nullptr;
        if (act_.kind == ActivationVjp::Kind::relu) return kernels::relu_mask_epilogue(a.output, r, a.in(x0), n);
        if (r) kernels::binary(kernels::BinaryOp::add, a.output, x_shape_, r, x_shape_, a.output, x_shape_);
        if (act_.kind == ActivationVjp::Kind::clip)
            return kernels::clip_grad(a.in(x0), a.output, a.output, n, static_cast<T>(act_.lo), static_cast<T>(act_.hi));
        const auto kind = act_.kind == ActivationVjp::Kind::silu ? kernels::ActivationGradOp::silu : kernels::ActivationGradOp::gelu;
        kernels::activation_grad(kind, a.in(x0), a.in(x0 + 1), a.output, a.output, n, {act_.a, act_.k, act_.c});
    }
    // The composition's VJP: its graph, rebuilt from the inputs, differentiated.
    std::vector<Node> vjp(const Node& out, const Node& gz) const override {
        const std::vector<Node>& in = out.inputs();
        Node z = conv2d_backward_data(in[0], in[1], x_shape_, p_);
        if (residual_) z = add(z, in[2]);
        const std::vector<Node> aux(in.begin() + 2 + residual_, in.end());
        return gradients(activation_vjp_node(act_, aux, z), in, gz);
    }

private:
    Shape x_shape_;
    Conv2dParams p_;
    bool residual_;
    ActivationVjp act_;
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

Node conv2d_backward_data_fused(const Node& dy, const Node& w, const Node& residual, const std::vector<Node>& aux,
                                const Shape& x_shape, const Conv2dParams& p, const ActivationVjp& act) {
    std::vector<Node> in{dy, w};
    if (residual) in.push_back(residual);
    for (const Node& a : aux) in.push_back(a);
    if (aux.size() != aux_count(act.kind))
        throw_op_error(Conv2dBackwardDataFusedOp::name, in, std::string("the ") + kind_name(act.kind) + " VJP reads " +
                                                                std::to_string(aux_count(act.kind)) + " activation input(s), got " +
                                                                std::to_string(aux.size()));
    const auto g = conv_geometry(Conv2dBackwardDataFusedOp::name, in, x_shape, w.shape(), p);
    return make_node(std::make_shared<Conv2dBackwardDataFusedOp>(x_shape, g, residual.valid(), act), std::move(in));
}

}  // namespace xvis
