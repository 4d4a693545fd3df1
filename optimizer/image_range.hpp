#pragma once
// keras-vis utilities that move images into and out of the optimizer's working range.
#include <xvis/tensor/data_format.hpp>
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <utility>

namespace xvis {

using InputRange = std::pair<double, double>;

// keras-vis random_array: uniform noise rescaled to sample mean `mean` and sample (population) std `std`.
Tensor random_array(const Shape& shape, double mean, double std, std::uint64_t seed);
// The same values into t (its shape), allocating nothing.
void fill_random_array(Tensor& t, double mean, double std, std::uint64_t seed);

// keras-vis deprocess_input, on one image (all of x): (x − mean) / (std + 1e-7) · 0.1 + 0.5, clipped to
// [0, 1], then scaled to `range`: lo + (hi − lo) · x. Writes `out` (same shape; may alias x).
void deprocess_input(const float* x, std::size_t n, InputRange range, float* out);
// Per sample of a batch [N, ...]: deprocess_input on each sample separately.
Tensor deprocess_batch(const Tensor& x, InputRange range);
void deprocess_batch(const Tensor& x, InputRange range, Tensor& out);  // out: x's shape, else ShapeError

// x clipped to [lo, hi] (NaN stays NaN): the optimized input as the network's input range shows it. Not
// keras-vis: its deprocess_input standardizes by mean and std, so a few extreme pixels (activation
// maximization drives some far outside the range) turn everything else flat gray. See docs/.
Tensor clip_to_range(const Tensor& x, InputRange range);

// [N, C, spatial...] → [N, spatial..., C] (identity for channels_last).
Tensor to_channels_last(const Tensor& x, DataFormat format);
// The same into out, which is reshaped (reallocated) only when its shape differs from the result's.
void to_channels_last(const Tensor& x, DataFormat format, Tensor& out);

}  // namespace xvis
