#pragma once
// ModelGraph: a model built for one batch size — the graph nodes of every layer (or imported ONNX tensor), a
// value of its own. Model::graph(batch) returns a new one without changing the model, so explainers built for
// different batches, or running on different threads, each keep theirs; the layers behind it hold only
// configuration and weights (shared: a weight changed through the model is seen by every graph).
// Layers are addressed as in Model: index in topological order (negative counts from the end), name, or alias.
#include <xvis/layers/layer.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xvis {

namespace detail {

// What a model is made of and how its layers are addressed; shared, immutable, by a model, its copies and
// every graph built from it.
struct ModelLayers {
    std::string name;
    std::size_t first = 0;                      // 1 for sequential models: their hidden InputLayer
    std::vector<LayerPtr> layers;               // topological, inputs included
    std::vector<std::size_t> inputs, outputs;   // positions in `layers`
    std::vector<std::pair<std::string, std::string>> aliases;  // other name → layer name

    std::size_t num_layers() const { return layers.size() - first; }
    // Position in `layers` of layer `index` (in [−num_layers, num_layers)); else std::out_of_range naming the count.
    std::size_t position(std::int64_t index) const;
    // Position of the layer called `name` (or an alias of it; a sequential model's hidden InputLayer too);
    // unknown → std::invalid_argument listing the layer names.
    std::size_t position(const std::string& name) const;
    // keras-vis find_layer_idx: the index (not counting a sequential model's hidden InputLayer).
    std::size_t find_layer_idx(const std::string& name) const;
    const std::string& resolve(const std::string& name) const;
};

}  // namespace detail

class ModelGraph {
public:
    ModelGraph() = default;  // empty: valid() is false

    bool valid() const { return layers_ != nullptr; }
    std::size_t batch_size() const { return batch_; }
    std::size_t num_inputs() const;
    std::size_t num_outputs() const;
    // Placeholders of the model's inputs, [batch, ...] (a fixed input keeps its own shape).
    const Node& input(std::size_t i = 0) const;
    const Node& output(std::size_t i = 0) const;
    std::vector<Node> inputs() const;
    std::vector<Node> outputs() const;
    const Node& layer_output(std::int64_t index) const;
    const Node& layer_output(const std::string& name) const;
    // The output before the layer's activation (Conv2D, Dense, Activation; the output itself for others).
    const Node& pre_activation(std::int64_t index) const;
    const Node& pre_activation(const std::string& name) const;
    // The parameter nodes (weights) the outputs depend on, in creation order.
    std::vector<Node> parameters() const;

private:
    friend class Model;
    const detail::ModelLayers& layers(const char* call) const;
    std::shared_ptr<const detail::ModelLayers> layers_;
    std::vector<Node> out_, pre_;  // by position in layers_->layers
    std::size_t batch_ = 0;
};

}  // namespace xvis
