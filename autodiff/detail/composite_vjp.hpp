#pragma once
// Internal: composite VJPs. gradients() recognizes two activations that models compose from primitives,
// SiLU = x·σ(x) and GELU = c·x·(k + erf(a·x)) (ONNX exports of PyTorch's), and differentiates each with one
// fused node (silu_grad, gelu_grad) instead of the chain of its primitives' VJPs: 4 to 10 passes over the
// tensor become one. gradients() applies a match only where the chain's inner nodes cannot be seen: none is a
// requested x, each has one consumer (its place in the chain), and no gradient override names the type of any
// node of the chain; elsewhere the primitives' VJPs run as before.
#include <xvis/autodiff/node.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

namespace xvis::detail {

struct CompositeVjp {
    Node x;                  // the chain's one input: it gets grad(g)
    std::vector<Node> inner;  // the chain's nodes between x and its output (both excluded)
    std::function<Node(const Node& g)> grad;  // the output's gradient g → x's gradient (x's shape)
};

// The chain that ends at `out`, if out ends one. uses(n): how many times the graph being differentiated
// consumes n (a match never looks through a node used more than once).
std::optional<CompositeVjp> match_composite_vjp(const Node& out, const std::function<std::size_t(const Node&)>& uses);

}  // namespace xvis::detail
