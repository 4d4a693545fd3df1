#include <xvis/autodiff/function.hpp>
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
    : seed_(seed) {
    std::vector<LayerPtr> order, input_layers, output_layers;
    if (inputs.empty() || outputs.empty()) throw std::invalid_argument("Model '" + name + "': needs inputs and outputs");
    for (const auto& in : inputs) {
        if (!in.layer || !std::dynamic_pointer_cast<InputLayer>(in.layer))
            throw std::invalid_argument("Model '" + name + "': inputs must be Input() layers");
        input_layers.push_back(in.layer);
    }
    for (const auto& out : outputs) {
        if (!out.layer) throw std::invalid_argument("Model '" + name + "': an output is an empty layer reference");
        output_layers.push_back(out.layer);
    }
    // Depth-first post-order from the outputs: inbound layers come first.
    std::unordered_set<const Layer*> done, active;
    std::vector<std::pair<LayerPtr, std::size_t>> stack;
    for (const auto& out : output_layers) {
        if (done.count(out.get())) continue;
        stack.emplace_back(out, 0);
        active.insert(out.get());
        while (!stack.empty()) {
            auto& [layer, next] = stack.back();
            if (next < layer->inbound().size()) {
                LayerPtr in = layer->inbound()[next++];
                if (active.count(in.get())) throw std::invalid_argument("Model '" + name + "': cycle through layer '" + in->name() + "'");
                if (!done.count(in.get())) {
                    active.insert(in.get());
                    stack.emplace_back(in, 0);
                }
                continue;
            }
            if (layer->inbound().empty() && !layer->is_source() && !std::dynamic_pointer_cast<InputLayer>(layer))
                throw std::invalid_argument("Model '" + name + "': layer '" + layer->name() +
                                            "' was never called on an input (functional API: layer(previous))");
            if (std::dynamic_pointer_cast<InputLayer>(layer) &&
                std::find(input_layers.begin(), input_layers.end(), layer) == input_layers.end())
                throw std::invalid_argument("Model '" + name + "': the outputs depend on input '" + layer->name() +
                                            "', which is not among the model's inputs");
            active.erase(layer.get());
            done.insert(layer.get());
            order.push_back(layer);
            stack.pop_back();
        }
    }
    // Inputs the outputs do not use are still the model's inputs (fed, and built).
    for (auto it = input_layers.rbegin(); it != input_layers.rend(); ++it)
        if (!done.count(it->get())) order.insert(order.begin(), *it);
    std::set<std::string> names;
    for (const auto& l : order)
        if (!names.insert(l->name()).second) throw std::invalid_argument("Model '" + name + "': two layers are named '" + l->name() + "'");
    detail::ModelLayers s;
    s.name = std::move(name);
    s.layers = std::move(order);
    const auto position = [&](const LayerPtr& l) {
        return static_cast<std::size_t>(std::find(s.layers.begin(), s.layers.end(), l) - s.layers.begin());
    };
    for (const auto& l : input_layers) s.inputs.push_back(position(l));
    for (const auto& l : output_layers) s.outputs.push_back(position(l));
    s_ = std::make_shared<const detail::ModelLayers>(std::move(s));
    build(batch);
}

void Model::set_layers(detail::ModelLayers layers) {
    s_ = std::make_shared<const detail::ModelLayers>(std::move(layers));
    graph_.layers_ = s_;  // the same layers, addressed anew
}

void Model::set_aliases(std::vector<std::pair<std::string, std::string>> aliases) {
    detail::ModelLayers s = *s_;
    s.aliases.clear();
    for (const auto& [alias, target] : aliases) s.position(target);  // throws naming the layers when unknown
    s.aliases = std::move(aliases);
    set_layers(std::move(s));
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
    detail::ModelLayers s = *m.s_;
    s.first = 1;
    m.set_layers(std::move(s));
    return m;
}

void Model::build(std::size_t batch) { graph_ = graph(batch); }

ModelGraph Model::graph(std::size_t batch) const {
    if (batch == 0) throw std::invalid_argument("Model::graph '" + s_->name + "': batch size must be >= 1");
    const auto& layers = s_->layers;
    ModelGraph g;
    g.layers_ = s_;
    g.batch_ = batch;
    g.out_.resize(layers.size());
    g.pre_.resize(layers.size());
    std::unordered_map<const Layer*, std::size_t> position;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const auto& l = layers[i];
        std::vector<Node> ins;
        for (const auto& src : l->inbound()) ins.push_back(g.out_[position.at(src.get())]);
        // Seeds depend on the model seed and the layer's position, so the same model gets the same weights.
        LayerNodes r = l->build(ins, BuildContext{batch, seed_ * 1000003ULL + 7919ULL * (i + 1)});
        if (!r.pre_activation.valid()) r.pre_activation = r.output;
        // The layer's own output nodes carry its name (errors, to_dot and profiles then say "conv1", not
        // "relu_12"); a pass-through layer (Dropout, linear Activation) returns an input node, which keeps its.
        const auto is_input = [&](const Node& n) {
            return std::any_of(ins.begin(), ins.end(), [&](const Node& x) { return x.impl() == n.impl(); });
        };
        if (!is_input(r.output)) r.output.set_name(l->name());
        if (r.pre_activation.impl() != r.output.impl() && !is_input(r.pre_activation)) r.pre_activation.set_name(l->name() + "/pre_activation");
        position[l.get()] = i;
        g.out_[i] = std::move(r.output);
        g.pre_[i] = std::move(r.pre_activation);
    }
    return g;
}

Shape Model::input_shape(std::size_t i) const {
    if (i >= s_->inputs.size())
        throw std::out_of_range("Model '" + s_->name + "': input " + std::to_string(i) + " of " + std::to_string(s_->inputs.size()));
    const auto& in = std::static_pointer_cast<InputLayer>(s_->layers[s_->inputs[i]]);
    return in->shape_without_batch();
}

namespace {
// Sets the activation and rebuilds the model's graph; a failed rebuild puts the old activation back.
void change_activation(Model& m, const LayerPtr& l, ActivationKind a) {
    const ActivationKind old = l->activation().value_or(ActivationKind::linear);
    l->set_activation(a);  // throws for layers without an activation
    try {
        m.build(m.batch_size());
    } catch (...) {
        l->set_activation(old);
        throw;
    }
}
}  // namespace

void Model::set_activation(std::int64_t index, ActivationKind activation) { change_activation(*this, layer(index), activation); }
void Model::set_activation(const std::string& name, ActivationKind activation) { change_activation(*this, layer(name), activation); }

std::vector<Tensor> Model::predict(const std::vector<Tensor>& inputs) const {
    const std::string call = "Model::predict '" + s_->name + "'";
    if (inputs.size() != num_inputs())
        throw std::invalid_argument(call + ": got " + std::to_string(inputs.size()) + " inputs, the model has " + std::to_string(num_inputs()));
    std::size_t n = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto& in = std::static_pointer_cast<InputLayer>(s_->layers[s_->inputs[i]]);
        const Shape& want = in->shape_without_batch();
        const Shape& got = inputs[i].shape();
        const bool batched = in->has_batch_axis();
        const bool ok = batched ? got.size() == want.size() + 1 && got[0] >= 1 && std::equal(want.begin(), want.end(), got.begin() + 1)
                                : got == want;
        if (!ok || (batched && n && got[0] != n))
            throw ShapeError(call + ": input " + std::to_string(i) + " ('" + in->name() + "') has shape " + shape_to_string(got) +
                             ", expected " + (batched ? "[N, " + shape_to_string(want).substr(1) : shape_to_string(want)) +
                             (batched && n ? " with N = " + std::to_string(n) : ""));
        if (batched) n = got[0];
    }
    ModelGraph g;
    try {
        g = graph(n ? n : 1);
    } catch (const std::runtime_error& e) {
        // A fixed-batch export that cannot follow N (ViT): one sample at a time, the outputs stacked.
        if (n <= 1 || std::string(e.what()).find("explain one image at a time") == std::string::npos) throw;
        g = graph(1);
    }
    Function f = compile(g.outputs(), g.inputs());
    if (g.batch_size() == (n ? n : 1)) {
        for (std::size_t i = 0; i < inputs.size(); ++i) f.set_input(i, inputs[i]);
        return f.run();
    }
    std::vector<Tensor> samples(inputs.size()), out;
    for (std::size_t b = 0; b < n; ++b) {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            samples[i] = inputs[i];
            if (!std::static_pointer_cast<InputLayer>(s_->layers[s_->inputs[i]])->has_batch_axis()) continue;
            Shape one = inputs[i].shape();
            const std::size_t per = inputs[i].size() / n;
            one[0] = 1;
            samples[i] = Tensor(one);
            std::copy(inputs[i].data() + b * per, inputs[i].data() + (b + 1) * per, samples[i].data());
        }
        for (std::size_t i = 0; i < inputs.size(); ++i) f.set_input(i, samples[i]);
        const auto& r = f.run();
        if (b == 0)
            for (const auto& t : r) {
                Shape s = t.shape();
                if (s.empty() || s[0] != 1) throw ShapeError("Model::predict '" + s_->name + "': an output " + shape_to_string(s) + " has no batch axis to stack samples on");
                s[0] = n;
                out.emplace_back(s);
            }
        for (std::size_t k = 0; k < r.size(); ++k) std::copy(r[k].begin(), r[k].end(), out[k].data() + b * r[k].size());
    }
    return out;
}

Tensor Model::predict(const Tensor& input) const {
    if (num_inputs() != 1 || num_outputs() != 1)
        throw std::invalid_argument("Model::predict '" + s_->name + "': the model has " + std::to_string(num_inputs()) + " inputs and " +
                                    std::to_string(num_outputs()) + " outputs; pass a vector of inputs");
    return predict(std::vector<Tensor>{input})[0];
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

std::size_t Model::count_params() const {
    // Imported graphs share one initializer between layers: count each tensor once.
    std::size_t n = 0;
    std::unordered_set<const Tensor*> seen;
    for (const auto& l : s_->layers)
        for (const auto& w : l->weights())
            if (seen.insert(w.value.get()).second) n += w.value->size();
    return n;
}

}  // namespace xvis
