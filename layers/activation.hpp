#pragma once
// Keras activation functions. softmax runs over the last axis, as Keras's default.
#include <xvis/autodiff/node.hpp>
#include <xvis/tensor/enum_names.hpp>

#include <string>

namespace xvis {

enum class ActivationKind { linear, relu, leaky_relu, sigmoid, tanh, softmax };

// Keras's activation names (the ones xvis implements; elu, selu, swish, ... are not).
template <>
struct EnumNames<ActivationKind> {
    static constexpr const char* type_name = "ActivationKind";
    static constexpr const char* noun = "activation";
    static constexpr EnumName<ActivationKind> table[] = {
        {"linear", ActivationKind::linear},   {"relu", ActivationKind::relu}, {"leaky_relu", ActivationKind::leaky_relu},
        {"sigmoid", ActivationKind::sigmoid}, {"tanh", ActivationKind::tanh}, {"softmax", ActivationKind::softmax},
    };
};

// "linear", "relu", ...; parse with from_string<ActivationKind>.
inline std::string to_string(ActivationKind a) { return enum_name(a); }
// Same as from_string<ActivationKind> (kept for existing callers): unknown → std::invalid_argument listing the names.
inline ActivationKind activation_from_string(const std::string& name) { return from_string<ActivationKind>(name); }

// The negative slope of every leaky_relu a layer builds: Keras's LeakyReLU default (tf.nn.leaky_relu's is 0.2,
// ONNX's 0.01; the ONNX importer accepts only this one).
constexpr double keras_leaky_relu_alpha = 0.3;

// linear: x; relu: max(x, 0); leaky_relu: x > 0 ? x : alpha·x; sigmoid; tanh; softmax over the last axis.
Node apply_activation(const Node& x, ActivationKind a, double leaky_alpha = keras_leaky_relu_alpha);

}  // namespace xvis
