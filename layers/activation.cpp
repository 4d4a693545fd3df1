#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/activation.hpp>

#include <stdexcept>

namespace xvis {

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
