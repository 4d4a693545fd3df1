// Layout primitives: reshape (a view), transpose, slice and its adjoint, pad, concat, roll.
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/layout.hpp>

#include <algorithm>
#include <cstring>
#include <numeric>

namespace xvis {
namespace {

// A view: the output shares the input's buffer, the executor never copies.
class ReshapeOp : public OpImpl<ReshapeOp> {
public:
    explicit ReshapeOp(Shape shape) : shape_(std::move(shape)) {}
    static constexpr const char* name = "reshape";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_ints("shape", shape_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        if (shape_size(shape_) != in[0].size())
            throw_op_error(type(), in, "cannot reshape " + std::to_string(in[0].size()) + " elements to " +
                                           shape_to_string(shape_) + " (" + std::to_string(shape_size(shape_)) + ")");
        return shape_;
    }
    int alias_of() const override { return 0; }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        if (const std::size_t n = shape_size(shape_)) std::memcpy(a.output, a.in(0), n * sizeof(T));  // empty: pointers may be null
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override { return {reshape(g, out.inputs()[0].shape())}; }

private:
    Shape shape_;
};

class TransposeOp : public OpImpl<TransposeOp> {
public:
    explicit TransposeOp(std::vector<std::size_t> perm) : perm_(std::move(perm)) {}
    static constexpr const char* name = "transpose";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_ints("perm", perm_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        std::vector<std::size_t> sorted = perm_;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::size_t> iota(in[0].rank());
        std::iota(iota.begin(), iota.end(), std::size_t{0});
        if (sorted != iota)
            throw_op_error(type(), in, "perm " + list_to_string(perm_) + " is not a permutation of the " +
                                           std::to_string(in[0].rank()) + " axes");
        Shape s(perm_.size());
        for (std::size_t i = 0; i < perm_.size(); ++i) s[i] = in[0].shape()[perm_[i]];
        return s;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::transpose(a.in(0), a.in_shape(0), perm_.data(), a.output);
    }
    std::vector<Node> vjp(const Node&, const Node& g) const override {
        std::vector<std::size_t> inverse(perm_.size());
        for (std::size_t i = 0; i < perm_.size(); ++i) inverse[perm_[i]] = i;
        return {transpose(g, inverse)};
    }

private:
    std::vector<std::size_t> perm_;
};

// Normalized slice: out[i] = x[begin + i·step] per axis, `shape` the output shape.
struct SliceSpec {
    std::vector<std::int64_t> begin, step;
    Shape shape;
};

// begin and step as normalized; end = begin + extent·step, exclusive and never counted from the end (−1 is
// "past index 0" for a negative step).
OpAttributes slice_attributes(const std::string& type, const SliceSpec& s) {
    std::vector<std::int64_t> end(s.begin.size());
    for (std::size_t i = 0; i < end.size(); ++i) end[i] = s.begin[i] + static_cast<std::int64_t>(s.shape[i]) * s.step[i];
    return OpAttributes(type).add_ints("begin", s.begin).add_ints("end", std::move(end)).add_ints("step", s.step);
}

class SliceOp : public OpImpl<SliceOp> {
public:
    explicit SliceOp(SliceSpec s) : s_(std::move(s)) {}
    static constexpr const char* name = "slice";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return slice_attributes(type(), s_); }
    Shape infer_shape(const std::vector<Node>& in) const override { return s_.shape; }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::slice(a.in(0), a.in_shape(0), s_.begin.data(), s_.step.data(), a.output, a.out_shape());
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override;

private:
    SliceSpec s_;
};

// Adjoint of slice: scatters into zeros of the original shape.
class SliceBackwardOp : public OpImpl<SliceBackwardOp> {
public:
    SliceBackwardOp(SliceSpec s, Shape x_shape) : s_(std::move(s)), x_shape_(std::move(x_shape)) {}
    static constexpr const char* name = "slice_backward";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return slice_attributes(type(), s_).add_ints("x_shape", x_shape_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        if (in[0].shape() != s_.shape) throw_op_error(type(), in, "expected a gradient of shape " + shape_to_string(s_.shape));
        return x_shape_;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::slice_backward(a.in(0), a.in_shape(0), s_.begin.data(), s_.step.data(), a.output, a.out_shape());
    }
    std::vector<Node> vjp(const Node&, const Node& g) const override {
        return {make_node(std::make_shared<SliceOp>(s_), {g})};
    }

private:
    SliceSpec s_;
    Shape x_shape_;
};

std::vector<Node> SliceOp::vjp(const Node& out, const Node& g) const {
    return {make_node(std::make_shared<SliceBackwardOp>(s_, out.inputs()[0].shape()), {g})};
}

class PadOp : public OpImpl<PadOp> {
public:
    PadOp(std::vector<std::size_t> before, std::vector<std::size_t> after, double value)
        : before_(std::move(before)), after_(std::move(after)), value_(value) {}
    static constexpr const char* name = "pad";
    std::string type() const override { return name; }
    // The mode as in pad(x, before, after, mode, value) (ops_pad.cpp holds the other modes).
    OpAttributes attributes() const override {
        return OpAttributes(type())
            .add_ints("before", before_)
            .add_ints("after", after_)
            .add_enum("mode", static_cast<std::int64_t>(PadMode::constant), "constant")
            .add_double("value", value_);
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        Shape s = in[0].shape();
        for (std::size_t i = 0; i < s.size(); ++i) s[i] += before_[i] + after_[i];
        return s;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::pad(a.in(0), a.in_shape(0), before_.data(), static_cast<T>(value_), a.output, a.out_shape());
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Shape& xs = out.inputs()[0].shape();
        Axes begin(xs.size()), end(xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i) {
            begin[i] = static_cast<std::int64_t>(before_[i]);
            end[i] = static_cast<std::int64_t>(before_[i] + xs[i]);
        }
        return {slice(g, begin, end)};
    }

private:
    std::vector<std::size_t> before_, after_;
    double value_;
};

class ConcatOp : public OpImpl<ConcatOp> {
public:
    explicit ConcatOp(std::int64_t axis) : axis_(axis) {}
    static constexpr const char* name = "concat";
    std::string type() const override { return name; }
    OpAttributes attributes() const override { return OpAttributes(type()).add_int("axis", axis_); }
    Shape infer_shape(const std::vector<Node>& in) const override {
        if (in.empty()) throw_op_error(type(), in, "needs at least one input");
        const std::size_t ax = normalize(in);
        Shape s = in[0].shape();
        s[ax] = 0;
        for (const auto& n : in) {
            bool ok = n.rank() == s.size();
            for (std::size_t i = 0; ok && i < s.size(); ++i) ok = i == ax || n.shape()[i] == s[i];
            if (!ok) throw_op_error(type(), in, "all inputs must match except on axis " + std::to_string(axis_));
            s[ax] += n.shape()[ax];
        }
        return s;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        const std::size_t ax = static_cast<std::size_t>(axis_ < 0 ? axis_ + std::int64_t(a.out_shape().size()) : axis_);
        std::size_t offset = 0;
        for (std::size_t i = 0; i < a.num_inputs; ++i) {
            kernels::copy_to_axis_offset(a.in(i), a.in_shape(i), ax, offset, a.output, a.out_shape());
            offset += a.in_shape(i)[ax];
        }
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const std::size_t ax = normalize(out.inputs());
        std::vector<Node> grads;
        std::int64_t offset = 0;
        for (const auto& x : out.inputs()) {
            Axes begin(x.rank(), 0), end(x.rank(), slice_full);
            begin[ax] = offset;
            offset += static_cast<std::int64_t>(x.shape()[ax]);
            end[ax] = offset;
            grads.push_back(slice(g, begin, end));
        }
        return grads;
    }

private:
    std::size_t normalize(const std::vector<Node>& in) const {
        if (in[0].rank() == 0) throw_op_error(type(), in, "cannot concatenate rank-0 tensors");
        const auto r = static_cast<std::int64_t>(in[0].rank());
        if (axis_ < -r || axis_ >= r) throw_op_error(type(), in, "axis " + std::to_string(axis_) + " out of range");
        return static_cast<std::size_t>(axis_ < 0 ? axis_ + r : axis_);
    }
    std::int64_t axis_;
};

class RollOp : public OpImpl<RollOp> {
public:
    explicit RollOp(std::vector<std::int64_t> shifts) : shifts_(std::move(shifts)) {}  // one per axis
    static constexpr const char* name = "roll";
    std::string type() const override { return name; }
    // The shifts as applied: one per axis (repeated axes summed), axes 0, 1, ..., rank − 1.
    OpAttributes attributes() const override {
        std::vector<std::int64_t> axes(shifts_.size());
        std::iota(axes.begin(), axes.end(), std::int64_t{0});
        return OpAttributes(type()).add_ints("shifts", shifts_).add_ints("axes", std::move(axes));
    }
    Shape infer_shape(const std::vector<Node>& in) const override { return in[0].shape(); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        kernels::roll(a.in(0), a.in_shape(0), shifts_.data(), a.output);
    }
    std::vector<Node> vjp(const Node&, const Node& g) const override {
        std::vector<std::int64_t> back(shifts_.size());
        for (std::size_t i = 0; i < back.size(); ++i) back[i] = -shifts_[i];
        return {make_node(std::make_shared<RollOp>(back), {g})};
    }

private:
    std::vector<std::int64_t> shifts_;
};

}  // namespace

// slice_backward is made only by slice's VJP, and checked through the slice rows.
std::vector<OpTypeInfo> detail::layout_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{ReshapeOp::name, file}, {TransposeOp::name, file}, {SliceOp::name, file},
            {SliceBackwardOp::name, file, true}, {PadOp::name, file}, {ConcatOp::name, file}, {RollOp::name, file}};
}

Node reshape(const Node& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    return make_node(std::make_shared<ReshapeOp>(shape), {x});
}

Node flatten(const Node& x) {
    if (x.rank() < 1) throw_op_error("flatten", {x}, "needs rank >= 1 (a batch axis)");
    return reshape(x, {x.shape()[0], x.shape()[0] ? x.size() / x.shape()[0] : 0});
}

Node transpose(const Node& x, const std::vector<std::size_t>& perm) {
    return make_node(std::make_shared<TransposeOp>(perm), {x});
}

Node slice(const Node& x, const Axes& begin, const Axes& end, const Axes& step) {
    const std::string type = "slice";
    const std::size_t rank = x.rank();
    if (begin.size() > rank || end.size() > rank || step.size() > rank)
        throw_op_error(type, {x}, "begin " + list_to_string(begin) + ", end " + list_to_string(end) + ", step " +
                                      list_to_string(step) + " have more entries than rank " + std::to_string(rank));
    SliceSpec s{std::vector<std::int64_t>(rank), std::vector<std::int64_t>(rank), Shape(rank)};
    for (std::size_t i = 0; i < rank; ++i) {
        const auto n = static_cast<std::int64_t>(x.shape()[i]);
        const std::int64_t st = i < step.size() ? step[i] : 1;
        if (st == 0) throw_op_error(type, {x}, "step 0 on axis " + std::to_string(i));
        // Python's slice.indices(): clamp to [0, n] for positive steps, [-1, n-1] for negative ones.
        auto norm = [&](std::int64_t v, std::int64_t deflt) {
            if (v == slice_full) return deflt;
            if (v < 0) v += n;
            return st > 0 ? std::clamp<std::int64_t>(v, 0, n) : std::clamp<std::int64_t>(v, -1, n - 1);
        };
        const std::int64_t b = norm(i < begin.size() ? begin[i] : slice_full, st > 0 ? 0 : n - 1);
        const std::int64_t e = norm(i < end.size() ? end[i] : slice_full, st > 0 ? n : -1);
        const std::int64_t len = st > 0 ? (e > b ? (e - b + st - 1) / st : 0) : (b > e ? (b - e - st - 1) / -st : 0);
        s.begin[i] = len > 0 ? b : 0;
        s.step[i] = st;
        s.shape[i] = static_cast<std::size_t>(len);
    }
    return make_node(std::make_shared<SliceOp>(std::move(s)), {x});
}

Node pad(const Node& x, const std::vector<std::size_t>& before, const std::vector<std::size_t>& after, double value) {
    if (before.size() > x.rank() || after.size() > x.rank())
        throw_op_error("pad", {x}, "before " + list_to_string(before) + " / after " + list_to_string(after) +
                                       " have more entries than rank " + std::to_string(x.rank()));
    std::vector<std::size_t> b(x.rank(), 0), a(x.rank(), 0);
    std::copy(before.begin(), before.end(), b.begin());
    std::copy(after.begin(), after.end(), a.begin());
    return make_node(std::make_shared<PadOp>(b, a, value), {x});
}

Node concat(const std::vector<Node>& xs, std::int64_t axis) {
    return make_node(std::make_shared<ConcatOp>(axis), xs);
}

Node roll(const Node& x, const Axes& shifts, const Axes& axes) {
    if (shifts.size() != axes.size())
        throw_op_error("roll", {x}, std::to_string(shifts.size()) + " shifts for " + std::to_string(axes.size()) + " axes");
    std::vector<std::int64_t> per_axis(x.rank(), 0);
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const auto r = static_cast<std::int64_t>(x.rank());
        if (axes[i] < -r || axes[i] >= r)
            throw_op_error("roll", {x}, "axis " + std::to_string(axes[i]) + " out of range for rank " + std::to_string(r));
        per_axis[static_cast<std::size_t>(axes[i] < 0 ? axes[i] + r : axes[i])] += shifts[i];
    }
    return make_node(std::make_shared<RollOp>(per_axis), {x});
}

}  // namespace xvis
