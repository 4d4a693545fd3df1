#pragma once
// ONNX model files (opset 13, IR version 7). What save_onnx writes, load_onnx reads back bit for bit.
//
// Written graph: one graph input per InputLayer, named after it, of shape ["batch", shape_without_batch...]
// (a dynamic batch dimension); weights as float32 initializers in raw_data named "<layer>/<weight>"; every
// layer's output value named after the layer. Layers map to nodes named after the layer:
//   Conv2D → Conv (+ activation node "<layer>/<activation>")     Dense → Gemm (rank-2 input) or MatMul + Add
//   MaxPooling2D → MaxPool    AveragePooling2D → AveragePool (count_include_pad = 0)
//   GlobalAveragePooling2D → GlobalAveragePool + Flatten "<layer>/flatten" (ONNX keeps the 1×1 spatial axes)
//   Flatten → Flatten   Dropout → Identity   Activation → Relu / Sigmoid / Tanh / Softmax / LeakyRelu / Identity
//   BatchNormalization → BatchNormalization   Add → Add (Sum for more than two inputs)   Concatenate → Concat
// Padding is written as explicit pads; model name, "sequential"/"functional" and the data format go to
// metadata_props (xvis.model_name, xvis.model_kind, xvis.data_format).
//
// Only channels_first models are supported: saving a channels_last layer or loading a file whose
// xvis.data_format is not channels_first throws (ONNX's Conv and pooling are NCHW).
#include <xvis/layers/model.hpp>

#include <string>
#include <vector>

namespace xvis {

// Writes `model` to `path` whole or not at all (a temporary file in the same directory, renamed over `path`
// once complete; a failure leaves an existing file untouched). Throws std::invalid_argument naming the layer
// for layers with no ONNX form (channels_last, unknown layer classes); std::runtime_error naming the path when
// the file cannot be written.
void save_onnx(const Model& model, const std::string& path);

// Reads an ONNX model into a Model with the same layer names, activations and weights (built for batch 1).
// Nodes are translated through a table from op type to layer builder (see onnx_supported_ops()); an
// activation node named "<producer>/<anything>" right after a Conv / Gemm / MatMul is fused into that layer's
// activation, MatMul + Add(bias) becomes one Dense, GlobalAveragePool + Flatten one GlobalAveragePooling2D.
// Throws std::runtime_error naming the path and the problem: missing file, not an ONNX model, unsupported op
// (naming the op type and the node), attributes xvis cannot represent (naming the node), non-float weights.
Model load_onnx(const std::string& path);

// The ONNX op types load_onnx can translate, sorted.
std::vector<std::string> onnx_supported_ops();

}  // namespace xvis
