#pragma once
// Keras MaxPooling2D, AveragePooling2D (pool_size, strides = pool_size by default, padding valid / same;
// "same" padding never wins a max and is not counted in an average, as TensorFlow) and GlobalAveragePooling2D
// ([N, C, H, W] or [N, H, W, C] → [N, C]).
#include <xvis/layers/layer.hpp>
#include <xvis/layers/padding.hpp>

#include <array>

namespace xvis {

class Pooling2D : public Layer {
public:
    std::optional<ActivationKind> activation() const override { return std::nullopt; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;

    // Configuration (read by the ONNX writer): max or average, window, strides (pool_size when {0, 0} was
    // given), padding and data format.
    bool is_max() const { return max_; }
    std::array<std::size_t, 2> pool_size() const { return pool_; }
    std::array<std::size_t, 2> strides() const { return strides_; }
    Padding padding() const { return padding_; }
    DataFormat data_format() const { return format_; }

protected:
    // pool_size and strides >= 1 (strides {0, 0}: pool_size), else std::invalid_argument naming the layer.
    Pooling2D(bool is_max, std::array<std::size_t, 2> pool_size, std::array<std::size_t, 2> strides, Padding padding,
              DataFormat format, std::string name, const char* prefix);

private:
    bool max_;
    std::array<std::size_t, 2> pool_, strides_;
    Padding padding_;
    DataFormat format_;
};

class MaxPooling2D : public Pooling2D {
public:
    // strides {0, 0} = pool_size
    explicit MaxPooling2D(std::array<std::size_t, 2> pool_size = {2, 2}, std::array<std::size_t, 2> strides = {0, 0},
                          Padding padding = Padding::valid, DataFormat format = DataFormat::channels_first, std::string name = {})
        : Pooling2D(true, pool_size, strides, padding, format, std::move(name), "max_pooling2d") {}
    std::string class_name() const override { return "MaxPooling2D"; }
};

class AveragePooling2D : public Pooling2D {
public:
    explicit AveragePooling2D(std::array<std::size_t, 2> pool_size = {2, 2}, std::array<std::size_t, 2> strides = {0, 0},
                              Padding padding = Padding::valid, DataFormat format = DataFormat::channels_first, std::string name = {})
        : Pooling2D(false, pool_size, strides, padding, format, std::move(name), "average_pooling2d") {}
    std::string class_name() const override { return "AveragePooling2D"; }
};

class GlobalAveragePooling2D : public Layer {
public:
    explicit GlobalAveragePooling2D(DataFormat format = DataFormat::channels_first, std::string name = {})
        : Layer(std::move(name), "global_average_pooling2d"), format_(format) {}
    std::string class_name() const override { return "GlobalAveragePooling2D"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;
    DataFormat data_format() const { return format_; }

private:
    DataFormat format_;
};

}  // namespace xvis
