#include <xvis/layers/model.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace xvis {

Model::Model(std::vector<LayerRef> inputs, std::vector<LayerRef> outputs, std::string name, std::uint64_t seed)
    : Model(std::move(inputs), std::move(outputs), std::move(name), seed, 1) {}

Model::Model(std::vector<LayerRef> inputs, std::vector<LayerRef> outputs, std::string name, std::uint64_t seed, std::size_t batch)
    : name_(std::move(name)), seed_(seed) {
    if (inputs.empty() || outputs.empty()) throw std::invalid_argument("Model '" + name_ + "': needs inputs and outputs");
    for (const auto& in : inputs) {
        if (!in.layer || !std::dynamic_pointer_cast<InputLayer>(in.layer))
            throw std::invalid_argument("Model '" + name_ + "': inputs must be Input() layers");
        input_layers_.push_back(in.layer);
    }
    for (const auto& out : outputs) {
        if (!out.layer) throw std::invalid_argument("Model '" + name_ + "': an output is an empty layer reference");
        output_layers_.push_back(out.layer);
    }
    // Depth-first post-order from the outputs: inbound layers come first.
    std::unordered_set<const Layer*> done, active;
    std::vector<std::pair<LayerPtr, std::size_t>> stack;
    for (const auto& out : output_layers_) {
        if (done.count(out.get())) continue;
        stack.emplace_back(out, 0);
        active.insert(out.get());
        while (!stack.empty()) {
            auto& [layer, next] = stack.back();
            if (next < layer->inbound().size()) {
                LayerPtr in = layer->inbound()[next++];
                if (active.count(in.get())) throw std::invalid_argument("Model '" + name_ + "': cycle through layer '" + in->name() + "'");
                if (!done.count(in.get())) {
                    active.insert(in.get());
                    stack.emplace_back(in, 0);
                }
                continue;
            }
            if (layer->inbound().empty() && !layer->is_source() && !std::dynamic_pointer_cast<InputLayer>(layer))
                throw std::invalid_argument("Model '" + name_ + "': layer '" + layer->name() +
                                            "' was never called on an input (functional API: layer(previous))");
            if (std::dynamic_pointer_cast<InputLayer>(layer) &&
                std::find(input_layers_.begin(), input_layers_.end(), layer) == input_layers_.end())
                throw std::invalid_argument("Model '" + name_ + "': the outputs depend on input '" + layer->name() +
                                            "', which is not among the model's inputs");
            active.erase(layer.get());
            done.insert(layer.get());
            layers_.push_back(layer);
            stack.pop_back();
        }
    }
    // Inputs the outputs do not use are still the model's inputs (fed, and built).
    for (auto it = input_layers_.rbegin(); it != input_layers_.rend(); ++it)
        if (!done.count(it->get())) layers_.insert(layers_.begin(), *it);
    std::set<std::string> names;
    for (const auto& l : layers_)
        if (!names.insert(l->name()).second) throw std::invalid_argument("Model '" + name_ + "': two layers are named '" + l->name() + "'");
    build(batch);
}

void Model::set_aliases(std::vector<std::pair<std::string, std::string>> aliases) {
    aliases_.clear();
    for (const auto& [alias, target] : aliases) layer(target);  // throws naming the layers when unknown
    aliases_ = std::move(aliases);
}

const std::string& Model::resolve(const std::string& name) const {
    for (const auto& l : layers_)
        if (l->name() == name) return name;
    for (const auto& [alias, target] : aliases_)
        if (alias == name) return target;
    return name;
}

Model Model::sequential(std::vector<LayerPtr> layers, std::string name, std::uint64_t seed) {
    if (layers.empty() || !std::dynamic_pointer_cast<InputLayer>(layers[0]))
        throw std::invalid_argument("Model::sequential '" + name + "': the first layer must be an InputLayer (Input shape)");
    LayerRef x{layers[0]};
    for (std::size_t i = 1; i < layers.size(); ++i) {
        if (!layers[i]) throw std::invalid_argument("Model::sequential '" + name + "': layer " + std::to_string(i) + " is null");
        x = (*layers[i])(x);
    }
    Model m({LayerRef{layers[0]}}, {x}, std::move(name), seed);
    m.first_ = 1;
    return m;
}

void Model::build(std::size_t batch) {
    if (batch == 0) throw std::invalid_argument("Model::build '" + name_ + "': batch size must be >= 1");
    const std::size_t previous = batch_;
    try {
        build_layers(batch);
    } catch (...) {
        // A graph that cannot be built for `batch` (an imported fixed-batch export) leaves the model as it was.
        if (previous != batch) {
            try {
                build_layers(previous);
            } catch (...) {
            }
        }
        throw;
    }
}

void Model::build_layers(std::size_t batch) {
    batch_ = batch;
    // Every input knows the batch before any layer builds (an imported constant may come before the input).
    for (const auto& in : input_layers_) std::static_pointer_cast<InputLayer>(in)->set_batch(batch);
    std::unordered_map<const Layer*, Node> out;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        const auto& l = layers_[i];
        std::vector<Node> ins;
        for (const auto& src : l->inbound()) ins.push_back(out.at(src.get()));
        // Seeds depend on the model seed and the layer's position, so the same model gets the same weights.
        out[l.get()] = l->build(ins, seed_ * 1000003ULL + 7919ULL * (i + 1));
        // The layer's own output nodes carry its name (errors, to_dot and profiles then say "conv1", not
        // "relu_12"); a pass-through layer (Dropout, linear Activation) returns an input node, which keeps its.
        const auto is_input = [&](const Node& n) {
            return std::any_of(ins.begin(), ins.end(), [&](const Node& x) { return x.impl() == n.impl(); });
        };
        Node o = l->output(), pre = l->pre_activation();
        if (!is_input(o)) o.set_name(l->name());
        if (pre.impl() != o.impl() && !is_input(pre)) pre.set_name(l->name() + "/pre_activation");
    }
}

const LayerPtr& Model::layer(std::int64_t index) const {
    const auto n = static_cast<std::int64_t>(num_layers());
    if (index < -n || index >= n)
        throw std::out_of_range("Model '" + name_ + "': layer index " + std::to_string(index) + " out of range for " +
                                std::to_string(n) + " layers");
    return layers_[first_ + static_cast<std::size_t>(index < 0 ? index + n : index)];
}

const LayerPtr& Model::layer(const std::string& alias) const {
    const std::string& name = resolve(alias);
    for (const auto& l : layers_)  // a sequential model's hidden InputLayer is found by name too
        if (l->name() == name) return l;
    find_layer_idx(name);  // throws with the list of names
    return layers_.front();
}

std::size_t Model::find_layer_idx(const std::string& alias) const {
    const std::string& name = resolve(alias);
    std::string names;
    for (std::size_t i = first_; i < layers_.size(); ++i) {
        if (layers_[i]->name() == name) return i - first_;
        names += (i > first_ ? ", " : "") + layers_[i]->name();
    }
    throw std::invalid_argument("Model '" + name_ + "': no layer named '" + name + "' (layers: " + names + ")");
}

const Node& Model::input(std::size_t i) const {
    if (i >= input_layers_.size()) throw std::out_of_range("Model '" + name_ + "': input " + std::to_string(i) + " of " + std::to_string(input_layers_.size()));
    return input_layers_[i]->output();
}

const Node& Model::output(std::size_t i) const {
    if (i >= output_layers_.size()) throw std::out_of_range("Model '" + name_ + "': output " + std::to_string(i) + " of " + std::to_string(output_layers_.size()));
    return output_layers_[i]->output();
}

void Model::set_activation(std::int64_t index, ActivationKind activation) {
    layer(index)->set_activation(activation);
    build(batch_);
}

void Model::set_activation(const std::string& name, ActivationKind activation) {
    layer(name)->set_activation(activation);
    build(batch_);
}

std::shared_ptr<Tensor> Model::weight(const std::string& layer_name, const std::string& weight_name) const {
    return layer(layer_name)->weight(weight_name);
}

void Model::set_weight(const std::string& layer_name, const std::string& weight_name, const Tensor& value) {
    auto w = weight(layer_name, weight_name);
    if (w->shape() != value.shape())
        throw ShapeError("Model::set_weight: " + layer_name + "/" + weight_name + " has shape " + shape_to_string(w->shape()) +
                         ", got " + shape_to_string(value.shape()));
    std::copy(value.begin(), value.end(), w->begin());
}

std::vector<Node> Model::parameters() const {
    // The parameter nodes of the current graph: leaves whose storage is one of the layers' weights.
    std::unordered_set<const Tensor*> storages;
    for (const auto& l : layers_)
        for (const auto& w : l->weights()) storages.insert(w.value.get());
    std::vector<Node> params;
    std::unordered_set<const NodeImpl*> seen;
    std::vector<Node> stack;
    for (const auto& o : output_layers_) stack.push_back(o->output());
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

std::size_t Model::count_params() const {
    // Imported graphs share one initializer between layers: count each tensor once.
    std::size_t n = 0;
    std::unordered_set<const Tensor*> seen;
    for (const auto& l : layers_)
        for (const auto& w : l->weights())
            if (seen.insert(w.value.get()).second) n += w.value->size();
    return n;
}

}  // namespace xvis
