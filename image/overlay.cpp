#include <xvis/image/overlay.hpp>
#include <xvis/image/resize.hpp>

namespace xvis {

Tensor overlay(const Tensor& a, const Tensor& b, double alpha) {
    if (a.shape() != b.shape())
        throw ShapeError("overlay: shapes " + shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()) +
                         " differ");
    Tensor out(a.shape());
    const double beta = 1.0 - alpha;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(a[i] * alpha + b[i] * beta);
    return out;
}

Tensor overlay_heatmap(const Tensor& image, const Tensor& heatmap, double alpha, Colormap colormap) {
    const Shape& s = image.shape();
    const bool ok_rank = s.size() == 2 || (s.size() == 3 && (s[2] == 1 || s[2] == 3 || s[2] == 4));
    if (!ok_rank || image.size() == 0)
        throw ShapeError("overlay_heatmap: image " + shape_to_string(s) +
                         " must be a non-empty [H, W] or [H, W, C] with C = 1, 3 or 4");
    if (heatmap.rank() != 2 || heatmap.size() == 0)
        throw ShapeError("overlay_heatmap: heat-map " + shape_to_string(heatmap.shape()) + " must be a non-empty [h, w]");
    const std::size_t h = s[0], w = s[1], c = s.size() == 3 ? s[2] : 1;
    const Tensor colored = apply_colormap(resize(heatmap, h, w, Interpolation::bilinear), colormap);
    const std::size_t out_c = c == 4 ? 4 : 3;
    Tensor out({h, w, out_c});
    const double beta = 1.0 - alpha;
    for (std::size_t p = 0; p < h * w; ++p) {
        const float* px = image.data() + p * c;
        const float* hc = colored.data() + p * 3;
        float* o = out.data() + p * out_c;
        for (std::size_t k = 0; k < 3; ++k) {
            const float base = c == 1 ? px[0] : px[k];  // gray replicated to R, G, B
            o[k] = static_cast<float>(hc[k] * alpha + base * beta);
        }
        if (c == 4) o[3] = px[3];
    }
    return out;
}

}  // namespace xvis
