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
    const std::size_t rank = image_.rank();
    const std::size_t c = channel_axis(rank, format_);
    const Shape& s = image_.shape();
    // Region: every spatial axis without its last index; shifted copies start one further along axis i.
    Axes begin(rank, 0), end(rank, slice_full);
    for (std::size_t i = 1; i < rank; ++i)
        if (i != c) end[i] = static_cast<std::int64_t>(s[i]) - 1;
    const Node region = slice(image_, begin, end);
    Node squares;
    for (std::size_t i = 1; i < rank; ++i) {
        if (i == c) continue;
        Axes b = begin, e = end;
        b[i] = 1;
        e[i] = static_cast<std::int64_t>(s[i]);
        const Node d2 = square(sub(slice(image_, b, e), region));
        squares = squares.valid() ? add(squares, d2) : d2;
    }
    Node terms;
    if (beta_ == 2.0) {
        terms = squares;
    } else {
        // (Σ d²)^(β/2) with gradient 0 where Σ d² = 0: the pow branch only ever sees positive values.
        const Node positive = greater(squares, scalar(0.0));
        const Node safe = where(positive, squares, scalar(1.0));
        terms = where(positive, pow(safe, beta_ / 2.0), scalar(0.0));
    }
    const double per_image = static_cast<double>(image_.size() / s[0]);
    return scale(sum(terms), 1.0 / per_image);
}

}  // namespace xvis
