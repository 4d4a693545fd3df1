#pragma once
// Model: sequential or functional (a DAG of layers). Layers are kept in topological order and addressed by
// index (negative counts from the end) or by name. As in Keras, a sequential model's layers() does not list
// its InputLayer (index 0 is the first real layer) while a functional model's does; every layer's output is a graph node usable as a loss
// target. build(batch) (re)creates the graph — weights persist in shared tensors, so changing an activation
// (softmax → linear) or the batch size never reloads or re-initializes weights.
#include <xvis/layers/core.hpp>
#include <xvis/layers/layer.hpp>

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

    // Rebuilds the graph for `batch` samples (new nodes; the same weights).
    void build(std::size_t batch = 1);
    std::size_t batch_size() const { return batch_; }
    const std::string& name() const { return name_; }

    std::size_t num_layers() const { return layers_.size() - first_; }
    // Topological order (Keras's model.layers).
    std::vector<LayerPtr> layers() const { return {layers_.begin() + static_cast<std::ptrdiff_t>(first_), layers_.end()}; }
    // index in [−num_layers, num_layers); out of range → std::out_of_range naming the count.
    const LayerPtr& layer(std::int64_t index) const;
    const LayerPtr& layer(const std::string& name) const;
    // keras-vis find_layer_idx: unknown names throw std::invalid_argument listing the layer names.
    std::size_t find_layer_idx(const std::string& name) const;
    // Other names that layer(name) and find_layer_idx accept (an imported ONNX node's name → the layer of its
    // first output). alias → layer name; an alias naming no layer throws std::invalid_argument.
    void set_aliases(std::vector<std::pair<std::string, std::string>> aliases);

    const Node& input(std::size_t i = 0) const;
    const Node& output(std::size_t i = 0) const;
    std::size_t num_inputs() const { return input_layers_.size(); }
    std::size_t num_outputs() const { return output_layers_.size(); }
    const Node& layer_output(std::int64_t index) const { return layer(index)->output(); }
    const Node& layer_output(const std::string& name) const { return layer(name)->output(); }

    // Changes a layer's activation and rebuilds (e.g. the last layer's softmax → linear for class logits).
    void set_activation(std::int64_t index, ActivationKind activation);
    void set_activation(const std::string& name, ActivationKind activation);

    // Weights by layer name and weight name ("kernel", "bias", ...): the shared tensor, readable and writable.
    std::shared_ptr<Tensor> weight(const std::string& layer_name, const std::string& weight_name) const;
    // Copies `value` into the weight (shapes must match).
    void set_weight(const std::string& layer_name, const std::string& weight_name, const Tensor& value);
    std::vector<Node> parameters() const;  // parameter nodes of the current graph, in layer order
    std::size_t count_params() const;

    // Keras-style summary: one row per layer with its type, output shape (batch as None) and parameter count.
    std::string summary() const;

private:
    std::string name_;
    std::uint64_t seed_;
    std::size_t batch_ = 1;
    std::size_t first_ = 0;         // 1 for sequential models: the hidden InputLayer
    std::vector<LayerPtr> layers_;  // topological, inputs included
    std::vector<LayerPtr> input_layers_, output_layers_;
    std::vector<std::pair<std::string, std::string>> aliases_;
    const std::string& resolve(const std::string& name) const;
    void build_layers(std::size_t batch);
};

}  // namespace xvis
