#pragma once
// Internal: the graph importer on an already parsed model (load_onnx parses once, then picks the reader).
#include <xvis/io/detail/onnx_proto.hpp>
#include <xvis/io/onnx.hpp>

namespace xvis::detail {

// Frees each initializer's protobuf bytes once copied, so the weights exist once in memory. `call` prefixes
// every message ("<call>: '<path>': ...").
Model import_onnx_model(onnx::ModelProto& model, const std::string& path, const OnnxImportOptions& options, const std::string& call);

}  // namespace xvis::detail
