// Fused primitives for the keras-vis regularizers. Their compositions (lp_sum_composed, tv_sum_composed) stay
// the reference: tests check fused == composed, values and gradients, and the second derivatives of the fused
// gradient ops are built from the compositions.
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/regularizers.hpp>

#include <cmath>

namespace xvis {
namespace {

OpAttributes tv_attributes(const std::string& type, double beta, std::size_t channel_axis) {
    return OpAttributes(type).add_double("beta", beta).add_int("channel_axis", static_cast<std::int64_t>(channel_axis));
}

class LpSumOp : public OpImpl<LpSumOp> {
public:
    explicit LpSumOp(double p) : p_(p) {}
    static constexpr const char* name = "lp_sum";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_double("p", p_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        return {};
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        a.output[0] = kernels::lp_sum(a.in(0), shape_size(a.in_shape(0)), p_);
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override;

private:
    double p_;
};

// y = g · p · |x|^(p−1) · sign(x), g a scalar node.
class LpSumGradOp : public OpImpl<LpSumGradOp> {
public:
    explicit LpSumGradOp(double p) : p_(p) {}
    static constexpr const char* name = "lp_sum_grad";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_double("p", p_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        if (in[1].size() != 1) throw_op_error(type(), in, "the incoming gradient must be a scalar");
        return in[0].shape();
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::lp_sum_grad(a.in(0), shape_size(a.in_shape(0)), p_, a.in(1)[0], a.output);
    }
    std::vector<Node> vjp(const Node& out, const Node& gg) const override {
        const Node& x = out.inputs()[0];
        const Node g = reshape(out.inputs()[1], {});
        // d/dx: g · p(p−1) |x|^(p−2) (elementwise, composed); d/dg: Σ gg · p |x|^(p−1) sign(x).
        const Node dx = p_ == 1.0 ? Node() : mul(gg, mul(g, scale(pow(abs(x), p_ - 2.0), p_ * (p_ - 1.0))));
        const Node unit = make_node(std::make_shared<LpSumGradOp>(p_), {x, scalar(1.0)});
        return {dx, reshape(sum(mul(gg, unit)), out.inputs()[1].shape())};
    }

private:
    double p_;
};

std::vector<Node> LpSumOp::vjp(const Node& out, const Node& g) const {
    return {make_node(std::make_shared<LpSumGradOp>(p_), {out.inputs()[0], g})};
}

class TvSumOp : public OpImpl<TvSumOp> {
public:
    TvSumOp(double beta, std::size_t channel_axis) : beta_(beta), c_(channel_axis) {}
    static constexpr const char* name = "tv_sum";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return tv_attributes(type(), beta_, c_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        return {};
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        a.output[0] = kernels::tv_sum(a.in(0), a.in_shape(0), c_, beta_);
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override;

private:
    double beta_;
    std::size_t c_;
};

class TvSumGradOp : public OpImpl<TvSumGradOp> {
public:
    TvSumGradOp(double beta, std::size_t channel_axis) : beta_(beta), c_(channel_axis) {}
    static constexpr const char* name = "tv_sum_grad";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return tv_attributes(type(), beta_, c_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 2);
        if (in[1].size() != 1) throw_op_error(type(), in, "the incoming gradient must be a scalar");
        return in[0].shape();
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::tv_sum_grad(a.in(0), a.in_shape(0), c_, beta_, a.in(1)[0], a.output);
    }
    // Second order from the composition: d/dx <gg, g · ∇tv(x)> = g · ∇<gg, ∇tv_composed(x)>.
    std::vector<Node> vjp(const Node& out, const Node& gg) const override {
        const Node& x = out.inputs()[0];
        const Node g = reshape(out.inputs()[1], {});
        const Node grad_composed = gradients(tv_sum_composed(x, beta_, c_), {x})[0];
        const Node hvp = gradients(sum(mul(grad_composed, stop_gradient(gg))), {x})[0];
        const Node unit = make_node(std::make_shared<TvSumGradOp>(beta_, c_), {x, scalar(1.0)});
        return {mul(hvp, g), reshape(sum(mul(gg, unit)), out.inputs()[1].shape())};
    }

private:
    double beta_;
    std::size_t c_;
};

std::vector<Node> TvSumOp::vjp(const Node& out, const Node& g) const {
    return {make_node(std::make_shared<TvSumGradOp>(beta_, c_), {out.inputs()[0], g})};
}

void check_tv(const Node& x, double beta, std::size_t c, const std::string& call) {
    if (!(beta > 0)) throw_op_error(call, {x}, "beta " + std::to_string(beta) + " must be > 0");
    if (x.rank() < 3 || x.rank() > 5 || c == 0 || c >= x.rank())
        throw_op_error(call, {x}, "expected rank 3 to 5 with the channel axis " + std::to_string(c) + " after the batch axis");
    for (std::size_t i = 1; i < x.rank(); ++i)
        if (i != c && x.shape()[i] < 2) throw_op_error(call, {x}, "needs at least 2 pixels along every spatial axis");
}

}  // namespace

// The gradient ops are made only by the VJPs of lp_sum / tv_sum and checked through their rows.
std::vector<OpTypeInfo> detail::fused_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{LpSumOp::name, file}, {LpSumGradOp::name, file, true}, {TvSumOp::name, file}, {TvSumGradOp::name, file, true}};
}

Node lp_sum(const Node& x, double p) {
    if (!(p >= 1.0)) throw_op_error("lp_sum", {x}, "p " + std::to_string(p) + " must be >= 1");
    return make_node(std::make_shared<LpSumOp>(p), {x});
}

Node lp_sum_composed(const Node& x, double p) {
    const bool even = p == std::floor(p) && std::fmod(p, 2.0) == 0.0;
    return sum(pow(even ? x : abs(x), p));
}

Node tv_sum(const Node& x, double beta, std::size_t channel_axis) {
    check_tv(x, beta, channel_axis, "tv_sum");
    return make_node(std::make_shared<TvSumOp>(beta, channel_axis), {x});
}

Node tv_sum_composed(const Node& x, double beta, std::size_t c) {
    check_tv(x, beta, c, "tv_sum_composed");
    const std::size_t rank = x.rank();
    const Shape& s = x.shape();
    Axes begin(rank, 0), end(rank, slice_full);
    for (std::size_t i = 1; i < rank; ++i)
        if (i != c) end[i] = static_cast<std::int64_t>(s[i]) - 1;
    const Node region = slice(x, begin, end);
    Node squares;
    for (std::size_t i = 1; i < rank; ++i) {
        if (i == c) continue;
        Axes b = begin, e = end;
        b[i] = 1;
        e[i] = static_cast<std::int64_t>(s[i]);
        const Node d2 = square(sub(slice(x, b, e), region));
        squares = squares.valid() ? add(squares, d2) : d2;
    }
    if (beta == 2.0) return sum(squares);
    // (Σ d²)^(β/2) with gradient 0 where Σ d² = 0: the pow branch only ever sees positive values.
    const Node positive = greater(squares, scalar(0.0));
    const Node safe = where(positive, squares, scalar(1.0));
    return sum(where(positive, pow(safe, beta / 2.0), scalar(0.0)));
}

}  // namespace xvis
