// Linear algebra and CNN primitives: matmul, conv2d and its two backward ops, max / average pooling and
// their backward ops, global average pooling. The backward ops have VJPs too, so second derivatives work:
// conv2d, conv2d_backward_data and conv2d_backward_weights are each other's adjoints, as are
// max_pool2d_backward / max_pool2d_select and avg_pool2d / avg_pool2d_backward.
#include <xvis/autodiff/detail/conv_support.hpp>
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/gemm.hpp>

namespace xvis {
namespace {

using kernels::Conv2dParams;
using kernels::Pool2dParams;
using detail::conv_attributes;
using detail::conv_geometry;

class MatmulOp : public OpImpl<MatmulOp> {
public:
    MatmulOp(bool ta, bool tb) : ta_(ta), tb_(tb) {}
    static constexpr const char* name = "matmul";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_bool("trans_a", ta_).add_bool("trans_b", tb_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        const Shape& a = in[0].shape();
        const Shape& b = in[1].shape();
        if (a.size() < 2 || a.size() > 3 || b.size() < 2 || b.size() > 3)
            throw_op_error(type(), in, "operands must have rank 2 or 3 (batched)");
        const std::size_t M = ta_ ? a[a.size() - 1] : a[a.size() - 2];
        const std::size_t Ka = ta_ ? a[a.size() - 2] : a[a.size() - 1];
        const std::size_t Kb = tb_ ? b[b.size() - 1] : b[b.size() - 2];
        const std::size_t N = tb_ ? b[b.size() - 2] : b[b.size() - 1];
        if (Ka != Kb)
            throw_op_error(type(), in, "inner dimensions differ: " + std::to_string(Ka) + " vs " + std::to_string(Kb) +
                                           (ta_ || tb_ ? " (after the requested transposes)" : ""));
        if (a.size() == 3 && b.size() == 3 && a[0] != b[0])
            throw_op_error(type(), in, "batch sizes differ: " + std::to_string(a[0]) + " vs " + std::to_string(b[0]));
        if (a.size() == 3) return {a[0], M, N};
        if (b.size() == 3) return {b[0], M, N};
        return {M, N};
    }
    template <class T>
    void compute(const OpArgs<T>& x) const {
        const Shape& a = x.in_shape(0);
        const Shape& b = x.in_shape(1);
        const Shape& c = x.out_shape();
        const std::size_t batch = c.size() == 3 ? c[0] : 1;
        const std::size_t M = c[c.size() - 2], N = c[c.size() - 1];
        const std::size_t K = ta_ ? a[a.size() - 2] : a[a.size() - 1];
        const std::size_t lda = a[a.size() - 1], ldb = b[b.size() - 1];
        kernels::gemm_batched<T>(batch, ta_, tb_, M, N, K, T(1), x.in(0), lda, a.size() == 3 ? a[1] * a[2] : 0, x.in(1),
                                 ldb, b.size() == 3 ? b[1] * b[2] : 0, T(0), x.output, N, M * N);
    }
    // C = op(A)·op(B): d op(A) = G·op(B)ᵀ, d op(B) = op(A)ᵀ·G, transposed back where A or B was.
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& a = out.inputs()[0];
        const Node& b = out.inputs()[1];
        const Node da = ta_ ? matmul(b, g, tb_, true) : matmul(g, b, false, !tb_);
        const Node db = tb_ ? matmul(g, a, true, ta_) : matmul(a, g, !ta_, false);
        return {da, db};  // a shared (rank-2) operand gets a batched gradient: the engine sums it
    }

private:
    bool ta_, tb_;
};

// The geometry is computed once, when the node is built (shapes are static): running allocates nothing.
class Conv2dOp : public detail::ConvPassOp<Conv2dOp> {
public:
    explicit Conv2dOp(kernels::Conv2dGeometry g) : ConvPassOp(g, kernels::Conv2dPass::forward), p_(g.p) {}
    static constexpr const char* name = "conv2d";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return conv_attributes(type(), p_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        return conv_geometry(type(), in, in[0].shape(), in[1].shape(), p_).output_shape();
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::conv2d_forward(g_, a.in(0), a.in(1), a.output, a.workspace, a.prepared);
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& x = out.inputs()[0];
        const Node& w = out.inputs()[1];
        return {conv2d_backward_data(g, w, x.shape(), p_), conv2d_backward_weights(x, g, w.shape(), p_)};
    }

private:
    Conv2dParams p_;
};

// dx = ∂<conv(x, w), dy>/∂x, linear in dy and in w. Prepared: the flipped, transposed weights' transform.
class Conv2dBackwardDataOp : public detail::ConvPassOp<Conv2dBackwardDataOp> {
public:
    Conv2dBackwardDataOp(Shape x_shape, kernels::Conv2dGeometry g)
        : ConvPassOp(g, kernels::Conv2dPass::backward_data), x_shape_(std::move(x_shape)), p_(g.p) {}
    static constexpr const char* name = "conv2d_backward_data";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return conv_attributes(type(), p_).add_ints("x_shape", x_shape_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        const auto geo = conv_geometry(type(), in, x_shape_, in[1].shape(), p_);
        if (in[0].shape() != geo.output_shape())
            throw_op_error(type(), in, "dy must have the convolution's output shape " + shape_to_string(geo.output_shape()));
        return x_shape_;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::conv2d_backward_data(g_, a.in(0), a.in(1), a.output, a.workspace, a.prepared);
    }
    std::vector<Node> vjp(const Node& out, const Node& gz) const override {
        const Node& dy = out.inputs()[0];
        const Node& w = out.inputs()[1];
        return {conv2d(gz, w, p_), conv2d_backward_weights(gz, dy, w.shape(), p_)};
    }

private:
    Shape x_shape_;
    Conv2dParams p_;
};

// dw = ∂<conv(x, w), dy>/∂w, linear in x and in dy.
class Conv2dBackwardWeightsOp : public OpImpl<Conv2dBackwardWeightsOp> {
public:
    Conv2dBackwardWeightsOp(Shape w_shape, kernels::Conv2dGeometry g) : w_shape_(std::move(w_shape)), p_(g.p), g_(g) {}
    static constexpr const char* name = "conv2d_backward_weights";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return conv_attributes(type(), p_).add_ints("w_shape", w_shape_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        const auto geo = conv_geometry(type(), in, in[0].shape(), w_shape_, p_);
        if (in[1].shape() != geo.output_shape())
            throw_op_error(type(), in, "dy must have the convolution's output shape " + shape_to_string(geo.output_shape()));
        return w_shape_;
    }
    std::size_t workspace_size(const std::vector<Shape>&, const Shape&) const override { return kernels::conv2d_workspace_size(g_); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::conv2d_backward_weights(g_, a.in(0), a.in(1), a.output, a.workspace);
    }
    std::vector<Node> vjp(const Node& out, const Node& gw) const override {
        const Node& x = out.inputs()[0];
        const Node& dy = out.inputs()[1];
        return {conv2d_backward_data(dy, gw, x.shape(), p_), conv2d(x, gw, p_)};
    }

private:
    Shape w_shape_;
    Conv2dParams p_;
    kernels::Conv2dGeometry g_;
};

}  // namespace

OpAttributes detail::conv_attributes(const std::string& type, const kernels::Conv2dParams& p) {
    return OpAttributes(type)
        .add_ints("stride", std::vector<std::size_t>{p.stride_h, p.stride_w})
        .add_ints("pad", std::vector<std::size_t>{p.pad_top, p.pad_bottom, p.pad_left, p.pad_right})
        .add_ints("dilation", std::vector<std::size_t>{p.dilation_h, p.dilation_w})
        .add_int("groups", static_cast<std::int64_t>(p.groups));
}

kernels::Conv2dGeometry detail::conv_geometry(const std::string& type, const std::vector<Node>& in, const Shape& x,
                                              const Shape& w, const kernels::Conv2dParams& p) {
    try {
        return kernels::make_conv2d_geometry(x, w, p, type);
    } catch (const ShapeError& e) {
        // The kernel's message starts with the call name; the op error names it already.
        std::string what = e.what();
        if (what.rfind(type + ": ", 0) == 0) what.erase(0, type.size() + 2);
        throw_op_error(type, in, what);
    }
}

std::vector<OpTypeInfo> detail::nn_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{MatmulOp::name, file}, {Conv2dOp::name, file}, {Conv2dBackwardDataOp::name, file},
            {Conv2dBackwardWeightsOp::name, file}};
}

Node matmul(const Node& a, const Node& b, bool trans_a, bool trans_b) {
    return make_node(std::make_shared<MatmulOp>(trans_a, trans_b), {a, b});
}
Node conv2d(const Node& x, const Node& w, const Conv2dParams& params) {
    return make_node(std::make_shared<Conv2dOp>(conv_geometry("conv2d", {x, w}, x.shape(), w.shape(), params)), {x, w});
}
Node conv2d_backward_data(const Node& dy, const Node& w, const Shape& x_shape, const Conv2dParams& p) {
    const auto g = conv_geometry("conv2d_backward_data", {dy, w}, x_shape, w.shape(), p);
    return make_node(std::make_shared<Conv2dBackwardDataOp>(x_shape, g), {dy, w});
}
Node conv2d_backward_weights(const Node& x, const Node& dy, const Shape& w_shape, const Conv2dParams& p) {
    const auto g = conv_geometry("conv2d_backward_weights", {x, dy}, x.shape(), w_shape, p);
    return make_node(std::make_shared<Conv2dBackwardWeightsOp>(w_shape, g), {x, dy});
}

}  // namespace xvis
