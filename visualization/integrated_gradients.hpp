#pragma once
// Raw input attributions (the input's shape, no normalization), batch-aware like Saliency:
//   IntegratedGradients  Sundararajan et al., as Captum: (x − x') · ∫₀¹ ∂score/∂x (x' + α(x − x')) dα with
//                        Gauss-Legendre quadrature by default. Defaults (Captum): baseline 0, 50 steps.
//   InputXGradient       x · ∂score/∂x (Captum InputXGradient).
// score = each sample's mean activation of the filters in the layer. x: [N, ...input] → [N, ...input].
#include <xvis/visualization/explainer.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xvis {

enum class IntegrationMethod { gauss_legendre, riemann_middle, riemann_trapezoid };

struct IntegratedGradientsOptions {
    int steps = 50;
    IntegrationMethod method = IntegrationMethod::gauss_legendre;
    std::optional<Tensor> baseline;  // x' of the input's shape (with or without the batch axis); default zeros
    BackpropModifier backprop_modifier = BackpropModifier::none;
    std::optional<DataFormat> data_format;  // of the input; default: the model's
};

class IntegratedGradients : public Explainer {
public:
    IntegratedGradients(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape,
                        IntegratedGradientsOptions options = {});
    const Tensor& operator()(const Tensor& x) override;
    const Shape& input_shape() const override { return grad_.input_shape(); }
    // The quadrature's average gradient of the last call (before multiplying by x − x').
    const Tensor& average_gradient() const { return average_; }

private:
    detail::BatchedGradient grad_;
    std::vector<double> alphas_, weights_;
    Tensor baseline_, point_, average_, attribution_;
};

class InputXGradient : public Explainer {
public:
    InputXGradient(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape,
                   BackpropModifier backprop_modifier = BackpropModifier::none, std::optional<DataFormat> data_format = std::nullopt);
    const Tensor& operator()(const Tensor& x) override;
    const Shape& input_shape() const override { return grad_.input_shape(); }

private:
    detail::BatchedGradient grad_;
    Tensor attribution_;
};

Tensor integrated_gradients(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                            const IntegratedGradientsOptions& options = {});
Tensor input_x_gradient(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                        BackpropModifier backprop_modifier = BackpropModifier::none, std::optional<DataFormat> data_format = std::nullopt);

// Quadrature nodes α_k in [0, 1] and weights summing to 1; steps < 1 → std::invalid_argument.
void integration_rule(IntegrationMethod method, int steps, std::vector<double>& alphas, std::vector<double>& weights);

}  // namespace xvis
