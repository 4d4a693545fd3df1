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
    // Even integer powers need no |x| (and its kink); other powers take |x| first.
    const bool even = p_ == std::floor(p_) && std::fmod(p_, 2.0) == 0.0;
    const Node powered = pow(even ? image_ : abs(image_), p_);
    return scale(pow(sum(powered), 1.0 / p_), 1.0 / per_image);
}

}  // namespace xvis
