#pragma once
// Internal to xvis's kernel .cpp files: TotalVariation on channels_first 2-D images, as `planes` planes of
// H × W (tv_planes.cpp). Same contracts as kernels::tv_sum / tv_sum_grad with the channel axis 1 of a rank-4
// shape; tv_grad_planes writes every cell for β = 2 and adds into y (which the caller zeroed) otherwise.
#include <cstddef>

namespace xvis::kernels::detail {

template <class T>
T tv_sum_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta);
template <class T>
void tv_grad_planes(const T* x, std::size_t planes, std::size_t H, std::size_t W, double beta, T g, T* y);

}  // namespace xvis::kernels::detail
