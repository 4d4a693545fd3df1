#include <xvis/autodiff/topo.hpp>

#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace xvis {

std::vector<Node> topological_order(const std::vector<Node>& outputs) {
    std::vector<Node> order;
    std::unordered_set<const NodeImpl*> done;
    std::vector<std::pair<Node, std::size_t>> stack;  // node, next input to visit
    for (const auto& out : outputs) {
        if (!out.valid()) throw std::invalid_argument("topological_order: an output is an empty (invalid) node");
        if (done.count(out.impl())) continue;
        stack.emplace_back(out, 0);
        while (!stack.empty()) {
            auto& [node, next] = stack.back();
            const auto& inputs = node.inputs();
            if (next < inputs.size()) {
                const Node& in = inputs[next++];
                if (!done.count(in.impl())) stack.emplace_back(in, 0);
                continue;
            }
            // A graph is acyclic by construction (a node's inputs exist before it), so no cycle check.
            if (done.insert(node.impl()).second) order.push_back(node);
            stack.pop_back();
        }
    }
    return order;
}

}  // namespace xvis
