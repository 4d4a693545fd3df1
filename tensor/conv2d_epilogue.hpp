#pragma once
// What follows a convolution in a CNN, applied in place to its output in one pass (what autodiff's fused
// convolution ops run after the convolution; tensor/conv2d.hpp computes the convolution itself):
// forward,        y[n, k, i] = act(y[n, k, i] + bias[k] + residual[n, k, i]),  act = max(·, 0) or identity;
// backward-data, dx[i]       = mask[i] > 0 ? dx[i] + residual[i] : 0 · (dx[i] + residual[i]).
// Each is the bit-exact result of the element-wise kernels it replaces (binary add, then unary relu; binary
// relu_grad), one pass over memory instead of one per step. Explicitly instantiated for float and double.
#include <cstddef>

namespace xvis::kernels {

// y: [N, K, HW] (overwritten); bias: K values or null; residual: N·K·HW values or null.
template <class T>
void conv2d_epilogue(T* y, std::size_t N, std::size_t K, std::size_t HW, const T* bias, const T* residual, bool relu);

// dx, mask: n values each (dx overwritten); residual: n values or null.
template <class T>
void relu_mask_epilogue(T* dx, const T* residual, const T* mask, std::size_t n);

}  // namespace xvis::kernels
