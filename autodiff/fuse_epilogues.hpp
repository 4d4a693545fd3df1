#pragma once
// Epilogue fusion, a graph rewrite that compile() applies (CompileOptions::fuse_epilogues): a convolution and
// the element-wise steps after it become one step that finishes its output in place.
//   relu(conv2d(x, w) + bias + residual)    → conv2d_fused(x, w, bias, residual, relu)   (any of the three)
//   act_vjp(aux, conv2d_backward_data(dy, w) + residual) → conv2d_backward_data_fused(dy, w, residual, aux, act)
//   (act_vjp: relu_grad with slope 0, clip_grad, silu_grad or gelu_grad; the residual add is optional)
// bias: a [K, 1, 1] or [1, K, 1, 1] operand of add; residual: an operand of the output's shape (either side of
// add). ReLU's VJP reads its mask from the ReLU's output instead of its input (y > 0 exactly where x > 0), so a
// forward pre-activation that only the ReLU and its VJP read is not kept. A node is only fused away when the
// chain is its only reader and it is not among `outputs`: every output keeps its value, bit for bit (the fused
// kernels do the same float operations in the same order, tensor/conv2d_epilogue.hpp).
#include <xvis/autodiff/node.hpp>

#include <vector>

namespace xvis {

// The outputs of the rewritten graph, one per output (the same node where nothing under it changed).
std::vector<Node> fuse_epilogues(const std::vector<Node>& outputs);

}  // namespace xvis
