#pragma once
// keras-vis visualize_activation: synthesizes the input that maximizes a layer's filters (or classes).
// Losses: ActivationMaximization(layer, filter_indices) · act_max_weight + LPNorm(input, p 6) · lp_norm_weight
// + TotalVariation(input, β 2) · tv_weight, minimized with the keras-vis Optimizer. Every sample of a batch
// seed is optimized and returned (keras-vis returns sample 0 only).
#include <xvis/layers/model.hpp>
#include <xvis/visualization/backprop_modifier_kind.hpp>
#include <xvis/visualization/explainer.hpp>
#include <xvis/optimizer/optimizer.hpp>

#include <memory>
#include <optional>
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
    std::optional<DataFormat> data_format;  // of the model's input and of the layer; default: the model's
    BackpropModifier backprop_modifier = BackpropModifier::none;
};

// Activation maximization as an object: the losses, their gradient and the optimizer are built once for
// (model, layer, filters, input shape [N, ...input], options), then run from seed after seed.
class ActivationMaximizer {
public:
    ActivationMaximizer(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape,
                        VisualizeActivationOptions options = {});
    // Optimizes from `seed_input` (input_shape, or one sample without the batch axis; none: options.seed_input,
    // else the random image of options.seed). result.image: [N, spatial..., C] in input_range. After the first
    // call nothing is allocated (with allocation-free modifiers and callbacks).
    const MinimizeResult& operator()(const std::optional<Tensor>& seed_input = std::nullopt);
    const MinimizeResult& operator()(const Tensor& seed_input);
    const MinimizeResult& result() const { return result_; }
    const std::vector<std::string>& loss_names() const { return optimizer_->loss_names(); }
    const Shape& input_shape() const { return input_shape_; }

private:
    Shape input_shape_;
    ModelGraph graph_;
    VisualizeActivationOptions o_;
    std::unique_ptr<Optimizer> optimizer_;
    MinimizeResult result_;
};

// keras-vis visualize_activation. layer: index into model.layers() (negative from the end) or name. The batch
// is the seed's (1 without a seed). Returns the optimizer's result (result.image: [N, spatial..., C] in input_range).
MinimizeResult visualize_activation(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices,
                                    const VisualizeActivationOptions& options = {});

// Any weighted losses on the input (keras-vis visualize_activation_with_losses); wrt defaults to the input.
MinimizeResult visualize_activation_with_losses(const Node& input, const WeightedLosses& losses,
                                                const VisualizeActivationOptions& options = {}, const Node& wrt = {});

}  // namespace xvis
