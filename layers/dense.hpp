#pragma once
// Keras Dense: y = activation(x · kernel + bias) over the last axis. Kernel [in, units], bias [units].
#include <xvis/layers/layer.hpp>

namespace xvis {

class Dense : public Layer {
public:
    // units >= 1, else std::invalid_argument naming the layer.
    explicit Dense(std::size_t units, ActivationKind activation = ActivationKind::linear, std::string name = {}, bool use_bias = true,
                   Initializer kernel_initializer = Initializer::glorot_uniform);
    // Keras's spelling, Dense(10, "softmax"): the name is parsed with from_string (unknown → std::invalid_argument
    // listing the valid names).
    Dense(std::size_t units, const std::string& activation, std::string name = {}, bool use_bias = true,
          Initializer kernel_initializer = Initializer::glorot_uniform);
    std::string class_name() const override { return "Dense"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    std::optional<ActivationKind> activation() const override { return activation_; }
    void set_activation(ActivationKind a) override { activation_ = a; }

    // Configuration, as given (read by the ONNX writer).
    std::size_t units() const { return units_; }
    bool use_bias() const { return use_bias_; }
    Initializer kernel_initializer() const { return kernel_init_; }

private:
    std::size_t units_;
    ActivationKind activation_;
    bool use_bias_;
    Initializer kernel_init_;
};

}  // namespace xvis
