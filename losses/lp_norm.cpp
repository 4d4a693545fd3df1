#include <xvis/autodiff/ops.hpp>
#include <xvis/losses/lp_norm.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

LPNorm::LPNorm(Node image, double p) : image_(std::move(image)), p_(p) {
    if (!image_.valid()) throw std::invalid_argument("LPNorm: the image is an empty node");
    if (!(p_ >= 1.0)) throw std::invalid_argument("LPNorm: p = " + python_float_string(p_) + " but p must be >= 1");
    if (image_.rank() < 2 || image_.size() == 0)
        throw ShapeError("LPNorm: image " + image_.describe() + " must have a batch axis and at least one element");
}

Node LPNorm::build_loss() const {
    const double per_image = static_cast<double>(image_.size() / image_.shape()[0]);  // C·S
    if (std::isinf(p_)) return scale(max(image_), 1.0 / per_image);
    // One fused pass (lp_sum); lp_sum_composed is its tested reference.
    return scale(pow(lp_sum(image_, p_), 1.0 / p_), 1.0 / per_image);
}

}  // namespace xvis
