#pragma once
// Internal: what the convolution ops of ops_nn.cpp and ops_conv_fused.cpp share (defined in ops_nn.cpp).
#include <xvis/autodiff/node.hpp>
#include <xvis/autodiff/op.hpp>
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

// A convolution op of `pass` with geometry g_ (computed once, when the node is built: running allocates nothing):
// the kernels' workspace, and the weights (input 1) prepared for that pass, Winograd's transformed filters.
template <class Derived>
class ConvPassOp : public OpImpl<Derived> {
public:
    ConvPassOp(kernels::Conv2dGeometry g, kernels::Conv2dPass pass) : g_(g), pass_(pass) {}
    std::size_t workspace_size(const std::vector<Shape>&, const Shape&) const override { return kernels::conv2d_workspace_size(g_); }
    int prepared_input() const override { return 1; }
    std::size_t prepared_size(const std::vector<Shape>&, const Shape&) const override {
        return kernels::conv2d_prepared_size(g_, pass_);
    }
    void prepare(const float* w, float* out) const override { kernels::conv2d_prepare_weights(g_, pass_, w, out); }
    void prepare(const double* w, double* out) const override { kernels::conv2d_prepare_weights(g_, pass_, w, out); }

protected:
    kernels::Conv2dGeometry g_;

private:
    kernels::Conv2dPass pass_;
};

}  // namespace xvis::detail
