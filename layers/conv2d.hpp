#pragma once
// Keras Conv2D: y = activation(conv2d(x, kernel) + bias). Kernel [filters, C/groups, kh, kw] (xvis's NCHW
// layout, not Keras's HWIO), bias [filters]. channels_last inputs are transposed to NCHW around the kernel.
#include <xvis/layers/layer.hpp>

#include <array>

namespace xvis {

struct Conv2DOptions {
    std::array<std::size_t, 2> strides{1, 1};
    std::string padding = "valid";  // "valid" or "same"
    std::array<std::size_t, 2> dilation{1, 1};
    std::size_t groups = 1;
    bool use_bias = true;
    std::string activation = "linear";
    DataFormat data_format = DataFormat::channels_first;
    Initializer kernel_initializer = Initializer::glorot_uniform;
    Initializer bias_initializer = Initializer::zeros;
    std::string name;
};

class Conv2D : public Layer {
public:
    Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, Conv2DOptions options = {});
    // Shorthand for the common case.
    Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, const std::string& activation,
           const std::string& padding = "valid", std::string name = {});
    std::string class_name() const override { return "Conv2D"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    std::optional<ActivationKind> activation() const override { return activation_; }
    void set_activation(ActivationKind a) override { activation_ = a; }
    std::size_t filters() const { return filters_; }
    DataFormat data_format() const { return o_.data_format; }

private:
    std::size_t filters_;
    std::array<std::size_t, 2> kernel_;
    Conv2DOptions o_;
    ActivationKind activation_;
};

}  // namespace xvis
