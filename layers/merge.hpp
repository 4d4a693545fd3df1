#pragma once
// Keras Add (element-wise sum of equal shapes) and Concatenate (along an axis, default the channels of the
// data format), for non-sequential models.
#include <xvis/layers/layer.hpp>

namespace xvis {

class Add : public Layer {
public:
    explicit Add(std::string name = {}) : Layer(std::move(name), "add") {}
    std::string class_name() const override { return "Add"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
};

class Concatenate : public Layer {
public:
    explicit Concatenate(std::int64_t axis = 1, std::string name = {}) : Layer(std::move(name), "concatenate"), axis_(axis) {}
    std::string class_name() const override { return "Concatenate"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    // The axis as given (negative: counted from the end, resolved at build against the inputs' rank).
    std::int64_t axis() const { return axis_; }

private:
    std::int64_t axis_;
};

}  // namespace xvis
