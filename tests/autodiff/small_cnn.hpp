#pragma once
// A small CNN shared by the gradient and function tests:
//   conv2d 3x3 pad 1 (2→3 channels) + bias → relu → max_pool 2x2/2 → flatten → matmul (27→4) + bias
//   → softmax cross-entropy against fixed one-hot labels.
// Image [1, 2, 6, 6]. The weights are whatever nodes the caller passes: parameters for the real use,
// placeholders for a double-precision gradient check w.r.t. the weights.
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/random.hpp>

#include <memory>
#include <vector>

namespace xvis::test {

struct SmallCnnShapes {
    Shape image{1, 2, 6, 6}, w1{3, 2, 3, 3}, b1{1, 3, 1, 1}, w2{27, 4}, b2{4}, logits{1, 4};
};

// Inputs then weights: image, w1, b1, w2, b2.
inline Node small_cnn_loss(const Node& image, const Node& w1, const Node& b1, const Node& w2, const Node& b2) {
    kernels::Conv2dParams conv;
    conv.pad_top = conv.pad_bottom = conv.pad_left = conv.pad_right = 1;
    kernels::Pool2dParams pool;  // 2x2 stride 2
    const Node h = relu(add(conv2d(image, w1, conv), b1));
    const Node logits = add(matmul(flatten(max_pool2d(h, pool)), w2), b2);
    const TensorD labels({1, 4}, {0.0, 0.0, 1.0, 0.0});
    return softmax_cross_entropy(logits, constant(labels, "labels"));
}

// Seeded values for image, w1, b1, w2, b2 (in that order).
inline std::vector<TensorD> small_cnn_values(std::uint64_t seed = 7) {
    const SmallCnnShapes s;
    return {random_uniform<double>(s.image, -1.0, 1.0, seed), random_uniform<double>(s.w1, -0.5, 0.5, seed + 1),
            random_uniform<double>(s.b1, -0.1, 0.1, seed + 2), random_uniform<double>(s.w2, -0.5, 0.5, seed + 3),
            random_uniform<double>(s.b2, -0.1, 0.1, seed + 4)};
}

// The weights as parameters (float storage shared with the caller), with their storage.
struct SmallCnnParams {
    std::vector<std::shared_ptr<Tensor>> storage;  // w1, b1, w2, b2
    std::vector<Node> nodes;                       // parameters w1, b1, w2, b2
};
inline SmallCnnParams small_cnn_params(const std::vector<TensorD>& values) {
    SmallCnnParams p;
    const char* names[] = {"w1", "b1", "w2", "b2"};
    for (std::size_t i = 0; i < 4; ++i) {
        p.storage.push_back(std::make_shared<Tensor>(values[i + 1].cast<float>()));
        p.nodes.push_back(parameter(p.storage.back(), names[i]));
    }
    return p;
}

}  // namespace xvis::test
