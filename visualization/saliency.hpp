#pragma once
// Gradient-based input attributions, all batch-aware (each sample of the seed is explained on its own).
//   Saliency      keras-vis visualize_saliency: grad_modifier(d score / d x), max over channels unless
//                 keepdims, normalized per sample to [0, 1]. score = the mean activation of the filters.
//   SmoothGrad    Smilkov et al., as tf-keras-vis: the gradient averaged over `samples` noisy copies
//                 x + N(0, σ²), σ = noise · (max − min of the sample), then as saliency.
//                 Defaults (tf-keras-vis): samples 20, noise 0.20. The noise restarts from options.seed at
//                 every call, so a call depends only on its input.
// Shapes: x [N, ...input] (the explainer's input_shape). Saliency / SmoothGrad return [N, spatial...]
// (keepdims: x's shape); for rank-2 inputs (dense models) there is no channel axis to reduce and the result
// is [N, features]. Integrated Gradients and Input × Gradient: visualization/integrated_gradients.hpp.
#include <xvis/optimizer/grad_modifiers.hpp>
#include <xvis/visualization/explainer.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xvis {

struct SaliencyOptions {
    BackpropModifier backprop_modifier = BackpropModifier::none;
    GradModifierKind grad_modifier = GradModifierKind::absolute;  // keras-vis's default
    GradModifier custom_grad_modifier;  // used instead of grad_modifier when set
    bool keepdims = false;
    bool normalize = true;                   // false: raw (modified, reduced) gradients
    std::optional<DataFormat> data_format;   // of the input; default: the model's (model_data_format)
};

class Saliency : public Explainer {
public:
    // input_shape: [N, ...input] (or without the batch axis: N = 1).
    Saliency(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape,
             SaliencyOptions options = {});
    const Tensor& operator()(const Tensor& x) override;
    const Shape& input_shape() const override { return grad_.input_shape(); }
    // d score / d x of the last call, before the grad modifier: [N, ...input].
    const Tensor& gradients() const { return grad_.gradient(); }
    // The compiled score and gradient (e.g. for function().enable_profiling()).
    ScoreGradient& score_gradient() { return grad_.score_gradient(); }

private:
    DataFormat format_;  // before grad_, which is built for it
    detail::BatchedGradient grad_;
    GradModifier modifier_;
    SaliencyOptions o_;
    Tensor modified_, map_;
};

struct SmoothGradOptions : SaliencyOptions {
    int samples = 20;
    double noise = 0.20;
    std::uint64_t seed = 0;
};

class SmoothGrad : public Explainer {
public:
    SmoothGrad(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape,
               SmoothGradOptions options = {});
    const Tensor& operator()(const Tensor& x) override;
    const Shape& input_shape() const override { return grad_.input_shape(); }
    // The averaged gradient of the last call, before the grad modifier: [N, ...input].
    const Tensor& gradients() const { return average_; }

private:
    DataFormat format_;  // before grad_, which is built for it
    detail::BatchedGradient grad_;
    GradModifier modifier_;
    SmoothGradOptions o_;
    std::vector<double> sigma_;
    Tensor noisy_, average_, modified_, map_;
};

// keras-vis's functions, one-line wrappers around the objects (layer: index, negative from the end, or name).
Tensor visualize_saliency(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                          const SaliencyOptions& options = {});
Tensor smoothgrad(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                  const SmoothGradOptions& options = {});
// Any score: Σ weight · loss (keras-vis passes [(ActivationMaximization, −1)]) over a graph whose input is `input`.
Tensor visualize_saliency_with_losses(const Node& input, const WeightedLosses& losses, const Tensor& seed_input,
                                      const SaliencyOptions& options = {});

// keepdims = false: max over the channel axis (rank >= 3) of grads [N, ...] into out [N, spatial...]
// (keepdims: a copy, out has grads' shape); then optional per-sample min-max normalization. out must have
// the result's shape (no allocation).
void finish_saliency(const Tensor& grads, bool keepdims, bool normalize, DataFormat format, Tensor& out);
Tensor finish_saliency(const Tensor& grads, bool keepdims, bool normalize, DataFormat format);
// The shape finish_saliency gives for grads of shape `s`.
Shape saliency_shape(const Shape& s, bool keepdims, DataFormat format);

}  // namespace xvis
