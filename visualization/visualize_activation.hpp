#pragma once
// keras-vis visualize_activation: synthesizes the input that maximizes a layer's filters (or classes).
// Losses: ActivationMaximization(layer, filter_indices) · act_max_weight + LPNorm(input, p 6) · lp_norm_weight
// + TotalVariation(input, β 2) · tv_weight, minimized with the keras-vis Optimizer. Every sample of a batch
// seed is optimized and returned (keras-vis returns sample 0 only).
#include <xvis/layers/model.hpp>
#include <xvis/optimizer/optimizer.hpp>

#include <string>
#include <vector>

namespace xvis {

struct VisualizeActivationOptions : MinimizeOptions {
    InputRange input_range{0, 255};
    double act_max_weight = 1, lp_norm_weight = 10, tv_weight = 10;
    // Maximize the layer's pre-activation output (e.g. class logits instead of softmax probabilities, which
    // can be raised by lowering the other classes); keras-vis users swap the activation to linear instead,
    // which Model::set_activation also does.
    bool use_logits = false;
    DataFormat data_format = DataFormat::channels_first;  // of the model's input and of the layer
    std::string backprop_modifier;                        // "", "guided", "rectified" / "deconv"
};

// layer: index into model.layers() (negative from the end). The model is rebuilt for the seed's batch size
// when it differs. Returns the optimizer's result (result.image: [N, spatial..., C] in input_range).
MinimizeResult visualize_activation(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                                    const VisualizeActivationOptions& options = {});

// Any weighted losses on the input (keras-vis visualize_activation_with_losses); wrt defaults to the input.
MinimizeResult visualize_activation_with_losses(const Node& input, const WeightedLosses& losses,
                                                const VisualizeActivationOptions& options = {}, const Node& wrt = {});

}  // namespace xvis
