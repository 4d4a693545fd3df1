#pragma once
// Graphviz export of the graph reachable from `outputs`: one box per node (name, op type, attributes,
// shape), leaves shaded by kind, outputs outlined.
#include <xvis/autodiff/node.hpp>

#include <string>
#include <vector>

namespace xvis {

std::string to_dot(const std::vector<Node>& outputs, const std::string& graph_name = "xvis");

}  // namespace xvis
