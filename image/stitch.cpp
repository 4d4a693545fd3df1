#include <xvis/image/stitch.hpp>

#include <algorithm>
#include <stdexcept>

namespace xvis {

Tensor stitch_images(const std::vector<Tensor>& images, std::size_t margin, std::size_t cols, float background) {
    if (images.empty()) throw std::invalid_argument("stitch_images: no images to stitch");
    if (cols == 0) throw std::invalid_argument("stitch_images: cols must be at least 1");
    const Shape& s = images[0].shape();
    if (s.size() != 2 && s.size() != 3)
        throw ShapeError("stitch_images: image 0 has shape " + shape_to_string(s) + "; expected [H, W, C] or [H, W]");
    for (std::size_t k = 1; k < images.size(); ++k)
        if (images[k].shape() != s)
            throw ShapeError("stitch_images: image " + std::to_string(k) + " has shape " +
                             shape_to_string(images[k].shape()) + " but image 0 has " + shape_to_string(s));
    const std::size_t n = images.size();
    const std::size_t h = s[0], w = s[1], c = s.size() == 3 ? s[2] : 1;
    const std::size_t rows = (n + cols - 1) / cols;
    const std::size_t used_cols = std::min(cols, n);
    const std::size_t out_h = rows * h + (rows - 1) * margin;
    const std::size_t out_w = used_cols * w + (used_cols - 1) * margin;
    Shape out_shape = s;
    out_shape[0] = out_h;
    out_shape[1] = out_w;
    Tensor out(out_shape, background);
    const std::size_t row_len = w * c;  // one image row is contiguous in both source and destination
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t top = (k / cols) * (h + margin), left = (k % cols) * (w + margin);
        const float* src = images[k].data();
        for (std::size_t y = 0; y < h; ++y)
            std::copy(src + y * row_len, src + (y + 1) * row_len, out.data() + ((top + y) * out_w + left) * c);
    }
    return out;
}

}  // namespace xvis
