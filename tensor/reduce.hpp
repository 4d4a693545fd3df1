#pragma once
// Reductions over axes: sum and max, and sum_to (the reduction that undoes a broadcast, used by the autodiff
// engine for every broadcast gradient). Raw loops (xt::sum measured 8 to 30× slower here), pairwise or
// blocked accumulation, OpenMP over independent outputs, no heap allocation. float and double.
#include <xvis/tensor/shape.hpp>

#include <cstddef>
#include <cstdint>

namespace xvis::kernels {

enum class ReduceOp { sum, max };

// y = op over the axes whose bit is set in axis_mask (bit i = axis i of sx). y has sx's shape with those
// axes set to 1 (keepdims layout). Max of NaN propagates NaN.
template <class T>
void reduce(ReduceOp op, const T* x, const Shape& sx, std::uint32_t axis_mask, T* y);

// y (shape sy) = Σ of x (shape sx) over the axes that broadcasting sy to sx expands (leading axes and axes
// where sy has 1 and sx does not). Requires broadcastable_to(sy, sx).
template <class T>
void sum_to(const T* x, const Shape& sx, T* y, const Shape& sy);

}  // namespace xvis::kernels
