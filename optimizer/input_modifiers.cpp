#include <xvis/optimizer/input_modifiers.hpp>
#include <xvis/tensor/layout.hpp>

#include <algorithm>
#include <stdexcept>

namespace xvis {

Jitter::Jitter(double jitter, DataFormat format, std::uint64_t seed) : Jitter(std::vector<double>{jitter}, format, seed) {}

Jitter::Jitter(std::vector<double> jitter, DataFormat format, std::uint64_t seed)
    : jitter_(std::move(jitter)), format_(format), rng_(seed) {
    if (jitter_.empty()) throw std::invalid_argument("Jitter: no jitter value given");
    for (double v : jitter_)
        if (!(v >= 0)) throw std::invalid_argument("Jitter: jitter " + std::to_string(v) + " must be >= 0");
}

std::vector<std::int64_t> Jitter::bounds(const Shape& s) const {
    if (s.size() < 3) throw ShapeError("Jitter: image " + shape_to_string(s) + " needs a batch, a channel and spatial axes");
    const std::size_t spatial = s.size() - 2;
    if (jitter_.size() != 1 && jitter_.size() != spatial)
        throw ShapeError("Jitter: " + std::to_string(jitter_.size()) + " jitter values for the " + std::to_string(spatial) +
                         " spatial axes of image " + shape_to_string(s) + " (give one value, or one per spatial axis)");
    const std::size_t c = channel_axis(s.size(), format_);
    std::vector<std::int64_t> b;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (i == c) continue;
        const double v = jitter_.size() == 1 ? jitter_[0] : jitter_[b.size()];
        b.push_back(v < 1 ? static_cast<std::int64_t>(static_cast<double>(s[i]) * v) : static_cast<std::int64_t>(v));
    }
    return b;
}

void Jitter::pre(Tensor& image) {
    const Shape& s = image.shape();
    if (bounds_shape_ != s) {  // first call (or a new shape): the only allocations, with shift()'s
        bounds_ = bounds(s);
        bounds_shape_ = s;
        shifts_.assign(bounds_.size(), 0);
    }
    for (std::size_t k = 0; k < bounds_.size(); ++k) shifts_[k] = rng_.uniform_int(-bounds_[k], bounds_[k]);
    shift(image, shifts_);
}

void Jitter::shift(Tensor& image, const std::vector<std::int64_t>& shifts) {
    const Shape& s = image.shape();
    if (s.size() < 3) throw ShapeError("Jitter::shift: image " + shape_to_string(s) + " needs a batch, a channel and spatial axes");
    if (shifts.size() != s.size() - 2)
        throw ShapeError("Jitter::shift: " + std::to_string(shifts.size()) + " shifts for the " + std::to_string(s.size() - 2) +
                         " spatial axes of image " + shape_to_string(s));
    if (scratch_.shape() != s) {
        scratch_ = Tensor(s);
        all_axes_.assign(s.size(), 0);
    }
    const std::size_t c = channel_axis(s.size(), format_);
    for (std::size_t i = 0, k = 0; i < s.size(); ++i) all_axes_[i] = (i == 0 || i == c) ? 0 : shifts[k++];
    kernels::roll(image.data(), s, all_axes_.data(), scratch_.data());
    std::copy(scratch_.begin(), scratch_.end(), image.begin());
}

}  // namespace xvis
