#pragma once
// Layer: a Keras-style layer that builds its forward pass as nodes of the shared graph. A layer is called on
// the outputs of other layers (functional API) to record the model's structure; Model::graph(batch) then turns
// that structure into graph nodes for a given batch size, creating each layer's weights on the first build.
// A layer holds configuration and weights only: the nodes of a build belong to the ModelGraph it returns, so
// one model can be built for several batches, and explained from several threads, at the same time.
// Weights live in shared tensors, so rebuilding (another batch size, another activation) keeps them.
#include <xvis/autodiff/node.hpp>
#include <xvis/layers/activation.hpp>
#include <xvis/layers/initializers.hpp>
#include <xvis/tensor/data_format.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xvis {

class Layer;
using LayerPtr = std::shared_ptr<Layer>;

// A handle to a layer's output in the functional API: `LayerRef x = Input({1, 28, 28}); x = conv(x);`.
struct LayerRef {
    LayerPtr layer;
};

// What a layer's build produces: its output and, for layers with an activation, the node before it.
struct LayerNodes {
    LayerNodes(Node out, Node pre = {}) : output(std::move(out)), pre_activation(std::move(pre)) {}  // NOLINT: {out} reads well
    Node output;
    Node pre_activation;  // invalid: the output itself
};

// What a build is for: the batch size, and the seed of weights created by this (first) build.
struct BuildContext {
    std::size_t batch = 1;
    std::uint64_t seed = 0;
};

struct Weight {
    std::string name;               // "kernel", "bias", "gamma", ...
    std::shared_ptr<Tensor> value;  // shared with every graph built from this layer
};

class Layer : public std::enable_shared_from_this<Layer> {
public:
    // An empty name gives Keras's automatic one: "<class>", then "<class>_1", "<class>_2", ...
    explicit Layer(std::string name, const std::string& auto_prefix);
    virtual ~Layer() = default;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    const std::string& name() const { return name_; }
    virtual std::string class_name() const = 0;

    // Functional API: records `inputs` as this layer's inbound layers (a layer is called once).
    LayerRef operator()(const LayerRef& input);
    LayerRef operator()(const std::vector<LayerRef>& inputs);
    const std::vector<LayerPtr>& inbound() const { return inbound_; }

    // Builds this layer's nodes from its inputs' nodes for ctx.batch. Weights are created on the first build
    // (from ctx.seed); later builds only read configuration and weights, so builds may run concurrently once
    // the model exists. pre_activation: the output before the layer's activation (Conv2D, Dense, Activation),
    // class logits for activation maximization without touching the model.
    virtual LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) = 0;

    const std::vector<Weight>& weights() const { return weights_; }
    // The weight called `name`; unknown → std::invalid_argument listing this layer's weights.
    std::shared_ptr<Tensor> weight(const std::string& name) const;
    std::size_t count_params() const;

    // Layers with an activation (Conv2D, Dense, Activation) report and change it; others throw. The change
    // takes effect at the next Model::build().
    virtual std::optional<ActivationKind> activation() const { return std::nullopt; }
    virtual void set_activation(ActivationKind a);
    // A layer that produces its output from no other layer (an imported constant): a model may hold it
    // without it being called on an input.
    virtual bool is_source() const { return false; }

protected:
    // The weight `name` of `shape`, created with `init` on the first call and reused afterwards (a shape
    // change, e.g. a new input size, throws).
    std::shared_ptr<Tensor> add_weight(const std::string& name, const Shape& shape, Initializer init, std::uint64_t seed);
    // Takes a weight that already exists (an imported initializer, possibly shared with other layers).
    void adopt_weight(const std::string& name, std::shared_ptr<Tensor> value) { weights_.push_back({name, std::move(value)}); }
    [[noreturn]] void fail(const std::vector<Node>& inputs, const std::string& what) const;

private:
    std::string name_;
    std::vector<LayerPtr> inbound_;
    std::vector<Weight> weights_;
};

// Keras padding: "valid" (none) or "same" (output = ceil(input / stride); the extra cell goes at the end).
struct Padding1d {
    std::size_t before, after;
};
Padding1d same_padding(std::size_t in, std::size_t kernel, std::size_t stride, std::size_t dilation);

// Moves channels between channels_last and the kernels' channels_first layout (identity for channels_first).
Node to_channels_first(const Node& x, DataFormat f);
Node from_channels_first(const Node& x, DataFormat f);

}  // namespace xvis
