#pragma once
// Fused kernels for the keras-vis regularizers, one pass over memory each (the compositions of element-wise
// ops they replace make 3 to 10 passes and as many buffers). float and double, no heap allocation.
#include <xvis/tensor/shape.hpp>

#include <cstddef>

namespace xvis::kernels {

// Σ_i |x_i|^p (p >= 1; whole even p needs no |·|).
template <class T>
T lp_sum(const T* x, std::size_t n, double p);
// y_i = g · p · |x_i|^(p−1) · sign(x_i): the gradient of g · lp_sum.
template <class T>
void lp_sum_grad(const T* x, std::size_t n, double p, T g, T* y);

// Total variation over the spatial axes of x (shape s, channel axis c, 1 to 3 spatial axes):
//   Σ over the region that drops the last index of every spatial axis of (Σ_i d_i²)^(β/2),
//   d_i = x[.. +1 along i ..] − x. Terms with Σ d² = 0 count 0 (β > 0).
template <class T>
T tv_sum(const T* x, const Shape& s, std::size_t channel_axis, double beta);
// y = g · ∂ tv_sum / ∂x (overwritten); where Σ d² = 0 the subgradient 0 is used (finite for β < 2).
template <class T>
void tv_sum_grad(const T* x, const Shape& s, std::size_t channel_axis, double beta, T g, T* y);

}  // namespace xvis::kernels
