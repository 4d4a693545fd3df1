#include <xvis/visualization/guided_gradcam.hpp>

namespace xvis {

namespace {
SaliencyOptions guided_options(const CamOptions& o) {
    SaliencyOptions so;
    so.backprop_modifier = BackpropModifier::guided;
    so.grad_modifier = GradModifierKind::none;
    so.keepdims = true;
    so.normalize = false;
    so.data_format = o.data_format;
    return so;
}
CamOptions normalized(CamOptions o) {
    o.normalize = true;
    return o;
}
}  // namespace

GuidedGradCam::GuidedGradCam(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape, CamOptions o)
    : guided_(model, layer, filters, input_shape, guided_options(o)),
      cam_(model, layer, filters, input_shape, normalized(o)),
      format_(o.data_format.value_or(model_data_format(model))),
      out_(guided_.input_shape()) {}

const Tensor& GuidedGradCam::operator()(const Tensor& x) {
    const Tensor& gb = guided_(x);
    const Tensor& cam = cam_(x);
    const detail::MapLayout lay{gb.shape()[0], gb.shape()[channel_axis(gb.rank(), format_)], 1, cam.size() / cam.shape()[0],
                                format_ == DataFormat::channels_first};
    for (std::size_t b = 0; b < lay.n; ++b)
        for (std::size_t k = 0; k < lay.c; ++k)
            for (std::size_t p = 0; p < lay.w; ++p) out_[lay.at(b, k, p)] = gb[lay.at(b, k, p)] * cam[b * lay.w + p];
    return out_;
}

Tensor guided_gradcam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const CamOptions& o) {
    return explain_once<GuidedGradCam>("guided_gradcam", model, std::move(layer), filters, seed, o);
}

}  // namespace xvis
