// ONNX builders for the neural-network ops: Conv, ConvTranspose, Gemm, MatMul, the normalizations, Softmax /
// LogSoftmax and the reductions (pooling and Resize: onnx_ops_pool.cpp). Each composes autodiff ops, so the
// imported graph differentiates for free. Convolutions are 2-D; 1-D ones run as 2-D with H = 1.
#include <xvis/autodiff/ops.hpp>
#include <xvis/io/detail/onnx_ops.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace xvis::detail {


namespace {

template <class T>
std::string list(const std::vector<T>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

// A per-spatial-axis attribute (strides, dilations, output_padding): `dims` values >= lowest.
std::vector<long long> axis_attr(const OnnxOpNode& n, const std::string& attr, std::size_t dims, long long fallback,
                                 long long lowest = 1) {
    const auto v = n.attr_ints(attr, std::vector<long long>(dims, fallback));
    if (v.size() != dims) n.fail("attribute " + attr + " " + list(v) + ": expected " + std::to_string(dims) + " values (one per spatial axis)");
    for (long long e : v)
        if (e < lowest) n.fail("attribute " + attr + " " + list(v) + ": values must be >= " + std::to_string(lowest));
    return v;
}

// Rank 3 or 4 only (N, C, [H,] W): the number of spatial axes.
std::size_t spatial_dims(const OnnxOpNode& n, const Node& x) {
    if (x.rank() != 3 && x.rank() != 4)
        n.fail("input " + x.describe() + ": only 1-D and 2-D inputs (rank 3 or 4: N, C, [H,] W) are supported");
    return x.rank() - 2;
}

// The kernel's spatial extents from the weight, checked against kernel_shape when given.
std::vector<long long> kernel_of(const OnnxOpNode& n, const Node& x, const Node& w) {
    if (w.rank() != x.rank()) n.fail("weight " + w.describe() + " must have the input's rank " + std::to_string(x.rank()));
    const std::vector<long long> k(w.shape().begin() + 2, w.shape().end());
    if (n.has("kernel_shape") && n.attr_ints("kernel_shape", {}) != k)
        n.fail("attribute kernel_shape " + list(n.attr_ints("kernel_shape", {})) + " differs from the weight " + w.describe());
    return k;
}

}  // namespace

// [N, C, W] ↔ [N, C, 1, W]: 1-D convolutions and poolings run as 2-D ones.
Node onnx_as_2d(const Node& x) {
    if (x.rank() == 4) return x;
    Shape s = x.shape();
    s.insert(s.begin() + 2, 1);
    return reshape(x, s);
}
Node onnx_from_2d(const Node& y, std::size_t dims) {
    if (dims == 2) return y;
    Shape s = y.shape();
    s.erase(s.begin() + 2);
    return reshape(y, s);
}
// Value of axis `i` of a per-axis list as 2-D (axis 0 = H); a 1-D list gets `fill` for H.
std::size_t onnx_hw(const std::vector<long long>& v, std::size_t i, long long fill) {
    return static_cast<std::size_t>(v.size() == 1 ? (i == 0 ? fill : v[0]) : v[i]);
}

// Explicit pads [begin..., end...] of a Conv or a pooling: from pads, or from auto_pad (SAME: out = ceil(in / s)).
std::vector<long long> onnx_window_pads(const OnnxOpNode& n, const Shape& x, const std::vector<long long>& span,
                                        const std::vector<long long>& strides) {
    const std::size_t dims = span.size();
    const std::string ap = n.attr_string("auto_pad", "NOTSET");
    std::vector<long long> p(2 * dims, 0);
    if (ap == "NOTSET") {
        p = n.attr_ints("pads", p);
        if (p.size() != 2 * dims) n.fail("attribute pads " + list(p) + ": expected " + std::to_string(2 * dims) + " values");
        for (long long e : p)
            if (e < 0) n.fail("attribute pads " + list(p) + ": negative pads are not supported");
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
        for (std::size_t i = 0; i < dims; ++i) {
            const long long in = static_cast<long long>(x[2 + i]), s = strides[i];
            const long long total = std::max<long long>(0, ((in + s - 1) / s - 1) * s + span[i] - in);
            p[i] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
            p[i + dims] = total - p[i];
        }
    } else if (ap != "VALID") {
        n.fail("attribute auto_pad '" + ap + "' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
    }
    return p;
}

namespace {

kernels::Conv2dParams conv_params(const OnnxOpNode& n, const std::vector<long long>& s, const std::vector<long long>& d,
                                  const std::vector<long long>& pads) {
    const long long group = n.attr_int("group", 1);
    if (group < 1) n.fail("attribute group " + std::to_string(group) + " must be >= 1");
    kernels::Conv2dParams p;
    p.stride_h = onnx_hw(s, 0, 1), p.stride_w = onnx_hw(s, 1, 1);
    p.dilation_h = onnx_hw(d, 0, 1), p.dilation_w = onnx_hw(d, 1, 1);
    const OnnxPads2d pad = onnx_pads_2d(pads);
    p.pad_top = pad.top, p.pad_left = pad.left, p.pad_bottom = pad.bottom, p.pad_right = pad.right;
    p.groups = static_cast<std::size_t>(group);
    return p;
}

// y + B over axis 1 (B of `channels` values), for Conv and ConvTranspose.
Node add_channel_bias(const OnnxOpNode& n, const Node& y, std::size_t channels) {
    if (!n.has_input(2)) return y;
    const Node& b = n.input(2);
    if (b.size() != channels) n.fail("bias " + b.describe() + " must hold " + std::to_string(channels) + " values");
    Shape s(y.rank(), 1);
    s[1] = channels;
    return add(y, reshape(b, s));
}

std::vector<Node> conv(OnnxOpNode& n) {
    const Node& x = n.input(0);
    const Node& w = n.input(1);
    const std::size_t dims = spatial_dims(n, x);
    const auto k = kernel_of(n, x, w);
    const auto s = axis_attr(n, "strides", dims, 1), d = axis_attr(n, "dilations", dims, 1);
    std::vector<long long> span(dims);
    for (std::size_t i = 0; i < dims; ++i) span[i] = (k[i] - 1) * d[i] + 1;
    const auto p = conv_params(n, s, d, onnx_window_pads(n, x.shape(), span, s));
    return {onnx_from_2d(add_channel_bias(n, conv2d(onnx_as_2d(x), onnx_as_2d(w), p), w.shape()[0]), dims)};
}

// ConvTranspose = the adjoint of a convolution: conv2d_backward_data with the weight [C_in, C_out/G, kH, kW] read as
// conv2d's [K, C/G, R, S] (K = C_in). Output length per axis: L = s·(in − 1) + output_padding + span − pb − pe;
// out[i] = full[i + pb], zero outside the full (unpadded) result. Negative pads (an output_shape larger than the
// natural one) and output_padding >= stride become explicit zero rows around the kernel's part.
std::vector<Node> conv_transpose(OnnxOpNode& n) {
    const Node& x = n.input(0);
    const Node& w = n.input(1);
    const std::size_t dims = spatial_dims(n, x);
    const auto k = kernel_of(n, x, w);
    const auto s = axis_attr(n, "strides", dims, 1), d = axis_attr(n, "dilations", dims, 1);
    const auto op = axis_attr(n, "output_padding", dims, 0, 0);
    const long long group = n.attr_int("group", 1);
    if (group < 1 || w.shape()[0] != x.shape()[1] || x.shape()[1] % group != 0)
        n.fail("weight " + w.describe() + " must be [C_in, C_out/group, k...] for input " + x.describe() + " and group " + std::to_string(group));
    const std::size_t c_out = w.shape()[1] * static_cast<std::size_t>(group);
    const std::string ap = n.attr_string("auto_pad", "NOTSET");
    if (ap != "NOTSET" && ap != "VALID" && ap != "SAME_UPPER" && ap != "SAME_LOWER")
        n.fail("attribute auto_pad '" + ap + "' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
    std::vector<long long> span(dims), in(dims), pads(2 * dims, 0);
    for (std::size_t i = 0; i < dims; ++i) span[i] = (k[i] - 1) * d[i] + 1, in[i] = static_cast<long long>(x.shape()[2 + i]);
    if (n.has("output_shape") || ap == "SAME_UPPER" || ap == "SAME_LOWER") {
        std::vector<long long> os = n.attr_ints("output_shape", {});
        if (os.size() == dims + 2) os.erase(os.begin(), os.begin() + 2);  // some exporters write [N, C, spatial...]
        if (!n.has("output_shape")) for (std::size_t i = 0; i < dims; ++i) os.push_back(in[i] * s[i]);
        if (os.size() != dims) n.fail("attribute output_shape " + list(os) + ": expected " + std::to_string(dims) + " values");
        for (std::size_t i = 0; i < dims; ++i) {
            const long long total = s[i] * (in[i] - 1) + op[i] + span[i] - os[i];
            const long long half = total >= 0 ? total / 2 : -((1 - total) / 2);  // floor, as ONNX's reference
            pads[i] = ap == "SAME_UPPER" ? half : total - half;
            pads[i + dims] = total - pads[i];
        }
    } else if (ap == "NOTSET") {
        pads = n.attr_ints("pads", pads);
        if (pads.size() != 2 * dims) n.fail("attribute pads " + list(pads) + ": expected " + std::to_string(2 * dims) + " values");
    }
    std::vector<long long> core_pads(2 * dims), front(dims), back(dims), core(dims);
    for (std::size_t i = 0; i < dims; ++i) {
        const long long pb = pads[i], pe = pads[i + dims];
        const long long len = s[i] * (in[i] - 1) + op[i] + span[i] - pb - pe;
        if (len < 1) n.fail("pads " + list(pads) + " leave an empty output");
        const long long t = op[i] - pe;  // rows past the kernel's geometry at the end
        front[i] = std::max(-pb, 0LL), back[i] = std::max(t - s[i] + 1, 0LL);
        core[i] = len - front[i] - back[i];
        if (core[i] < 1) n.fail("pads " + list(pads) + " and output_padding " + list(op) + " crop every computed value");
        core_pads[i] = std::max(pb, 0LL), core_pads[i + dims] = std::max(0LL, back[i] - t);
    }
    const Node x2 = onnx_as_2d(x);
    const auto p = conv_params(n, s, d, core_pads);
    Node y = conv2d_backward_data(x2, onnx_as_2d(w), {x2.shape()[0], c_out, onnx_hw(core, 0, 1), onnx_hw(core, 1, 1)}, p);
    if (*std::max_element(front.begin(), front.end()) > 0 || *std::max_element(back.begin(), back.end()) > 0)
        y = pad(y, {0, 0, onnx_hw(front, 0, 0), onnx_hw(front, 1, 0)}, {0, 0, onnx_hw(back, 0, 0), onnx_hw(back, 1, 0)});
    return {onnx_from_2d(add_channel_bias(n, y, c_out), dims)};
}

std::vector<Node> gemm(OnnxOpNode& n) {
    const Node& a = n.input(0);
    const Node& b = n.input(1);
    if (a.rank() != 2 || b.rank() != 2) n.fail("A " + a.describe() + " and B " + b.describe() + " must have rank 2");
    const double alpha = n.attr_float("alpha", 1.0), beta = n.attr_float("beta", 1.0);
    Node y = matmul(a, b, n.attr_int("transA", 0) != 0, n.attr_int("transB", 0) != 0);
    if (alpha != 1.0) y = scale(y, alpha);
    if (n.has_input(2) && beta != 0.0) {
        const Node& c = n.input(2);
        if (!broadcastable_to(c.shape(), y.shape())) n.fail("C " + c.describe() + " does not broadcast to " + shape_to_string(y.shape()));
        y = add(y, beta == 1.0 ? c : scale(c, beta));
    }
    return {y};
}

// NumPy matmul: 1-D operands promoted (and the added axis dropped), batch axes broadcast; a right operand with
// no (or unit) batch axes multiplies the left one reshaped to 2-D.
std::vector<Node> matmul_op(OnnxOpNode& n) {
    Node a = n.input(0), b = n.input(1);
    if (a.rank() == 0 || b.rank() == 0) n.fail("operands " + a.describe() + " and " + b.describe() + " must have rank >= 1");
    const bool va = a.rank() == 1, vb = b.rank() == 1;
    if (va) a = reshape(a, {1, a.size()});
    if (vb) b = reshape(b, {b.size(), 1});
    const Shape& as = a.shape();
    const Shape& bs = b.shape();
    const std::size_t M = as[as.size() - 2], K = as.back(), N = bs.back();
    if (bs[bs.size() - 2] != K) n.fail("inner dimensions of " + a.describe() + " and " + b.describe() + " differ");
    const Shape ba(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
    Shape batch;
    try {
        batch = broadcast_shapes(ba, bb, "MatMul");
    } catch (const ShapeError&) {
        n.fail("batch axes of " + a.describe() + " and " + b.describe() + " do not broadcast");
    }
    const std::size_t pa = shape_size(ba), pb = shape_size(bb), pbatch = shape_size(batch);
    Node y;
    if (pb == 1) {  // weight-like right operand: one GEMM with all rows of a
        const Node b2 = bb.empty() ? b : reshape(b, {K, N});
        y = ba.empty() ? matmul(a, b2) : matmul(reshape(a, {pa * M, K}), b2);
    } else if (pa == 1) {
        y = matmul(ba.empty() ? a : reshape(a, {M, K}), reshape(b, {pb, K, N}));
    } else {
        Shape sa = batch, sb = batch;
        sa.insert(sa.end(), {M, K});
        sb.insert(sb.end(), {K, N});
        const Node a3 = reshape(ba == batch ? a : broadcast_to(a, sa), {pbatch, M, K});
        const Node b3 = reshape(bb == batch ? b : broadcast_to(b, sb), {pbatch, K, N});
        y = matmul(a3, b3);
    }
    Shape out = batch;
    if (!va) out.push_back(M);
    if (!vb) out.push_back(N);
    return {y.shape() == out ? y : reshape(y, out)};
}

// Per-channel parameter i of BatchNormalization / InstanceNormalization as [1, C, 1, ...] for x.
Node channel_param(const OnnxOpNode& n, std::size_t i, const Node& x, bool per_activation) {
    const Node& v = n.input(i);
    Shape s(x.rank(), 1);
    if (per_activation) {  // BatchNormalization spatial = 0 (opset < 9): one value per (c, spatial position)
        std::copy(x.shape().begin() + 1, x.shape().end(), s.begin() + 1);
    } else {
        s[1] = x.shape()[1];
    }
    if (v.size() != shape_size(s)) n.fail("input " + std::to_string(i) + " " + v.describe() + " must hold " + std::to_string(shape_size(s)) + " values");
    return reshape(v, s);
}

void only_first_output(const OnnxOpNode& n, const char* why) {
    for (std::size_t i = 1; i < n.num_outputs(); ++i)
        if (!n.output_names[i].empty()) n.fail("output " + std::to_string(i) + " '" + n.output_names[i] + "' is not supported (" + why + ")");
}

// Inference: y = x·a + (B − mean·a), a = scale / sqrt(var + epsilon), per channel (axis 1).
std::vector<Node> batch_norm(OnnxOpNode& n) {
    if (n.attr_int("training_mode", 0) != 0) n.fail("attribute training_mode = 1 is not supported (inference only)");
    only_first_output(n, "training statistics; inference only");
    const Node& x = n.input(0);
    if (x.rank() < 2) n.fail("input " + x.describe() + " must have rank >= 2");
    const bool per_act = n.opset < 9 && n.attr_int("spatial", 1) == 0;
    const Node a = div(channel_param(n, 1, x, per_act), sqrt(add_scalar(channel_param(n, 4, x, per_act), n.attr_float("epsilon", 1e-5))));
    return {add(mul(x, a), sub(channel_param(n, 2, x, per_act), mul(channel_param(n, 3, x, per_act), a)))};
}

// (x − mean) / sqrt(var + epsilon) over `axes` (biased variance), with mean and 1 / sqrt(var + epsilon).
struct Normalized {
    Node y, mean, inv_std;
};
Normalized normalize(const Node& x, const Axes& axes, double epsilon) {
    const Node m = mean(x, axes, true);
    const Node d = sub(x, m);
    const Node inv = pow(add_scalar(mean(square(d), axes, true), epsilon), -0.5);
    return {mul(d, inv), m, inv};
}

std::vector<Node> instance_norm(OnnxOpNode& n) {
    const Node& x = n.input(0);
    if (x.rank() < 3) n.fail("input " + x.describe() + " must have rank >= 3 (N, C, spatial...)");
    Axes axes;
    for (std::size_t i = 2; i < x.rank(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    const Normalized z = normalize(x, axes, n.attr_float("epsilon", 1e-5));
    return {add(mul(z.y, channel_param(n, 1, x, false)), channel_param(n, 2, x, false))};
}

// Opset 17: normalized over axes axis..rank−1, then · Scale + B; outputs Y, Mean, InvStdDev.
std::vector<Node> layer_norm(OnnxOpNode& n) {
    const Node& x = n.input(0);
    if (n.attr_int("stash_type", 1) != 1)
        n.fail("attribute stash_type " + std::to_string(n.attr_int("stash_type", 1)) + " is not supported (only 1: float32)");
    const std::size_t axis = onnx_axis(n, n.attr_int("axis", -1), x.rank());
    Axes axes;
    for (std::size_t i = axis; i < x.rank(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    const Normalized z = normalize(x, axes, n.attr_float("epsilon", 1e-5));
    const Node& w = n.input(1);
    if (!broadcastable_to(w.shape(), x.shape())) n.fail("Scale " + w.describe() + " does not broadcast to " + x.describe());
    Node y = mul(z.y, w);
    if (n.has_input(2)) y = add(y, n.input(2));
    std::vector<Node> out{y, z.mean, z.inv_std};
    out.resize(std::max<std::size_t>(1, std::min<std::size_t>(3, n.num_outputs())));
    return out;
}

// Opset >= 13: along `axis` (default −1). Before: x coerced to 2-D at `axis` (default 1), over the second part.
std::vector<Node> softmax_op(OnnxOpNode& n, bool log_form) {
    const Node& x = n.input(0);
    if (x.rank() == 0) n.fail("input " + x.describe() + " must have rank >= 1");
    const std::size_t axis = onnx_axis(n, n.attr_int("axis", n.opset >= 13 ? -1 : 1), x.rank());
    const auto f = [&](const Node& v, std::int64_t a) { return log_form ? log_softmax(v, a) : softmax(v, a); };
    if (n.opset >= 13 || axis + 1 == x.rank()) return {f(x, static_cast<std::int64_t>(axis))};
    const Shape& s = x.shape();
    const std::size_t rows = shape_size(Shape(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(axis)));
    return {reshape(f(reshape(x, {rows, x.size() / rows}), 1), s)};
}

enum class Red { sum, mean, max, min, l1, l2, sum_square, log_sum_exp };

// Axes: attribute, or input 1 for ReduceSum from opset 13 and every reduction from opset 18.
std::vector<Node> reduce(OnnxOpNode& n, Red kind) {
    const Node& x = n.input(0);
    std::vector<std::int64_t> raw;
    if (n.opset >= 18 || (kind == Red::sum && n.opset >= 13)) {
        if (n.has_input(1)) raw = n.static_ints(1);
    } else {
        for (long long a : n.attr_ints("axes", {})) raw.push_back(a);
    }
    if (raw.empty() && n.attr_int("noop_with_empty_axes", 0) != 0) {
        if (kind == Red::sum_square) return {square(x)};
        return {kind == Red::l1 || kind == Red::l2 ? abs(x) : x};
    }
    Axes axes;
    for (std::int64_t a : raw) {
        const auto v = static_cast<std::int64_t>(onnx_axis(n, a, x.rank()));
        if (std::find(axes.begin(), axes.end(), v) != axes.end()) n.fail("axes " + list(raw) + " repeat axis " + std::to_string(v));
        axes.push_back(v);
    }
    const bool keep = n.attr_int("keepdims", 1) != 0;
    switch (kind) {
        case Red::sum: return {sum(x, axes, keep)};
        case Red::mean: return {mean(x, axes, keep)};
        case Red::max: return {max(x, axes, keep)};
        case Red::min: return {neg(max(neg(x), axes, keep))};
        case Red::l1: return {sum(abs(x), axes, keep)};
        case Red::l2: return {sqrt(sum(square(x), axes, keep))};
        case Red::sum_square: return {sum(square(x), axes, keep)};
        case Red::log_sum_exp: {
            const Node m = stop_gradient(max(x, axes, true));  // shift for stability; it cancels in the gradient
            const Node s = log(sum(exp(sub(x, m)), axes, keep));
            return {add(s, keep ? m : reshape(m, s.shape()))};
        }
    }
    return {};
}

}  // namespace

OnnxPads2d onnx_pads_2d(const std::vector<long long>& pads) {
    const std::size_t dims = pads.size() / 2;
    const std::vector<long long> begin(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(dims)),
        end(pads.begin() + static_cast<std::ptrdiff_t>(dims), pads.end());
    return {onnx_hw(begin, 0, 0), onnx_hw(begin, 1, 0), onnx_hw(end, 0, 0), onnx_hw(end, 1, 0)};
}

void register_onnx_nn_ops(OnnxOpTable& t) {
    t["Conv"] = conv;
    t["ConvTranspose"] = conv_transpose;
    t["Gemm"] = gemm;
    t["MatMul"] = matmul_op;
    t["BatchNormalization"] = batch_norm;
    t["InstanceNormalization"] = instance_norm;
    t["LayerNormalization"] = layer_norm;
    t["Softmax"] = [](OnnxOpNode& n) { return softmax_op(n, false); };
    t["LogSoftmax"] = [](OnnxOpNode& n) { return softmax_op(n, true); };
    const std::pair<const char*, Red> reductions[] = {
        {"ReduceSum", Red::sum}, {"ReduceMean", Red::mean}, {"ReduceMax", Red::max}, {"ReduceMin", Red::min},
        {"ReduceL1", Red::l1}, {"ReduceL2", Red::l2}, {"ReduceSumSquare", Red::sum_square}, {"ReduceLogSumExp", Red::log_sum_exp}};
    for (const auto& [name, kind] : reductions) t[name] = [kind = kind](OnnxOpNode& n) { return reduce(n, kind); };
    register_onnx_pool_ops(t);
}

}  // namespace xvis::detail
