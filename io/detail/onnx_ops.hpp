#pragma once
// Internal: the files that fill onnx_op_builders(), one per family of ops (not installed).
#include <xvis/io/onnx_ops.hpp>

namespace xvis::detail {

using OnnxOpTable = std::map<std::string, OnnxOpBuilder>;
void register_onnx_elementwise_ops(OnnxOpTable& table);  // io/onnx_ops_elementwise.cpp
void register_onnx_nn_ops(OnnxOpTable& table);           // io/onnx_ops_nn.cpp
void register_onnx_shape_ops(OnnxOpTable& table);        // io/onnx_ops_shape.cpp
void register_onnx_constant_ops(OnnxOpTable& table);     // io/onnx_ops_constant.cpp

// A shape from import-time values: no negative extent and at most n.max_elements in all (fails naming `what`).
Shape onnx_shape(const OnnxOpNode& n, const std::vector<std::int64_t>& dims, const char* what);
void register_onnx_pool_ops(OnnxOpTable& table);         // io/onnx_ops_pool.cpp (called by register_onnx_nn_ops)

// Window helpers shared by the conv and pooling builders (io/onnx_ops_nn.cpp): 1-D ops run as 2-D with H = 1.
Node onnx_as_2d(const Node& x);                       // [N, C, W] → [N, C, 1, W]; rank 4 unchanged
Node onnx_from_2d(const Node& y, std::size_t dims);   // back to `dims` spatial axes
std::size_t onnx_hw(const std::vector<long long>& v, std::size_t i, long long fill);
// ONNX pads [x1_begin, x2_begin, x1_end, x2_end] (1-D: [begin, end], as H = 1) as the four 2-D sides.
struct OnnxPads2d {
    std::size_t top, left, bottom, right;
};
OnnxPads2d onnx_pads_2d(const std::vector<long long>& pads);
// Explicit [top, left, bottom, right]-style pads from pads / auto_pad for a window of `span` and `strides`.
std::vector<long long> onnx_window_pads(const OnnxOpNode& n, const Shape& x, const std::vector<long long>& span,
                                        const std::vector<long long>& strides);

}  // namespace xvis::detail
