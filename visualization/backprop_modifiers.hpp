#pragma once
// keras-vis backprop modifiers, as gradient overrides of the graph's relu op (the model is not copied):
//   guided:               relu's VJP becomes g · [g > 0] · [out > 0]
//   rectified (= deconv): relu's VJP becomes g · [g > 0]
// Other activations keep their gradients; leaky_relu, which these rules do not define, is an error.
#include <xvis/autodiff/gradients.hpp>
#include <xvis/visualization/backprop_modifier_kind.hpp>

#include <string>

namespace xvis {

// none → no overrides. When `output` is given, the graph behind it is checked: a leaky_relu node throws
// std::invalid_argument naming it. keras-vis names: from_string<BackpropModifier>("guided").
GradientOverrides backprop_modifier(BackpropModifier modifier, const Node& output = {});

}  // namespace xvis
