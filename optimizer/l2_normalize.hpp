#pragma once
// keras-vis's gradient normalization, K.l2_normalize(grads) with axis=None: the whole tensor divided by its
// L2 norm, the squared norm floored at 1e-12 (Keras's epsilon for l2_normalize) so a zero gradient stays zero
// instead of becoming 0/0. The Optimizer builds the graph form when norm_grads is true; the array form is the
// same formula on a tensor already computed, for loops that normalize gradients themselves.
#include <xvis/autodiff/node.hpp>
#include <xvis/tensor/tensor.hpp>

namespace xvis {

// Floor under Σ g² (tf.math.l2_normalize's epsilon); sqrt(1e-12) = 1e-6 is the smallest divisor used.
inline constexpr double l2_normalize_floor = 1e-12;

// Graph form: out = g / sqrt(max(Σ_all g², 1e-12)). g: any shape (the sum runs over every element, batch
// included, as keras-vis does); out: g's shape. Differentiable; below the floor the divisor is the constant
// 1e-6, so the gradient there is finite (1e6 times the incoming gradient).
Node l2_normalize(const Node& g);

// Array form, in place and allocation-free: g[i] ← g[i] / sqrt(max(Σ_all g², 1e-12)). g: any shape, kept.
// Σ g² is accumulated in double; the division is in float, as the graph form's. Returns the divisor
// sqrt(max(Σ g², 1e-12)) (the L2 norm, or 1e-6 below the floor). A zero tensor stays zero. Non-finite
// elements are not checked: IEEE arithmetic as in the graph form (one NaN makes every element NaN).
double l2_normalize(Tensor& g) noexcept;

}  // namespace xvis
