#pragma once
// From a picture to a model's input tensor and back: what ImageNet classifiers exported from PyTorch or Keras
// expect (resize, scale, per-channel mean / std, RGB or BGR, NCHW or NHWC), and the adjoint direction that puts
// an attribution computed on the model input back onto the picture, so heat-maps align with what the user gave.
//
// Pictures are read_image's [H, W, C] floats in 0..255 (C: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA); [H, W] is
// gray. Model inputs are [1, C, h, w] (nchw) or [1, h, w, C] (nhwc) with C = 1 or 3.
//
// preprocess_image, step by step:
//   1. channels: gray → 3 channels replicates it; RGB → 1 channel is the ITU-R 601 luma
//      0.299 R + 0.587 G + 0.114 B (PIL convert("L"), torchvision rgb_to_grayscale); alpha is dropped.
//   2. size: bilinear resize (image/resize.hpp, half-pixel centres, no anti-aliasing: torchvision's
//      Resize(antialias=False), OpenCV INTER_LINEAR) to height × width, unless both are 0. No crop: the whole
//      picture is seen, so the heat-map covers the whole picture.
//   3. value: x[c] = (v[src(c)] · scale − mean[c]) / std[c], where src(c) = c for rgb and 2 − c for bgr
//      (model channel 0 is blue). mean and std are listed in the MODEL's channel order, as Caffe and Keras's
//      "caffe" mode list them; with_channel_order() reorders a preset.
//   4. layout: nchw → [1, C, h, w], nhwc → [1, h, w, C].
// Invalid settings throw std::invalid_argument naming the function and the values: channels other than 1 or 3;
// mean or std with a count other than 0 or channels; std ≤ 0 or not finite; mean or scale not finite; scale
// ≤ 0; exactly one of height / width 0; an empty picture or one with other than 1..4 channels.
#include <xvis/tensor/tensor.hpp>

#include <cstddef>
#include <vector>

namespace xvis {

enum class ChannelOrder { rgb, bgr };
enum class TensorLayout { nchw, nhwc };

struct Preprocessing {
    std::size_t height = 0, width = 0;  // model input size; both 0: keep the picture's size
    std::vector<float> mean, std;       // per model channel, in units of value · scale; empty: 0 and 1
    float scale = 1.0f / 255;           // multiplies the 0..255 value first (1/255: the 0..1 pixel scale)
    ChannelOrder order = ChannelOrder::rgb;
    TensorLayout layout = TensorLayout::nchw;
};

// torchvision's ImageNet models (and Keras applications' "torch" mode): 224 × 224, RGB, NCHW,
// mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), scale 1/255.
Preprocessing imagenet_preprocessing();
// Keras applications' "caffe" mode (VGG16 / 19, ResNet50 v1): 224 × 224, BGR, x = v − (103.939, 116.779,
// 123.68) in B, G, R order: scale 1, no std.
Preprocessing caffe_preprocessing();
// Keras applications' "tf" mode (MobileNet, Inception, Xception): x = v / 127.5 − 1, i.e. scale 1/255, mean 0.5,
// std 0.5 on every channel; 224 × 224, RGB.
Preprocessing tf_preprocessing();

// p for a model that takes its channels in `order`: when that differs from p.order, three-value mean and std are
// reversed too (a preset's values belong to colours: ImageNet's red mean stays red's). Other fields unchanged.
Preprocessing with_channel_order(Preprocessing p, ChannelOrder order);

// The model input for `image` (steps 1-4 above), for a model with `channels` (1 or 3) input channels.
// Output: [1, C, h, w] or [1, h, w, C]; h × w = p.height × p.width, or the picture's size when both are 0.
Tensor preprocess_image(const Tensor& image, const Preprocessing& p, std::size_t channels);

// The inverse of steps 3-4 for display (e.g. an activation-maximization result): input [1, C, h, w] or
// [C, h, w] (nchw), [1, h, w, C] or [h, w, C] (nhwc), C = 1 or 3 → [h, w, C] in RGB order with
// v = (x[c] · std[c] + mean[c]) / scale. Not clipped: values outside 0..255 mean the input left the pixel range.
Tensor input_to_image(const Tensor& input, const Preprocessing& p);

// A heat-map at model-input resolution onto the picture: [h, w] → [height, width] or [N, h, w] →
// [N, height, width], bilinear (half-pixel centres, the inverse geometry of step 2, so map pixel centres land on
// the picture points they were computed from). Values are resampled, not rescaled: a map in [0, 1] stays in
// [0, 1]. Use it for Grad-CAM maps and for saliency already reduced to one value per location.
// Other ranks, empty maps or a 0 size → std::invalid_argument.
Tensor map_to_image(const Tensor& map, std::size_t height, std::size_t width);

// The chain rule from a raw input gradient g = ∂s/∂x (the model's layout, with or without the batch axis of 1)
// to ∂s/∂v on the picture's 0..255 values, [height, width, image_channels] (image_channels 1..4, the picture's):
//   value step:   ∂s/∂v[src(c)] = g[c] · scale / std[c]     (step 3 is x = (v · scale − mean) / std)
//   channel step: the transpose of step 1: a gray picture into a 3-channel model gets Σ_c of the three; an RGB
//                 picture into a 1-channel model gets (0.299, 0.587, 0.114) · g; alpha channels get 0.
//   spatial step: when height × width differs from the model's h × w, the gradient is resampled bilinearly and
//                 multiplied by (h · w) / (height · width). The exact transpose of a shrinking bilinear resize
//                 without anti-aliasing puts each model pixel's gradient on at most 2 × 2 picture pixels and
//                 leaves the others at 0 (stripes, not attribution); the resampled form spreads it over the
//                 model pixel's footprint instead, and the factor keeps sums over regions (and the total) as the
//                 exact transpose gives them, up to interpolation error.
// At the model's own size (height = h, width = w) no resampling happens and the result is exact.
Tensor gradient_to_image(const Tensor& grad, const Preprocessing& p, std::size_t height, std::size_t width,
                         std::size_t image_channels);

}  // namespace xvis
