#pragma once
// Model: sequential or functional (a DAG of layers). Layers are kept in topological order and addressed by
// index (negative counts from the end) or by name. As in Keras, a sequential model's layers() does not list
// its InputLayer (index 0 is the first real layer) while a functional model's does; every layer's output is a graph node usable as a loss
// target. graph(batch) builds a ModelGraph, a value separate from the model — weights persist in shared
// tensors, so changing an activation (softmax → linear) or the batch size never reloads or re-initializes them.
#include <xvis/layers/core.hpp>
#include <xvis/layers/layer.hpp>
#include <xvis/layers/model_graph.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

class Model {
public:
    // Functional: the layers between `inputs` (InputLayer references) and `outputs`. Builds for batch 1.
    Model(std::vector<LayerRef> inputs, std::vector<LayerRef> outputs, std::string name = "model", std::uint64_t seed = 0);
    // The same, first built for `batch` (an imported graph whose fixed shapes bake in its exported batch).
    Model(std::vector<LayerRef> inputs, std::vector<LayerRef> outputs, std::string name, std::uint64_t seed, std::size_t batch);
    // Sequential: layers[0] must be an InputLayer; each next layer is called on the previous one.
    static Model sequential(std::vector<LayerPtr> layers, std::string name = "sequential", std::uint64_t seed = 0);

    // A new graph of the model for `batch` samples (new nodes, the same weights); the model is unchanged, so
    // this may be called from several threads at once. batch 0 → std::invalid_argument. An imported
    // fixed-batch export that cannot follow `batch` throws std::runtime_error saying "explain one image at a time".
    ModelGraph graph(std::size_t batch) const;
    // The model's own graph (what input(), output(), layer_output() and parameters() read), and build(batch),
    // which replaces it (Keras-style use and training; explainers build their own). A failed build leaves it.
    const ModelGraph& graph() const { return graph_; }
    void build(std::size_t batch = 1);
    std::size_t batch_size() const { return graph_.batch_size(); }
    const std::string& name() const { return s_->name; }

    // Runs the model on a batch: the outputs for inputs[i] of shape [N, ...input i] (compiles a graph for N on
    // each call; keep a compiled Function or an explainer object to run many batches).
    std::vector<Tensor> predict(const std::vector<Tensor>& inputs) const;
    Tensor predict(const Tensor& input) const;  // single-input, single-output models

    std::size_t num_layers() const { return s_->num_layers(); }
    // Topological order (Keras's model.layers).
    std::vector<LayerPtr> layers() const { return {s_->layers.begin() + static_cast<std::ptrdiff_t>(s_->first), s_->layers.end()}; }
    // index in [−num_layers, num_layers); out of range → std::out_of_range naming the count.
    const LayerPtr& layer(std::int64_t index) const { return s_->layers[s_->position(index)]; }
    const LayerPtr& layer(const std::string& name) const { return s_->layers[s_->position(name)]; }
    // keras-vis find_layer_idx: unknown names throw std::invalid_argument listing the layer names.
    std::size_t find_layer_idx(const std::string& name) const { return s_->find_layer_idx(name); }
    // Other names that layer(name) and find_layer_idx accept (an imported ONNX node's name → the layer of its
    // first output). alias → layer name; an alias naming no layer throws std::invalid_argument.
    void set_aliases(std::vector<std::pair<std::string, std::string>> aliases);

    const Node& input(std::size_t i = 0) const { return graph_.input(i); }
    const Node& output(std::size_t i = 0) const { return graph_.output(i); }
    std::size_t num_inputs() const { return s_->inputs.size(); }
    std::size_t num_outputs() const { return s_->outputs.size(); }
    // Shape of input i without the batch axis (a fixed input: its whole shape).
    Shape input_shape(std::size_t i = 0) const;
    const Node& layer_output(std::int64_t index) const { return graph_.layer_output(index); }
    const Node& layer_output(const std::string& name) const { return graph_.layer_output(name); }

    // Changes a layer's activation and rebuilds (e.g. the last layer's softmax → linear for class logits).
    // The layer is shared with copies of this model: their next graph uses the new activation too.
    void set_activation(std::int64_t index, ActivationKind activation);
    void set_activation(const std::string& name, ActivationKind activation);

    // Weights by layer name and weight name ("kernel", "bias", ...): the shared tensor, readable and writable.
    std::shared_ptr<Tensor> weight(const std::string& layer_name, const std::string& weight_name) const;
    // Copies `value` into the weight (shapes must match).
    void set_weight(const std::string& layer_name, const std::string& weight_name, const Tensor& value);
    std::vector<Node> parameters() const { return graph_.parameters(); }  // parameter nodes of graph(), in creation order
    std::size_t count_params() const;

    // Keras-style summary: one row per layer with its type, output shape (batch as None) and parameter count.
    std::string summary() const;

private:
    std::shared_ptr<const detail::ModelLayers> s_;
    std::uint64_t seed_;
    ModelGraph graph_;
    void set_layers(detail::ModelLayers layers);
};

}  // namespace xvis
