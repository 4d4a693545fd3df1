#pragma once
// The extension point of load_onnx: a table from ONNX op type to a layer builder. Each builder gets one ONNX
// node as an OnnxImportNode (no protobuf types: attributes are decoded, initializers are float Tensors, data
// inputs are the graph nodes of the layers that produce them, built for batch 1) and returns a new layer plus
// the weights to copy into it. Registering a builder under a new op type teaches load_onnx that op.
#include <xvis/layers/layer.hpp>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace xvis {

struct OnnxAttribute {
    enum class Kind { integer, real, string, integers, reals, tensor, other };
    Kind kind = Kind::other;
    long long i = 0;
    double f = 0;
    std::string s;
    std::vector<long long> ints;
    std::vector<double> floats;
    TensorD t;          // Kind::tensor: the value (any numeric type, exact in double)
    int tensor_type = 0;  // Kind::tensor: its ONNX element type (see OnnxType)
};

// One input of a node: a layer output (`node` valid), a float initializer (`constant` set) or absent (ONNX's
// empty name for a skipped optional input).
struct OnnxInput {
    std::string name;
    Node node;
    const Tensor* constant = nullptr;
    bool present() const { return !name.empty(); }
};

// The decoded attributes of one ONNX node, with typed accessors; shared by both importers' node views.
class OnnxAttributes {
public:
    std::string op_type, name;  // name: the node's, or "<op_type>_<index>" when it has none
    std::map<std::string, OnnxAttribute> attributes;

    bool has(const std::string& attr) const { return attributes.count(attr) != 0; }
    // Typed attribute or `fallback` when absent; a present attribute of another type fails.
    long long attr_int(const std::string& attr, long long fallback) const;
    double attr_float(const std::string& attr, double fallback) const;
    std::string attr_string(const std::string& attr, const std::string& fallback) const;
    std::vector<long long> attr_ints(const std::string& attr, const std::vector<long long>& fallback) const;
    std::vector<double> attr_floats(const std::string& attr, const std::vector<double>& fallback) const;
    // A tensor attribute (Constant's value, ConstantOfShape's value); fails when absent.
    const OnnxAttribute& attr_tensor(const std::string& attr) const;
    // Throws std::runtime_error "node '<name>' (<op_type>): <what>" (the importer prefixes the path).
    [[noreturn]] void fail(const std::string& what) const;
};

class OnnxImportNode : public OnnxAttributes {
public:
    std::string doc_string;     // xvis writes "xvis.layer=<class>" on Identity nodes (Dropout or linear Activation)
    std::vector<OnnxInput> inputs;
    int opset = 13;  // of the default domain
    // Set by load_onnx's fusions: an activation node "<name>/..." that followed this Conv / Gemm / MatMul; the
    // bias of an Add that followed a MatMul; a Flatten that followed a GlobalAveragePool.
    ActivationKind activation = ActivationKind::linear;
    const Tensor* fused_bias = nullptr;
    bool fused_flatten = false;

    // Input i as a layer output / a float initializer; fails (naming the input) when it is not one.
    const Node& data(std::size_t i) const;
    const Tensor& constant(std::size_t i) const;
    bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i].present(); }
};

struct OnnxLayer {
    LayerPtr layer;
    std::vector<std::pair<std::string, Tensor>> weights;  // weight name → value, copied after the first build
};

using OnnxLayerBuilder = std::function<OnnxLayer(const OnnxImportNode&)>;

// The table load_onnx uses (ONNX op type → builder); add entries to import more ops.
std::map<std::string, OnnxLayerBuilder>& onnx_layer_builders();

}  // namespace xvis
