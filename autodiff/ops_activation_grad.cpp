// The one-pass VJPs of SiLU and GELU, which models compose from primitives (ONNX exports x·Sigmoid(x) and
// Div/Erf/Add/Mul/Mul). gradients() emits them through its composite rules (composite_vjp.cpp); their own VJPs
// (second derivatives) are composed.
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/elementwise.hpp>

namespace xvis {
namespace {

using kernels::ActivationGradOp;
using kernels::ActivationGradParams;

class ActivationGradNodeOp : public OpImpl<ActivationGradNodeOp> {
public:
    ActivationGradNodeOp(ActivationGradOp kind, ActivationGradParams p) : kind_(kind), p_(p) {}
    static const char* name(ActivationGradOp k) { return k == ActivationGradOp::silu ? "silu_grad" : "gelu_grad"; }
    std::string type() const override { return name(kind_); }
    OpAttributes attributes() const override {
        OpAttributes a(type());
        if (kind_ == ActivationGradOp::gelu) a.add_double("a", p_.a).add_double("k", p_.k).add_double("c", p_.c);
        return a;
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 3);
        if (in[1].shape() != in[0].shape() || in[2].shape() != in[0].shape())
            throw_op_error(type(), in, "x, the forward's activation and the gradient must have one shape (no broadcasting)");
        return in[0].shape();
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::activation_grad(kind_, a.in(0), a.in(1), a.in(2), a.output, shape_size(a.out_shape()), p_);
    }
    std::vector<Node> vjp(const Node& out, const Node& gg) const override {
        const Node& x = out.inputs()[0];
        const Node& s = out.inputs()[1];
        const Node& g = out.inputs()[2];
        if (kind_ == ActivationGradOp::silu) {
            // y = g·(s + x·s·(1−s)): ∂x = g·s(1−s), ∂s = g·(1 + x(1−2s)), ∂g = y/g.
            return {mul(gg, sigmoid_grad(s, g)), mul(gg, mul(g, add_scalar(mul(x, add_scalar(scale(s, -2.0), 1.0)), 1.0))),
                    silu_grad(x, s, gg)};
        }
        // y = g·c·(k + e + x·a·κ·e^{−a²x²}): ∂x = g·c·a·κ·e^{−a²x²}·(1 − 2a²x²), ∂e = g·c, ∂g = y/g.
        const Node q = erf_grad(scale(x, p_.a), g);  // g·κ·e^{−a²x²}
        const Node dx = scale(mul(q, add_scalar(scale(square(x), -2.0 * p_.a * p_.a), 1.0)), p_.c * p_.a);
        return {mul(gg, dx), scale(mul(gg, g), p_.c), gelu_grad(x, s, gg, p_.a, p_.k, p_.c)};
    }

private:
    ActivationGradOp kind_;
    ActivationGradParams p_;
};

}  // namespace

std::vector<OpTypeInfo> detail::activation_grad_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{ActivationGradNodeOp::name(ActivationGradOp::silu), file},
            {ActivationGradNodeOp::name(ActivationGradOp::gelu), file}};
}

Node silu_grad(const Node& x, const Node& s, const Node& g) {
    return make_node(std::make_shared<ActivationGradNodeOp>(ActivationGradOp::silu, ActivationGradParams{}), {x, s, g});
}
Node gelu_grad(const Node& x, const Node& e, const Node& g, double a, double k, double c) {
    return make_node(std::make_shared<ActivationGradNodeOp>(ActivationGradOp::gelu, ActivationGradParams{a, k, c}),
                     {x, e, g});
}

}  // namespace xvis
