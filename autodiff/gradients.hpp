#pragma once
// Symbolic reverse mode: gradients are new graph nodes, so they compile like any output and can be
// differentiated again. Only nodes that lie on a path from a requested x to y are visited: asking for
// d(loss)/d(image) builds no weight gradient.
#include <xvis/autodiff/node.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xvis {

// Replaces an op type's VJP, e.g. guided backprop replaces "relu" with g·[g > 0]·[out > 0].
// Same contract as Op::vjp: one gradient (or an invalid Node) per input of `out`.
using VjpFunction = std::function<std::vector<Node>(const Node& out, const Node& grad)>;
using GradientOverrides = std::map<std::string, VjpFunction>;

// d y / d x for each x; y must hold one element (a loss). An x that y does not depend on gets zeros of its
// shape. xs may be any nodes (placeholders, parameters, intermediates).
std::vector<Node> gradients(const Node& y, const std::vector<Node>& xs, const GradientOverrides& overrides = {});
// Vector-Jacobian product: Σ grad_y · ∂y/∂x, grad_y of y's shape.
std::vector<Node> gradients(const Node& y, const std::vector<Node>& xs, const Node& grad_y,
                            const GradientOverrides& overrides = {});

}  // namespace xvis
