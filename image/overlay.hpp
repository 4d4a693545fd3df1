#pragma once
// Blending images: keras-vis utils.overlay, and the heat-map-on-image picture keras-vis's examples draw for
// saliency and Grad-CAM (overlay(jet_heatmap, img)).
#include <xvis/image/colormap.hpp>
#include <xvis/tensor/tensor.hpp>

namespace xvis {

// out = a · alpha + b · (1 − alpha), element-wise; a and b of any one shape (mismatch → ShapeError naming both).
// No clipping: alpha outside [0, 1] extrapolates.
Tensor overlay(const Tensor& a, const Tensor& b, double alpha = 0.5);

// Colors `heatmap` [h, w] (values in [0, 1]) with `colormap` after resizing it (bilinear, half-pixel centres) to
// the image's H × W, and blends it over `image`:
//     out = color(resize(heatmap)) · alpha + rgb(image) · (1 − alpha)      (the heat-map takes weight alpha)
// image: [H, W], [H, W, 1] (gray: replicated to 3 channels), [H, W, 3], or [H, W, 4] (RGB blended, alpha channel
// copied unchanged). Output: [H, W, 3], or [H, W, 4] for an RGBA image. Other shapes → ShapeError.
Tensor overlay_heatmap(const Tensor& image, const Tensor& heatmap, double alpha = 0.5,
                       Colormap colormap = Colormap::jet);

}  // namespace xvis
