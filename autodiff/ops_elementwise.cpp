// Element-wise primitives: forward (a kernel call) and VJP (graph nodes) side by side.
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/elementwise.hpp>
#include <xvis/tensor/reduce.hpp>

#include <cstring>

namespace xvis {
namespace {

using kernels::BinaryOp;
using kernels::UnaryOp;

const char* unary_name(UnaryOp k) {
    switch (k) {
        case UnaryOp::neg: return "neg";
        case UnaryOp::exp: return "exp";
        case UnaryOp::log: return "log";
        case UnaryOp::abs: return "abs";
        case UnaryOp::sqrt: return "sqrt";
        case UnaryOp::square: return "square";
        case UnaryOp::relu: return "relu";
        case UnaryOp::leaky_relu: return "leaky_relu";
        case UnaryOp::sigmoid: return "sigmoid";
        case UnaryOp::tanh: return "tanh";
        case UnaryOp::sign: return "sign";
        case UnaryOp::pow: return "pow";
        case UnaryOp::scale: return "scale";
        case UnaryOp::add_scalar: return "add_scalar";
        case UnaryOp::step: return "step";
        case UnaryOp::erf: return "erf";
    }
    return "unary";
}

class UnaryNodeOp : public OpImpl<UnaryNodeOp> {
public:
    UnaryNodeOp(UnaryOp kind, double param) : kind_(kind), param_(param) {}
    std::string type() const override { return unary_name(kind_); }
    OpAttributes attributes() const override {
        OpAttributes a(type());
        switch (kind_) {
            case UnaryOp::leaky_relu: return a.add_double("alpha", param_);
            case UnaryOp::pow: return a.add_double("p", param_);
            case UnaryOp::scale: case UnaryOp::add_scalar: return a.add_double("s", param_);
            default: return a;
        }
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        return in[0].shape();
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::unary(kind_, a.in(0), a.output, shape_size(a.out_shape()), static_cast<T>(param_));
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& x = out.inputs()[0];
        switch (kind_) {
            case UnaryOp::neg: return {neg(g)};
            case UnaryOp::exp: return {mul(g, out)};
            case UnaryOp::log: return {div(g, x)};
            case UnaryOp::abs: return {mul(g, sign(x))};  // |x|' = sign(x): 0 at the kink
            case UnaryOp::sqrt: return {div(scale(g, 0.5), out)};
            case UnaryOp::square: return {mul(g, scale(x, 2.0))};
            case UnaryOp::relu: return {relu_grad(x, g, 0.0)};  // relu'(0) = 0
            case UnaryOp::leaky_relu: return {relu_grad(x, g, param_)};  // leaky_relu'(0) = alpha
            case UnaryOp::sigmoid: return {sigmoid_grad(out, g)};
            case UnaryOp::tanh: return {tanh_grad(out, g)};
            case UnaryOp::sign: case UnaryOp::step: return {Node()};
            case UnaryOp::pow:
                if (param_ == 0.0) return {Node()};
                if (param_ == 1.0) return {g};
                if (param_ == 2.0) return {mul(g, scale(x, 2.0))};
                return {mul(g, scale(pow(x, param_ - 1.0), param_))};
            case UnaryOp::scale: return {scale(g, param_)};
            case UnaryOp::add_scalar: return {g};
            case UnaryOp::erf: return {erf_grad(x, g)};
        }
        return {Node()};
    }

private:
    UnaryOp kind_;
    double param_;
};

const char* binary_name(BinaryOp k) {
    switch (k) {
        case BinaryOp::add: return "add";
        case BinaryOp::sub: return "sub";
        case BinaryOp::mul: return "mul";
        case BinaryOp::div: return "div";
        case BinaryOp::maximum: return "maximum";
        case BinaryOp::minimum: return "minimum";
        case BinaryOp::equal: return "equal";
        case BinaryOp::greater: return "greater";
        case BinaryOp::greater_equal: return "greater_equal";
        case BinaryOp::relu_grad: return "relu_grad";
        case BinaryOp::sigmoid_grad: return "sigmoid_grad";
        case BinaryOp::tanh_grad: return "tanh_grad";
        case BinaryOp::erf_grad: return "erf_grad";
    }
    return "binary";
}

class BinaryNodeOp : public OpImpl<BinaryNodeOp> {
public:
    BinaryNodeOp(BinaryOp kind, double param) : kind_(kind), param_(param) {}
    std::string type() const override { return binary_name(kind_); }
    OpAttributes attributes() const override {
        OpAttributes a(type());
        if (kind_ == BinaryOp::relu_grad) a.add_double("alpha", param_);
        return a;
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        const Shape& sa = in[0].shape();
        const Shape& sb = in[1].shape();
        Shape out(std::max(sa.size(), sb.size()));
        for (std::size_t i = 0; i < out.size(); ++i) {
            const std::size_t ea = i + sa.size() < out.size() ? 1 : sa[i + sa.size() - out.size()];
            const std::size_t eb = i + sb.size() < out.size() ? 1 : sb[i + sb.size() - out.size()];
            if (ea != eb && ea != 1 && eb != 1)
                throw_op_error(type(), in, "shapes do not broadcast at output axis " + std::to_string(i) + " (" +
                                               std::to_string(ea) + " vs " + std::to_string(eb) +
                                               "; extents must be equal or 1)");
            out[i] = ea == 1 ? eb : ea;
        }
        return out;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::binary(kind_, a.in(0), a.in_shape(0), a.in(1), a.in_shape(1), a.output, a.out_shape(),
                        static_cast<T>(param_));
    }
    // Gradients come back in the output's (broadcast) shape; the engine sums them down to each input's shape.
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& a = out.inputs()[0];
        const Node& b = out.inputs()[1];
        switch (kind_) {
            case BinaryOp::add: return {g, g};
            case BinaryOp::sub: return {g, neg(g)};
            case BinaryOp::mul: return {mul(g, b), mul(g, a)};
            case BinaryOp::div: return {div(g, b), neg(div(mul(g, out), b))};  // d(a/b)/db = −(a/b)/b
            case BinaryOp::maximum: {  // ties: a
                const Node take_a = greater_equal(a, b);
                return {where(take_a, g, scalar(0)), where(take_a, scalar(0), g)};
            }
            case BinaryOp::minimum: {  // ties: a
                const Node take_a = greater_equal(b, a);
                return {where(take_a, g, scalar(0)), where(take_a, scalar(0), g)};
            }
            case BinaryOp::equal: case BinaryOp::greater: case BinaryOp::greater_equal: return {Node(), Node()};
            case BinaryOp::relu_grad: return {Node(), relu_grad(a, g, param_)};  // linear in the gradient input
            // The activation gradients are linear in b; their derivatives in a are composed.
            case BinaryOp::sigmoid_grad:  // d/da b·a(1−a) = b(1 − 2a)
                return {mul(g, mul(b, add_scalar(scale(a, -2.0), 1.0))), sigmoid_grad(a, g)};
            case BinaryOp::tanh_grad: return {mul(g, mul(b, scale(a, -2.0))), tanh_grad(a, g)};  // d/da b(1−a²)
            case BinaryOp::erf_grad:  // d/da b·2/√π·e^{−a²} = −2a · b·2/√π·e^{−a²}
                return {mul(erf_grad(a, mul(g, b)), scale(a, -2.0)), erf_grad(a, g)};
        }
        return {Node(), Node()};
    }

private:
    BinaryOp kind_;
    double param_;
};

class WhereOp : public OpImpl<WhereOp> {
public:
    static constexpr const char* name = "where";
    std::string type() const override { return name; }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 3);
        try {
            return broadcast_shapes(broadcast_shapes(in[0].shape(), in[1].shape(), type()), in[2].shape(), type());
        } catch (const ShapeError&) {
            throw_op_error(type(), in, "condition and values do not broadcast together");
        }
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::where(a.in(0), a.in_shape(0), a.in(1), a.in_shape(1), a.in(2), a.in_shape(2), a.output, a.out_shape());
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& c = out.inputs()[0];
        return {Node(), where(c, g, scalar(0)), where(c, scalar(0), g)};
    }
};

class BroadcastToOp : public OpImpl<BroadcastToOp> {
public:
    explicit BroadcastToOp(Shape shape) : shape_(std::move(shape)) {}
    static constexpr const char* name = "broadcast_to";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_ints("shape", shape_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        if (!broadcastable_to(in[0].shape(), shape_))
            throw_op_error(type(), in, "cannot broadcast to " + shape_to_string(shape_));
        return shape_;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::broadcast_to(a.in(0), a.in_shape(0), a.output, a.out_shape());
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override { return {g}; }  // the engine sums

private:
    Shape shape_;
};

class SumToOp : public OpImpl<SumToOp> {
public:
    explicit SumToOp(Shape shape) : shape_(std::move(shape)) {}
    static constexpr const char* name = "sum_to";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_ints("shape", shape_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        if (!broadcastable_to(shape_, in[0].shape()))
            throw_op_error(type(), in, "cannot sum to " + shape_to_string(shape_) + ": it does not broadcast to the input");
        return shape_;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::sum_to(a.in(0), a.in_shape(0), a.output, a.out_shape());
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        return {broadcast_to(g, out.inputs()[0].shape())};
    }

private:
    Shape shape_;
};

// A view: shares its input's buffer; the executor never calls compute.
class StopGradientOp : public OpImpl<StopGradientOp> {
public:
    static constexpr const char* name = "stop_gradient";
    std::string type() const override { return name; }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        return in[0].shape();
    }
    int alias_of() const override { return 0; }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        if (const std::size_t n = shape_size(a.out_shape())) std::memcpy(a.output, a.in(0), n * sizeof(T));  // empty: pointers may be null
    }
    std::vector<Node> vjp(const Node&, const Node&) const override { return {Node()}; }
};

Node unary_node(UnaryOp k, const Node& x, double param = 0.0) {
    return make_node(std::make_shared<UnaryNodeOp>(k, param), {x});
}
Node binary_node(BinaryOp k, const Node& a, const Node& b, double param = 0.0) {
    return make_node(std::make_shared<BinaryNodeOp>(k, param), {a, b});
}

}  // namespace

// Every kind a builder below makes (UnaryOp::step is a kernel-only kind: no graph op uses it).
std::vector<OpTypeInfo> detail::elementwise_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    std::vector<OpTypeInfo> t;
    for (UnaryOp k : {UnaryOp::neg, UnaryOp::exp, UnaryOp::log, UnaryOp::abs, UnaryOp::sqrt, UnaryOp::square,
                      UnaryOp::relu, UnaryOp::leaky_relu, UnaryOp::sigmoid, UnaryOp::tanh, UnaryOp::sign, UnaryOp::pow,
                      UnaryOp::scale, UnaryOp::add_scalar, UnaryOp::erf})
        t.push_back({unary_name(k), file});
    for (BinaryOp k : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div, BinaryOp::maximum, BinaryOp::minimum,
                       BinaryOp::equal, BinaryOp::greater, BinaryOp::greater_equal, BinaryOp::relu_grad,
                       BinaryOp::sigmoid_grad, BinaryOp::tanh_grad, BinaryOp::erf_grad})
        t.push_back({binary_name(k), file});
    for (const char* n : {WhereOp::name, BroadcastToOp::name, SumToOp::name, StopGradientOp::name}) t.push_back({n, file});
    return t;
}

Node add(const Node& a, const Node& b) { return binary_node(BinaryOp::add, a, b); }
Node sub(const Node& a, const Node& b) { return binary_node(BinaryOp::sub, a, b); }
Node mul(const Node& a, const Node& b) { return binary_node(BinaryOp::mul, a, b); }
Node div(const Node& a, const Node& b) { return binary_node(BinaryOp::div, a, b); }
Node maximum(const Node& a, const Node& b) { return binary_node(BinaryOp::maximum, a, b); }
Node minimum(const Node& a, const Node& b) { return binary_node(BinaryOp::minimum, a, b); }
Node equal(const Node& a, const Node& b) { return binary_node(BinaryOp::equal, a, b); }
Node greater(const Node& a, const Node& b) { return binary_node(BinaryOp::greater, a, b); }
Node greater_equal(const Node& a, const Node& b) { return binary_node(BinaryOp::greater_equal, a, b); }
Node relu_grad(const Node& x, const Node& g, double alpha) { return binary_node(BinaryOp::relu_grad, x, g, alpha); }
Node sigmoid_grad(const Node& y, const Node& g) { return binary_node(BinaryOp::sigmoid_grad, y, g); }
Node tanh_grad(const Node& y, const Node& g) { return binary_node(BinaryOp::tanh_grad, y, g); }
Node erf_grad(const Node& x, const Node& g) { return binary_node(BinaryOp::erf_grad, x, g); }
Node where(const Node& c, const Node& a, const Node& b) { return make_node(std::make_shared<WhereOp>(), {c, a, b}); }

Node operator+(const Node& a, const Node& b) { return add(a, b); }
Node operator-(const Node& a, const Node& b) { return sub(a, b); }
Node operator*(const Node& a, const Node& b) { return mul(a, b); }
Node operator/(const Node& a, const Node& b) { return div(a, b); }
Node operator-(const Node& a) { return neg(a); }
Node operator+(const Node& a, double s) { return add_scalar(a, s); }
Node operator+(double s, const Node& a) { return add_scalar(a, s); }
Node operator-(const Node& a, double s) { return add_scalar(a, -s); }
Node operator-(double s, const Node& a) { return add_scalar(neg(a), s); }
Node operator*(const Node& a, double s) { return scale(a, s); }
Node operator*(double s, const Node& a) { return scale(a, s); }
Node operator/(const Node& a, double s) { return scale(a, 1.0 / s); }

Node neg(const Node& x) { return unary_node(UnaryOp::neg, x); }
Node exp(const Node& x) { return unary_node(UnaryOp::exp, x); }
Node log(const Node& x) { return unary_node(UnaryOp::log, x); }
Node pow(const Node& x, double p) { return unary_node(UnaryOp::pow, x, p); }
Node abs(const Node& x) { return unary_node(UnaryOp::abs, x); }
Node sqrt(const Node& x) { return unary_node(UnaryOp::sqrt, x); }
Node square(const Node& x) { return unary_node(UnaryOp::square, x); }
Node relu(const Node& x) { return unary_node(UnaryOp::relu, x); }
Node leaky_relu(const Node& x, double alpha) { return unary_node(UnaryOp::leaky_relu, x, alpha); }
Node sigmoid(const Node& x) { return unary_node(UnaryOp::sigmoid, x); }
Node tanh(const Node& x) { return unary_node(UnaryOp::tanh, x); }
Node sign(const Node& x) { return unary_node(UnaryOp::sign, x); }
Node scale(const Node& x, double s) { return unary_node(UnaryOp::scale, x, s); }
Node add_scalar(const Node& x, double s) { return unary_node(UnaryOp::add_scalar, x, s); }
Node erf(const Node& x) { return unary_node(UnaryOp::erf, x); }
Node stop_gradient(const Node& x) { return make_node(std::make_shared<StopGradientOp>(), {x}); }

Node broadcast_to(const Node& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    return make_node(std::make_shared<BroadcastToOp>(shape), {x});
}
Node sum_to(const Node& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    return make_node(std::make_shared<SumToOp>(shape), {x});
}

}  // namespace xvis
