#pragma once
// ONNX TensorProto element types: what load_onnx_tensor reports and what import builders see (onnx_ops.hpp).
// Apart from the builder API so that reading a tensor file does not pull in the extension point.
#include <string>

namespace xvis {

// Same numbers as onnx.proto. Graphs compute in float32; integer and bool values are exact as long as they fit
// in float's 24-bit mantissa (constant folding runs in double).
enum class OnnxType : int {
    undefined = 0, float32 = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, string = 8,
    boolean = 9, float16 = 10, float64 = 11, uint32 = 12, uint64 = 13, bfloat16 = 16
};
bool is_integral(OnnxType t);  // integers and bool
std::string to_string(OnnxType t);

}  // namespace xvis
