#pragma once
// Keras Conv2D: y = activation(conv2d(x, kernel) + bias). Kernel [filters, C/groups, kh, kw] (xvis's NCHW
// layout, not Keras's HWIO), bias [filters]. channels_last inputs are transposed to NCHW around the kernel.
#include <xvis/layers/layer.hpp>
#include <xvis/layers/padding.hpp>

#include <array>

namespace xvis {

struct Conv2DOptions {
    std::array<std::size_t, 2> strides{1, 1};
    Padding padding = Padding::valid;
    std::array<std::size_t, 2> dilation{1, 1};
    std::size_t groups = 1;
    bool use_bias = true;
    ActivationKind activation = ActivationKind::linear;
    DataFormat data_format = DataFormat::channels_first;
    Initializer kernel_initializer = Initializer::glorot_uniform;
    Initializer bias_initializer = Initializer::zeros;
    std::string name;
};

class Conv2D : public Layer {
public:
    // filters, kernel, strides, dilation and groups >= 1 and filters divisible by groups, else
    // std::invalid_argument naming the layer.
    Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, Conv2DOptions options = {});
    // Shorthand for the common case.
    Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, ActivationKind activation, Padding padding = Padding::valid,
           std::string name = {});
    // Keras's spelling, Conv2D(32, {3, 3}, "relu", "same"): the names are parsed with from_string (unknown →
    // std::invalid_argument listing the valid names).
    Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, const std::string& activation, const std::string& padding = "valid",
           std::string name = {});
    std::string class_name() const override { return "Conv2D"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    std::optional<ActivationKind> activation() const override { return activation_; }
    void set_activation(ActivationKind a) override { activation_ = a; }

    // Configuration, as given (read by the ONNX writer and the summary; none of it changes after construction
    // except the activation).
    std::size_t filters() const { return filters_; }
    std::array<std::size_t, 2> kernel_size() const { return kernel_; }
    DataFormat data_format() const { return o_.data_format; }
    // The options this layer was made with, with its current activation (set_activation changes it) and its
    // name (the automatic one when none was given): Conv2D(filters(), kernel_size(), options()) configures a twin.
    Conv2DOptions options() const;

private:
    std::size_t filters_;
    std::array<std::size_t, 2> kernel_;
    Conv2DOptions o_;
    ActivationKind activation_;
};

}  // namespace xvis
