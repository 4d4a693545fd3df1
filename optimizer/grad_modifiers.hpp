#pragma once
// Gradient modifiers, applied in place to the gradient of each iteration (and of saliency maps).
// keras-vis names: negate (−g), absolute (|g|), invert (1/(g + eps)), relu (max(g, 0)),
// small_values (|1/(g + eps)|); eps = 1e-7. Any callable with this signature works too.
#include <xvis/tensor/tensor.hpp>

#include <functional>
#include <string>

namespace xvis {

using GradModifier = std::function<void(Tensor& grads)>;

// An empty name gives an empty (no-op) modifier; unknown names throw std::invalid_argument listing the choices.
GradModifier grad_modifier(const std::string& name);

}  // namespace xvis
