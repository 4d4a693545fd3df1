#pragma once
// Keras MaxPooling2D, AveragePooling2D (pool_size, strides = pool_size by default, padding valid / same;
// "same" padding never wins a max and is not counted in an average, as TensorFlow) and GlobalAveragePooling2D
// ([N, C, H, W] or [N, H, W, C] → [N, C]).
#include <xvis/layers/layer.hpp>

#include <array>

namespace xvis {

class Pooling2D : public Layer {
public:
    std::optional<ActivationKind> activation() const override { return std::nullopt; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;

protected:
    Pooling2D(bool is_max, std::array<std::size_t, 2> pool_size, std::array<std::size_t, 2> strides, std::string padding,
              DataFormat format, std::string name, const char* prefix);

private:
    bool max_;
    std::array<std::size_t, 2> pool_, strides_;
    std::string padding_;
    DataFormat format_;
};

class MaxPooling2D : public Pooling2D {
public:
    // strides {0, 0} = pool_size
    explicit MaxPooling2D(std::array<std::size_t, 2> pool_size = {2, 2}, std::array<std::size_t, 2> strides = {0, 0},
                          std::string padding = "valid", DataFormat format = DataFormat::channels_first, std::string name = {})
        : Pooling2D(true, pool_size, strides, std::move(padding), format, std::move(name), "max_pooling2d") {}
    std::string class_name() const override { return "MaxPooling2D"; }
};

class AveragePooling2D : public Pooling2D {
public:
    explicit AveragePooling2D(std::array<std::size_t, 2> pool_size = {2, 2}, std::array<std::size_t, 2> strides = {0, 0},
                              std::string padding = "valid", DataFormat format = DataFormat::channels_first, std::string name = {})
        : Pooling2D(false, pool_size, strides, std::move(padding), format, std::move(name), "average_pooling2d") {}
    std::string class_name() const override { return "AveragePooling2D"; }
};

class GlobalAveragePooling2D : public Layer {
public:
    explicit GlobalAveragePooling2D(DataFormat format = DataFormat::channels_first, std::string name = {})
        : Layer(std::move(name), "global_average_pooling2d"), format_(format) {}
    std::string class_name() const override { return "GlobalAveragePooling2D"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;

private:
    DataFormat format_;
};

}  // namespace xvis
