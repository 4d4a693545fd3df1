#pragma once
// ONNX model files. What save_onnx writes, load_onnx reads back exactly: write → read → write gives the same
// bytes, and the reloaded model computes the same bits.
//
// A model of Keras-style layers is written at opset 13, IR version 7: one graph input per InputLayer, named
// after it, of shape ["batch", shape_without_batch...] (a dynamic batch dimension); weights as float32
// initializers in raw_data named "<layer>/<weight>"; every layer's output value named after the layer. Layers
// map to nodes named after the layer, from their typed configuration:
//   Conv2D → Conv (+ activation node "<layer>/<activation>")     Dense → Gemm (rank-2 input) or MatMul + Add
//   MaxPooling2D → MaxPool    AveragePooling2D → AveragePool (count_include_pad = 0)
//   GlobalAveragePooling2D → GlobalAveragePool + Flatten "<layer>/flatten" (ONNX keeps the 1×1 spatial axes)
//   Flatten → Flatten   Dropout → Dropout (ratio input)   Activation → Relu / Sigmoid / Tanh / Softmax / LeakyRelu /
//   Identity   BatchNormalization → BatchNormalization   Add → Add (Sum for more than two inputs)
//   Concatenate → Concat
// Padding is written as explicit pads; model name, "sequential"/"functional" and the data format go to
// metadata_props (xvis.model_name, xvis.model_kind, xvis.data_format). Only channels_first models are
// supported: saving a channels_last layer or loading a file whose xvis.data_format is not channels_first
// throws (ONNX's Conv and pooling are NCHW).
//
// ONNX float attributes are float32: a double epsilon (BatchNormalization(1e-3)) or LeakyReLU alpha is
// rounded to float32 once, when written, and reads back as exactly that float.
#include <xvis/io/onnx_type.hpp>
#include <xvis/layers/model.hpp>

#include <map>

#include <string>
#include <vector>

namespace xvis {

// Writes `model` to `path` whole or not at all (a temporary file in the same directory, renamed over `path`
// once complete; a failure leaves an existing file untouched), with deterministic serialization.
// Keras-style models: as described above. Imported models (import_onnx, or load_onnx of a file xvis did not
// write): node by node as the file had them — op type, name, domain, inputs and outputs, every attribute with
// its ONNX type (types nothing reads, such as STRINGS, as their original bytes), the weights (each initializer
// once, under its name and original element type: float16 weights stay float16), integer initializers,
// graph inputs and outputs with their element types and dims ("batch", "N" stay symbolic), and the file's IR
// version and opset imports. An activation replaced by Model::set_activation is written as the op it now is
// (softmax → linear: Identity); inputs fixed by OnnxImportOptions::constant_inputs are written as constants.
// Nodes no output depends on, doc strings, value_info and metadata are not written; so the first save of an
// imported file may differ from it, but saving what load_onnx reads back gives the same bytes again.
// Throws std::invalid_argument "save_onnx: ..." naming the layer or node for what has no ONNX form
// (channels_last layers, unknown layer classes, Keras-style layers mixed with imported ones);
// std::runtime_error naming the path when the file cannot be written.
void save_onnx(const Model& model, const std::string& path);

struct OnnxImportOptions {
    // No tensor (initializer, input, constant, node output) may exceed this many elements: a small or corrupt
    // file cannot make the importer allocate gigabytes. 2^28 floats = 1 GiB.
    std::size_t max_tensor_elements = std::size_t(1) << 28;
    // Values computed at import (folded shape arithmetic, masks, ConstantOfShape, Range, Tile) are kept in
    // float and double: at most this many elements each (2^22 ≈ 50 MB).
    std::size_t max_constant_elements = std::size_t(1) << 22;
    // Graph inputs whose values are fixed at import (input name → value of the declared shape): they become
    // constants, so shapes, axes or indices fed as inputs fold like initializers. Unknown names fail.
    std::map<std::string, TensorD> constant_inputs;
};

// Imports any ONNX model (PyTorch's torch.onnx.export, tf2onnx, model zoos; opsets 11 to 17) op by op into
// the autodiff graph, so every model is differentiable. Each ONNX value that a node or the graph output uses
// becomes a layer named after the value ("/layer4/layer4.1/relu_1/Relu_output_0", "logits"); a node's name is
// an alias of its first output's layer. Layers appear in dependency order; class_name() is the op type.
// Graph inputs become InputLayers: the first input's dim 0 is the batch (symbolic, or the batch the model was
// exported with: the model is first built for that batch, and constant Reshape shapes baking it in follow the
// batch built); other inputs keep their shape unless their dim 0 is symbolic. Float initializers are weights
// (Model::weight(layer, initializer name)); integer initializers, Constant nodes and shape arithmetic are
// constants, folded at import. Imported activation nodes (Softmax, Sigmoid, Relu, ...) accept
// Model::set_activation (e.g. softmax → linear, as keras-vis does).
// Throws std::runtime_error "import_onnx: '<path>': ..." naming the node: every unsupported op type at once
// (count and first node each, and the opset), dangling inputs, cycles, shape errors, oversized tensors,
// external data outside the model's folder.
Model import_onnx(const std::string& path, const OnnxImportOptions& options = {});

// A serialized ONNX TensorProto (.pb, as in ONNX's test data), any numeric or bool type, as doubles; `type`
// (when given) receives its element type, `name` its name.
TensorD load_onnx_tensor(const std::string& path, OnnxType* type = nullptr, std::string* name = nullptr);

// Reads an ONNX model. Files written by save_onnx (metadata xvis.model_kind) come back as the same Keras-style
// layers; every other file is imported op by op with import_onnx.
// For xvis files: a Model with the same layer names, activations and weights (built for batch 1).
// Nodes are translated through a table from op type to layer builder (see onnx_supported_ops()); an
// activation node named "<producer>/<anything>" right after a Conv / Gemm / MatMul is fused into that layer's
// activation, MatMul + Add(bias) becomes one Dense, GlobalAveragePool + Flatten one GlobalAveragePooling2D.
// Throws std::runtime_error naming the path and the problem: missing file, not an ONNX model, unsupported op
// (naming the op type and the node), attributes xvis cannot represent (naming the node), non-float weights.
Model load_onnx(const std::string& path);

// The ONNX op types import_onnx (and so load_onnx) can translate, sorted.
std::vector<std::string> onnx_supported_ops();

}  // namespace xvis
