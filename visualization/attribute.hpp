#pragma once
// One entry point for every attribution method (what the command line and sweeps call):
//   make_explainer(method, model, layer, filters, input_shape, options) → an Explainer built once;
//   attribute(method, model, layer, filters, x, options) → its map for x, in one call.
// Each method's result (x [N, ...input]):
//   saliency, smoothgrad               [N, spatial...] (keepdims: x's shape), see saliency.hpp
//   integrated_gradients, input_x_gradient, guided_gradcam   raw attributions of x's shape
//   gradcam, gradcam_plus_plus, layercam, score_cam          heat-maps [N, H, W], see cam.hpp
#include <xvis/image/resize.hpp>
#include <xvis/optimizer/grad_modifiers.hpp>
#include <xvis/tensor/enum_names.hpp>
#include <xvis/visualization/backprop_modifier_kind.hpp>
#include <xvis/visualization/cam.hpp>
#include <xvis/visualization/explainer.hpp>
#include <xvis/visualization/integrated_gradients.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xvis {

enum class AttributionMethod {
    saliency,
    smoothgrad,
    integrated_gradients,
    input_x_gradient,
    gradcam,
    gradcam_plus_plus,
    layercam,
    score_cam,
    guided_gradcam,
};

// Names as the command line spells them (from_string<AttributionMethod>, to_string); the library's
// snake_case spellings are aliases.
template <>
struct EnumNames<AttributionMethod> {
    static constexpr const char* type_name = "AttributionMethod";
    static constexpr const char* noun = "attribution method";
    static constexpr EnumName<AttributionMethod> table[] = {
        {"saliency", AttributionMethod::saliency},
        {"smoothgrad", AttributionMethod::smoothgrad},
        {"integrated-gradients", AttributionMethod::integrated_gradients},
        {"integrated_gradients", AttributionMethod::integrated_gradients},
        {"input-x-gradient", AttributionMethod::input_x_gradient},
        {"input_x_gradient", AttributionMethod::input_x_gradient},
        {"gradcam", AttributionMethod::gradcam},
        {"gradcam++", AttributionMethod::gradcam_plus_plus},
        {"gradcam_plus_plus", AttributionMethod::gradcam_plus_plus},
        {"layercam", AttributionMethod::layercam},
        {"scorecam", AttributionMethod::score_cam},
        {"score_cam", AttributionMethod::score_cam},
        {"guided-gradcam", AttributionMethod::guided_gradcam},
        {"guided_gradcam", AttributionMethod::guided_gradcam},
    };
};
inline std::string to_string(AttributionMethod method) { return enum_name(method); }
// Every method, in the order above.
inline std::vector<AttributionMethod> attribution_methods() { return enum_values<AttributionMethod>(); }
// True for the class activation maps (results are heat-maps [N, H, W]).
bool is_cam(AttributionMethod method);

// The options of every method; each method reads the fields that concern it.
struct AttributionOptions {
    BackpropModifier backprop_modifier = BackpropModifier::none;  // gradient methods
    std::optional<GradModifierKind> grad_modifier;  // default: absolute for saliency / SmoothGrad, none for CAMs
    bool keepdims = false;                    // saliency, SmoothGrad: keep the channel axis
    bool normalize = true;                    // saliency, SmoothGrad, CAMs: per-sample [0, 1]
    std::optional<DataFormat> data_format;    // of the input; default: the model's
    // SmoothGrad
    int samples = 20;
    double noise = 0.20;
    std::uint64_t seed = 0;
    // Integrated Gradients
    int steps = 50;
    IntegrationMethod integration = IntegrationMethod::gauss_legendre;
    std::optional<Tensor> baseline;
    // CAMs
    std::optional<std::int64_t> penultimate_layer;
    Interpolation interpolation = Interpolation::bilinear;
    bool use_logits = false;
    std::optional<DataFormat> feature_format;
    std::optional<TokenGrid> token_grid;  // CamOptions::token_grid
    std::size_t max_channels = 0;  // Score-CAM
    std::size_t score_batch = 16;  // Score-CAM
};

std::unique_ptr<Explainer> make_explainer(AttributionMethod method, const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices,
                                          const Shape& input_shape, const AttributionOptions& options = {});
// x: [N, ...input] or one sample without the batch axis (then the result has N = 1).
Tensor attribute(AttributionMethod method, const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& x,
                 const AttributionOptions& options = {});

}  // namespace xvis
