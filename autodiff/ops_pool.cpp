// Pooling primitives and their backward ops (each with a VJP, for second derivatives).
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>

namespace xvis {
namespace {

using kernels::Pool2dParams;

// kernel [h, w], stride [h, w], pad [top, bottom, left, right], ceil_mode, count_include_pad (0 or 1; every
// pooling op carries all of Pool2dParams, so a backward op rebuilds its forward op exactly).
OpAttributes pool_attributes(const std::string& type, const Pool2dParams& p) {
    return OpAttributes(type)
        .add_ints("kernel", std::vector<std::size_t>{p.kernel_h, p.kernel_w})
        .add_ints("stride", std::vector<std::size_t>{p.stride_h, p.stride_w})
        .add_ints("pad", std::vector<std::size_t>{p.pad_top, p.pad_bottom, p.pad_left, p.pad_right})
        .add_bool("ceil_mode", p.ceil_mode)
        .add_bool("count_include_pad", p.count_include_pad);
}

kernels::Pool2dGeometry pool_geometry(const std::string& type, const std::vector<Node>& in, const Shape& x,
                                      const Pool2dParams& p) {
    try {
        return kernels::make_pool2d_geometry(x, p, type);
    } catch (const ShapeError& e) {
        // The kernel's message starts with the call name; the op error names it already.
        std::string what = e.what();
        if (what.rfind(type + ": ", 0) == 0) what.erase(0, type.size() + 2);
        throw_op_error(type, in, what);
    }
}

enum class PoolKind { max_forward, max_backward, max_select, avg_forward, avg_backward };

const char* pool_name(PoolKind k) {
    switch (k) {
        case PoolKind::max_forward: return "max_pool2d";
        case PoolKind::max_backward: return "max_pool2d_backward";
        case PoolKind::max_select: return "max_pool2d_select";
        case PoolKind::avg_forward: return "avg_pool2d";
        case PoolKind::avg_backward: return "avg_pool2d_backward";
    }
    return "pool";
}

// One class for the five pooling ops: they share geometry and attributes; each case pairs forward and VJP.
//   max_pool2d(x)               VJP: max_pool2d_backward(x, g)
//   max_pool2d_backward(x, dy)  VJP: dy ← max_pool2d_select(x, g); x: none (piecewise constant)
//   max_pool2d_select(x, v)     VJP: v ← max_pool2d_backward(x, g); x: none
//   avg_pool2d(x)               VJP: avg_pool2d_backward(g)
//   avg_pool2d_backward(dy)     VJP: avg_pool2d(g)
class PoolOp : public OpImpl<PoolOp> {
public:
    // g: the geometry of the pooled input, computed when the node is built, so running allocates nothing.
    PoolOp(PoolKind kind, kernels::Pool2dGeometry g, Shape x_shape = {}) : kind_(kind), p_(g.p), g_(g), x_shape_(std::move(x_shape)) {}
    std::string type() const override { return pool_name(kind_); }
    OpAttributes attributes() const override {
        OpAttributes a = pool_attributes(type(), p_);
        if (kind_ == PoolKind::avg_backward) a.add_ints("x_shape", x_shape_);
        return a;
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        const std::size_t n = kind_ == PoolKind::max_forward || kind_ == PoolKind::avg_forward || kind_ == PoolKind::avg_backward ? 1 : 2;
        expect_num_inputs(type(), in, n);
        const Shape& x = kind_ == PoolKind::avg_backward ? x_shape_ : in[0].shape();
        const auto geo = pool_geometry(type(), in, x, p_);
        switch (kind_) {
            case PoolKind::max_forward: case PoolKind::avg_forward: return geo.output_shape();
            case PoolKind::max_backward:
                if (in[1].shape() != geo.output_shape())
                    throw_op_error(type(), in, "dy must have the pooled shape " + shape_to_string(geo.output_shape()));
                return x;
            case PoolKind::max_select:
                if (in[1].shape() != x) throw_op_error(type(), in, "v must have x's shape");
                return geo.output_shape();
            case PoolKind::avg_backward:
                if (in[0].shape() != geo.output_shape())
                    throw_op_error(type(), in, "dy must have the pooled shape " + shape_to_string(geo.output_shape()));
                return x;
        }
        return x;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        const auto& g = g_;
        switch (kind_) {
            case PoolKind::max_forward: kernels::max_pool2d_forward(g, a.in(0), a.output); break;
            case PoolKind::max_backward: kernels::max_pool2d_backward(g, a.in(0), a.in(1), a.output); break;
            case PoolKind::max_select: kernels::max_pool2d_select(g, a.in(0), a.in(1), a.output); break;
            case PoolKind::avg_forward: kernels::avg_pool2d_forward(g, a.in(0), a.output); break;
            case PoolKind::avg_backward: kernels::avg_pool2d_backward(g, a.in(0), a.output); break;
        }
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const auto& in = out.inputs();
        switch (kind_) {
            case PoolKind::max_forward: return {max_pool2d_backward(in[0], g, p_)};
            case PoolKind::max_backward: return {Node(), max_pool2d_select(in[0], g, p_)};
            case PoolKind::max_select: return {Node(), max_pool2d_backward(in[0], g, p_)};
            case PoolKind::avg_forward: return {avg_pool2d_backward(g, in[0].shape(), p_)};
            case PoolKind::avg_backward: return {avg_pool2d(g, p_)};
        }
        return {};
    }

private:
    PoolKind kind_;
    Pool2dParams p_;
    kernels::Pool2dGeometry g_;
    Shape x_shape_;  // avg_pool2d_backward only
};

class GlobalAvgPoolOp : public OpImpl<GlobalAvgPoolOp> {
public:
    static constexpr const char* name = "global_avg_pool";
    std::string type() const override { return name; }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        expect_rank(type(), in, 0, 4);
        const Shape& s = in[0].shape();
        if (s[2] * s[3] == 0) throw_op_error(type(), in, "empty spatial extent");
        return {s[0], s[1]};
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        const Shape& s = a.in_shape(0);
        kernels::global_avg_pool_forward(s[0] * s[1], s[2] * s[3], a.in(0), a.output);
    }
    // Composed: each gradient spread evenly over its plane.
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Shape& s = out.inputs()[0].shape();
        return {scale(broadcast_to(reshape(g, {s[0], s[1], 1, 1}), s), 1.0 / static_cast<double>(s[2] * s[3]))};
    }
};

Node pool(PoolKind kind, std::vector<Node> in, const Pool2dParams& p, Shape x_shape = {}) {
    const auto g = pool_geometry(pool_name(kind), in, kind == PoolKind::avg_backward ? x_shape : in.at(0).shape(), p);
    return make_node(std::make_shared<PoolOp>(kind, g, std::move(x_shape)), std::move(in));
}

}  // namespace

std::vector<OpTypeInfo> detail::pool_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    std::vector<OpTypeInfo> t;
    for (PoolKind k : {PoolKind::max_forward, PoolKind::max_backward, PoolKind::max_select, PoolKind::avg_forward,
                       PoolKind::avg_backward})
        t.push_back({pool_name(k), file});
    t.push_back({GlobalAvgPoolOp::name, file});
    return t;
}

Node max_pool2d(const Node& x, const Pool2dParams& p) { return pool(PoolKind::max_forward, {x}, p); }
Node max_pool2d_backward(const Node& x, const Node& dy, const Pool2dParams& p) { return pool(PoolKind::max_backward, {x, dy}, p); }
Node max_pool2d_select(const Node& x, const Node& v, const Pool2dParams& p) { return pool(PoolKind::max_select, {x, v}, p); }
Node avg_pool2d(const Node& x, const Pool2dParams& p) { return pool(PoolKind::avg_forward, {x}, p); }
Node avg_pool2d_backward(const Node& dy, const Shape& x_shape, const Pool2dParams& p) {
    return pool(PoolKind::avg_backward, {dy}, p, x_shape);
}
Node global_avg_pool(const Node& x) { return make_node(std::make_shared<GlobalAvgPoolOp>(), {x}); }

}  // namespace xvis
