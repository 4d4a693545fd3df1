#include <xvis/autodiff/ops.hpp>
#include <xvis/losses/total_variation.hpp>

#include <stdexcept>

namespace xvis {

TotalVariation::TotalVariation(Node image, double beta, DataFormat format)
    : image_(std::move(image)), beta_(beta), format_(format) {
    if (!image_.valid()) throw std::invalid_argument("TotalVariation: the image is an empty node");
    if (!(beta_ > 0.0)) throw std::invalid_argument("TotalVariation: beta = " + python_float_string(beta_) + " but beta must be > 0");
    if (image_.rank() < 3 || image_.rank() > 5)
        throw ShapeError("TotalVariation: image " + image_.describe() +
                         " must have rank 3 to 5 (batch, channels and 1 to 3 spatial axes)");
    const std::size_t c = channel_axis(image_.rank(), format_);
    for (std::size_t i = 1; i < image_.rank(); ++i)
        if (i != c && image_.shape()[i] < 2)
            throw ShapeError("TotalVariation: image " + image_.describe() + " (" + to_string(format_) +
                             ") needs at least 2 pixels along every spatial axis");
}

Node TotalVariation::build_loss() const {
    // One fused pass (tv_sum); tv_sum_composed is its tested reference.
    const double per_image = static_cast<double>(image_.size() / image_.shape()[0]);
    return scale(tv_sum(image_, beta_, channel_axis(image_.rank(), format_)), 1.0 / per_image);
}

}  // namespace xvis
