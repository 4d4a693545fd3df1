#include <xvis/layers/batch_normalization.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/merge.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/models/architectures.hpp>

#include <stdexcept>

namespace xvis {

namespace {

std::shared_ptr<Conv2D> conv(std::size_t filters, std::size_t k, std::size_t stride, ActivationKind act, const std::string& name,
                             bool bias = true) {
    Conv2DOptions o;
    o.strides = {stride, stride};
    o.padding = Padding::same;
    o.activation = act;
    o.use_bias = bias;
    o.name = name;
    return std::make_shared<Conv2D>(filters, std::array<std::size_t, 2>{k, k}, o);
}

}  // namespace

Model fashion_cnn(std::uint64_t seed) {
    return Model::sequential({std::make_shared<InputLayer>(Shape{1, 28, 28}, "image"), conv(32, 3, 1, ActivationKind::relu, "conv1"),
                              std::make_shared<MaxPooling2D>(std::array<std::size_t, 2>{2, 2}, std::array<std::size_t, 2>{0, 0},
                                                             Padding::valid, DataFormat::channels_first, "pool1"),
                              conv(64, 3, 1, ActivationKind::relu, "conv2"),
                              std::make_shared<MaxPooling2D>(std::array<std::size_t, 2>{2, 2}, std::array<std::size_t, 2>{0, 0},
                                                             Padding::valid, DataFormat::channels_first, "pool2"),
                              std::make_shared<Flatten>("flatten"), std::make_shared<Dense>(128, ActivationKind::relu, "fc1"),
                              std::make_shared<Dense>(10, ActivationKind::linear, "logits")},
                             "fashion_cnn", seed);
}

Model mlp(std::uint64_t seed) {
    return Model::sequential({std::make_shared<InputLayer>(Shape{1, 28, 28}, "image"), std::make_shared<Flatten>("flatten"),
                              std::make_shared<Dense>(256, ActivationKind::relu, "fc1"), std::make_shared<Dense>(10, ActivationKind::linear, "logits")},
                             "mlp", seed);
}

Model vgg_mini(std::uint64_t seed) {
    auto pool = [](const char* name) {
        return std::make_shared<MaxPooling2D>(std::array<std::size_t, 2>{2, 2}, std::array<std::size_t, 2>{0, 0}, Padding::valid,
                                              DataFormat::channels_first, name);
    };
    return Model::sequential({std::make_shared<InputLayer>(Shape{3, 64, 64}, "image"), conv(64, 3, 1, ActivationKind::relu, "b1c1"),
                              conv(64, 3, 1, ActivationKind::relu, "b1c2"), pool("pool1"), conv(128, 3, 1, ActivationKind::relu, "b2c1"),
                              conv(128, 3, 1, ActivationKind::relu, "b2c2"), pool("pool2"), conv(256, 3, 1, ActivationKind::relu, "b3c1"),
                              conv(256, 3, 1, ActivationKind::relu, "b3c2"), pool("pool3"), std::make_shared<Flatten>("flatten"),
                              std::make_shared<Dense>(256, ActivationKind::relu, "fc"), std::make_shared<Dense>(10, ActivationKind::linear, "out")},
                             "vgg_mini", seed);
}

Model resnet18(std::uint64_t seed) {
    int id = 0;
    auto bn = [&](LayerRef x) {
        return (*std::make_shared<BatchNormalization>(1e-5, DataFormat::channels_first, "bn" + std::to_string(id++)))(x);
    };
    auto relu = [&](LayerRef x, const std::string& name) { return (*std::make_shared<Activation>(ActivationKind::relu, name))(x); };
    LayerRef in = Input({3, 224, 224}, "image");
    LayerRef x = relu(bn((*conv(64, 7, 2, ActivationKind::linear, "conv1", false))(in)), "relu");
    x = (*std::make_shared<MaxPooling2D>(std::array<std::size_t, 2>{3, 3}, std::array<std::size_t, 2>{2, 2}, Padding::same,
                                         DataFormat::channels_first, "maxpool"))(x);
    std::size_t channels = 64;
    for (int stage = 0; stage < 4; ++stage) {
        const std::size_t width = 64u << stage;
        for (int block = 0; block < 2; ++block) {
            const std::size_t stride = stage > 0 && block == 0 ? 2 : 1;
            const std::string name = "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
            LayerRef y = relu(bn((*conv(width, 3, stride, ActivationKind::linear, name + ".conv1", false))(x)), name + ".relu");
            y = bn((*conv(width, 3, 1, ActivationKind::linear, name + ".conv2", false))(y));
            LayerRef shortcut = x;
            if (stride != 1 || channels != width) shortcut = bn((*conv(width, 1, stride, ActivationKind::linear, name + ".downsample", false))(x));
            x = relu((*std::make_shared<Add>(name + ".add"))({y, shortcut}), name + ".out");
            channels = width;
        }
    }
    x = (*std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_first, "avgpool"))(x);
    x = (*std::make_shared<Dense>(1000, ActivationKind::linear, "fc"))(x);
    return Model({in}, {x}, "resnet18", seed);
}

std::vector<std::string> architecture_names() { return {"fashion_cnn", "mlp", "vgg_mini", "resnet18"}; }

Model make_architecture(const std::string& name, std::uint64_t seed) {
    if (name == "fashion_cnn") return fashion_cnn(seed);
    if (name == "mlp") return mlp(seed);
    if (name == "vgg_mini") return vgg_mini(seed);
    if (name == "resnet18") return resnet18(seed);
    throw std::invalid_argument("make_architecture: unknown architecture '" + name + "' (choices: fashion_cnn, mlp, vgg_mini, resnet18)");
}

}  // namespace xvis
