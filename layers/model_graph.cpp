// ModelGraph and the layer addressing a model and its graphs share (detail::ModelLayers).
#include <xvis/layers/model_graph.hpp>

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

namespace xvis {

namespace detail {

std::size_t ModelLayers::position(std::int64_t index) const {
    const auto n = static_cast<std::int64_t>(num_layers());
    if (index < -n || index >= n)
        throw std::out_of_range("Model '" + name + "': layer index " + std::to_string(index) + " out of range for " +
                                std::to_string(n) + " layers");
    return first + static_cast<std::size_t>(index < 0 ? index + n : index);
}

const std::string& ModelLayers::resolve(const std::string& alias) const {
    for (const auto& l : layers)
        if (l->name() == alias) return alias;
    for (const auto& [a, target] : aliases)
        if (a == alias) return target;
    return alias;
}

std::size_t ModelLayers::position(const std::string& alias) const {
    const std::string& target = resolve(alias);
    for (std::size_t i = 0; i < layers.size(); ++i)  // a sequential model's hidden InputLayer is found by name too
        if (layers[i]->name() == target) return i;
    return first + find_layer_idx(target);  // throws with the list of names
}

std::size_t ModelLayers::find_layer_idx(const std::string& alias) const {
    const std::string& target = resolve(alias);
    std::string names;
    for (std::size_t i = first; i < layers.size(); ++i) {
        if (layers[i]->name() == target) return i - first;
        names += (i > first ? ", " : "") + layers[i]->name();
    }
    throw std::invalid_argument("Model '" + name + "': no layer named '" + target + "' (layers: " + names + ")");
}

}  // namespace detail

const detail::ModelLayers& ModelGraph::layers(const char* call) const {
    if (!layers_) throw std::logic_error(std::string("ModelGraph::") + call + ": empty graph (build one with Model::graph(batch))");
    return *layers_;
}

std::size_t ModelGraph::num_inputs() const { return layers("num_inputs").inputs.size(); }
std::size_t ModelGraph::num_outputs() const { return layers("num_outputs").outputs.size(); }

const Node& ModelGraph::input(std::size_t i) const {
    const auto& s = layers("input");
    if (i >= s.inputs.size()) throw std::out_of_range("Model '" + s.name + "': input " + std::to_string(i) + " of " + std::to_string(s.inputs.size()));
    return out_[s.inputs[i]];
}

const Node& ModelGraph::output(std::size_t i) const {
    const auto& s = layers("output");
    if (i >= s.outputs.size()) throw std::out_of_range("Model '" + s.name + "': output " + std::to_string(i) + " of " + std::to_string(s.outputs.size()));
    return out_[s.outputs[i]];
}

std::vector<Node> ModelGraph::inputs() const {
    std::vector<Node> v;
    for (auto p : layers("inputs").inputs) v.push_back(out_[p]);
    return v;
}

std::vector<Node> ModelGraph::outputs() const {
    std::vector<Node> v;
    for (auto p : layers("outputs").outputs) v.push_back(out_[p]);
    return v;
}

const Node& ModelGraph::layer_output(std::int64_t index) const { return out_[layers("layer_output").position(index)]; }
const Node& ModelGraph::layer_output(const std::string& name) const { return out_[layers("layer_output").position(name)]; }
const Node& ModelGraph::pre_activation(std::int64_t index) const { return pre_[layers("pre_activation").position(index)]; }
const Node& ModelGraph::pre_activation(const std::string& name) const { return pre_[layers("pre_activation").position(name)]; }

std::vector<Node> ModelGraph::parameters() const {
    // Leaves whose storage is one of the layers' weights, reachable from the outputs.
    std::unordered_set<const Tensor*> storages;
    for (const auto& l : layers("parameters").layers)
        for (const auto& w : l->weights()) storages.insert(w.value.get());
    std::vector<Node> params, stack = outputs();
    std::unordered_set<const NodeImpl*> seen;
    while (!stack.empty()) {
        Node n = stack.back();
        stack.pop_back();
        if (!seen.insert(n.impl()).second) continue;
        if (n.kind() == NodeKind::parameter && storages.count(n.parameter_storage().get())) params.push_back(n);
        for (const auto& in : n.inputs()) stack.push_back(in);
    }
    std::sort(params.begin(), params.end(), [](const Node& a, const Node& b) { return a.id() < b.id(); });
    return params;
}

}  // namespace xvis
