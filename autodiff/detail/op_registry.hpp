#pragma once
// Internal: the per-file op-type lists that op_registry.cpp gathers. Each autodiff/ops_*.cpp defines its
// function next to its op classes, naming every type it can build (and only those).
#include <xvis/autodiff/op_registry.hpp>

namespace xvis::detail {

// "autodiff/ops_nn.cpp" from a __FILE__ path (the part from the last "autodiff/" on), so entries cannot go stale.
std::string autodiff_source(const char* file);

std::vector<OpTypeInfo> activation_grad_op_types();  // ops_activation_grad.cpp
std::vector<OpTypeInfo> clip_op_types();         // ops_clip.cpp
std::vector<OpTypeInfo> conv_fused_op_types();   // ops_conv_fused.cpp
std::vector<OpTypeInfo> elementwise_op_types();  // ops_elementwise.cpp
std::vector<OpTypeInfo> fused_op_types();        // ops_fused.cpp
std::vector<OpTypeInfo> gather_op_types();       // ops_gather.cpp
std::vector<OpTypeInfo> layout_op_types();       // ops_layout.cpp
std::vector<OpTypeInfo> nn_op_types();           // ops_nn.cpp
std::vector<OpTypeInfo> pad_op_types();          // ops_pad.cpp
std::vector<OpTypeInfo> pool_op_types();         // ops_pool.cpp
std::vector<OpTypeInfo> reduce_op_types();       // ops_reduce.cpp
std::vector<OpTypeInfo> resize_op_types();       // ops_resize.cpp

}  // namespace xvis::detail
