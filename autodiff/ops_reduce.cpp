// Reductions: sum and max are primitives (computed in keepdims layout; dropping the axes is a free reshape).
// mean, softmax, log_softmax and softmax cross-entropy are compositions and need no derivative code.
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/reduce.hpp>

namespace xvis {
namespace {

class ReduceNodeOp : public OpImpl<ReduceNodeOp> {
public:
    ReduceNodeOp(kernels::ReduceOp kind, std::uint32_t mask) : kind_(kind), mask_(mask) {}
    static const char* type_of(kernels::ReduceOp kind) { return kind == kernels::ReduceOp::sum ? "sum" : "max"; }
    std::string type() const override { return type_of(kind_); }
    // The primitive always keeps the reduced axes (extent 1); the builders drop them with a reshape.
    OpAttributes attributes() const override {
        return OpAttributes(type()).add_ints("axes", axes_of_mask()).add_bool("keepdims", true);
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        Shape s = in[0].shape();
        for (std::size_t i = 0; i < s.size(); ++i)
            if (mask_ & (1u << i)) {
                if (s[i] == 0 && kind_ == kernels::ReduceOp::max)
                    throw_op_error(type(), in, "max over an empty axis " + std::to_string(i));
                s[i] = 1;
            }
        return s;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::reduce(kind_, a.in(0), a.in_shape(0), mask_, a.output);
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& x = out.inputs()[0];
        if (kind_ == kernels::ReduceOp::sum) return {broadcast_to(g, x.shape())};
        // Max: ties share the gradient evenly (the subgradient PyTorch's amax uses).
        const Node hit = equal(x, out);
        const Node count = sum(hit, axes_of_mask(), true);
        return {mul(hit, div(g, count))};
    }

private:
    Axes axes_of_mask() const {
        Axes axes;
        for (std::int64_t i = 0; i < 32; ++i)
            if (mask_ & (1u << i)) axes.push_back(i);
        return axes;
    }
    kernels::ReduceOp kind_;
    std::uint32_t mask_;
};

Shape drop_axes(const Shape& s, std::uint32_t mask) {
    Shape out;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!(mask & (1u << i))) out.push_back(s[i]);
    return out;
}

Node reduce(kernels::ReduceOp kind, const Node& x, const Axes& axes, bool keepdims) {
    const std::string type = ReduceNodeOp::type_of(kind);
    const std::uint32_t mask = axes_mask(type, {x}, axes, x.rank());
    Node r = make_node(std::make_shared<ReduceNodeOp>(kind, mask), {x});
    return keepdims ? r : reshape(r, drop_axes(x.shape(), mask));
}

}  // namespace

std::vector<OpTypeInfo> detail::reduce_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{ReduceNodeOp::type_of(kernels::ReduceOp::sum), file}, {ReduceNodeOp::type_of(kernels::ReduceOp::max), file}};
}

Node sum(const Node& x, const Axes& axes, bool keepdims) { return reduce(kernels::ReduceOp::sum, x, axes, keepdims); }
Node max(const Node& x, const Axes& axes, bool keepdims) { return reduce(kernels::ReduceOp::max, x, axes, keepdims); }

Node mean(const Node& x, const Axes& axes, bool keepdims) {
    const std::uint32_t mask = axes_mask("mean", {x}, axes, x.rank());
    std::size_t count = 1;
    for (std::size_t i = 0; i < x.rank(); ++i)
        if (mask & (1u << i)) count *= x.shape()[i];
    if (count == 0) throw_op_error("mean", {x}, "mean over zero elements");
    return scale(sum(x, axes, keepdims), 1.0 / static_cast<double>(count));
}

Node softmax(const Node& x, std::int64_t axis) {
    if (x.rank() == 0) throw_op_error("softmax", {x}, "needs rank >= 1");
    axes_mask("softmax", {x}, {axis}, x.rank());  // errors name the composite, not its parts
    const Node m = stop_gradient(max(x, {axis}, true));  // shift for stability; it cancels in the gradient
    const Node e = exp(sub(x, m));
    return div(e, sum(e, {axis}, true));
}

Node log_softmax(const Node& x, std::int64_t axis) {
    if (x.rank() == 0) throw_op_error("log_softmax", {x}, "needs rank >= 1");
    axes_mask("log_softmax", {x}, {axis}, x.rank());
    const Node z = sub(x, stop_gradient(max(x, {axis}, true)));
    return sub(z, log(sum(exp(z), {axis}, true)));
}

Node softmax_cross_entropy(const Node& logits, const Node& labels) {
    if (logits.rank() != 2 || labels.shape() != logits.shape())
        throw_op_error("softmax_cross_entropy", {logits, labels}, "expected logits and labels of equal shape [N, K]");
    const double n = static_cast<double>(logits.shape()[0]);
    return scale(sum(mul(labels, log_softmax(logits, 1))), -1.0 / n);
}

}  // namespace xvis
