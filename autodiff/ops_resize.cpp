// Resize (ONNX Resize / Upsample on the last two axes) and its adjoint. Both are linear in their input and each
// other's VJP; the sampling tables are built once, when the node is built, so running allocates nothing.
//   resize(x, out_shape, o)            VJP: x ← resize_backward(g, x.shape, o)
//   resize_backward(dy, x_shape, o)    VJP: dy ← resize(g, dy.shape, o)
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>

#include <stdexcept>

namespace xvis {
namespace {

// Every ResizeOptions field, enums as their integer value named by the ONNX spelling; scales [h, w] (0: out / in).
// shape_name / shape: the extents the op was built for (resize: its output y_shape; the adjoint: x_shape).
OpAttributes resize_attributes(const std::string& type, const ResizeOptions& o, const char* shape_name, const Shape& shape) {
    static const char* const modes[] = {"nearest", "linear"};
    static const char* const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn"};
    static const char* const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    const auto m = static_cast<std::int64_t>(o.mode), c = static_cast<std::int64_t>(o.coordinates),
               n = static_cast<std::int64_t>(o.nearest);
    return OpAttributes(type)
        .add_enum("mode", m, modes[m])
        .add_enum("coordinates", c, coords[c])
        .add_enum("nearest", n, nearest[n])
        .add_doubles("scales", {o.scales[0], o.scales[1]})
        .add_ints(shape_name, shape);
}

// The kernel's geometry with the op's error format (names the nodes) instead of the kernel's.
kernels::ResizeGeometry resize_geometry(const std::string& type, const std::vector<Node>& in, const Shape& x,
                                        const Shape& y, const ResizeOptions& o) {
    try {
        return kernels::make_resize_geometry(x, y, o, type);
    } catch (const ShapeError& e) {
        std::string what = e.what();
        if (what.rfind(type + ": ", 0) == 0) what.erase(0, type.size() + 2);
        throw_op_error(type, in, what);
    }
}

class ResizeOp : public OpImpl<ResizeOp> {
public:
    // backward: the adjoint (input dy of g.y_shape, output of g.x_shape).
    ResizeOp(bool backward, kernels::ResizeGeometry g, ResizeOptions o)
        : backward_(backward), g_(std::move(g)), o_(o) {}
    static std::string type_of(bool backward) { return backward ? "resize_backward" : "resize"; }
    std::string type() const override { return type_of(backward_); }
    OpAttributes attributes() const override {
        return backward_ ? resize_attributes(type(), o_, "x_shape", g_.x_shape) : resize_attributes(type(), o_, "y_shape", g_.y_shape);
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        const Shape& expected = backward_ ? g_.y_shape : g_.x_shape;
        if (in[0].shape() != expected)
            throw_op_error(type(), in, "expected an input of shape " + shape_to_string(expected));
        return backward_ ? g_.x_shape : g_.y_shape;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        if (backward_)
            kernels::resize_backward(g_, a.in(0), a.output);
        else
            kernels::resize_forward(g_, a.in(0), a.output);
    }
    std::vector<Node> vjp(const Node&, const Node& g) const override {
        return {backward_ ? resize(g, g_.y_shape, o_) : resize_backward(g, g_.x_shape, o_)};
    }

private:
    bool backward_;
    kernels::ResizeGeometry g_;
    ResizeOptions o_;
};

}  // namespace

std::vector<OpTypeInfo> detail::resize_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{ResizeOp::type_of(false), file}, {ResizeOp::type_of(true), file}};
}

Node resize(const Node& x, const Shape& out_shape, const ResizeOptions& options) {
    if (!x.valid()) throw std::invalid_argument("resize: input 0 is an empty (invalid) node");
    auto g = resize_geometry("resize", {x}, x.shape(), out_shape, options);
    return make_node(std::make_shared<ResizeOp>(false, std::move(g), options), {x});
}

Node resize_backward(const Node& dy, const Shape& x_shape, const ResizeOptions& options) {
    if (!dy.valid()) throw std::invalid_argument("resize_backward: input 0 is an empty (invalid) node");
    auto g = resize_geometry("resize_backward", {dy}, x_shape, dy.shape(), options);
    return make_node(std::make_shared<ResizeOp>(true, std::move(g), options), {dy});
}

}  // namespace xvis
