#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/topo.hpp>
#include <xvis/visualization/backprop_modifiers.hpp>

#include <stdexcept>

namespace xvis {

GradientOverrides backprop_modifier(BackpropModifier modifier, const Node& output) {
    if (modifier == BackpropModifier::none) return {};
    const std::string name = to_string(modifier);
    GradientOverrides o;
    if (modifier == BackpropModifier::guided) {
        // relu_grad(x, relu(g)) = relu(g) · [x > 0], and [x > 0] = [out > 0] for a relu.
        o["relu"] = [](const Node& out, const Node& g) { return std::vector<Node>{relu_grad(out.inputs()[0], relu(g))}; };
    } else if (modifier == BackpropModifier::rectified) {
        o["relu"] = [](const Node&, const Node& g) { return std::vector<Node>{relu(g)}; };
    } else {
        throw std::invalid_argument("backprop_modifier: unknown BackpropModifier value " + std::to_string(static_cast<int>(modifier)));
    }
    if (output.valid())
        for (const auto& n : topological_order({output}))
            if (n.kind() == NodeKind::op && n.type() == "leaky_relu")
                throw std::invalid_argument("backprop_modifier '" + name + "': the model uses leaky_relu at node " + n.describe() +
                                            ", which this modifier cannot handle (it defines relu's gradient only)");
    return o;
}

}  // namespace xvis
