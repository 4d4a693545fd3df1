#pragma once
// Topological order of the graph reachable from a set of nodes (inputs before the nodes that read them).
// Iterative, so deep graphs do not exhaust the stack.
#include <xvis/autodiff/node.hpp>

#include <vector>

namespace xvis {

std::vector<Node> topological_order(const std::vector<Node>& outputs);

}  // namespace xvis
