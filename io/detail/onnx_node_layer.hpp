#pragma once
// Internal: the layer that one ONNX value of an imported graph becomes (io/onnx_node_layer.cpp), and what the
// layers of one graph share. Built by import_onnx (io/onnx_graph_import.cpp).
#include <xvis/io/onnx_ops.hpp>
#include <xvis/layers/core.hpp>
#include <xvis/layers/layer.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <unordered_map>

namespace xvis::detail {

// One dimension of a declared graph input or output: a number, a name ("batch", "N") or unknown (neither).
struct OnnxDim {
    std::optional<std::int64_t> value;
    std::string param;
};

// A graph input or output as the file declared it, so save_onnx writes it back unchanged.
struct OnnxValueInfo {
    std::string name;
    bool has_type = false;  // a tensor type was declared (outputs may declare none)
    OnnxType type = OnnxType::undefined;  // the declared element type (float64 stays float64)
    bool has_shape = false;
    std::vector<OnnxDim> dims;
};

// What every layer of one imported graph shares.
struct ImportContext {
    std::shared_ptr<InputLayer> batch_input;  // with a batch axis: follows the batch being built
    std::size_t export_batch = 1;
    std::size_t max_elements = 0, max_constant = 0;
    std::unordered_map<const Layer*, OnnxType> input_types;  // graph inputs
    // What save_onnx needs to write the graph back besides the nodes and the weights (small metadata only:
    // the weights are the layers', the constants the sources').
    std::int64_t ir_version = 0;
    std::vector<std::pair<std::string, std::int64_t>> opsets;  // domain → version, as the file imported them
    std::vector<OnnxValueInfo> inputs, outputs;                // graph inputs (those fed as constants excluded)
    // Element types in the file of the initializers and of the inputs fed as constants: weights are float32
    // tensors and constants doubles in xvis, written back as their original type.
    std::map<std::string, OnnxType> stored_types;
};

struct NodeSpec {
    OnnxOpNode proto;  // attributes, names, opset (inputs filled at each build)
    const OnnxOpBuilder* builder = nullptr;
    std::string domain;  // as the file spelled the default domain: "" or "ai.onnx"
    // Attributes no builder reads and OnnxAttribute cannot hold (STRINGS, GRAPH, SPARSE_TENSOR, ...), as their
    // serialized AttributeProto: save_onnx writes them back unchanged.
    std::map<std::string, std::string> raw_attributes;
};

// An input of an imported node: another layer's output, a weight of this layer, a constant, or absent.
struct Source {
    enum class Kind { layer, weight, constant, absent } kind = Kind::absent;
    std::size_t index = 0;  // into inbound() or weights()
    std::shared_ptr<const TensorD> value;
    OnnxType type = OnnxType::undefined;
};

class OnnxNodeLayer : public Layer {
public:
    OnnxNodeLayer(std::string name, std::shared_ptr<const NodeSpec> spec, std::size_t output, std::vector<Source> sources,
                  std::shared_ptr<const ImportContext> ctx)
        : Layer(std::move(name), "onnx"), spec_(std::move(spec)), output_(output), sources_(std::move(sources)), ctx_(std::move(ctx)) {}

    std::string class_name() const override { return spec_->proto.op_type; }
    bool is_source() const override {
        for (const auto& s : sources_)
            if (s.kind == Source::Kind::layer) return false;
        return true;
    }
    OnnxType output_type() const { return type_.load(std::memory_order_relaxed); }
    void take_weight(const std::string& name, std::shared_ptr<Tensor> w) { adopt_weight(name, std::move(w)); }

    // keras-vis swaps a final softmax for linear: an imported activation node can be replaced the same way.
    std::optional<ActivationKind> activation() const override {
        if (override_) return override_;
        static const std::map<std::string, ActivationKind> kinds{{"Relu", ActivationKind::relu},       {"Sigmoid", ActivationKind::sigmoid},
                                                                 {"Tanh", ActivationKind::tanh},       {"Softmax", ActivationKind::softmax},
                                                                 {"LeakyRelu", ActivationKind::leaky_relu}, {"Identity", ActivationKind::linear}};
        auto it = kinds.find(spec_->proto.op_type);
        if (it == kinds.end()) return std::nullopt;
        return it->second;
    }
    void set_activation(ActivationKind a) override {
        if (!activation()) Layer::set_activation(a);  // throws: not an activation
        override_ = a;
    }

    // Builds the node's graph ops on its inputs (folding them when every input is a constant).
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;

    // What save_onnx writes: the node (shared by the layers of its outputs), which output this layer is, where
    // each input comes from, the graph's metadata, and the activation set_activation put in the node's place.
    const NodeSpec& spec() const { return *spec_; }
    std::size_t output_index() const { return output_; }
    const std::vector<Source>& sources() const { return sources_; }
    const ImportContext& context() const { return *ctx_; }
    std::optional<ActivationKind> activation_override() const { return override_; }

private:
    Node fold(const OnnxOpNode& n, const Node& out) const;

    std::shared_ptr<const NodeSpec> spec_;
    std::size_t output_;
    std::vector<Source> sources_;
    std::shared_ptr<const ImportContext> ctx_;
    // The element type of the output, set by each build (always the same value: builds may run concurrently).
    std::atomic<OnnxType> type_{OnnxType::float32};
    std::optional<ActivationKind> override_;
};

}  // namespace xvis::detail
