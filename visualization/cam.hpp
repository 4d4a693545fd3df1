#pragma once
// Class activation maps on a convolutional ("penultimate") layer A with C channels, for each sample:
//   visualize_cam (Grad-CAM, keras-vis): g = ∂score/∂A; w_c = mean over spatial positions of g_c;
//       cam = relu(Σ_c w_c · A_c). xvis does not divide g by its max first (keras-vis does, which flips the
//       map when that max is <= 0): see docs/keras-vis-differences.md.
//   gradcam_plus_plus (Chattopadhay et al., as pytorch-grad-cam): α = g² / (2g² + Σ_spatial A_c · g³ + 1e-6)
//       (0 where g = 0); w_c = Σ_spatial α · relu(g); cam = relu(Σ_c w_c A_c).
//   layercam (Jiang et al.): cam = relu(Σ_c relu(g_c) ⊙ A_c).
//   score_cam (Wang et al., as pytorch-grad-cam): s_c = score(x ⊙ norm(upsample(A_c))), w = softmax(s) over
//       channels, cam = relu(Σ_c w_c A_c). Faster Score-CAM (tf-keras-vis max_N): only the `max_channels`
//       channels with the largest activation variance (0 = all).
//   guided_gradcam (Selvaraju et al.): guided-backprop gradient (raw, the input's shape) · upsampled Grad-CAM.
// Maps are upsampled to the input's spatial size (bilinear by default, bicubic or nearest on request) and
// normalized per sample to [0, 1] unless options.normalize is false. Result: [N, H, W] (1-D inputs: [N, W]).
// score: the mean activation of `filter_indices` in `layer` per sample (as saliency).
#include <xvis/image/resize.hpp>
#include <xvis/layers/model.hpp>
#include <xvis/losses/loss.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xvis {

struct CamOptions {
    // Layer index of A; empty: the nearest Conv2D or (non-global) pooling layer before layer − 1 (keras-vis).
    std::optional<std::int64_t> penultimate_layer;
    std::string backprop_modifier;  // "", "guided", "rectified" / "deconv"
    std::string grad_modifier;      // keras-vis name applied to g, or ""
    Interpolation interpolation = Interpolation::bilinear;
    bool normalize = true;
    bool use_logits = false;        // score the layer's pre-activation output (class logits)
    DataFormat data_format = DataFormat::channels_first;  // of the input (and of A unless feature_format is set)
    // Layout of the feature map A when it differs from the input's: a Keras model exported by tf2onnx takes
    // NHWC pictures and transposes them, so its A is channels_first while data_format is channels_last.
    std::optional<DataFormat> feature_format;
};

struct ScoreCamOptions : CamOptions {
    std::size_t max_channels = 0;  // Faster Score-CAM: keep the channels of largest variance (0 = all)
    std::size_t batch = 16;        // masked inputs per forward pass
};

Tensor visualize_cam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                     const CamOptions& options = {});
// Any score: Σ weight · loss over the model's graph; `penultimate` is the node A.
Tensor visualize_cam_with_losses(const Node& input, const WeightedLosses& losses, const Node& penultimate, const Tensor& seed_input,
                                 const CamOptions& options = {});
Tensor gradcam_plus_plus(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                         const Tensor& seed_input, const CamOptions& options = {});
Tensor layercam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                const CamOptions& options = {});
Tensor score_cam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                 const ScoreCamOptions& options = {});
Tensor guided_gradcam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                      const CamOptions& options = {});

// keras-vis _find_penultimate_layer: explicit index checked to lie before `layer`; otherwise the search above
// (the last Conv2D or pooling layer before `layer` − 1). Models without such layers (imported ONNX graphs):
// the last layer before `layer` whose output is a [N, C, H, W] map with H·W > 1.
// No candidate → std::invalid_argument naming the layer.
std::int64_t find_penultimate_layer(const Model& model, std::int64_t layer, std::optional<std::int64_t> penultimate = {});

}  // namespace xvis
