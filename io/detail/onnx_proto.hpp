#pragma once
// Internal: reading ONNX protobufs (model files, tensors, attributes) into xvis values. Shared by load_onnx's
// layer reader and import_onnx's graph importer. Includes protobuf types, so it is not installed.
#include <xvis/io/onnx_import.hpp>
#include <xvis/io/onnx_ops.hpp>

#include <onnx/onnx_pb.h>

#include <string>

namespace xvis::detail {

// Parses `path` into `model` without a second copy of the file in memory. Throws std::runtime_error
// "<call>: '<path>': ..." when the file is missing or not an ONNX model.
void read_onnx_model(const std::string& path, onnx::ModelProto& model, const std::string& call);

// Elements of a tensor's declared shape, checked: every dim >= 0 and the product below `max_elements`
// (throws naming the tensor otherwise, so a tiny file cannot ask for gigabytes).
std::size_t checked_elements(const onnx::TensorProto& t, std::size_t max_elements);
Shape tensor_shape(const onnx::TensorProto& t);

// The values of `t` (any numeric or bool type, raw_data or typed fields, or external data in a file beside
// the model in `model_dir`) converted to T. External locations must stay inside model_dir. `what` names the
// tensor in messages.
template <class T>
BasicTensor<T> decode_tensor(const onnx::TensorProto& t, const std::string& model_dir, std::size_t max_elements);

// Throws std::runtime_error "tensor '<name>' <shape>: element [i, j, ...] (flat index k) is nan ..." at the first
// NaN, and at the first ±inf too unless `allow_inf` (attention masks and clamp bounds hold -inf on purpose;
// a weight that multiplies the input never does). A bad weight would otherwise surface only as a NaN heat-map.
template <class T>
void check_finite(const T* values, std::size_t n, const Shape& shape, const std::string& name, bool allow_inf);

OnnxAttribute decode_attribute(const onnx::AttributeProto& a, const std::string& model_dir, std::size_t max_elements);

}  // namespace xvis::detail
