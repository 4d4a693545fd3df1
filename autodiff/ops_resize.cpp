// Resize (ONNX Resize / Upsample on the last two axes) and its adjoint. Both are linear in their input and each
// other's VJP; the sampling tables are built once, when the node is built, so running allocates nothing.
//   resize(x, out_shape, o)            VJP: x ← resize_backward(g, x.shape, o)
//   resize_backward(dy, x_shape, o)    VJP: dy ← resize(g, dy.shape, o)
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>

#include <sstream>
#include <stdexcept>

namespace xvis {
namespace {

std::string resize_attrs(const ResizeOptions& o) {
    static const char* const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn"};
    static const char* const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    std::ostringstream s;
    s << "mode=" << (o.mode == ResizeMode::linear ? "linear" : "nearest")
      << " coordinates=" << coords[static_cast<int>(o.coordinates)];
    if (o.mode == ResizeMode::nearest) s << " nearest=" << nearest[static_cast<int>(o.nearest)];
    if (o.scales[0] > 0 || o.scales[1] > 0) s << " scales=" << o.scales[0] << "x" << o.scales[1];
    return s.str();
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
    std::string type() const override { return backward_ ? "resize_backward" : "resize"; }
    std::string attributes() const override { return resize_attrs(o_); }
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
