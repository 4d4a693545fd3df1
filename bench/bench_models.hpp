#pragma once
// The benchmark networks of performance-targets.md, built with xvis's Keras-style layers (random weights).
#include <xvis/xvis.hpp>

#include <memory>
#include <string>

namespace xvis::bench {

inline std::shared_ptr<Conv2D> conv(std::size_t filters, std::size_t k, std::size_t stride, const std::string& act,
                                    const std::string& name, bool bias = true) {
    Conv2DOptions o;
    o.strides = {stride, stride};
    o.padding = "same";
    o.activation = act;
    o.use_bias = bias;
    o.name = name;
    return std::make_shared<Conv2D>(filters, std::array<std::size_t, 2>{k, k}, o);
}

// W1: the Fashion-MNIST CNN (8.5 MFLOP forward per image).
inline Model fashion_cnn() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{1, 28, 28}), conv(32, 3, 1, "relu", "conv1"),
                              std::make_shared<MaxPooling2D>(), conv(64, 3, 1, "relu", "conv2"), std::make_shared<MaxPooling2D>(),
                              std::make_shared<Flatten>(), std::make_shared<Dense>(128, "relu", "fc1"),
                              std::make_shared<Dense>(10, "linear", "logits")},
                             "fashion_cnn", 1);
}

// W2: VGG-mini on 3×64×64.
inline Model vgg_mini() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{3, 64, 64}), conv(64, 3, 1, "relu", "b1c1"), conv(64, 3, 1, "relu", "b1c2"),
                              std::make_shared<MaxPooling2D>(), conv(128, 3, 1, "relu", "b2c1"), conv(128, 3, 1, "relu", "b2c2"),
                              std::make_shared<MaxPooling2D>(), conv(256, 3, 1, "relu", "b3c1"), conv(256, 3, 1, "relu", "b3c2"),
                              std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(),
                              std::make_shared<Dense>(256, "relu", "fc"), std::make_shared<Dense>(10, "linear", "out")},
                             "vgg_mini", 1);
}

// W3: ResNet-18 in torchvision's layout (BasicBlocks, batch norm after each conv, 1×1 stride-2 downsampling).
inline Model resnet18() {
    int id = 0;
    auto bn = [&](LayerRef x) { return (*std::make_shared<BatchNormalization>(1e-5, DataFormat::channels_first, "bn" + std::to_string(id++)))(x); };
    auto relu = [&](LayerRef x, std::string name = {}) {
        return (*std::make_shared<Activation>("relu", name.empty() ? "relu" + std::to_string(id++) : name))(x);
    };
    LayerRef in = Input({3, 224, 224}, "image");
    LayerRef x = relu(bn((*conv(64, 7, 2, "linear", "conv1", false))(in)));
    x = (*std::make_shared<MaxPooling2D>(std::array<std::size_t, 2>{3, 3}, std::array<std::size_t, 2>{2, 2}, "same"))(x);
    std::size_t channels = 64;
    for (int stage = 0; stage < 4; ++stage) {
        const std::size_t width = 64u << stage;
        for (int block = 0; block < 2; ++block) {
            const std::size_t stride = stage > 0 && block == 0 ? 2 : 1;
            const std::string name = "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
            LayerRef y = relu(bn((*conv(width, 3, stride, "linear", name + ".conv1", false))(x)));
            y = bn((*conv(width, 3, 1, "linear", name + ".conv2", false))(y));
            LayerRef shortcut = x;
            if (stride != 1 || channels != width) shortcut = bn((*conv(width, 1, stride, "linear", name + ".downsample", false))(x));
            x = relu((*std::make_shared<Add>(name + ".add"))({y, shortcut}), name + ".out");
            channels = width;
        }
    }
    x = (*std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_first, "avgpool"))(x);
    x = (*std::make_shared<Dense>(1000, "linear", "fc"))(x);
    return Model({in}, {x}, "resnet18", 1);
}

}  // namespace xvis::bench
