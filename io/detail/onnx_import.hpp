#pragma once
// Internal: the graph importer on an already parsed model (load_onnx parses once, then picks the reader), and
// save_onnx's writer of imported models (io/onnx_writer_import.cpp, io/onnx_writer_tensor.cpp).
#include <xvis/io/detail/onnx_proto.hpp>
#include <xvis/io/onnx.hpp>

#include <map>
#include <string>

namespace xvis::detail {

// Frees each initializer's protobuf bytes once copied, so the weights exist once in memory. `call` prefixes
// every message ("<call>: '<path>': ...").
Model import_onnx_model(onnx::ModelProto& model, const std::string& path, const OnnxImportOptions& options, const std::string& call);

struct ImportContext;

// The import that `model`'s layers came from, or nullptr for a model of Keras-style layers. Throws
// std::invalid_argument "save_onnx: ..." naming the layer when imported layers are mixed with Keras-style
// layers or with the layers of another import.
const ImportContext* imported_context(const Model& model);

// Writes an imported model into `m`: the file's IR version and opset imports, the graph inputs and outputs as
// the file declared them, one node per imported node (an activation replaced by set_activation as the op it
// now is), and the initializers the nodes read, each once. Throws std::invalid_argument naming the node when
// one cannot be written; `m` is then incomplete and must not be saved.
void write_imported_model(const Model& model, const ImportContext& ctx, onnx::ModelProto& m);

// `data` (shape_size(shape) values) as a TensorProto of element type `type` in raw_data (little-endian):
// float32 / float64 / float16 / bfloat16 rounded to nearest, integer types from whole numbers (saturating at
// the type's range), bool as 0 / 1. Other types throw std::invalid_argument "save_onnx: <what>: ...".
template <class T>
void encode_tensor(onnx::TensorProto& t, const std::string& name, const Shape& shape, OnnxType type, const T* data, const std::string& what);

// One node: inputs, outputs, name, op type, domain (when not empty) and every attribute with its ONNX type
// (OnnxAttribute::Kind::other ones from `raw`, their serialized AttributeProto). Throws std::invalid_argument
// naming the node and the attribute when one cannot be written.
void encode_node(onnx::NodeProto& out, const OnnxOpNode& n, const std::string& domain, const std::map<std::string, std::string>& raw);

}  // namespace xvis::detail
