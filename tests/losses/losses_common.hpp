#pragma once
// Evaluates a loss built on a placeholder at given values, in double, and its gradient.
#include <xvis/xvis.hpp>

#include <utility>

namespace xvis::testing {

inline double eval_loss(const Loss& loss, const Node& input, const TensorD& value) {
    FunctionD f = compile_double({loss.build_loss()}, {input});
    return f(value)[0].item();
}

inline TensorD eval_grad(const Loss& loss, const Node& input, const TensorD& value) {
    const Node y = loss.build_loss();
    FunctionD f = compile_double(gradients(y, {input}), {input});
    return f(value)[0];
}

// Moves the channel axis (1) of a channels_first tensor to the end.
inline TensorD to_channels_last(const TensorD& x) {
    std::vector<std::size_t> perm{0};
    for (std::size_t i = 2; i < x.rank(); ++i) perm.push_back(i);
    perm.push_back(1);
    Node p = placeholder(x.shape());
    FunctionD f = compile_double({transpose(p, perm)}, {p});
    return f(x)[0];
}

}  // namespace xvis::testing
