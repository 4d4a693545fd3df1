#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/activation.hpp>

#include <stdexcept>

namespace xvis {

namespace {
const std::pair<const char*, ActivationKind> table[] = {
    {"linear", ActivationKind::linear},   {"relu", ActivationKind::relu}, {"leaky_relu", ActivationKind::leaky_relu},
    {"sigmoid", ActivationKind::sigmoid}, {"tanh", ActivationKind::tanh}, {"softmax", ActivationKind::softmax},
};
}

ActivationKind activation_from_string(const std::string& name) {
    std::string choices;
    for (const auto& [n, a] : table) {
        if (name == n) return a;
        choices += choices.empty() ? n : std::string(", ") + n;
    }
    throw std::invalid_argument("activation: unknown activation '" + name + "' (choices: " + choices + ")");
}

std::string to_string(ActivationKind a) {
    for (const auto& [n, k] : table)
        if (k == a) return n;
    return "unknown";
}

Node apply_activation(const Node& x, ActivationKind a, double leaky_alpha) {
    switch (a) {
        case ActivationKind::linear: return x;
        case ActivationKind::relu: return relu(x);
        case ActivationKind::leaky_relu: return leaky_relu(x, leaky_alpha);
        case ActivationKind::sigmoid: return sigmoid(x);
        case ActivationKind::tanh: return tanh(x);
        case ActivationKind::softmax: return softmax(x, -1);
    }
    return x;
}

}  // namespace xvis
