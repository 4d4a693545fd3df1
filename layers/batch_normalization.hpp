#pragma once
// Keras BatchNormalization at inference: y = gamma · (x − moving_mean) / sqrt(moving_variance + epsilon) + beta
// per channel (axis 1 for channels_first, the last axis for channels_last; rank 2: the features).
#include <xvis/layers/layer.hpp>

namespace xvis {

class BatchNormalization : public Layer {
public:
    // epsilon > 0, else std::invalid_argument naming the layer.
    explicit BatchNormalization(double epsilon = 1e-3, DataFormat format = DataFormat::channels_first, std::string name = {});
    std::string class_name() const override { return "BatchNormalization"; }
    LayerNodes build(const std::vector<Node>& inputs, const BuildContext& ctx) override;

    // Configuration (read by the ONNX writer): epsilon exactly as given (the graph only holds it rounded into
    // an add_scalar), and the data format that picks the channel axis.
    double epsilon() const { return epsilon_; }
    DataFormat data_format() const { return format_; }

private:
    double epsilon_;
    DataFormat format_;
};

}  // namespace xvis
