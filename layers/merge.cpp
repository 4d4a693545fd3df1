#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/merge.hpp>

namespace xvis {

LayerNodes Add::build(const std::vector<Node>& inputs, const BuildContext&) {
    if (inputs.size() < 2) fail(inputs, "expected at least 2 inputs");
    for (const auto& in : inputs)
        if (in.shape() != inputs[0].shape()) fail(inputs, "all inputs must have the same shape");
    Node y = inputs[0];
    for (std::size_t i = 1; i < inputs.size(); ++i) y = add(y, inputs[i]);
    return {y};
}

LayerNodes Concatenate::build(const std::vector<Node>& inputs, const BuildContext&) {
    if (inputs.size() < 2) fail(inputs, "expected at least 2 inputs");
    return {concat(inputs, axis_)};
}

}  // namespace xvis
