#include <xvis/optimizer/input_modifiers.hpp>
#include <xvis/tensor/layout.hpp>

#include <algorithm>
#include <stdexcept>

namespace xvis {

Jitter::Jitter(double jitter, DataFormat format, std::uint64_t seed) : jitter_(jitter), format_(format), rng_(seed) {
    if (!(jitter_ >= 0)) throw std::invalid_argument("Jitter: jitter " + std::to_string(jitter_) + " must be >= 0");
}

std::vector<std::int64_t> Jitter::bounds(const Shape& s) const {
    if (s.size() < 3) throw ShapeError("Jitter: image " + shape_to_string(s) + " needs a batch, a channel and spatial axes");
    const std::size_t c = channel_axis(s.size(), format_);
    std::vector<std::int64_t> b;
    for (std::size_t i = 1; i < s.size(); ++i)
        if (i != c) b.push_back(jitter_ < 1 ? static_cast<std::int64_t>(static_cast<double>(s[i]) * jitter_)
                                            : static_cast<std::int64_t>(jitter_));
    return b;
}

void Jitter::pre(Tensor& image) {
    const Shape& s = image.shape();
    if (scratch_.shape() != s || bounds_.empty()) {  // first call (or a new shape): the only allocations
        bounds_ = bounds(s);
        scratch_ = Tensor(s);
        shifts_.assign(bounds_.size(), 0);
        all_axes_.assign(s.size(), 0);
    }
    const auto& b = bounds_;
    const std::size_t c = channel_axis(s.size(), format_);
    std::size_t k = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        all_axes_[i] = 0;
        if (i == 0 || i == c) continue;
        shifts_[k] = rng_.uniform_int(-b[k], b[k]);
        all_axes_[i] = shifts_[k++];
    }
    kernels::roll(image.data(), s, all_axes_.data(), scratch_.data());
    std::copy(scratch_.begin(), scratch_.end(), image.begin());
}

}  // namespace xvis
