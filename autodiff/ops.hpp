#pragma once
// Graph builders: each returns a new node (shape checked now, computed when a compiled function runs).
// Primitives have derivative code next to their forward pass (autodiff/ops_*.cpp); composites (mean,
// softmax, log_softmax, norms, softmax cross-entropy) are built from primitives and differentiate for free.
// Binary ops broadcast as NumPy does. Axes may be negative (counted from the end).
#include <xvis/autodiff/node.hpp>
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/pooling.hpp>
#include <xvis/tensor/resize.hpp>

#include <cstdint>
#include <vector>

namespace xvis {

using Axes = std::vector<std::int64_t>;

// ---- element-wise, broadcasting: out = broadcast(a) op broadcast(b)
Node add(const Node& a, const Node& b);
Node sub(const Node& a, const Node& b);
Node mul(const Node& a, const Node& b);
Node div(const Node& a, const Node& b);
Node maximum(const Node& a, const Node& b);   // ties: the gradient goes to a
Node minimum(const Node& a, const Node& b);   // ties: the gradient goes to a
// Comparisons give 1 or 0 and have no gradient.
Node equal(const Node& a, const Node& b);
Node greater(const Node& a, const Node& b);
Node greater_equal(const Node& a, const Node& b);
// out = c != 0 ? a : b (broadcast); no gradient to c.
Node where(const Node& c, const Node& a, const Node& b);

Node operator+(const Node& a, const Node& b);
Node operator-(const Node& a, const Node& b);
Node operator*(const Node& a, const Node& b);
Node operator/(const Node& a, const Node& b);
Node operator-(const Node& a);
Node operator+(const Node& a, double s);
Node operator+(double s, const Node& a);
Node operator-(const Node& a, double s);
Node operator-(double s, const Node& a);
Node operator*(const Node& a, double s);
Node operator*(double s, const Node& a);
Node operator/(const Node& a, double s);

// ---- element-wise, unary
Node neg(const Node& x);
Node exp(const Node& x);
Node log(const Node& x);
Node pow(const Node& x, double p);     // x^p (scalar exponent)
Node abs(const Node& x);               // |x|; d/dx at 0 is 0
Node sqrt(const Node& x);
Node square(const Node& x);
Node relu(const Node& x);              // max(x, 0); d/dx at 0 is 0
Node leaky_relu(const Node& x, double alpha = 0.01);  // x > 0 ? x : alpha·x; d/dx at 0 is alpha
Node sigmoid(const Node& x);
Node tanh(const Node& x);
Node sign(const Node& x);              // no gradient
Node scale(const Node& x, double s);   // s·x
Node add_scalar(const Node& x, double s);  // x + s
// Identity forward, no gradient (values treated as constants by gradients()).
Node stop_gradient(const Node& x);

// ---- broadcasting helpers (the engine uses sum_to for every broadcast gradient)
Node broadcast_to(const Node& x, const Shape& shape);
Node sum_to(const Node& x, const Shape& shape);   // sums the axes broadcasting shape→x.shape() expands

// ---- reductions (empty axes = all axes)
Node sum(const Node& x, const Axes& axes = {}, bool keepdims = false);
Node mean(const Node& x, const Axes& axes = {}, bool keepdims = false);
// Ties share the gradient evenly.
Node max(const Node& x, const Axes& axes = {}, bool keepdims = false);
// softmax(x)_i = e^{x_i − m} / Σ_j e^{x_j − m}, m = max over axis (stop-gradient: it cancels).
Node softmax(const Node& x, std::int64_t axis = -1);
Node log_softmax(const Node& x, std::int64_t axis = -1);
// Mean over the batch of −Σ_k labels_k · log_softmax(logits)_k; logits and labels [N, K].
Node softmax_cross_entropy(const Node& logits, const Node& labels);

// ---- layout
Node reshape(const Node& x, const Shape& shape);  // same number of elements; no copy
Node flatten(const Node& x);                       // [N, ...] → [N, prod(...)]
Node transpose(const Node& x, const std::vector<std::size_t>& perm);
// Python-style slice per axis: begin/end may be negative (from the end) and are clamped; step != 0
// (negative walks backwards; then the defaults are begin = −1, end = before the start). Missing trailing
// axes take the whole axis. Use slice_full for "end of axis".
inline constexpr std::int64_t slice_full = INT64_MAX;
Node slice(const Node& x, const Axes& begin, const Axes& end, const Axes& step = {});
// Constant padding: before[i] / after[i] elements on axis i (missing trailing axes: 0).
Node pad(const Node& x, const std::vector<std::size_t>& before, const std::vector<std::size_t>& after,
         double value = 0.0);
Node concat(const std::vector<Node>& xs, std::int64_t axis);
// Circular shift: out[(i + shift) mod n] = x[i] along each axis given.
Node roll(const Node& x, const Axes& shifts, const Axes& axes);

// ---- linear algebra and CNN
// op(a) · op(b); rank 2, or batched rank 3 ([B, M, K] · [B, K, N]; either side may be rank 2 and is then
// shared by every batch entry).
Node matmul(const Node& a, const Node& b, bool trans_a = false, bool trans_b = false);
// x [N, C, H, W], w [K, C/groups, R, S] → [N, K, OH, OW] (see tensor/conv2d.hpp).
Node conv2d(const Node& x, const Node& w, const kernels::Conv2dParams& params = {});
Node max_pool2d(const Node& x, const kernels::Pool2dParams& params);
Node avg_pool2d(const Node& x, const kernels::Pool2dParams& params);
// [N, C, H, W] → [N, C], the mean over H·W.
Node global_avg_pool(const Node& x);

// ---- fused regularizer primitives (one pass each) and the compositions they are checked against
// lp_sum = Σ |x|^p (p >= 1). tv_sum = Σ over the region of (Σ_i d_i²)^(β/2), the keras-vis total variation
// before its normalization (channel_axis: 1 for channels_first, rank − 1 for channels_last); where Σ d² = 0
// its gradient is the subgradient 0.
Node lp_sum(const Node& x, double p);
Node lp_sum_composed(const Node& x, double p);
Node tv_sum(const Node& x, double beta, std::size_t channel_axis);
Node tv_sum_composed(const Node& x, double beta, std::size_t channel_axis);

// ---- fused convolutions: a convolution and the element-wise steps after it in one step. compile() builds
// them from their compositions (fuse_epilogues.hpp), which are their reference; their VJPs are the compositions'.
// conv2d_fused = act(conv2d(x, w, p) + bias + residual), act = max(·, 0) when relu, else none. bias: the K output
// channels' values as [K, 1, 1] or [1, K, 1, 1], or an empty Node; residual: the output's shape [N, K, OH, OW], or
// an empty Node.
Node conv2d_fused(const Node& x, const Node& w, const Node& bias, const Node& residual, const kernels::Conv2dParams& p,
                  bool relu);
// The activation VJP that ends conv2d_backward_data_fused, on z = conv2d_backward_data(dy, w) + residual, with
// the inputs it reads besides the gradient (aux): relu: relu_grad(aux[0], z) (aux[0]: the ReLU's input or
// output); clip: clip_grad(aux[0], z, lo, hi) (the clip's input); silu: silu_grad(aux[0], aux[1], z); gelu:
// gelu_grad(aux[0], aux[1], z, a, k, c).
struct ActivationVjp {
    enum class Kind { relu, clip, silu, gelu };
    Kind kind = Kind::relu;
    double lo = 0, hi = 0;       // clip
    double a = 1, k = 1, c = 1;  // gelu
};
// conv2d_backward_data_fused = act(aux, conv2d_backward_data(dy, w, x_shape, p) + residual): an activation's VJP
// through the convolution's input, with the gradient accumulated from elsewhere (a residual block's shortcut).
// residual (or an empty Node) and every aux node: x_shape.
Node conv2d_backward_data_fused(const Node& dy, const Node& w, const Node& residual, const std::vector<Node>& aux,
                                const Shape& x_shape, const kernels::Conv2dParams& p, const ActivationVjp& act = {});

// Backward ops: what the VJPs of conv2d and the poolings emit (public so custom VJPs can use them).
Node conv2d_backward_data(const Node& dy, const Node& w, const Shape& x_shape, const kernels::Conv2dParams& p);
Node conv2d_backward_weights(const Node& x, const Node& dy, const Shape& w_shape, const kernels::Conv2dParams& p);
Node max_pool2d_backward(const Node& x, const Node& dy, const kernels::Pool2dParams& p);
Node max_pool2d_select(const Node& x, const Node& v, const kernels::Pool2dParams& p);
Node avg_pool2d_backward(const Node& dy, const Shape& x_shape, const kernels::Pool2dParams& p);
// relu_grad(x, g, alpha) = x > 0 ? g : alpha·g: the VJP of relu / leaky_relu.
Node relu_grad(const Node& x, const Node& g, double alpha = 0.0);
// One-pass activation VJPs (linear in g): sigmoid_grad(y, g) = g·y·(1−y) with y = σ(x); tanh_grad(y, g) =
// g·(1−y²) with y = tanh x; erf_grad(x, g) = g·2/√π·e^{−x²}. Shapes broadcast like mul.
Node sigmoid_grad(const Node& y, const Node& g);
Node tanh_grad(const Node& y, const Node& g);
Node erf_grad(const Node& x, const Node& g);
// The VJPs of SiLU = x·σ(x) and GELU = c·x·(k + erf(a·x)) in one pass, from the forward's own σ(x) / erf(a·x)
// node (s, e): silu_grad = g·s·(1 + x(1−s)); gelu_grad = g·c·(k + e + x·a·2/√π·e^{−(ax)²}). x, s / e and g
// share one shape. gradients() emits them where a model composes these activations (autodiff/composite_vjp.hpp).
Node silu_grad(const Node& x, const Node& s, const Node& g);
Node gelu_grad(const Node& x, const Node& e, const Node& g, double a, double k, double c);
// clip(x, lo, hi) = min(max(x, lo), hi) element-wise (ONNX Clip with constant bounds: ReLU6 is clip(x, 0, 6);
// lo > hi gives hi; ±inf bounds allowed, NaN bounds refused). VJP clip_grad(x, g, lo, hi) = g where x >= lo and
// max(x, lo) <= hi, else 0 (the gradient of maximum then minimum: ties pass).
Node clip(const Node& x, double lo, double hi);
Node clip_grad(const Node& x, const Node& g, double lo, double hi);

// ---- ONNX import primitives (ops_gather.cpp, ops_resize.cpp, ops_pad.cpp)
// erf(x) = 2/√π ∫_0^x e^{−t²} dt, element-wise (a UnaryOp kind, ops_elementwise.cpp); VJP erf_grad(x, g).
Node erf(const Node& x);

// ONNX Gather: out[a..., j..., b...] = x[a..., k(indices[j...]), b...] along `axis` (negative: from the end).
// Output shape x.shape[:axis] + indices.shape + x.shape[axis+1:] (rank-0 indices remove the axis). indices holds
// integers as values, read at run time; a negative one counts from the end. When indices is a constant node
// every value is checked now (integral, in [−n, n − 1] for the axis size n; ShapeError otherwise); run-time
// values are rounded and clamped to the axis (see kernels::gather_index): never an out-of-bounds read.
// VJP: x ← gather_backward; indices: none.
Node gather(const Node& x, const Node& indices, std::int64_t axis);
// The adjoint of gather: zeros of x_shape with dy's slices added at their indices (repeated indices accumulate).
// dy must have gather's output shape. VJP: dy ← gather(g, indices, axis); indices: none.
Node gather_backward(const Node& dy, const Node& indices, const Shape& x_shape, std::int64_t axis);

// ONNX Resize / Upsample of the last two axes of x (rank >= 2) to out_shape (same rank; the leading axes keep
// their extents), nearest or linear, with the coordinate transformation and rounding of tensor/resize.hpp.
// VJP: resize_backward (linear in x).
Node resize(const Node& x, const Shape& out_shape, const ResizeOptions& options = {});
// The adjoint of resize(·, dy.shape(), options) on inputs of x_shape: every dy element added back to the input
// cells it was interpolated from, by the same weights. VJP: resize(g, dy.shape(), options).
Node resize_backward(const Node& dy, const Shape& x_shape, const ResizeOptions& options = {});

// Padding modes (ONNX Pad, NumPy names): before[i] / after[i] elements on axis i (missing trailing axes: 0).
//   constant  the value (same as pad(x, before, after, value))
//   reflect   mirrored without repeating the edge: out[−k] = x[k]; needs before[i], after[i] < x.shape[i]
//   edge      the edge element repeated; needs x.shape[i] >= 1 where padded
// VJP: pad_backward (reflect / edge fold the gradient of the border back onto the cells it copied).
enum class PadMode { constant, reflect, edge };
Node pad(const Node& x, const std::vector<std::size_t>& before, const std::vector<std::size_t>& after, PadMode mode,
         double value = 0.0);
// The adjoint of pad(·, before, after, mode) on inputs of x_shape: dx[j] = Σ of dy over the padded positions
// that copy x[j]; dy must have the padded shape. VJP: pad(g, before, after, mode) (value 0).
Node pad_backward(const Node& dy, const Shape& x_shape, const std::vector<std::size_t>& before,
                  const std::vector<std::size_t>& after, PadMode mode);

// Pooling with ceil_mode: set kernels::Pool2dParams::ceil_mode (tensor/pooling.hpp) for max_pool2d / avg_pool2d.
// ONNX ConvTranspose(x, w) (w [C_in, C_out/G, kh, kw], the conv2d weight layout with K = C_in) is
// conv2d_backward_data(x, w, y_shape, p) with y_shape[2] = sh·(H − 1) + output_padding_h + dh·(kh − 1) + 1
// − pt − pb (likewise y_shape[3]; output_padding < stride, so the convolution of y_shape gives back x's
// extents); its VJP gives both x (conv2d) and w (conv2d_backward_weights).

}  // namespace xvis
