#pragma once
// Internal: what the convolution ops of ops_nn.cpp and ops_conv_fused.cpp share (defined in ops_nn.cpp).
#include <xvis/autodiff/node.hpp>
#include <xvis/autodiff/op_attributes.hpp>
#include <xvis/tensor/conv2d.hpp>

#include <string>
#include <vector>

namespace xvis::detail {

// stride [h, w], pad [top, bottom, left, right], dilation [h, w], groups.
OpAttributes conv_attributes(const std::string& type, const kernels::Conv2dParams& p);
// The kernel's geometry, with the op's error format (names the input nodes) instead of the kernel's.
kernels::Conv2dGeometry conv_geometry(const std::string& type, const std::vector<Node>& in, const Shape& x, const Shape& w,
                                      const kernels::Conv2dParams& p);

}  // namespace xvis::detail
