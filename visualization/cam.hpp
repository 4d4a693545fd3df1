#pragma once
// Class activation maps on a convolutional ("penultimate") layer A with C channels, for each sample:
//   GradCam (keras-vis visualize_cam): g = ∂score/∂A; w_c = mean over spatial positions of g_c;
//       cam = relu(Σ_c w_c · A_c). xvis does not divide g by its max first (keras-vis does, which flips the
//       map when that max is <= 0): see docs/keras-vis-differences.md.
//   GradCamPlusPlus (Chattopadhay et al., as pytorch-grad-cam): α = g² / (2g² + Σ_spatial A_c · g³ + 1e-6)
//       (0 where g = 0); w_c = Σ_spatial α · relu(g); cam = relu(Σ_c w_c A_c).
//   LayerCam (Jiang et al.): cam = relu(Σ_c relu(g_c) ⊙ A_c).
//   ScoreCam, GuidedGradCam: visualization/score_cam.hpp, guided_gradcam.hpp.
// Maps are upsampled to the input's spatial size (bilinear by default, bicubic or nearest on request) and
// normalized per sample to [0, 1] unless options.normalize is false. Heat-map: [N, H, W] (1-D inputs: [N, W]).
// score: the mean activation of `filter_indices` in `layer` per sample (as saliency).
#include <xvis/image/resize.hpp>
#include <xvis/optimizer/grad_modifiers.hpp>
#include <xvis/visualization/backprop_modifier_kind.hpp>
#include <xvis/visualization/explainer.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xvis {

// A transformer's tokens as a map (pytorch-grad-cam's reshape_transform for ViTs): A is [N, T, C]; its first
// `skip` tokens (a ViT's class token) are not positions, the other T − skip are an height × width grid in row-major
// order, channels last. height = width = 0: a square grid, √(T − skip) a side; one of them 0: T − skip over the
// other.
struct TokenGrid {
    std::size_t skip = 1;
    std::size_t height = 0, width = 0;
};

struct CamOptions {
    // Layer index of A; empty: the nearest Conv2D or (non-global) pooling layer before layer − 1 (keras-vis).
    std::optional<std::int64_t> penultimate_layer;
    BackpropModifier backprop_modifier = BackpropModifier::none;
    GradModifierKind grad_modifier = GradModifierKind::none;  // applied to g
    Interpolation interpolation = Interpolation::bilinear;
    bool normalize = true;
    bool use_logits = false;        // score the layer's pre-activation output (class logits)
    std::optional<DataFormat> data_format;  // of the input; default: the model's (model_data_format)
    // Layout of the feature map A. Default: the input's for Keras layers (Conv2D, pooling); channels_first for
    // imported ONNX graphs, whose ops are NCHW even behind an NHWC input (a Keras model exported by tf2onnx).
    std::optional<DataFormat> feature_format;
    // A is a token sequence [N, T, C] laid out as a grid (a ViT): needs penultimate_layer, which for a ViT is
    // usually the LayerNorm before the last block's attention (the last layer whose patch tokens reach the score:
    // after it only the class token does). feature_format, if set, must be channels_last.
    std::optional<TokenGrid> token_grid;
};

// Everything a CAM computes, for N samples; A is [N, C, h, w] or [N, h, w, C] (feature format; 1-D: no h), or
// [N, T, C] with a token grid.
struct CamResult {
    Tensor activations;  // A
    Tensor gradients;    // ∂score/∂A after the grad modifier (Score-CAM: shape [0])
    Tensor weights;      // [N, C] channel weights; LayerCAM weighs each position: relu(gradients), A's shape
    Tensor cam;          // [N, h, w] relu(Σ_c w_c A_c) at the layer's resolution, not normalized
    Tensor heatmap;      // [N, H, W] the cam upsampled to the input (normalized per sample unless normalize = false)
};

enum class CamWeighting { gradcam, gradcam_plus_plus, layercam };

class GradCam : public Explainer {
public:
    GradCam(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape, CamOptions options = {})
        : GradCam(model, std::move(layer), std::move(filter_indices), input_shape, std::move(options), CamWeighting::gradcam) {}
    // The heat-map of x; explain(x) gives every intermediate.
    const Tensor& operator()(const Tensor& x) override { return explain(x).heatmap; }
    const CamResult& explain(const Tensor& x);
    const CamResult& result() const { return r_; }  // of the last call
    const Shape& input_shape() const override { return grad_.input_shape(); }
    std::int64_t penultimate_layer() const { return penultimate_; }

protected:
    GradCam(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape, CamOptions options,
            CamWeighting weighting);

private:
    std::int64_t penultimate_;
    CamOptions o_;
    DataFormat format_, feature_format_;
    detail::BatchedGradient grad_;
    CamWeighting weighting_;
    GradModifier modifier_;
    CamResult r_;
};

class GradCamPlusPlus : public GradCam {
public:
    GradCamPlusPlus(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape, CamOptions options = {})
        : GradCam(model, std::move(layer), std::move(filter_indices), input_shape, std::move(options), CamWeighting::gradcam_plus_plus) {}
};

class LayerCam : public GradCam {
public:
    LayerCam(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape, CamOptions options = {})
        : GradCam(model, std::move(layer), std::move(filter_indices), input_shape, std::move(options), CamWeighting::layercam) {}
};

// keras-vis's visualize_cam and its successors as one-line wrappers: the heat-map [N, H, W].
Tensor visualize_cam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                     const CamOptions& options = {});
Tensor gradcam_plus_plus(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                         const CamOptions& options = {});
Tensor layercam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                const CamOptions& options = {});
// Any score: Σ weight · loss over a graph whose input is `input`; `penultimate` is the node A.
Tensor visualize_cam_with_losses(const Node& input, const WeightedLosses& losses, const Node& penultimate, const Tensor& seed_input,
                                 const CamOptions& options = {});

// keras-vis _find_penultimate_layer: explicit index checked to lie before `layer`; otherwise the search above
// (the last Conv2D or pooling layer before `layer` − 1). Models without such layers (imported ONNX graphs):
// the last layer before `layer` whose output is a [N, C, H, W] map with H·W > 1.
// No candidate → std::invalid_argument naming the layer.
std::int64_t find_penultimate_layer(const Model& model, std::int64_t layer, std::optional<std::int64_t> penultimate = {});

namespace detail {
// The layout of A the options ask for, or the default above for penultimate layer `index` (channels_last with
// a token grid, which needs an explicit penultimate_layer: std::invalid_argument naming `call` otherwise).
DataFormat cam_feature_format(const Model& model, std::int64_t index, const CamOptions& o, DataFormat input_format, const std::string& call);
// Spatial layout of a feature map [N, C, spatial...] or [N, spatial..., C] with 1 or 2 spatial axes, or of
// tokens [N, T, C] whose last h·w are the positions (channels last, `tokens` = T, `skip` = T − h·w).
struct MapLayout {
    std::size_t n, c, h, w;
    bool cf;
    std::size_t skip = 0, tokens = 0;  // tokens 0: h·w
    std::size_t at(std::size_t b, std::size_t k, std::size_t p) const {
        return cf ? (b * c + k) * h * w + p : (b * (tokens ? tokens : h * w) + skip + p) * c + k;
    }
};
// The layout of A [N, ...] in format f, or as tokens on `grid`; ShapeError naming `call` when A's shape does not
// fit (rank, a 1×1 map, tokens that do not make the grid).
MapLayout map_layout(const Shape& s, DataFormat f, const std::string& call, const std::optional<TokenGrid>& grid = {});
// A without a token grid must have as many spatial axes as the input: a rank-3 A under an image is a
// transformer's tokens [N, T, C], which read as a 1-D map would give a meaningless heat-map (ShapeError).
void check_map_rank(const Shape& a, const Shape& input, const std::optional<TokenGrid>& grid, const std::string& call);
// Upsamples each [h, w] map of cam [N, h, w] to heatmap [N, H, W] (or [N, W]), then normalizes per sample.
void upsample_cam(const Tensor& cam, Interpolation interpolation, bool normalize, Tensor& heatmap);
Shape heatmap_shape(const Shape& input, std::size_t n, DataFormat input_format);
}  // namespace detail

}  // namespace xvis
