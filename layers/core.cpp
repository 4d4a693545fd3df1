#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/core.hpp>

#include <stdexcept>

namespace xvis {

namespace {
void expect_one(const Layer& l, const std::vector<Node>& inputs) {
    if (inputs.size() != 1)
        throw std::invalid_argument(l.class_name() + " '" + l.name() + "': expected 1 input, got " + std::to_string(inputs.size()));
}
}  // namespace

InputLayer::InputLayer(Shape shape, std::string name) : Layer(std::move(name), "input"), shape_(std::move(shape)) {
    if (shape_.empty() || shape_.size() > max_rank - 1)
        throw ShapeError("InputLayer '" + this->name() + "': shape " + shape_to_string(shape_) +
                         " (without the batch axis) must have rank 1 to " + std::to_string(max_rank - 1));
}

std::shared_ptr<InputLayer> InputLayer::fixed(Shape full_shape, std::string name) {
    auto l = std::make_shared<InputLayer>(Shape{1}, std::move(name));
    l->shape_ = std::move(full_shape);
    l->batch_axis_ = false;
    return l;
}

LayerNodes InputLayer::build(const std::vector<Node>& inputs, const BuildContext& ctx) {
    if (!inputs.empty()) throw std::invalid_argument("InputLayer '" + name() + "' takes no inputs");
    Shape s;
    if (batch_axis_) s.push_back(ctx.batch);
    s.insert(s.end(), shape_.begin(), shape_.end());
    return {placeholder(s, name())};
}

LayerRef Input(Shape shape, std::string name) { return LayerRef{std::make_shared<InputLayer>(std::move(shape), std::move(name))}; }

LayerNodes Flatten::build(const std::vector<Node>& inputs, const BuildContext&) {
    expect_one(*this, inputs);
    return {flatten(inputs[0])};
}

Dropout::Dropout(double rate, std::string name) : Layer(std::move(name), "dropout"), rate_(rate) {
    if (!(rate >= 0.0 && rate < 1.0))
        throw std::invalid_argument("Dropout '" + this->name() + "': rate " + std::to_string(rate) + " must be in [0, 1)");
}

LayerNodes Dropout::build(const std::vector<Node>& inputs, const BuildContext&) {
    expect_one(*this, inputs);
    return {inputs[0]};
}

Activation::Activation(ActivationKind activation, std::string name) : Layer(std::move(name), "activation"), activation_(activation) {}

Activation::Activation(const std::string& activation, std::string name)
    : Activation(from_string<ActivationKind>(activation), std::move(name)) {}

LayerNodes Activation::build(const std::vector<Node>& inputs, const BuildContext&) {
    expect_one(*this, inputs);
    return {apply_activation(inputs[0], activation_), inputs[0]};
}

}  // namespace xvis
