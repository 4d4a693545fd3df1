#pragma once
// keras-vis utils.normalize: rescales a whole array to [0, 1).
#include <xvis/tensor/tensor.hpp>

#include <cstddef>

namespace xvis {

// out = (a − min(a)) / (max(a) − min(a) + 1e-7), min and max over every element (any shape; same shape out).
// The 1e-7 keeps a constant input finite: it maps to zeros. Empty input → empty output.
Tensor normalize(const Tensor& a);

// The same formula in place on n floats at `data` (n = 0 does nothing).
void normalize_inplace(float* data, std::size_t n);

}  // namespace xvis
