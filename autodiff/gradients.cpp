#include <xvis/autodiff/detail/composite_vjp.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/topo.hpp>

#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace xvis {

std::vector<Node> gradients(const Node& y, const std::vector<Node>& xs, const GradientOverrides& overrides) {
    if (!y.valid()) throw std::invalid_argument("gradients: y is an empty (invalid) node");
    if (y.size() != 1)
        throw ShapeError("gradients: y " + y.describe() +
                         " must hold one element (a loss); for other shapes pass grad_y (a vector-Jacobian product)");
    return gradients(y, xs, constant(TensorD(y.shape(), 1.0), "ones"), overrides);
}

std::vector<Node> gradients(const Node& y, const std::vector<Node>& xs, const Node& grad_y,
                            const GradientOverrides& overrides) {
    if (!y.valid() || !grad_y.valid()) throw std::invalid_argument("gradients: y or grad_y is an empty (invalid) node");
    if (grad_y.shape() != y.shape())
        throw ShapeError("gradients: grad_y " + grad_y.describe() + " must have the shape of y " + y.describe());
    for (const auto& x : xs)
        if (!x.valid()) throw std::invalid_argument("gradients: a requested x is an empty (invalid) node");

    const std::vector<Node> order = topological_order({y});
    // Nodes that depend on some requested x: only they get gradients (prunes weight gradients when the
    // request is d/d(input), and the whole subtree of constants and parameters).
    std::unordered_set<const NodeImpl*> wanted, on_path;
    for (const auto& x : xs) wanted.insert(x.impl());
    for (const auto& n : order) {
        bool dep = wanted.count(n.impl()) > 0;
        for (const auto& in : n.inputs()) dep = dep || on_path.count(in.impl()) > 0;
        if (dep) on_path.insert(n.impl());
    }

    // Consumers of each node within the graph of y: a composite VJP never hides a node that is used elsewhere.
    std::unordered_map<const NodeImpl*, std::size_t> uses;
    for (const auto& n : order)
        for (const auto& in : n.inputs()) ++uses[in.impl()];
    const auto use_count = [&](const Node& n) {
        const auto it = uses.find(n.impl());
        return it == uses.end() ? std::size_t(0) : it->second;
    };
    // A composite rule applies when nothing can tell: no inner node requested, shared or overridden, and the
    // gradient flows through x alone (a requested constant of the chain, e.g. GELU's 0.5, needs its own).
    const auto hidden = [&](const Node& out, const detail::CompositeVjp& c) {
        if (overrides.count(out.type()) || !on_path.count(c.x.impl())) return false;
        std::unordered_set<const NodeImpl*> chain{c.x.impl()};
        for (const auto& n : c.inner) {
            if (wanted.count(n.impl()) || use_count(n) != 1 || overrides.count(n.type())) return false;
            chain.insert(n.impl());
        }
        const auto other_path_input = [&](const Node& n) {
            for (const auto& in : n.inputs())
                if (!chain.count(in.impl()) && on_path.count(in.impl())) return true;
            return false;
        };
        if (other_path_input(out)) return false;
        for (const auto& n : c.inner)
            if (other_path_input(n)) return false;
        return true;
    };

    std::unordered_map<const NodeImpl*, std::vector<Node>> contributions;
    contributions[y.impl()].push_back(grad_y);
    auto total = [&](const Node& n) -> Node {
        auto it = contributions.find(n.impl());
        if (it == contributions.end() || it->second.empty()) return Node();
        Node g = it->second[0];
        for (std::size_t i = 1; i < it->second.size(); ++i) g = add(g, it->second[i]);  // fan-out accumulates
        // Gradient nodes are named after what they differentiate ("d/conv1"), for profiles and messages.
        if (g.impl() != grad_y.impl() && g.has_default_name()) g.set_name("d/" + n.name());
        it->second.assign(1, g);
        return g;
    };

    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const Node& node = *it;
        if (!on_path.count(node.impl()) || node.kind() != NodeKind::op) continue;
        const Node g = total(node);
        if (!g.valid()) continue;
        if (const auto c = detail::match_composite_vjp(node, use_count); c && hidden(node, *c)) {
            contributions[c->x.impl()].push_back(c->grad(g));  // c->x is on the path: it is the chain's only input
            continue;
        }
        const auto ov = overrides.find(node.type());
        std::vector<Node> in_grads = ov != overrides.end() ? ov->second(node, g) : node.op().vjp(node, g);
        const auto& inputs = node.inputs();
        if (in_grads.size() != inputs.size())
            throw std::logic_error("gradients: the VJP of " + node.type() + " node " + node.describe() + " returned " +
                                   std::to_string(in_grads.size()) + " gradients for " + std::to_string(inputs.size()) +
                                   " inputs");
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            Node gi = in_grads[i];
            if (!gi.valid() || !on_path.count(inputs[i].impl())) continue;
            // The one place where broadcast gradients are reduced to their input's shape.
            if (gi.shape() != inputs[i].shape()) {
                if (!broadcastable_to(inputs[i].shape(), gi.shape()))
                    throw std::logic_error("gradients: the VJP of " + node.type() + " node " + node.describe() +
                                           " gave input " + std::to_string(i) + " " + inputs[i].describe() +
                                           " a gradient of shape " + shape_to_string(gi.shape()));
                gi = sum_to(gi, inputs[i].shape());
            }
            contributions[inputs[i].impl()].push_back(gi);
        }
    }

    std::vector<Node> result;
    result.reserve(xs.size());
    for (const auto& x : xs) {
        Node g = total(x);
        result.push_back(g.valid() ? g : zeros(x.shape()));
    }
    return result;
}

}  // namespace xvis
