#pragma once
// Keras Dense: y = activation(x · kernel + bias) over the last axis. Kernel [in, units], bias [units].
#include <xvis/layers/layer.hpp>

namespace xvis {

class Dense : public Layer {
public:
    explicit Dense(std::size_t units, const std::string& activation = "linear", std::string name = {}, bool use_bias = true,
                   Initializer kernel_initializer = Initializer::glorot_uniform);
    std::string class_name() const override { return "Dense"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    std::optional<ActivationKind> activation() const override { return activation_; }
    void set_activation(ActivationKind a) override { activation_ = a; }
    std::size_t units() const { return units_; }

private:
    std::size_t units_;
    ActivationKind activation_;
    bool use_bias_;
    Initializer kernel_init_;
};

}  // namespace xvis
