// Gather (ONNX Gather) and its adjoint, the scatter-add gather_backward. Each is linear in its first input and
// the other's VJP; indices only route values and get no gradient.
//   gather(x, idx, axis)                 VJP: x ← gather_backward(g, idx, x.shape, axis)
//   gather_backward(dy, idx, xs, axis)   VJP: dy ← gather(g, idx, axis)
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/gather.hpp>

#include <cmath>
#include <sstream>

namespace xvis {
namespace {

std::string number(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

// Shapes of a gather on x_shape with these indices, validated with messages naming `type` and the nodes.
struct GatherShapes {
    std::size_t axis;
    kernels::GatherGeometry g;
    Shape out;  // x_shape[:axis] + indices.shape + x_shape[axis+1:]
};

GatherShapes gather_shapes(const std::string& type, const std::vector<Node>& in, const Shape& x_shape,
                           const Node& indices, std::int64_t axis) {
    const auto r = static_cast<std::int64_t>(x_shape.size());
    const std::string xs = "x shape " + shape_to_string(x_shape);
    if (r == 0) throw_op_error(type, in, xs + ": cannot gather from a rank-0 tensor");
    if (axis < -r || axis >= r)
        throw_op_error(type, in, xs + ": axis " + std::to_string(axis) + " out of range for rank " + std::to_string(r));
    GatherShapes s{};
    s.axis = static_cast<std::size_t>(axis < 0 ? axis + r : axis);
    const Shape& is = indices.shape();
    s.out.assign(x_shape.begin(), x_shape.begin() + std::ptrdiff_t(s.axis));
    s.out.insert(s.out.end(), is.begin(), is.end());
    s.out.insert(s.out.end(), x_shape.begin() + std::ptrdiff_t(s.axis) + 1, x_shape.end());
    if (s.out.size() > max_rank)
        throw_op_error(type, in, xs + ": the output " + shape_to_string(s.out) + " would have rank " +
                                     std::to_string(s.out.size()) + " > " + std::to_string(max_rank));
    s.g.n = x_shape[s.axis];
    s.g.m = indices.size();
    s.g.outer = shape_size(Shape(x_shape.begin(), x_shape.begin() + std::ptrdiff_t(s.axis)));
    s.g.inner = shape_size(Shape(x_shape.begin() + std::ptrdiff_t(s.axis) + 1, x_shape.end()));
    if (s.g.n == 0 && s.g.m > 0)
        throw_op_error(type, in, xs + ": axis " + std::to_string(axis) + " is empty, there is nothing to gather");
    // Constant indices are known now: reject what the run-time clamp would silently change.
    if (indices.kind() == NodeKind::constant) {
        const TensorD& v = indices.value_double();
        const double n = static_cast<double>(s.g.n);
        for (std::size_t j = 0; j < v.size(); ++j) {
            const std::string at = "index " + number(v[j]) + " (flat position " + std::to_string(j) + " of indices)";
            if (!std::isfinite(v[j]) || v[j] != std::floor(v[j]))
                throw_op_error(type, in, xs + ": " + at + " is not an integer");
            if (v[j] < -n || v[j] > n - 1)
                throw_op_error(type, in, xs + ": " + at + " is out of range for axis " + std::to_string(s.axis) +
                                             " of size " + std::to_string(s.g.n) + " (valid: " + number(-n) + " to " +
                                             number(n - 1) + ")");
        }
    }
    return s;
}

class GatherOp : public OpImpl<GatherOp> {
public:
    GatherOp(std::int64_t axis, kernels::GatherGeometry g) : axis_(axis), g_(g) {}
    static constexpr const char* name = "gather";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_int("axis", axis_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        return gather_shapes(type(), in, in[0].shape(), in[1], axis_).out;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::gather_forward(g_, a.in(0), a.in(1), a.output);
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const auto& in = out.inputs();
        return {gather_backward(g, in[1], in[0].shape(), axis_), Node()};
    }

private:
    std::int64_t axis_;
    kernels::GatherGeometry g_;
};

class GatherBackwardOp : public OpImpl<GatherBackwardOp> {
public:
    GatherBackwardOp(Shape x_shape, std::int64_t axis, kernels::GatherGeometry g)
        : x_shape_(std::move(x_shape)), axis_(axis), g_(g) {}
    static constexpr const char* name = "gather_backward";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_int("axis", axis_).add_ints("x_shape", x_shape_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        const GatherShapes s = gather_shapes(type(), in, x_shape_, in[1], axis_);
        if (in[0].shape() != s.out)
            throw_op_error(type(), in, "dy must have the gathered shape " + shape_to_string(s.out) + " (x shape " +
                                           shape_to_string(x_shape_) + ", axis " + std::to_string(axis_) + ")");
        return x_shape_;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::gather_backward(g_, a.in(0), a.in(1), a.output);
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        return {gather(g, out.inputs()[1], axis_), Node()};
    }

private:
    Shape x_shape_;
    std::int64_t axis_;
    kernels::GatherGeometry g_;
};

}  // namespace

std::vector<OpTypeInfo> detail::gather_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{GatherOp::name, file}, {GatherBackwardOp::name, file}};
}

Node gather(const Node& x, const Node& indices, std::int64_t axis) {
    if (!x.valid() || !indices.valid())  // make_node's invalid-input error
        return make_node(std::make_shared<GatherOp>(axis, kernels::GatherGeometry{}), {x, indices});
    const GatherShapes s = gather_shapes("gather", {x, indices}, x.shape(), indices, axis);
    return make_node(std::make_shared<GatherOp>(axis, s.g), {x, indices});
}

Node gather_backward(const Node& dy, const Node& indices, const Shape& x_shape, std::int64_t axis) {
    if (!dy.valid() || !indices.valid())
        return make_node(std::make_shared<GatherBackwardOp>(x_shape, axis, kernels::GatherGeometry{}), {dy, indices});
    const GatherShapes s = gather_shapes("gather_backward", {dy, indices}, x_shape, indices, axis);
    return make_node(std::make_shared<GatherBackwardOp>(x_shape, axis, s.g), {dy, indices});
}

}  // namespace xvis
