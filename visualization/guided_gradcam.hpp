#pragma once
// Guided Grad-CAM (Selvaraju et al.): the guided-backprop gradient (raw, the input's shape) multiplied at each
// position by the upsampled, normalized Grad-CAM map. x [N, ...input] → [N, ...input].
#include <xvis/visualization/cam.hpp>
#include <xvis/visualization/saliency.hpp>

namespace xvis {

class GuidedGradCam : public Explainer {
public:
    // options.backprop_modifier and grad_modifier apply to the Grad-CAM part; the guided part is always guided.
    GuidedGradCam(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape, CamOptions options = {});
    const Tensor& operator()(const Tensor& x) override;
    const Shape& input_shape() const override { return guided_.input_shape(); }
    // The Grad-CAM part of the last call.
    const CamResult& cam() const { return cam_.result(); }

private:
    Saliency guided_;
    GradCam cam_;
    DataFormat format_;
    Tensor out_;
};

Tensor guided_gradcam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                      const CamOptions& options = {});

}  // namespace xvis
