#pragma once
// Gradient-based input attributions, all batch-aware (each sample of the seed is explained on its own).
//   visualize_saliency    keras-vis: grad_modifier(d score / d x), max over channels unless keepdims,
//                         normalized per sample to [0, 1]. score = the mean activation of the filters.
//   smoothgrad            Smilkov et al., as tf-keras-vis: the gradient averaged over `samples` noisy copies
//                         x + N(0, σ²), σ = noise · (max − min of the sample), then as saliency.
//                         Defaults (tf-keras-vis): samples 20, noise 0.20.
//   integrated_gradients  Sundararajan et al., as Captum: (x − x') · ∫₀¹ ∂score/∂x (x' + α(x − x')) dα with
//                         Gauss-Legendre quadrature. Defaults (Captum): baseline 0, 50 steps. Raw attributions.
//   input_x_gradient      x · ∂score/∂x (Captum InputXGradient). Raw attributions.
// Shapes: seed [N, ...input] (or without the batch axis). Saliency / SmoothGrad return [N, spatial...]
// (keepdims: the seed's shape); for rank-2 inputs (dense models) there is no channel axis to reduce and the
// result is [N, features]. IG and Input×Gradient return the seed's shape.
#include <xvis/layers/model.hpp>
#include <xvis/optimizer/grad_modifiers.hpp>
#include <xvis/visualization/score_gradient.hpp>

#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <vector>

namespace xvis {

struct SaliencyOptions {
    std::string backprop_modifier;           // "", "guided", "rectified" / "deconv"
    std::string grad_modifier = "absolute";  // keras-vis name, or "" for none
    GradModifier custom_grad_modifier;       // used instead of grad_modifier when set
    bool keepdims = false;
    bool normalize = true;                   // false: raw (modified, reduced) gradients
    DataFormat data_format = DataFormat::channels_first;
};

Tensor visualize_saliency(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                          const Tensor& seed_input, const SaliencyOptions& options = {});
// score = Σ weight · loss (keras-vis passes [(ActivationMaximization, −1)]).
Tensor visualize_saliency_with_losses(const Node& input, const WeightedLosses& losses, const Tensor& seed_input,
                                      const SaliencyOptions& options = {});

struct SmoothGradOptions : SaliencyOptions {
    int samples = 20;
    double noise = 0.20;
    std::uint64_t seed = 0;
};
Tensor smoothgrad(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                  const SmoothGradOptions& options = {});

enum class IntegrationMethod { gauss_legendre, riemann_middle, riemann_trapezoid };
struct IntegratedGradientsOptions {
    int steps = 50;
    IntegrationMethod method = IntegrationMethod::gauss_legendre;
    std::optional<Tensor> baseline;  // default: zeros
    std::string backprop_modifier;
    DataFormat data_format = DataFormat::channels_first;
};
Tensor integrated_gradients(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                            const Tensor& seed_input, const IntegratedGradientsOptions& options = {});
// Quadrature nodes α_k in [0, 1] and weights summing to 1.
void integration_rule(IntegrationMethod method, int steps, std::vector<double>& alphas, std::vector<double>& weights);

Tensor input_x_gradient(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                        const Tensor& seed_input, const std::string& backprop_modifier = {},
                        DataFormat data_format = DataFormat::channels_first);

// Shared by the attribution methods: the seed with a batch axis, and the model rebuilt for its batch size.
Tensor with_batch_axis(const Tensor& seed, const Shape& input_without_batch, const std::string& call);
// The score of the methods above: Σ over the batch of each sample's mean activation of the filters (so the
// gradient for a sample is that sample's own), as (loss, weight) for ScoreGradient.
WeightedLosses filter_score(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                            const Tensor& seed, DataFormat format, bool use_logits = false);
// explain(seed) on the whole batch; when the model cannot be built for the seed's batch (an ONNX model exported
// for a fixed batch whose graph does not follow another: its error says "explain one image at a time"), on
// each sample alone, the [1, ...] results stacked into [N, ...]. The model is left built for the last run.
Tensor explain_per_sample_if_needed(Model& model, const Tensor& seed, const std::function<Tensor(const Tensor&)>& explain);
// keepdims = false: max over the channel axis (rank >= 3); then optional per-sample min-max normalization.
Tensor finish_saliency(const Tensor& grads, bool keepdims, bool normalize, DataFormat format);

}  // namespace xvis
