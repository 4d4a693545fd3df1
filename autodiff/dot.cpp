#include <xvis/autodiff/dot.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/topo.hpp>

#include <unordered_set>

namespace xvis {

namespace {
std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}
const char* fill_of(NodeKind k) {
    switch (k) {
        case NodeKind::placeholder: return "#cfe8ff";
        case NodeKind::constant: return "#eeeeee";
        case NodeKind::parameter: return "#ffe7b3";
        case NodeKind::op: return "#ffffff";
    }
    return "#ffffff";
}
}  // namespace

std::string to_dot(const std::vector<Node>& outputs, const std::string& graph_name) {
    std::unordered_set<const NodeImpl*> is_output;
    for (const auto& o : outputs) is_output.insert(o.impl());
    std::string s = "digraph \"" + escape(graph_name) + "\" {\n  rankdir=TB;\n  node [shape=box, style=filled, fontname=\"monospace\"];\n";
    for (const auto& n : topological_order(outputs)) {
        std::string label = n.name() + "\\n" + n.type();
        const std::string attrs = to_string(n.op().attributes());
        if (!attrs.empty()) label += " " + escape(attrs);
        label += "\\n" + shape_to_string(n.shape());
        s += "  n" + std::to_string(n.id()) + " [label=\"" + escape(n.name()) + label.substr(n.name().size()) +
             "\", fillcolor=\"" + fill_of(n.kind()) + "\"" + (is_output.count(n.impl()) ? ", penwidth=3" : "") + "];\n";
        for (const auto& in : n.inputs()) s += "  n" + std::to_string(in.id()) + " -> n" + std::to_string(n.id()) + ";\n";
    }
    return s + "}\n";
}

}  // namespace xvis
