#pragma once
// Keras activation functions by name. softmax runs over the last axis, as Keras's default.
#include <xvis/autodiff/node.hpp>

#include <string>

namespace xvis {

enum class ActivationKind { linear, relu, leaky_relu, sigmoid, tanh, softmax };

// "linear", "relu", ...; an unknown name throws std::invalid_argument listing the choices.
ActivationKind activation_from_string(const std::string& name);
std::string to_string(ActivationKind a);
// linear: x; relu: max(x, 0); leaky_relu: x > 0 ? x : alpha·x; sigmoid; tanh; softmax over the last axis.
Node apply_activation(const Node& x, ActivationKind a, double leaky_alpha = 0.3);

}  // namespace xvis
