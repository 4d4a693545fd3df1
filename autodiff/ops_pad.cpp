// Reflect and edge padding (ONNX Pad modes "reflect" and "edge") and the adjoint that folds the gradient of the
// border back onto the cells it copied. Constant padding stays the layout op `pad` (its adjoint is a slice);
// pad_backward also takes PadMode::constant so the three modes share one contract.
//   pad(x, before, after, mode)                 VJP: x ← pad_backward(g, x.shape, before, after, mode)
//   pad_backward(dy, x_shape, before, after, m) VJP: dy ← pad(g, before, after, m)
// Each padded position i of an axis (x extent n, `before` cells in front) copies x[src(i)], j = i − before:
//   j in [0, n): j;   constant: none;   edge: clamp(j, 0, n − 1);   reflect: j < 0 ? −j : 2(n − 1) − j.
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/detail/strided.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace xvis {
namespace {

const char* mode_name(PadMode m) {
    switch (m) {
        case PadMode::constant: return "constant";
        case PadMode::reflect: return "reflect";
        case PadMode::edge: return "edge";
    }
    return "pad";
}

// x index copied by padded position i, or −1 (constant padding). Builders guarantee reflect pads < n.
inline std::ptrdiff_t pad_source(std::ptrdiff_t i, std::ptrdiff_t before, std::ptrdiff_t n, PadMode m) {
    const std::ptrdiff_t j = i - before;
    if (j >= 0 && j < n) return j;
    if (m == PadMode::edge) return j < 0 ? 0 : n - 1;
    if (m == PadMode::reflect) return j < 0 ? -j : 2 * (n - 1) - j;
    return -1;
}

struct PadGeometry {
    Shape x, y;
    std::vector<std::size_t> before, after;
    PadMode mode;
    std::array<std::ptrdiff_t, max_rank> x_strides{};
};



// x offset of the row of y holding position `row` over y's axes [first, rank − 1), or −1 when some axis maps to
// constant padding. Rows are counted from the first axis given.
inline std::ptrdiff_t source_row(const PadGeometry& g, std::size_t first, std::size_t row) {
    std::ptrdiff_t off = 0;
    for (std::size_t d = g.y.size() - 1; d-- > first;) {
        const auto i = static_cast<std::ptrdiff_t>(row % g.y[d]);
        row /= g.y[d];
        const std::ptrdiff_t j = pad_source(i, std::ptrdiff_t(g.before[d]), std::ptrdiff_t(g.x[d]), g.mode);
        if (j < 0) return -1;
        off += j * g.x_strides[d];
    }
    return off;
}

// f(k, src(k)) for the border positions k of a row of OW = b + W + after: [0, b) and [b + W, OW).
template <class F>
inline void for_border(std::size_t OW, std::size_t b, std::size_t W, PadMode m, F&& f) {
    for (std::size_t k = 0; k < b; ++k) f(k, pad_source(std::ptrdiff_t(k), std::ptrdiff_t(b), std::ptrdiff_t(W), m));
    for (std::size_t k = b + W; k < OW; ++k) f(k, pad_source(std::ptrdiff_t(k), std::ptrdiff_t(b), std::ptrdiff_t(W), m));
}

// y (overwritten) = x padded; threads take rows of y (disjoint).
template <class T>
void pad_forward(const PadGeometry& g, const T* x, T value, T* y) {
    const std::size_t r = g.y.size(), total = shape_size(g.y);
    if (r == 0) { y[0] = x[0]; return; }
    if (total == 0) return;
    const std::size_t OW = g.y[r - 1], W = g.x[r - 1], b = g.before[r - 1], rows = total / OW;
    kernels::detail::parallel_for(rows, kernels::detail::worth_threads(total, rows), [&](std::size_t row) {
        T* out = y + row * OW;
        const std::ptrdiff_t off = source_row(g, 0, row);
        if (off < 0 || W == 0) {
            std::fill(out, out + OW, value);
            return;
        }
        const T* src = x + off;
        for_border(OW, b, W, g.mode, [&](std::size_t k, std::ptrdiff_t j) { out[k] = j < 0 ? value : src[j]; });
        std::copy(src, src + W, out + b);
    });
}

// dx (overwritten) = the adjoint. Several positions of y add into one dx cell, so threads take blocks over the
// leading axes that are not padded (N, C of an image: their dx blocks are disjoint) and the order is fixed.
template <class T>
void pad_backward(const PadGeometry& g, const T* dy, T* dx) {
    const std::size_t r = g.y.size();
    if (r == 0) { dx[0] = dy[0]; return; }
    if (shape_size(g.x) == 0) return;
    std::size_t L = 0;
    while (L + 1 < r && g.before[L] == 0 && g.after[L] == 0) ++L;
    const std::size_t blocks = shape_size(Shape(g.y.begin(), g.y.begin() + std::ptrdiff_t(L)));
    const std::size_t block_x = shape_size(g.x) / blocks, block_y = shape_size(g.y) / blocks;
    const std::size_t OW = g.y[r - 1], W = g.x[r - 1], b = g.before[r - 1], rows = block_y / OW;
    kernels::detail::parallel_for(blocks, kernels::detail::worth_threads(shape_size(g.y), blocks), [&](std::size_t blk) {
        T* d = dx + blk * block_x;
        const T* s = dy + blk * block_y;
        std::fill(d, d + block_x, T(0));
        for (std::size_t row = 0; row < rows; ++row) {
            const std::ptrdiff_t off = source_row(g, L, row);  // within the block: the block's axes are unpadded
            if (off < 0) continue;
            T* drow = d + off;
            const T* srow = s + row * OW;
            for_border(OW, b, W, g.mode, [&](std::size_t k, std::ptrdiff_t j) {
                if (j >= 0) drow[j] += srow[k];
            });
            for (std::size_t j = 0; j < W; ++j) drow[j] += srow[b + j];
        }
    });
}

// before / after expanded to the rank and checked against the mode; the geometry of the padded shape.
PadGeometry pad_geometry(const std::string& type, const std::vector<Node>& in, const Shape& x,
                         const std::vector<std::size_t>& before, const std::vector<std::size_t>& after, PadMode mode) {
    const std::string what = "x shape " + shape_to_string(x) + ", " + mode_name(mode) + " padding before " +
                             list_to_string(before) + " after " + list_to_string(after);
    if (before.size() > x.size() || after.size() > x.size())
        throw_op_error(type, in, what + ": more entries than rank " + std::to_string(x.size()));
    PadGeometry g{x, x, std::vector<std::size_t>(x.size(), 0), std::vector<std::size_t>(x.size(), 0), mode, {}};
    std::copy(before.begin(), before.end(), g.before.begin());
    std::copy(after.begin(), after.end(), g.after.begin());
    std::ptrdiff_t stride = 1;
    for (std::size_t d = x.size(); d-- > 0;) {
        const std::size_t b = g.before[d], a = g.after[d], n = x[d];
        const std::string axis = ": axis " + std::to_string(d) + " of size " + std::to_string(n);
        if (mode == PadMode::reflect && (b > 0 || a > 0) && (b >= n || a >= n))
            throw_op_error(type, in, what + axis + " can only be reflect-padded by fewer than " + std::to_string(n) +
                                         " cells per side (the edge is not repeated)");
        if (mode == PadMode::edge && (b > 0 || a > 0) && n == 0)
            throw_op_error(type, in, what + axis + " has no edge to repeat");
        g.y[d] = n + b + a;
        g.x_strides[d] = stride;
        stride *= static_cast<std::ptrdiff_t>(n);
    }
    return g;
}

class PadModeOp : public OpImpl<PadModeOp> {
public:
    PadModeOp(bool backward, PadGeometry g) : backward_(backward), g_(std::move(g)) {}
    static std::string type_of(PadMode mode, bool backward) {
        return std::string("pad_") + mode_name(mode) + (backward ? "_backward" : "");
    }
    std::string type() const override { return type_of(g_.mode, backward_); }
    // before / after expanded to the rank; the mode also names the type. No value: reflect and edge copy every
    // cell, and the constant mode's forward is the layout op "pad".
    OpAttributes attributes() const override {
        return OpAttributes(type())
            .add_ints("before", g_.before)
            .add_ints("after", g_.after)
            .add_enum("mode", static_cast<std::int64_t>(g_.mode), mode_name(g_.mode));
    }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        const Shape& expected = backward_ ? g_.y : g_.x;
        if (in[0].shape() != expected)
            throw_op_error(type(), in, "expected an input of shape " + shape_to_string(expected) +
                                           (backward_ ? " (the padded shape)" : ""));
        return backward_ ? g_.x : g_.y;
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        if (backward_)
            pad_backward(g_, a.in(0), a.output);
        else
            pad_forward(g_, a.in(0), T(0), a.output);
    }
    std::vector<Node> vjp(const Node&, const Node& g) const override {
        return {backward_ ? pad(g, g_.before, g_.after, g_.mode) : pad_backward(g, g_.x, g_.before, g_.after, g_.mode)};
    }

private:
    bool backward_;
    PadGeometry g_;
};

}  // namespace

// pad(x, ..., PadMode::constant) builds the layout op "pad" (ops_layout.cpp): no "pad_constant" forward op.
std::vector<OpTypeInfo> detail::pad_op_types() {
    const std::string file = detail::autodiff_source(__FILE__);
    return {{PadModeOp::type_of(PadMode::reflect, false), file}, {PadModeOp::type_of(PadMode::edge, false), file},
            {PadModeOp::type_of(PadMode::constant, true), file}, {PadModeOp::type_of(PadMode::reflect, true), file},
            {PadModeOp::type_of(PadMode::edge, true), file}};
}

Node pad(const Node& x, const std::vector<std::size_t>& before, const std::vector<std::size_t>& after, PadMode mode,
         double value) {
    if (mode == PadMode::constant) return pad(x, before, after, value);
    if (!x.valid()) throw std::invalid_argument("pad: input 0 is an empty (invalid) node");
    return make_node(std::make_shared<PadModeOp>(false, pad_geometry("pad", {x}, x.shape(), before, after, mode)), {x});
}

Node pad_backward(const Node& dy, const Shape& x_shape, const std::vector<std::size_t>& before,
                  const std::vector<std::size_t>& after, PadMode mode) {
    if (!dy.valid()) throw std::invalid_argument("pad_backward: input 0 is an empty (invalid) node");
    PadGeometry g = pad_geometry("pad_backward", {dy}, x_shape, before, after, mode);
    if (dy.shape() != g.y)
        throw_op_error("pad_backward", {dy}, "dy must have the padded shape " + shape_to_string(g.y) + " of x shape " +
                                                 shape_to_string(x_shape) + " with before " + list_to_string(before) +
                                                 " after " + list_to_string(after));
    return make_node(std::make_shared<PadModeOp>(true, std::move(g)), {dy});
}

}  // namespace xvis
