#pragma once
// Input, Flatten, Dropout (identity at inference) and Activation layers.
#include <xvis/layers/layer.hpp>

namespace xvis {

// The model's input: a placeholder of shape (batch, shape...) built for the model's batch size.
class InputLayer : public Layer {
public:
    explicit InputLayer(Shape shape_without_batch, std::string name = {});
    // An input without a batch axis: its shape is `full_shape` whatever the model's batch (an imported
    // graph's second operand, a scalar). Rank 0 allowed.
    static std::shared_ptr<InputLayer> fixed(Shape full_shape, std::string name);
    std::string class_name() const override { return "InputLayer"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    const Shape& shape_without_batch() const { return shape_; }
    bool has_batch_axis() const { return batch_axis_; }

private:
    Shape shape_;
    bool batch_axis_ = true;
};
// Keras's Input(): a reference to a new InputLayer.
LayerRef Input(Shape shape_without_batch, std::string name = {});

// [N, ...] → [N, prod(...)] (row-major, so a channels_last model flattens in NHWC order, as Keras does).
class Flatten : public Layer {
public:
    explicit Flatten(std::string name = {}) : Layer(std::move(name), "flatten") {}
    std::string class_name() const override { return "Flatten"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
};

// Identity: xvis runs models at inference only.
class Dropout : public Layer {
public:
    explicit Dropout(double rate, std::string name = {});
    std::string class_name() const override { return "Dropout"; }
    double rate() const { return rate_; }  // kept for the summary and ONNX files; unused at inference
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;

private:
    double rate_;
};

class Activation : public Layer {
public:
    explicit Activation(ActivationKind activation, std::string name = {});
    // Keras's spelling, Activation("relu"): the name is parsed with from_string (unknown → std::invalid_argument
    // listing the valid names).
    explicit Activation(const std::string& activation, std::string name = {});
    std::string class_name() const override { return "Activation"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    std::optional<ActivationKind> activation() const override { return activation_; }
    void set_activation(ActivationKind a) override { activation_ = a; }
    // Configuration (read by the ONNX writer): the kind, and the negative slope a leaky_relu uses (always Keras's).
    ActivationKind kind() const { return activation_; }
    double leaky_alpha() const { return keras_leaky_relu_alpha; }

private:
    ActivationKind activation_;
};

}  // namespace xvis
