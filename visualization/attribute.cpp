#include <xvis/visualization/attribute.hpp>
#include <xvis/visualization/cam.hpp>
#include <xvis/visualization/guided_gradcam.hpp>
#include <xvis/visualization/saliency.hpp>
#include <xvis/visualization/score_cam.hpp>

#include <stdexcept>

namespace xvis {

namespace {

SmoothGradOptions saliency_options(const AttributionOptions& o) {
    SmoothGradOptions s;
    s.backprop_modifier = o.backprop_modifier;
    s.grad_modifier = o.grad_modifier.value_or(GradModifierKind::absolute);
    s.keepdims = o.keepdims;
    s.normalize = o.normalize;
    s.data_format = o.data_format;
    s.samples = o.samples;
    s.noise = o.noise;
    s.seed = o.seed;
    return s;
}

ScoreCamOptions cam_options(const AttributionOptions& o) {
    ScoreCamOptions c;
    c.penultimate_layer = o.penultimate_layer;
    c.backprop_modifier = o.backprop_modifier;
    c.grad_modifier = o.grad_modifier.value_or(GradModifierKind::none);
    c.interpolation = o.interpolation;
    c.normalize = o.normalize;
    c.use_logits = o.use_logits;
    c.data_format = o.data_format;
    c.feature_format = o.feature_format;
    c.token_grid = o.token_grid;
    c.max_channels = o.max_channels;
    c.batch = o.score_batch;
    return c;
}

}  // namespace

bool is_cam(AttributionMethod m) {
    return m == AttributionMethod::gradcam || m == AttributionMethod::gradcam_plus_plus || m == AttributionMethod::layercam ||
           m == AttributionMethod::score_cam;
}

std::unique_ptr<Explainer> make_explainer(AttributionMethod method, const Model& model, LayerId layer, std::vector<std::int64_t> filters,
                                          const Shape& input_shape, const AttributionOptions& o) {
    switch (method) {
        case AttributionMethod::saliency: return std::make_unique<Saliency>(model, layer, filters, input_shape, saliency_options(o));
        case AttributionMethod::smoothgrad: return std::make_unique<SmoothGrad>(model, layer, filters, input_shape, saliency_options(o));
        case AttributionMethod::integrated_gradients: {
            IntegratedGradientsOptions io;
            io.steps = o.steps;
            io.method = o.integration;
            io.baseline = o.baseline;
            io.backprop_modifier = o.backprop_modifier;
            io.data_format = o.data_format;
            return std::make_unique<IntegratedGradients>(model, layer, filters, input_shape, io);
        }
        case AttributionMethod::input_x_gradient:
            return std::make_unique<InputXGradient>(model, layer, filters, input_shape, o.backprop_modifier, o.data_format);
        case AttributionMethod::gradcam: return std::make_unique<GradCam>(model, layer, filters, input_shape, cam_options(o));
        case AttributionMethod::gradcam_plus_plus: return std::make_unique<GradCamPlusPlus>(model, layer, filters, input_shape, cam_options(o));
        case AttributionMethod::layercam: return std::make_unique<LayerCam>(model, layer, filters, input_shape, cam_options(o));
        case AttributionMethod::score_cam: return std::make_unique<ScoreCam>(model, layer, filters, input_shape, cam_options(o));
        case AttributionMethod::guided_gradcam: return std::make_unique<GuidedGradCam>(model, layer, filters, input_shape, cam_options(o));
    }
    throw std::invalid_argument("make_explainer: unknown AttributionMethod value " + std::to_string(static_cast<int>(method)));
}

Tensor attribute(AttributionMethod method, const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& x,
                 const AttributionOptions& o) {
    const Shape shape = batch_input_shape(model, x.shape(), "attribute(" + to_string(method) + ")");
    return (*make_explainer(method, model, std::move(layer), filters, shape, o))(with_batch_axis(x, shape, "attribute"));
}

}  // namespace xvis
