#pragma once
// Keras-style models the ONNX tests save and load: the ones tests/io/onnx.cpp has always used, and the ones
// tests/layers builds (rebuilt here: each test folder is its own executable).
#include <xvis/io/onnx.hpp>
#include <xvis/layers/batch_normalization.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/merge.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/tensor/random.hpp>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xvis::test {

using K2 = std::array<std::size_t, 2>;

inline Model sequential_cnn() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{1, 12, 12}, "image"),
                              std::make_shared<Conv2D>(4, K2{3, 3}, ActivationKind::relu, Padding::same, "conv1"), std::make_shared<MaxPooling2D>(K2{2, 2}, K2{0, 0}, Padding::valid, DataFormat::channels_first, "pool1"),
                              std::make_shared<Conv2D>(6, K2{3, 3}, ActivationKind::relu, Padding::same, "conv2"), std::make_shared<MaxPooling2D>(K2{2, 2}, K2{0, 0}, Padding::valid, DataFormat::channels_first, "pool2"),
                              std::make_shared<Flatten>("flatten"), std::make_shared<Dense>(16, ActivationKind::relu, "fc1"),
                              std::make_shared<Dropout>(0.5, "dropout"), std::make_shared<Dense>(10, ActivationKind::softmax, "predictions")},
                             "seq_cnn", 3);
}

// Every layer class the format knows, in a DAG with two outputs.
inline Model functional_zoo() {
    Conv2DOptions o1;
    o1.strides = {2, 2};
    o1.padding = Padding::same;
    o1.activation = ActivationKind::leaky_relu;
    o1.name = "c1";
    Conv2DOptions o3;
    o3.padding = Padding::same;
    o3.groups = 2;
    o3.use_bias = false;
    o3.name = "c3";
    LayerRef in = Input({3, 8, 8}, "img");
    LayerRef c1 = (*std::make_shared<Conv2D>(4, K2{3, 3}, o1))(in);
    LayerRef bn = (*std::make_shared<BatchNormalization>(1e-3, DataFormat::channels_first, "bn"))(c1);
    LayerRef a1 = (*std::make_shared<Activation>(ActivationKind::tanh, "act_tanh"))(bn);
    LayerRef c2 = (*std::make_shared<Conv2D>(4, K2{1, 1}, ActivationKind::sigmoid, Padding::valid, "c2"))(a1);
    LayerRef sum = (*std::make_shared<Add>("sum"))({a1, c2});
    LayerRef sum3 = (*std::make_shared<Add>("sum3"))({sum, c2, a1});
    LayerRef c3 = (*std::make_shared<Conv2D>(2, K2{3, 3}, o3))(sum3);
    LayerRef cat = (*std::make_shared<Concatenate>(1, "cat"))({sum, c3});
    LayerRef avg = (*std::make_shared<AveragePooling2D>(K2{3, 3}, K2{2, 2}, Padding::same, DataFormat::channels_first, "avg"))(cat);
    LayerRef mp = (*std::make_shared<MaxPooling2D>(K2{2, 2}, K2{1, 1}, Padding::valid, DataFormat::channels_first, "mp"))(cat);
    LayerRef gap = (*std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_first, "gap"))(avg);
    LayerRef flat = (*std::make_shared<Flatten>("flat"))(mp);
    LayerRef cat2 = (*std::make_shared<Concatenate>(-1, "cat2"))({gap, flat});
    LayerRef d1 = (*std::make_shared<Dense>(5, ActivationKind::relu, "d1", false))(cat2);
    LayerRef lin = (*std::make_shared<Activation>(ActivationKind::linear, "lin"))(d1);
    LayerRef out = (*std::make_shared<Dense>(3, ActivationKind::softmax, "out"))(lin);
    return Model({in}, {out, c3}, "zoo", 5);
}

// Dense over the last axis of a rank-3 input: MatMul + Add in ONNX.
inline Model dense_rank3() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{4, 6}, "seq"), std::make_shared<Dense>(5, ActivationKind::sigmoid, "proj"),
                              std::make_shared<Dense>(2, ActivationKind::linear, "proj2", false), std::make_shared<Flatten>("fl"),
                              std::make_shared<Dense>(3, ActivationKind::linear, "head")},
                             "rank3", 1);
}

// Nonzero, non-trivial weights everywhere (biases and BatchNormalization statistics start at 0 / 1).
inline void randomize(Model& m) {
    std::uint64_t seed = 100;
    for (const auto& l : m.layers())
        for (const auto& w : l->weights()) {
            fill_uniform(*w.value, w.name == "moving_variance" ? 0.5 : -0.5, 1.0, seed++);
        }
}

// tests/layers/model.cpp's w1: the Fashion-MNIST CNN with automatic layer names.
inline Model layers_w1(std::uint64_t seed = 0) {
    return Model::sequential({std::make_shared<InputLayer>(Shape{1, 28, 28}, "image"),
                              std::make_shared<Conv2D>(32, K2{3, 3}, ActivationKind::relu, Padding::same, "conv1"), std::make_shared<MaxPooling2D>(),
                              std::make_shared<Conv2D>(64, K2{3, 3}, ActivationKind::relu, Padding::same, "conv2"), std::make_shared<MaxPooling2D>(),
                              std::make_shared<Flatten>(), std::make_shared<Dense>(128, ActivationKind::relu, "fc1"), std::make_shared<Dropout>(0.5),
                              std::make_shared<Dense>(10, ActivationKind::softmax, "predictions")},
                             "w1", seed);
}

// tests/layers/model.cpp's one-Dense model.
inline Model layers_single_dense() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{2}), std::make_shared<Dense>(1, ActivationKind::linear, "d")}, "single_dense");
}

// tests/layers/model.cpp's DAG with Add and Concatenate.
inline Model layers_dag() {
    LayerRef in = Input({2, 6, 6}, "in");
    LayerRef x1 = (*std::make_shared<Conv2D>(4, K2{3, 3}, ActivationKind::relu, Padding::same, "a"))(in);
    LayerRef x2 = (*std::make_shared<Conv2D>(4, K2{1, 1}, ActivationKind::linear, Padding::valid, "b"))(x1);
    LayerRef sum = (*std::make_shared<Add>("sum"))({x1, x2});
    LayerRef cat = (*std::make_shared<Concatenate>(1, "cat"))({sum, x1});
    LayerRef out = (*std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_first, "gap"))(cat);
    return Model({in}, {out}, "dag", 5);
}

// tests/layers/model.cpp's channels_first half of ChannelsLastMatchesChannelsFirst: strided, dilated "same"
// convolution and "same" pooling on an odd size (uneven pads).
inline Model layers_strided_same() {
    Conv2DOptions o;
    o.strides = {2, 1};
    o.dilation = {1, 2};
    o.padding = Padding::same;
    o.activation = ActivationKind::tanh;
    return Model::sequential({std::make_shared<InputLayer>(Shape{3, 7, 7}), std::make_shared<Conv2D>(5, K2{3, 3}, o),
                              std::make_shared<MaxPooling2D>(K2{2, 2}, K2{0, 0}, Padding::same),
                              std::make_shared<AveragePooling2D>(K2{3, 2}, K2{1, 2}, Padding::same)},
                             "strided_same", 2);
}

// tests/layers/model.cpp's BatchNormalization on a rank-4 input, with an epsilon float32 cannot hold exactly.
inline Model layers_batch_norm(double epsilon = 1e-3) {
    return Model::sequential({std::make_shared<InputLayer>(Shape{2, 1, 2}), std::make_shared<BatchNormalization>(epsilon, DataFormat::channels_first, "bn")},
                             "bn_model");
}

// Every Keras-style model above, by name (randomized: biases and statistics away from their defaults).
inline std::vector<std::pair<std::string, Model>> keras_test_models() {
    std::vector<std::pair<std::string, Model>> models{{"sequential_cnn", sequential_cnn()}, {"functional_zoo", functional_zoo()},
                                                      {"dense_rank3", dense_rank3()},       {"layers_w1", layers_w1(3)},
                                                      {"layers_single_dense", layers_single_dense()}, {"layers_dag", layers_dag()},
                                                      {"layers_strided_same", layers_strided_same()}, {"layers_batch_norm", layers_batch_norm()}};
    for (auto& [name, m] : models) randomize(m);
    return models;
}

}  // namespace xvis::test
